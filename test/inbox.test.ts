import { expect } from 'chai';
import { appendFileSync, existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startService } from '../pipelines/service.ts';
import { csv, loadSmallReference, readReport, writeFiles } from './support/files.ts';
import { createTestApp, type TestApp } from './support/database.ts';

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
  const rows = (date: string) => csv([['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'], ['100000003', 'S.0094', date, '9', 'Primary']]);

  before(async () => {
    // Long enough that a busy machine's pauses between appends never look like a finished file.
    app = await createTestApp({ 'processing.pollingIntervalSeconds': 1, 'watch.stableMs': 1000 });
    await loadSmallReference(app.db, path.join(app.home, 'reference'));
    inbox = path.join(app.home, 'inbox/A.0094/enrolment');
    outbox = path.join(app.home, 'outbox/A.0094');
    // Present before the service starts: taken once stable, like any other.
    writeFiles(inbox, { 'waiting.csv': rows('2026-09-01') });
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

  it('never reads a file while it is still being written', async () => {
    const file = path.join(inbox, 'slow.csv');
    writeFileSync(file, 'asn,school_code,entry_date,grade,enrolment_type\n');
    for (let i = 0; i < 8; i++) {
      await sleep(120);
      expect(existsSync(file), 'taken while growing').to.equal(true);
      appendFileSync(file, `100000003,S.0094,2026-08-${String(10 + i).padStart(2, '0')},9,Primary\n`);
    }
    await waitFor(() => existsSync(path.join(outbox, 'slow.csv.results.csv')));
    expect(readReport(path.join(outbox, 'slow.csv.results.csv')).filter((r) => r.status === 'accepted')).to.have.length(8);
  });

  it('ignores .part and dot files until the writer renames them', async () => {
    writeFiles(inbox, { 'renamed.csv.part': rows('2026-08-20'), '.hidden.csv': rows('2026-08-21') });
    await sleep(900);
    expect(readdirSync(inbox).sort()).to.deep.equal(['.hidden.csv', 'renamed.csv.part']);
    renameSync(path.join(inbox, 'renamed.csv.part'), path.join(inbox, 'renamed.csv'));
    await waitFor(() => existsSync(path.join(outbox, 'renamed.csv.results.csv')));
    expect(readdirSync(inbox)).to.deep.equal(['.hidden.csv']);
  });

  it('reports a repeated drop as a duplicate', async () => {
    writeFiles(inbox, { 'waiting-again.csv': rows('2026-09-01') });
    await waitFor(() => existsSync(path.join(outbox, 'waiting-again.csv.duplicate.txt')));
    expect(existsSync(path.join(outbox, 'waiting-again.csv.results.csv'))).to.equal(false);
  });

  it('refuses a file under an unknown authority folder', async () => {
    writeFiles(path.join(app.home, 'inbox/A.9999/enrolment'), { 'stray.csv': rows('2026-08-22') });
    const failed = path.join(app.home, 'failed/A.9999/enrolment');
    await waitFor(() => existsSync(failed) && readdirSync(failed).some((n) => n.endsWith('.error.txt')));
    expect(readdirSync(path.join(app.home, 'inbox/A.9999/enrolment'))).to.deep.equal([]);
  });
});
