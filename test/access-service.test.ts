import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { ingestFile } from '../pipelines/ingest.ts';
import { startService } from '../pipelines/service.ts';
import { queues } from '../src/db/queue.ts';
import { loadReference } from '../src/reference/load.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count, readReport } from './support/files.ts';
import { pdfPages } from './support/pdf.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(check: () => boolean, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(100);
  }
}

describe('the service takes access-code files from the inbox', function () {
  this.timeout(120_000);
  let app: TestApp;
  let service: { stop(): Promise<void> };

  before(async () => {
    app = await createTestApp({ 'processing.pollingIntervalSeconds': 1, 'watch.stableMs': 300 });
    await loadReference(app.db, path.join(samplesFolder, 'reference'));
    service = await startService(app);
  });
  after(async () => {
    await service.stop();
    await app.dispose();
  });

  it('a dropped file gets its report, its letters and, soon after, its activation emails', async () => {
    const inbox = path.join(app.home, 'inbox/A.0230/access');
    mkdirSync(inbox, { recursive: true });
    copyFileSync(path.join(samplesFolder, 'access/A.0230/access-requests.xml'), path.join(inbox, 'access-requests.xml'));
    const outbox = path.join(app.home, 'outbox/A.0230');
    await waitFor(() => existsSync(path.join(outbox, 'access-requests.xml.results.csv')));
    // As of today, not the samples' date: only the outcomes that do not depend on the date are checked.
    expect(readReport(path.join(outbox, 'access-requests.xml.results.csv')).map((r) => r.code)).to.include('EMAIL_NOT_PERSONAL');
    const letters = readdirSync(path.join(outbox, 'letters'));
    expect(letters.length).to.be.at.least(1);
    const issued = await count(app.db, `select count(*) n from connection where pin_hash is not null`);
    await waitFor(() => existsSync(path.join(app.home, 'outbox/mail')) && readdirSync(path.join(app.home, 'outbox/mail')).length === issued);
  });

  it('schedules the expiry job', async () => {
    const schedules = await app.boss.getSchedules();
    expect(schedules.map((s) => [s.name, s.cron])).to.deep.include([queues.connectionExpiry, app.config.connections.expirySchedule]);
  });
});

describe('the letters of a file are issued all or nothing', function () {
  this.timeout(120_000);
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ 'processing.leaseSeconds': 1 });
    await loadReference(app.db, path.join(samplesFolder, 'reference'));
  });
  after(() => app.dispose());

  it('a failure while writing the PDFs leaves no PIN, no email job and no partial PDF; the rerun issues them all', async () => {
    const source = path.join(samplesFolder, 'access/A.0094/access-low.csv');
    const letters = path.join(app.home, 'outbox/A.0094/letters');
    // The second school's PDF cannot be put in place: a folder has its name.
    const blocker = path.join(letters, 'access-low.1.S.0942.pdf');
    mkdirSync(blocker, { recursive: true });
    let failure: unknown = null;
    await ingestFile(app, source, 'A.0094', 'access', samplesAsOf).catch((error: unknown) => { failure = error; });
    expect(failure).to.be.instanceOf(Error);
    expect(await count(app.db, 'select count(*) n from connection where pin_hash is not null')).to.equal(0);
    expect(await count(app.db, `select count(*) n from pgboss.job where name = $1`, [queues.activationMail])).to.equal(0);
    expect(readdirSync(letters).sort()).to.deep.equal(['access-low.1.S.0942.pdf']);
    // Rows were committed before the letters: they are not applied twice.
    expect(await count(app.db, 'select count(*) n from connection')).to.equal(2);

    rmdirSync(blocker);
    await sleep(1100); // the failed run's lease runs out
    const rerun = await ingestFile(app, source, 'A.0094', 'access', samplesAsOf);
    expect(rerun.outcome).to.equal('processed');
    expect(readdirSync(letters).sort()).to.deep.equal(['access-low.1.S.0941.pdf', 'access-low.1.S.0942.pdf']);
    expect(await count(app.db, 'select count(*) n from connection where pin_hash is not null')).to.equal(2);
    expect(await count(app.db, `select count(*) n from pgboss.job where name = $1`, [queues.activationMail])).to.equal(2);
    expect(await count(app.db, 'select count(*) n from connection')).to.equal(2);
  });
});

describe('letters are split per school and into parts, and sorted by grade and name', function () {
  this.timeout(120_000);
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ 'letters.maxPagesPerPdf': 3 });
    await loadReference(app.db, path.join(samplesFolder, 'reference'));
  });
  after(() => app.dispose());

  it('parts of at most the configured pages, cover included, each with its own cover', async () => {
    const result = await ingestFile(app, path.join(samplesFolder, 'access/A.0001/fall-access.csv'), 'A.0001', 'access', samplesAsOf);
    expect(result.outcome).to.equal('processed');
    const letters = path.join(app.home, 'outbox/A.0001/letters');
    expect(readdirSync(letters).sort()).to.deep.equal([
      'fall-access.1.S.0101.pdf', 'fall-access.1.S.0102.part1.pdf', 'fall-access.1.S.0102.part2.pdf',
    ]);
    const part1 = await pdfPages(path.join(letters, 'fall-access.1.S.0102.part1.pdf'));
    const part2 = await pdfPages(path.join(letters, 'fall-access.1.S.0102.part2.pdf'));
    expect(part1).to.have.length(3);
    expect(part1[0]).to.match(/2 letters \(part 1 of 2\)/);
    expect(part2[0]).to.match(/1 letter \(part 2 of 2\)/);
    // Grade 6: Pauloosie, then Wong; grade 9: Singh.
    const students = [...part1.slice(1), ...part2.slice(1)].map((page) => /Student: ([^·\n]+)/.exec(page)?.[1]?.trim());
    expect(students).to.deep.equal(['Leah Pauloosie', 'Ethan Wong', 'Harpreet Kaur Singh']);
  });
});
