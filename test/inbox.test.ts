import {
  appendFileSync,
  chmodSync,
  existsSync,
  linkSync,
  readdirSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startService } from '../pipelines/service.ts';
import { createTestApp, cutOffDatabase, type TestApp } from './support/database.ts';
import { csv, loadSmallReference, readReport, writeFiles } from './support/files.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(50);
  }
}

describe('drop folders: watch, claim once, archive', () => {
  let app: TestApp;
  let service: { stop(): Promise<void> };
  let inbox: string;
  let outbox: string;
  const rows = (date: string) =>
    csv([
      ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
      ['100000003', 'S.0094', date, '9', 'Primary'],
    ]);

  before(async () => {
    // Long enough that a busy machine's pauses between appends never look like a finished file.
    app = await createTestApp({
      'processing.pollingIntervalSeconds': 1,
      'watch.stableMs': 1000,
      'watch.incompleteLineStableMs': 4000,
      'watch.rescanSeconds': 1,
      'watch.doneMarkerAuthorities': ['A.0230'],
    });
    await loadSmallReference(app.db, path.join(app.home, 'reference'));
    inbox = path.join(app.home, 'inbox/A.0094/enrolment');
    outbox = path.join(app.home, 'outbox/A.0094');
    // Present before the service starts: taken once stable, like any other (and readable by all,
    // as an uploader may leave it).
    writeFiles(inbox, { 'waiting.csv': rows('2026-09-01') });
    chmodSync(path.join(inbox, 'waiting.csv'), 0o644);
    service = await startService(app);
  });
  after(async () => {
    await service.stop();
    await app.dispose();
  });

  it('takes a file that was already in the inbox at start-up', async () => {
    await waitFor(() => existsSync(path.join(outbox, 'waiting.csv.results.csv')));
    expect(readReport(path.join(outbox, 'waiting.csv.results.csv'))[0]?.code).to.equal('ENROLMENT_CREATED');
    expect(readdirSync(inbox)).to.deep.equal([]);
    const archive = path.join(app.home, 'archive/A.0094/enrolment');
    await waitFor(() => existsSync(archive) && readdirSync(archive).some((n) => n.endsWith('__waiting.csv')));
  });

  it(
    'keeps what it holds readable by its own account only: archived files 0600 in 0700 folders, the log ' + '0640',
    async () => {
      const archive = path.join(app.home, 'archive/A.0094/enrolment');
      const archived = readdirSync(archive).find((n) => n.endsWith('__waiting.csv')) as string;
      expect(statSync(path.join(archive, archived)).mode & 0o777).to.equal(0o600);
      for (const folder of ['archive', 'archive/A.0094', 'archive/A.0094/enrolment', 'claimed', 'failed']) {
        expect(statSync(path.join(app.home, folder)).mode & 0o777, folder).to.equal(0o700);
      }
      expect(statSync(path.join(app.home, 'log/intake.log')).mode & 0o777).to.equal(0o640);
    },
  );

  it('never reads a file while it is still being written', async () => {
    const file = path.join(inbox, 'slow.csv');
    writeFileSync(file, 'asn,school_code,entry_date,grade,enrolment_type\n');
    for (let i = 0; i < 8; i++) {
      await sleep(120);
      expect(existsSync(file), 'taken while growing').to.equal(true);
      appendFileSync(file, `100000003,S.0094,2026-08-${String(10 + i).padStart(2, '0')},9,Primary\n`);
    }
    await waitFor(() => existsSync(path.join(outbox, 'slow.csv.results.csv')));
    expect(readReport(path.join(outbox, 'slow.csv.results.csv')).filter((r) => r.status === 'accepted')).to.have.length(
      8,
    );
  });

  it(
    'never takes a file under a temporary name (.part, .filepart, .partial, .tmp, .crdownload, dot and ~ ' + 'files)',
    async () => {
      const temporary = [
        'renamed.csv.part',
        'winscp.csv.filepart',
        'a.csv.partial',
        'b.csv.tmp',
        'c.csv.crdownload',
        '.hidden.csv',
        '~lock.csv',
      ];
      writeFiles(inbox, Object.fromEntries(temporary.map((name, i) => [name, rows(`2026-08-${20 + i}`)])));
      await sleep(2500);
      expect(readdirSync(inbox).sort()).to.deep.equal([...temporary].sort());
      renameSync(path.join(inbox, 'renamed.csv.part'), path.join(inbox, 'renamed.csv'));
      renameSync(path.join(inbox, 'winscp.csv.filepart'), path.join(inbox, 'winscp.csv'));
      await waitFor(
        () =>
          existsSync(path.join(outbox, 'renamed.csv.results.csv')) &&
          existsSync(path.join(outbox, 'winscp.csv.results.csv')),
      );
      expect(readdirSync(inbox).sort()).to.deep.equal(
        temporary.filter((n) => !n.startsWith('renamed') && !n.startsWith('winscp')).sort(),
      );
      for (const name of readdirSync(inbox)) unlinkSync(path.join(inbox, name));
    },
  );

  it('waits longer for a CSV whose last line has no line end', async () => {
    const file = path.join(inbox, 'cut.csv');
    writeFileSync(file, 'asn,school_code,entry_date,grade,enrolment_type\n100000003,S.0094,2026-08-3');
    await sleep(2500);
    expect(existsSync(file), 'taken after the ordinary quiet period').to.equal(true);
    await waitFor(() => existsSync(path.join(outbox, 'cut.csv.results.csv')));
    // Taken after the longer wait, as it was: the authority sees the cut row.
    expect(readReport(path.join(outbox, 'cut.csv.results.csv'))[0]?.code).to.equal('MALFORMED_ROW');
  });

  it('in done-marker mode, takes a file only once <name>.done is written, and removes the marker', async () => {
    const folder = path.join(app.home, 'inbox/A.0230/enrolment');
    const enrolment = csv([
      ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
      ['100000003', 'S.0230', '2026-09-02', '9', 'Primary'],
    ]);
    writeFiles(folder, { 'marked.csv': enrolment });
    await sleep(2500);
    expect(readdirSync(folder)).to.deep.equal(['marked.csv']);
    writeFiles(folder, { 'marked.csv.done': '' });
    await waitFor(() => existsSync(path.join(app.home, 'outbox/A.0230/marked.csv.results.csv')));
    await waitFor(() => readdirSync(folder).length === 0);
  });

  it('never takes a hard link or a symbolic link: they stay where they are, nothing is read through them', async () => {
    // Someone else's file, readable where the authority can link to it.
    const elsewhere = writeFiles(path.join(app.home, 'elsewhere'), { 'private.csv': rows('2026-08-25') });
    linkSync(path.join(elsewhere, 'private.csv'), path.join(inbox, 'hard.csv'));
    symlinkSync(path.join(elsewhere, 'private.csv'), path.join(inbox, 'soft.csv'));
    await sleep(3000);
    expect(readdirSync(inbox).sort()).to.deep.equal(['hard.csv', 'soft.csv']);
    expect(readdirSync(outbox).filter((n) => n.startsWith('hard.csv') || n.startsWith('soft.csv'))).to.deep.equal([]);
    unlinkSync(path.join(inbox, 'hard.csv'));
    unlinkSync(path.join(inbox, 'soft.csv'));
  });

  it('reports a repeated drop as a duplicate', async () => {
    writeFiles(inbox, { 'waiting-again.csv': rows('2026-09-01') });
    await waitFor(() => existsSync(path.join(outbox, 'waiting-again.csv.duplicate.txt')));
    expect(existsSync(path.join(outbox, 'waiting-again.csv.results.csv'))).to.equal(false);
  });

  it('leaves a file of an authority not yet in the reference data in the inbox, and takes it once it is', async () => {
    const folder = path.join(app.home, 'inbox/A.0999/enrolment');
    writeFiles(folder, { 'early.csv': rows('2026-08-22') });
    await sleep(3000);
    expect(readdirSync(folder)).to.deep.equal(['early.csv']);
    expect(existsSync(path.join(app.home, 'failed/A.0999')), 'nothing is created for an unknown authority').to.equal(
      false,
    );
    await app.db.query("insert into authority (code, name) values ('A.0999', 'Late Authority')");
    await app.db.query("insert into school (code, authority_code, name) values ('S.0999', 'A.0999', 'Late School')");
    // No restart: the next walk of the inbox offers it again.
    await waitFor(() => existsSync(path.join(app.home, 'outbox/A.0999/early.csv.results.csv')));
    expect(readdirSync(folder)).to.deep.equal([]);
  });

  it('a file dropped while the database cannot be reached is taken once it can, without a restart', async () => {
    const restore = await cutOffDatabase(app.url);
    try {
      writeFiles(inbox, { 'outage.csv': rows('2026-08-23') });
      // Several quiet periods and walks of the inbox while nothing can be recorded.
      await sleep(4000);
    } finally {
      await restore();
    }
    await waitFor(() => existsSync(path.join(outbox, 'outage.csv.results.csv')), 60_000);
    expect(readReport(path.join(outbox, 'outage.csv.results.csv'))[0]?.code).to.equal('ENROLMENT_CREATED');
    expect(readdirSync(inbox)).to.deep.equal([]);
  });
});
