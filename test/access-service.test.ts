import { copyFileSync, existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ingestFile } from '../pipelines/ingest.ts';
import { startService } from '../pipelines/service.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { queues } from '../src/db/queue.ts';
import { loadReference } from '../src/reference/load.ts';
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
    copyFileSync(
      path.join(samplesFolder, 'access/A.0230/access-requests.xml'),
      path.join(inbox, 'access-requests.xml'),
    );
    const outbox = path.join(app.home, 'outbox/A.0230');
    await waitFor(() => existsSync(path.join(outbox, 'access-requests.xml.results.csv')));
    // As of today, not the samples' date: only the outcomes that do not depend on the date are checked.
    expect(readReport(path.join(outbox, 'access-requests.xml.results.csv')).map((r) => r.code)).to.include(
      'EMAIL_NOT_PERSONAL',
    );
    const letters = readdirSync(path.join(outbox, 'letters'));
    expect(letters.length).to.be.at.least(1);
    const issued = await count(app.db, `select count(*) n from connection where pin_hash is not null`);
    await waitFor(
      () =>
        existsSync(path.join(app.home, 'outbox/mail')) &&
        readdirSync(path.join(app.home, 'outbox/mail')).length === issued,
    );
  });

  it('schedules the expiry job, whose run moves requests past their expiry to Request Expired', async () => {
    const schedules = await app.boss.getSchedules();
    expect(schedules.map((s) => [s.name, s.cron])).to.deep.include([
      queues.connectionExpiry,
      app.config.connections.expirySchedule,
    ]);
    const waiting = await count(
      app.db,
      `select count(*) n from connection where status = 'waiting' and pin_hash is not null`,
    );
    expect(waiting).to.be.at.least(1);
    await app.db.query(`update connection set expires_at = now() - interval '1 second' where status = 'waiting'`);
    // What the schedule does when its time comes.
    await app.boss.send(queues.connectionExpiry, {});
    let left = waiting;
    for (let i = 0; i < 100 && left > 0; i++) {
      await sleep(100);
      left = await count(app.db, `select count(*) n from connection where status = 'waiting'`);
    }
    expect(left).to.equal(0);
    expect(
      await count(app.db, `select count(*) n from connection where status = 'expired' and pin_hash is null`),
    ).to.equal(waiting);
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

  it(
    'a failure while writing the PDFs leaves no PIN, no email job and no partial PDF; the rerun issues them ' + 'all',
    async () => {
      const source = path.join(samplesFolder, 'access/A.0094/access-low.csv');
      const letters = path.join(app.home, 'outbox/A.0094/letters');
      // The second school's PINs cannot be stored: the first school's PDF is written by then.
      await app.db.query(`create function refuse_pin() returns trigger language plpgsql as $$
      begin if new.pin_hash is not null and new.school_code = 'S.0942' then raise exception 'storage failure'; end if;
      return new; end $$`);
      await app.db.query(
        'create trigger refuse_pin before update on connection for each row execute function refuse_pin()',
      );
      let failure: unknown = null;
      await ingestFile(app, source, 'A.0094', 'access', samplesAsOf).catch((error: unknown) => {
        failure = error;
      });
      expect(failure).to.be.instanceOf(Error);
      expect(await count(app.db, 'select count(*) n from connection where pin_hash is not null')).to.equal(0);
      expect(
        await count(app.db, `select count(*) n from pgboss.job where name = $1`, [queues.activationMail]),
      ).to.equal(0);
      expect(readdirSync(letters)).to.deep.equal([]);
      // Rows were committed before the letters: they are not applied twice.
      expect(await count(app.db, 'select count(*) n from connection')).to.equal(2);

      await app.db.query('drop trigger refuse_pin on connection');
      await sleep(1100); // the failed run's lease runs out
      const rerun = await ingestFile(app, source, 'A.0094', 'access', samplesAsOf);
      expect(rerun.outcome).to.equal('processed');
      expect(readdirSync(letters).sort()).to.deep.equal(['access-low.1.S.0941.pdf', 'access-low.1.S.0942.pdf']);
      expect(await count(app.db, 'select count(*) n from connection where pin_hash is not null')).to.equal(2);
      expect(
        await count(app.db, `select count(*) n from pgboss.job where name = $1`, [queues.activationMail]),
      ).to.equal(2);
      expect(await count(app.db, 'select count(*) n from connection')).to.equal(2);
    },
  );

  it('a PDF that cannot get its name after the commit keeps its PINs and gets the name on the rerun', async () => {
    const letters = path.join(app.home, 'outbox/A.0094/letters');
    // The next file's id, which names its PDFs.
    const fileId = await count(
      app.db,
      'select last_value + case when is_called then 1 else 0 end as n from intake_file_id_seq',
    );
    // A folder has the second PDF's name.
    const blocker = path.join(letters, `access-low.${fileId}.S.0942.pdf`);
    mkdirSync(blocker, { recursive: true });
    const drop = path.join(app.home, 'drop');
    mkdirSync(drop, { recursive: true });
    // A second file that resets both connections of the sample.
    const resets = path.join(drop, 'access-low.csv');
    writeFileSync(
      resets,
      'action,asn,school_code,email\n' +
        (
          await app.db.query<{ asn: string; school_code: string; email: string }>(
            'select asn, school_code, email from connection order by id',
          )
        ).rows
          .map((r) => `reset,${r.asn},${r.school_code},${r.email}`)
          .join('\n') +
        '\n',
    );
    let failure: unknown = null;
    await ingestFile(app, resets, 'A.0094', 'access', samplesAsOf).catch((error: unknown) => {
      failure = error;
    });
    expect(failure).to.be.instanceOf(Error);
    // Committed: the new PINs are stored and their emails queued; the PDF waits under its temporary name.
    expect(
      await count(app.db, 'select count(*) n from connection where pin_hash is not null and letter_file_id = $1', [
        fileId,
      ]),
    ).to.equal(2);
    expect(readdirSync(letters).filter((n) => n.endsWith('.tmp'))).to.have.length(1);

    rmdirSync(blocker);
    await sleep(1100);
    const rerun = await ingestFile(app, resets, 'A.0094', 'access', samplesAsOf);
    expect(rerun.outcome).to.equal('processed');
    if (rerun.outcome === 'processed') expect(rerun.file.id).to.equal(fileId);
    expect(readdirSync(letters).sort()).to.include.members([
      `access-low.${fileId}.S.0941.pdf`,
      `access-low.${fileId}.S.0942.pdf`,
    ]);
    expect(readdirSync(letters).filter((n) => n.endsWith('.tmp'))).to.deep.equal([]);
    const pages = await pdfPages(path.join(letters, `access-low.${fileId}.S.0942.pdf`));
    expect(pages).to.have.length(2);
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
    const result = await ingestFile(
      app,
      path.join(samplesFolder, 'access/A.0001/fall-access.csv'),
      'A.0001',
      'access',
      samplesAsOf,
    );
    expect(result.outcome).to.equal('processed');
    const letters = path.join(app.home, 'outbox/A.0001/letters');
    expect(readdirSync(letters).sort()).to.deep.equal([
      'fall-access.1.S.0101.pdf',
      'fall-access.1.S.0102.part1.pdf',
      'fall-access.1.S.0102.part2.pdf',
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
