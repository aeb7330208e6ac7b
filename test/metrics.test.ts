import { mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import type { Browser } from 'playwright-core';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { startConsole, startOperatorSite } from '../pipelines/console.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { sampleFiles, samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { activateConnection } from '../src/connections/activation.ts';
import { claimFile } from '../src/files/claim.ts';
import { fileStatuses } from '../src/files/file-listing.ts';
import { fileKinds } from '../src/files/kinds.ts';
import { acquireLease, recordProgress } from '../src/files/leases.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { emailStates } from '../src/metrics/metric-queries.ts';
import { referralReasons, rowCodes } from '../src/outcomes.ts';
import { loadReference } from '../src/reference/load.ts';
import { addStaff } from '../src/staff/accounts.ts';
import type { WebServer } from '../src/web/server.ts';
import { launchBrowser, signIn } from './support/browser.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { readReport, writeFiles } from './support/files.ts';
import { pdfPages } from './support/pdf.ts';

/** The samples of one authority and kind, as scripts/sample-files.ts lists them. */
const sample = (kind: 'enrolment' | 'access', authority: string) =>
  sampleFiles().find((f) => f.kind === kind && f.authority === authority) as ReturnType<typeof sampleFiles>[number];

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `name{labels} value` lines of the Prometheus text, by name and labels as written. */
function samplesOf(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

describe('metrics and the dashboard health', function () {
  this.timeout(180_000);
  let app: TestApp;
  let operator: WebServer;
  let lettersOfA0001 = 0;

  before(async () => {
    // A failed send is tried again an hour later: it stays "retrying" for the whole test.
    app = await createTestApp({ 'mail.retryDelaySeconds': 3600 });
    await loadReference(app.db, path.join(samplesFolder, 'reference'));
    for (const file of sampleFiles().filter((f) => f.kind === 'enrolment'))
      await ingestFile(app, file.path, file.authority, 'enrolment', samplesAsOf);
    const drop = writeFiles(path.join(app.home, 'drop'), { 'not-enrolment.csv': 'colour,size\nred,3\n' });
    const refused = await ingestFile(app, path.join(drop, 'not-enrolment.csv'), 'A.0001', 'enrolment', samplesAsOf);
    expect(refused.outcome).to.equal('refused');

    // A.0094's emails fail (the mail server is down), A.0230's are sent, A.0001's wait.
    const access = (authority: string) => sample('access', authority);
    await ingestFile(app, access('A.0094').path, 'A.0094', 'access', samplesAsOf);
    const down = createMailSender({
      ...app.config,
      mail: { ...app.config.mail, smtpUrl: `smtp://127.0.0.1:${await closedPort()}` },
    });
    expect((await sendDueMail(app, down)).failed).to.equal(2);
    await ingestFile(app, access('A.0230').path, 'A.0230', 'access', samplesAsOf);
    expect((await sendDueMail(app, createMailSender(app.config))).sent).to.equal(3);
    const a0001 = await ingestFile(app, access('A.0001').path, 'A.0001', 'access', samplesAsOf);
    const a0001Id = a0001.outcome === 'processed' ? a0001.file.id : 0;
    const batch = await app.db.query<{ letters: number }>('select letters from letter_batch where file_id = $1', [
      a0001Id,
    ]);
    lettersOfA0001 = batch.rows[0]?.letters ?? 0;
    expect(lettersOfA0001).to.be.greaterThan(0);

    // One connection of A.0230 activated with its letter's PIN; another locked by wrong ones.
    const tokenOf = async (email: string) => {
      const { rows } = await app.db.query<{ id: string }>('select id::text from connection where email = $1', [email]);
      const folder = path.join(app.home, 'outbox/mail');
      const eml = readdirSync(folder).find((name) => name.startsWith(`connection-${rows[0]?.id}-`)) as string;
      const mail = await simpleParser(readFileSync(path.join(folder, eml)));
      return new URL(
        (/https?:\/\/\S+\/activate\?token=[A-Za-z0-9_-]+/.exec(mail.text ?? '') as RegExpExecArray)[0],
      ).searchParams.get('token') as string;
    };
    const letters = path.join(app.home, 'outbox/A.0230/letters');
    const pdf = readdirSync(letters).find((name) => name.endsWith('.S.2301.pdf')) as string;
    const [, page] = await pdfPages(path.join(letters, pdf));
    const pin = (/(?<![0-9-])\d{4}(?![0-9-])/.exec((page ?? '').replace(/\b[AS]\.\d{4}\b/g, '')) as RegExpExecArray)[0];
    const account = 'beatriz@outlook.example';
    const activated = await activateConnection(app.db, app.config, {
      token: await tokenOf('beatriz.sousa@example.pt'),
      pin,
      account,
    });
    expect(activated.outcome).to.equal('activated');
    const other = await tokenOf('meiling.ho@example.mo');
    for (let attempt = 0; attempt < app.config.connections.maxPinAttempts; attempt++)
      await activateConnection(app.db, app.config, { token: other, pin: 'none', account });

    // Waiting in the inbox: one file written an hour ago; what the watcher never takes is not counted.
    const inbox = writeFiles(path.join(app.home, 'inbox/A.0001/enrolment'), {
      'october.csv': 'asn\n',
      'november.csv.filepart': 'asn\n',
      '.hidden.csv': 'asn\n',
      'october.csv.done': '',
    });
    const anHourAgo = new Date(Date.now() - 3600_000);
    utimesSync(path.join(inbox, 'october.csv'), anHourAgo, anHourAgo);
    symlinkSync(path.join(inbox, 'october.csv'), path.join(inbox, 'link.csv'));
    mkdirSync(path.join(inbox, 'a-folder.csv'));
    writeFiles(path.join(app.home, 'inbox/A.0001/no-such-kind'), { 'december.csv': 'asn\n' });

    operator = await startOperatorSite(app);
  });
  after(async () => {
    await operator?.stop();
    await app?.dispose();
  });

  it('GET /metrics: Prometheus text, without a session, from the database and the inbox', async () => {
    const response = await fetch(`${operator.url}/metrics`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const metrics = samplesOf(text);
    const value = (name: string) => metrics.get(name);

    expect(value('intake_files{kind="enrolment",status="done"}')).to.equal(4);
    expect(value('intake_files{kind="enrolment",status="failed"}')).to.equal(1);
    expect(value('intake_files{kind="access",status="done"}')).to.equal(3);
    expect(value('intake_files{kind="access",status="queued"}')).to.equal(0);

    // Rows by status and code: exactly the expected outcomes of the samples ingested above.
    const expected = new Map<string, number>();
    const ingested = [
      ...sampleFiles().filter((f) => f.kind === 'enrolment'),
      ...['A.0094', 'A.0230', 'A.0001'].map((authority) => sample('access', authority)),
    ];
    for (const file of ingested) {
      for (const row of readReport(file.expected)) {
        const key = `intake_rows_total{kind="${file.kind}",status="${row.status}",code="${row.code}"}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
    }
    const rows = new Map([...metrics].filter(([name]) => name.startsWith('intake_rows_total{')));
    expect(Object.fromEntries(rows)).to.deep.equal(Object.fromEntries(expected));

    const histogram = (kind: string) => value(`intake_file_processing_seconds_count{kind="${kind}"}`);
    expect(histogram('enrolment')).to.equal(4);
    expect(histogram('access')).to.equal(3);
    expect(value('intake_file_processing_seconds_bucket{le="+Inf",kind="access"}')).to.equal(3);
    expect(value('intake_rows_per_second{kind="enrolment"}')).to.be.greaterThan(0);

    const open = await app.db.query<{ reason: string; items: number }>(
      `select reason, count(*)::int as items from referral where state = 'open' group by reason`,
    );
    expect(open.rows.length).to.be.greaterThan(1);
    for (const reason of Object.keys(referralReasons)) {
      const items = open.rows.find((r) => r.reason === reason)?.items ?? 0;
      expect(value(`intake_queue_open_items{reason="${reason}"}`), reason).to.equal(items);
    }
    expect(value('intake_queue_oldest_open_item_age_seconds')).to.be.greaterThan(0);

    expect(value('intake_activation_emails{state="retrying"}')).to.equal(2);
    expect(value('intake_activation_emails{state="completed"}')).to.equal(3);
    expect(value('intake_activation_emails{state="queued"}')).to.equal(lettersOfA0001);
    expect(value('intake_activation_emails{state="failed"}')).to.equal(0);
    expect(value('intake_letters_issued_total')).to.equal(2 + 3 + lettersOfA0001);
    expect(value('intake_connection_activations_total')).to.equal(1);
    expect(value('intake_connection_lockouts_total')).to.equal(1);

    expect(value('intake_inbox_files{kind="enrolment"}')).to.equal(1);
    expect(value('intake_inbox_files{kind="access"}')).to.equal(0);
    expect(value('intake_inbox_oldest_file_age_seconds')).to.be.within(3590, 3700);
    expect(value('intake_inbox_walk_capped')).to.equal(0);
    expect(text).to.match(/# TYPE intake_rows_total counter/);
    expect(text).to.match(/# TYPE intake_file_processing_seconds histogram/);

    // Nothing of a person or a file: every label is a kind, a status, a code, a reason, an email
    // state or a bucket's bound; no address, name or file name anywhere.
    const vocabulary = new Set<string>([
      ...fileKinds,
      ...fileStatuses,
      'accepted',
      'referred',
      'invalid',
      ...Object.keys(rowCodes),
      ...Object.keys(referralReasons),
      ...Object.values(emailStates),
    ]);
    for (const name of metrics.keys()) {
      for (const [, label, labelValue] of name.matchAll(/(\w+)="([^"]*)"/g)) {
        if (label === 'le') expect(Number(labelValue === '+Inf' ? Infinity : labelValue), name).to.not.be.NaN;
        else expect(vocabulary.has(labelValue as string), name).to.equal(true);
      }
    }
    expect(text).to.not.contain('@');
    const names = await app.db.query<{ name: string }>(
      `select original_name as name from intake_file
       union select last_name from student union select first_name from student
       union select person_name from connection where person_name is not null`,
    );
    for (const { name } of names.rows) expect(text, name).to.not.contain(name);
    // Metrics only: no page of the console, and nothing but GET.
    expect((await fetch(`${operator.url}/`)).status).to.equal(404);
    expect((await fetch(`${operator.url}/metrics`, { method: 'POST' })).status).to.equal(405);
  });

  it(
    'the dashboard shows the same health: the inbox, files in progress, failed files and the mail ' + 'backlog',
    async () => {
      // A file waiting for a worker, and one under way with 5 records done.
      const drop = writeFiles(path.join(app.home, 'drop'), {
        'late.csv': readFileSync(sample('enrolment', 'A.0001').path),
      });
      const copy = (name: string) =>
        claimFile(
          { ...app, boss: null },
          { source: path.join(drop, name), authorityFolder: 'A.0094', kindFolder: 'enrolment', mode: 'copy' },
        );
      const queued = await copy('late.csv');
      writeFileSync(path.join(drop, 'later.csv'), `${readFileSync(path.join(drop, 'late.csv'), 'utf8')}\n`);
      const running = await copy('later.csv');
      if (queued.outcome !== 'registered' || running.outcome !== 'registered') throw new Error('not claimed');
      await acquireLease(app.db, running.file.id, 'test-run', 600);
      await recordProgress(app.db, running.file.id, 'test-run', 600, {
        recordsDone: 5,
        accepted: 4,
        referred: 0,
        invalid: 1,
      });
      await addStaff(app.db, { username: 'olu', displayName: 'Olu Adeyemi', password: 'a long enough password' });
      const web = await startConsole(app);
      let browser: Browser | null = null;
      try {
        browser = await launchBrowser();
        const page = await browser.newPage();
        await page.goto(`${web.url}/`);
        await signIn(page, web.url, 'olu', 'a long enough password');
        const health = page.getByRole('table', { name: 'Now, for every machine of the service.' });
        const fact = async (name: string) =>
          (
            await health
              .getByRole('row', { name: new RegExp(`^${name}`) })
              .getByRole('cell')
              .textContent()
          )?.trim();
        expect(await fact('Files waiting in the inbox')).to.match(/^1, the oldest last written 6\d minutes ago$/);
        expect(await fact('Files waiting for a worker')).to.equal('1');
        expect(await fact('Files being processed')).to.equal('1');
        expect(await fact('Failed files today')).to.equal('1 (listed below)');
        expect(await fact('Activation emails waiting to be sent')).to.equal(
          `${lettersOfA0001} queued, 2 to be tried again after a failure`,
        );
        expect(await fact('Activation emails given up')).to.equal('0 in the last 12 hours');
        const cells = async (id: number) =>
          (
            await page
              .locator('#unfinished tr', { hasText: `#${id}` })
              .locator('td')
              .allTextContents()
          ).map((c) => c.trim());
        const [, , , queuedStatus] = await cells(queued.file.id);
        expect(queuedStatus).to.equal('Waiting for a worker');
        const progress = await cells(running.file.id);
        expect(progress.slice(0, 4)).to.deep.equal([
          `later.csv #${running.file.id}`,
          'A.0094',
          'enrolment',
          'Being processed',
        ]);
        expect(progress.slice(6)).to.deep.equal(['5', '4', '0', '1']);
        expect(progress[5]).to.match(/\d{4}-\d{2}-\d{2}/);
        await page.click('a[href="#failed"]');
        expect(await page.locator('#failed + * table tbody tr').count()).to.equal(1);
      } finally {
        await browser?.close();
        await web.stop();
      }
      // The same numbers on the metrics, now that a file waits and another is under way.
      const metrics = samplesOf(await (await fetch(`${operator.url}/metrics`)).text());
      expect(metrics.get('intake_files{kind="enrolment",status="queued"}')).to.equal(1);
      expect(metrics.get('intake_files{kind="enrolment",status="processing"}')).to.equal(1);
    },
  );
});
