import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runFile } from '../pipelines/file-runner.ts';
import { ingestFile, registerOrphans } from '../pipelines/ingest.ts';
import { kinds } from '../pipelines/kinds.ts';
import { staleFiles } from '../src/files/registry.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count, loadSmallReference, readReport, writeFiles } from './support/files.ts';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.ts');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rowsInFile = 30_000;

describe('a crash mid-file, then a restart', () => {
  let app: TestApp;
  let file: string;
  before(async () => {
    app = await createTestApp({ 'processing.leaseSeconds': 1 });
    await loadSmallReference(app.db, path.join(app.home, 'reference'));
    // Students with a past enrolment at the Low authority's school: every row is accepted.
    await app.db.query(
      `insert into student (asn, last_name, first_name, match_key) select (300000000 + i)::text, 'Student', 'N' ` +
        `|| i, 'n' || i from generate_series(1, $1) i`,
      [rowsInFile],
    );
    await app.db.query(
      `insert into enrolment (asn, school_code, entry_date, exit_date, grade, enrolment_type) select (300000000 ` +
        `+ i)::text, 'S.0094', '2020-09-01', '2021-06-30', '5', 'Primary' from generate_series(1, $1) i`,
      [rowsInFile],
    );
    const lines = ['asn,school_code,entry_date,grade,enrolment_type'];
    for (let i = 1; i <= rowsInFile; i++) lines.push(`${300000000 + i},S.0094,2026-09-02,9,Primary`);
    file = path.join(app.home, 'big.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
  });
  after(() => app.dispose());

  it('neither loses nor doubles a row', async () => {
    const child = spawn(
      process.execPath,
      ['--import=tsx', cli, 'ingest', file, '--authority', 'A.0094', '--as-of', '2026-09-15', '--home', app.home],
      {
        env: {
          ...process.env,
          DATABASE_URL: app.url,
          INTAKE_CHUNK_ROWS: '500',
          INTAKE_LEASE_SECONDS: '1',
          INTAKE_LOG_LEVEL: 'error',
        },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let done = 0;
    while (done < 2000) {
      await sleep(20);
      done = await count(app.db, 'select coalesce(max(records_done), 0) n from intake_file');
    }
    child.kill('SIGKILL');
    await exited;
    done = await count(app.db, 'select records_done n from intake_file');
    expect(done, 'killed mid-file').to.be.below(rowsInFile);
    expect(await count(app.db, 'select count(*) n from row_outcome')).to.equal(done);

    await sleep(1100); // the dead worker's lease runs out
    const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    expect(result.outcome).to.equal('processed');
    if (result.outcome !== 'processed') return;
    expect(result.file).to.include({ accepted: rowsInFile, referred: 0, invalid: 0 });
    expect(await count(app.db, "select count(*) n from enrolment where entry_date = '2026-09-02'")).to.equal(
      rowsInFile,
    );
    expect(await count(app.db, 'select count(*) n from row_outcome')).to.equal(rowsInFile);
    const lines = readReport(result.file.reportPath as string)
      .filter((r) => r.status !== 'summary')
      .map((r) => Number(r.line));
    expect(lines).to.have.length(rowsInFile);
    expect(new Set(lines).size).to.equal(rowsInFile);
    expect(lines[0]).to.equal(2);
    expect(lines[lines.length - 1]).to.equal(rowsInFile + 1);
  });

  it('a file claimed but not yet recorded when the process died is recorded and processed later', async () => {
    const claimed = path.join(app.home, 'claimed/A.0094/enrolment');
    writeFiles(claimed, {
      '20261124T000000-abcd1234__orphan.csv':
        'asn,school_code,entry_date,grade,enrolment_type\n300000001,S.0094,2026-10-01,9,Primary\n',
    });
    expect(await registerOrphans(app), 'too young: may be a claim under way').to.equal(0);
    await sleep(1100);
    expect(await registerOrphans(app)).to.equal(1);
    const [fileId] = await staleFiles(app.db, 0);
    const file = await runFile(app, fileId as number, kinds);
    expect(file).to.include({ originalName: 'orphan.csv', status: 'done', accepted: 1 });
  });
});
