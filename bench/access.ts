/**
 * `npm run bench` (second part): access-code files of 2,000 and then 10,000 create rows, ingested
 * through the inbox's code path, which issues one PIN letter per row; then the 10,000 activation
 * emails sent to an SMTP sink on loopback. Prints letters (pages) per second, peak memory, and
 * messages per second.
 */

import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { openApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';

const students = 10_000;
const schools = 20;
const runs = [2_000, Number(process.env.BENCH_LETTERS ?? 10_000)];
const names = [
  'Marie-Ève Béliveau',
  'Trần Thị Thu Hà',
  'Gurpreet Kaur',
  'ᓯᐊᓯ ᐸᐅᓗᓯ',
  '王小明',
  'Ahmed Haddad',
  'Olivia Smith',
  'Chloé Tremblay',
];

async function serverUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  return (await startEmbeddedPostgres(loadConfig({}, {}), () => {})).url;
}

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`
    insert into authority (code, name, email_domains) values ('A.0001', 'Edmonton Public', '{epsb.example.ca}');
    insert into school (code, authority_code, name)
      select 'S.' || lpad(s::text, 4, '0'), 'A.0001', 'School ' || s
        from generate_series(1, ${schools}) s;
    insert into student (asn, last_name, first_name, birth_date, match_key)
      select (100000000 + i)::text, 'Last' || i, 'First' || i, date '2010-01-01' + (i % 1500), 'k' || i
        from generate_series(1, ${students}) i;
    insert into enrolment (asn, school_code, entry_date, grade, enrolment_type)
      select (100000000 + i)::text, 'S.' || lpad((1 + i % ${schools})::text, 4, '0'), date '2025-09-02',
             (1 + i % 12)::text, 'Primary'
        from generate_series(1, ${students}) i;`);
  await client.query('vacuum analyze');
  await client.end();
}

async function writeAccessFile(file: string, count: number, run: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('action,asn,school_code,requester,relationship,name,email,language,replace\n');
  for (let i = 0; i < count; i++) {
    const student = 1 + ((i * 7919) % students);
    const school = `S.${String(1 + (student % schools)).padStart(4, '0')}`;
    const line =
      `create,${100000000 + student},${school},parent_guardian,Parent,${names[i % names.length]},` +
      `p${run}.${i}@example.com,${i % 4 === 0 ? 'fr' : 'en'},`;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The letters stage's own timing, from the service log. */
function lettersLog(home: string): { letters: number; pdfs: number; ms: number } {
  const lines = readFileSync(path.join(home, 'log', 'intake.log'), 'utf8')
    .trim()
    .split('\n');
  const entry = lines
    .map((l) => JSON.parse(l) as { message: string; letters?: number; pdfs?: number; ms?: number })
    .filter((e) => e.message === 'letters issued')
    .at(-1);
  if (!entry) throw new Error('no letters were issued');
  return { letters: entry.letters ?? 0, pdfs: entry.pdfs ?? 0, ms: entry.ms ?? 0 };
}

const base = await serverUrl();
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query('drop database if exists intake_bench_access with (force)');
await admin.query('create database intake_bench_access');
await admin.end();
const url = new URL(base);
url.pathname = '/intake_bench_access';
const work = mkdtempSync(path.join(tmpdir(), 'intake-bench-access-'));

let received = 0;
const sink = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, _session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => {
      received++;
      callback();
    });
  },
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const port = (sink.server.address() as { port: number }).port;

try {
  const app = await openApp({
    databaseUrl: url.toString(),
    home: work,
    logLevel: 'info',
    'mail.smtpUrl': `smtp://127.0.0.1:${port}`,
    'mail.batchSize': 200,
  });
  try {
    await seed(url.toString());
    for (const [run, count] of runs.entries()) {
      const file = path.join(work, `access-${count}.csv`);
      await writeAccessFile(file, count, run);
      let peakRss = 0;
      global.gc?.();
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 20);
      const started = Date.now();
      const result = await ingestFile(app, file, 'A.0001', 'access', '2026-09-15');
      const seconds = (Date.now() - started) / 1000;
      clearInterval(sampler);
      if (result.outcome !== 'processed') throw new Error(`bench file was ${result.outcome}`);
      const letters = lettersLog(work);
      console.log(
        `\n${count} access rows (accepted ${result.file.accepted}, invalid ${result.file.invalid}): ` +
          `${seconds.toFixed(1)} s in all`,
      );
      console.log(
        `  letters: ${letters.letters} pages in ${letters.pdfs} PDFs, ${(letters.ms / 1000).toFixed(1)} s, ` +
          `${Math.round(letters.letters / (letters.ms / 1000))} pages/s`,
      );
      console.log(`  peak memory: ${(peakRss / 2 ** 20).toFixed(0)} MB resident`);
    }
    const sender = createMailSender(app.config);
    const started = Date.now();
    const round = await sendDueMail(app, sender);
    const seconds = (Date.now() - started) / 1000;
    sender.close();
    console.log(
      `\nactivation emails: ${round.sent} sent (${received} received by the sink, ${round.failed} failed) ` +
        `in ${seconds.toFixed(1)} s, ${Math.round(round.sent / seconds)} messages/s`,
    );
  } finally {
    await app.close();
  }
} finally {
  sink.close();
  rmSync(work, { recursive: true, force: true });
}
