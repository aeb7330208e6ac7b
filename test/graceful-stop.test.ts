import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startService } from '../pipelines/service.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { loadSmallReference, readReport, writeFiles } from './support/files.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a stop finishes the chunk in hand and gives the file back at once', function () {
  this.timeout(120_000);
  let app: TestApp;
  before(async () => {
    // A long lease: what is tested is that the file does not wait for it.
    app = await createTestApp({ 'processing.chunkRows': 20, 'processing.leaseSeconds': 300 });
    await loadSmallReference(app.db, path.join(app.home, 'reference'));
  });
  after(() => app.dispose());

  it('the next service takes the file up at once and every row is reported once', async () => {
    const lines = ['asn,school_code,entry_date,grade,enrolment_type'];
    for (let i = 0; i < 2000; i++)
      lines.push(
        `1000000${String(i % 3).padStart(2, '0')},S.0094,` +
          `${new Date(Date.UTC(2000, 0, i)).toISOString().slice(0, 10)},9,Primary`,
      );
    writeFiles(path.join(app.home, 'inbox/A.0094/enrolment'), { 'long.csv': `${lines.join('\n')}\n` });
    let service = await startService(app);
    const progress = async () =>
      (
        await app.db.query<{ records_done: number; lease_owner: string | null; released: boolean; status: string }>(
          'select records_done, lease_owner, lease_until <= now() as released, status from intake_file where ' +
            "original_name = 'long.csv'",
        )
      ).rows[0];
    for (let i = 0; i < 300 && ((await progress())?.records_done ?? 0) === 0; i++) await sleep(50);
    const started = Date.now();
    await service.stop();
    expect(Date.now() - started, 'a stop does not wait for the whole file').to.be.below(10_000);
    const stopped = await progress();
    expect(stopped?.records_done).to.be.within(1, 1999);
    expect(stopped).to.include({ lease_owner: null, released: true, status: 'processing' });

    service = await startService(app);
    try {
      const report = path.join(app.home, 'outbox/A.0094/long.csv.results.csv');
      // Well before the 300 s lease would have run out.
      for (let i = 0; i < 600 && !existsSync(report); i++) await sleep(100);
      const lineNumbers = readReport(report)
        .filter((r) => r.status !== 'summary')
        .map((r) => Number(r.line));
      expect(lineNumbers).to.deep.equal(Array.from({ length: 2000 }, (_, i) => i + 2));
    } finally {
      await service.stop();
    }
  });
});
