import { existsSync, mkdtempSync, readdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { replayFile } from '../pipelines/replay.ts';
import { startService } from '../pipelines/service.ts';
import { loadReference } from '../src/reference/load.ts';
import { root } from './support/cli.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { readReport } from './support/files.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `rows` enrolments of one student of A.0001 at distinct entry dates, every grade `grade`. */
function enrolments(rows: number, grade: string): Buffer {
  const lines = ['asn,school_code,entry_date,grade,enrolment_type'];
  for (let i = 0; i < rows; i++)
    lines.push(`104827361,S.0101,${new Date(Date.UTC(1990, 0, 1 + i)).toISOString().slice(0, 10)},${grade},Primary`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

describe('a file rewritten in place with its size and modification time put back', function () {
  this.timeout(120_000);
  let app: TestApp;
  let service: { stop(): Promise<void> };

  before(async () => {
    // Small chunks: the file is still being read when it is rewritten.
    app = await createTestApp({
      'processing.pollingIntervalSeconds': 1,
      'processing.chunkRows': 100,
      'watch.pollMs': 100,
      'watch.rescanSeconds': 1,
    });
    await loadReference(app.db, path.join(root, 'samples/reference'));
    service = await startService(app);
  });
  after(async () => {
    await service.stop();
    await app.dispose();
  });

  it('is seen by its content (the hash of what was claimed) and taken again whole', async () => {
    const first = enrolments(3000, '10');
    const second = enrolments(3000, '11');
    expect(second.length).to.equal(first.length);
    // A whole second as modification time: a time put back with utimes compares equal to the claim's.
    const seconds = Math.floor(Date.now() / 1000) - 120;
    const staged = path.join(mkdtempSync(path.join(tmpdir(), 'intake-rewrite-')), 'rewritten.csv');
    writeFileSync(staged, first);
    utimesSync(staged, seconds, seconds);
    renameSync(staged, path.join(app.home, 'inbox/A.0001/enrolment/rewritten.csv'));

    const progress = async () =>
      (
        await app.db.query<{ stored_path: string; records_done: number }>(
          "select stored_path, records_done from intake_file where original_name = 'rewritten.csv' order by id limit 1",
        )
      ).rows[0];
    const until = Date.now() + 60_000;
    while (((await progress())?.records_done ?? 0) === 0 && Date.now() < until) await sleep(20);
    const claimed = await progress();
    expect(claimed?.records_done, 'rows applied before the rewrite').to.be.within(1, 2999);
    const stored = claimed?.stored_path as string;
    const handle = await open(stored, 'r+');
    await handle.write(second, 0, second.length, 0);
    await handle.close();
    utimesSync(stored, seconds, seconds);
    expect(statSync(stored).size).to.equal(first.length);
    expect(statSync(stored).mtimeMs).to.equal(seconds * 1000);

    const outbox = path.join(app.home, 'outbox/A.0001');
    const again = path.join(outbox, 'rewritten.csv.2.results.csv');
    while (!existsSync(again) && Date.now() < until) await sleep(100);
    const firstReport = readReport(path.join(outbox, 'rewritten.csv.results.csv'));
    expect(firstReport[0]?.code).to.equal('FILE_CHANGED_WHILE_READ');
    expect(readReport(again).filter((r) => r.status === 'accepted')).to.have.length(3000);
    const grades = await app.db.query<{ grade: string; n: string }>(
      "select grade, count(*) as n from enrolment where asn = '104827361' and entry_date < '2000-01-01' group by grade",
    );
    expect(grades.rows, 'the rewritten content is what stands').to.deep.equal([{ grade: '11', n: '3000' }]);
  });

  it('a replay of the first file reads it as kept (the rewritten bytes): no change seen, no retake', async () => {
    const first = await app.db.query<{ id: string }>(
      "select id from intake_file where original_name = 'rewritten.csv' order by id limit 1",
    );
    const result = await replayFile(app, Number(first.rows[0]?.id), { reason: 'checked again', by: 'operator' });
    expect(result.outcome).to.equal('processed');
    const report = readReport(path.join(app.home, 'outbox/A.0001/rewritten.csv.replay-2.results.csv'));
    expect(report.filter((r) => r.status === 'notice')).to.deep.equal([]);
    expect(report.filter((r) => r.code === 'ENROLMENT_UPDATED')).to.have.length(3000);
    const files = await app.db.query("select id from intake_file where original_name = 'rewritten.csv'");
    expect(files.rowCount, 'the two files and the replay, no third retake').to.equal(3);
    expect(readdirSync(path.join(app.home, 'outbox/A.0001')).filter((n) => n.endsWith('.txt'))).to.deep.equal([]);
  });
});
