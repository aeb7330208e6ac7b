/**
 * `npm run bench`: a 1,000,000-row enrolment file over 500,000 students with 2,000,000 past
 * enrolments, ingested through the same code path as the inbox, against `psql \copy` of the
 * same file into a plain table. Prints rows/s and peak memory; a 200,000-row run first shows
 * whether memory grows with the file.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ingestFile } from '../pipelines/ingest.ts';
import { openApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';

const students = Number(process.env.BENCH_STUDENTS ?? 500_000);
const pastEnrolments = Number(process.env.BENCH_ENROLMENTS ?? 2_000_000);
const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const warmupRows = Number(process.env.BENCH_WARMUP_ROWS ?? 200_000);
const schoolsPerAuthority = 40;

async function serverUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  return (await startEmbeddedPostgres(loadConfig({}, {}), () => {})).url;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function seedReference(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`
    insert into authority (code, name, nationally_contracted, international, active, usage_agreement_signed) values
      ('A.0001', 'Regular One', false, false, true, true), ('A.0002', 'Regular Two', false, false, true, true),
      ('A.0094', 'Nunavut - Department of Education', true, false, true, false), ('A.0230', 'The International School of Macao', false, true, true, true);
    insert into school (code, authority_code, name)
      select 'S.' || lpad((a * 100 + s)::text, 4, '0'), 'A.' || lpad(case a when 1 then 1 when 2 then 2 when 3 then 94 else 230 end::text, 4, '0'), 'School ' || s
        from generate_series(1, 4) a, generate_series(1, ${schoolsPerAuthority}) s;`);
  await client.query(`
    insert into student (asn, last_name, first_name, birth_date, match_key)
      select (100000000 + i)::text, 'Last' || i, 'First' || i, date '2008-01-01' + (i % 3000), 'first' || i || '|last' || i || '|' || (date '2008-01-01' + (i % 3000))::text
        from generate_series(1, ${students}) i`);
  // Four past enrolments per student, across the four authorities' schools, ended before the as-of date.
  await client.query(`
    insert into enrolment (asn, school_code, entry_date, exit_date, grade, enrolment_type)
      select (100000000 + 1 + (n / 4))::text,
             'S.' || lpad((((n + (n / 4)) % 4 + 1) * 100 + 1 + (n % ${schoolsPerAuthority}))::text, 4, '0'),
             date '2018-09-01' + (n % 4) * 365, date '2019-06-28' + (n % 4) * 365, '5', 'Primary'
        from generate_series(0, ${pastEnrolments - 1}) n
       where n / 4 < ${students}`);
  await client.query('vacuum analyze');
  await client.end();
}

/** Rows for the Low authority A.0094: mostly new enrolments of existing students, some new students, some bad data. */
async function writeEnrolmentFile(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(
    'asn,school_code,entry_date,exit_date,grade,enrolment_type,last_name,first_name,middle_name,birth_date,action\n',
  );
  for (let i = 0; i < count; i++) {
    // Rows come grouped by school in real files, so their students arrive in no particular order.
    const asn = 100000001 + ((i * 7919) % students);
    const school = `S.03${String(1 + (i % schoolsPerAuthority)).padStart(2, '0')}`;
    const entry = `2026-09-0${1 + (Math.floor(i / students) % 9)}`;
    let line: string;
    if (i % 100 === 7) line = `,${school},${entry},,7,Primary,Newstudent${i},Alex,,2014-02-03,`;
    else if (i % 50 === 3) line = `${asn},${school},2026-02-30,,14,Primary,,,,,`;
    else line = `${asn},${school},${entry},,${1 + (i % 12)},Primary,,,,,`;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function timeCopy(url: string, file: string): number {
  const started = Date.now();
  execFileSync('psql', [
    url,
    '-q',
    '-c',
    'drop table if exists copy_baseline',
    '-c',
    'create table copy_baseline (asn text, school_code text, entry_date text, exit_date text, grade text, enrolment_type text, last_name text, first_name text, middle_name text, birth_date text, action text)',
    '-c',
    `\\copy copy_baseline from '${file}' with (format csv, header true)`,
  ]);
  return (Date.now() - started) / 1000;
}

interface IngestFigures {
  seconds: number;
  peakRssMb: number;
  peakHeapMb: number;
  peakLiveHeapMb: number;
  summary: string;
}

async function timeIngest(url: string, home: string, file: string): Promise<IngestFigures> {
  const app = await openApp({ databaseUrl: url, home, logLevel: 'warn' });
  let peakRss = 0;
  let peakHeap = 0;
  let peakLive = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  // What stays reachable after a full collection: this must not grow with the file.
  const sampleLive = () => {
    if (!global.gc) return;
    global.gc();
    peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
  };
  global.gc?.();
  const sampler = setInterval(sample, 50);
  const liveSampler = setInterval(sampleLive, 5000);
  const started = Date.now();
  const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  clearInterval(liveSampler);
  sample();
  await app.close();
  if (result.outcome !== 'processed') throw new Error(`bench file was ${result.outcome}`);
  const summary = `accepted ${result.file.accepted}, referred ${result.file.referred}, invalid ${result.file.invalid}`;
  return {
    seconds,
    peakRssMb: peakRss / 2 ** 20,
    peakHeapMb: peakHeap / 2 ** 20,
    peakLiveHeapMb: peakLive / 2 ** 20,
    summary,
  };
}

const base = await serverUrl();
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query('drop database if exists intake_bench with (force)');
await admin.query('create database intake_bench');
await admin.end();
const url = withDatabase(base, 'intake_bench');
const work = mkdtempSync(path.join(tmpdir(), 'intake-bench-'));
try {
  const setup = await openApp({ databaseUrl: url, home: work, logLevel: 'warn' });
  await setup.close();
  let started = Date.now();
  await seedReference(url);
  console.log(
    `reference: ${students} students, ${pastEnrolments} past enrolments (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );

  for (const count of [warmupRows, rows]) {
    const file = path.join(work, `enrolments-${count}.csv`);
    started = Date.now();
    await writeEnrolmentFile(file, count);
    const copySeconds = timeCopy(url, file);
    const ingest = await timeIngest(url, path.join(work, `home-${count}`), file);
    console.log(`\n${count} rows (${ingest.summary})`);
    console.log(`  psql \\copy into a plain table: ${copySeconds.toFixed(1)} s`);
    console.log(
      `  intake ingest:                  ${ingest.seconds.toFixed(1)} s, ${Math.round(count / ingest.seconds)} rows/s, ${(ingest.seconds / copySeconds).toFixed(1)}x the copy time`,
    );
    console.log(
      `  peak memory:                    ${ingest.peakRssMb.toFixed(0)} MB resident, ${ingest.peakHeapMb.toFixed(0)} MB heap, ${ingest.peakLiveHeapMb.toFixed(0)} MB live heap after collection`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
