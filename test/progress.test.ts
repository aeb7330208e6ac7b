import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { progressPrinter } from '../cli/progress.ts';
import type { FileProgress } from '../pipelines/file-runner.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { loadReference, type ReferenceProgress } from '../src/reference/load.ts';
import { intakeCommand, root } from './support/cli.ts';
import { createTestApp, dropDatabase, freshDatabaseUrl, type TestApp } from './support/database.ts';
import { writeFiles } from './support/files.ts';

const samples = path.join(root, 'samples');
const studentsHeader = 'asn,primary_asn,last_name,first_name,middle_name,birth_date,created_by,created_on,deactivated';

/** A stream that says it is a terminal, as process.stderr does on one, keeping what is written to it. */
function terminal(isTTY = true): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const stream: PassThrough & { isTTY?: boolean; columns?: number } = new PassThrough();
  if (isTTY) Object.assign(stream, { isTTY: true, columns: 120 });
  let written = '';
  stream.on('data', (chunk: Buffer) => {
    written += chunk.toString('utf8');
  });
  return { stream, text: () => written };
}

describe('progress on a terminal', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'intake-progress-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('draws rows done, rows per second and an estimate, keeps log lines apart, and clears itself', async () => {
    const file = path.join(folder, 'big.csv');
    // A header and 100 rows: 101 lines.
    writeFileSync(file, `asn\n${Array.from({ length: 100 }, (_, i) => String(i)).join('\n')}\n`);
    const { stream, text } = terminal();
    let clock = 0;
    const printer = progressPrinter(stream, { now: () => clock });
    await printer.begin('big.csv', file);
    printer.update(20, 21);
    stream.write('a log line\n');
    clock = 2000;
    printer.update(60, 61);
    printer.end();
    await new Promise((resolve) => setImmediate(resolve));
    const drawn = text();
    expect(drawn).to.contain('big.csv: starting');
    expect(drawn).to.contain('\r\u001b[2Ka log line\n');
    // 40 rows in 2 s; 40 of the 101 lines in 2 s, 40 to go.
    const last = drawn.slice(drawn.lastIndexOf('big.csv'));
    expect(last).to.match(/^big\.csv █+░+ 60% {2}60 rows {2}20 rows\/s {2}about 2 s left/);
    expect(last.endsWith('\u001b[2K'), JSON.stringify(last)).to.equal(true);
    stream.write('after');
    await new Promise((resolve) => setImmediate(resolve));
    expect(text().endsWith('\u001b[2Kafter'), 'once cleared, others write as before').to.equal(true);
  });

  it(
    'gives no estimate for a file with fewer lines than rows (XML on one line), nor once every line is ' + 'read',
    async () => {
      const drawnFor = async (name: string, content: string, updates: [number, number][]) => {
        const file = path.join(folder, name);
        writeFileSync(file, content);
        const { stream, text } = terminal();
        let clock = 0;
        const printer = progressPrinter(stream, { now: () => clock });
        await printer.begin(name, file);
        for (const [rowsDone, line] of updates) {
          printer.update(rowsDone, line);
          clock += 1000;
        }
        printer.end();
        await new Promise((resolve) => setImmediate(resolve));
        // The last frame drawn, up to the escape that ends it.
        return text().slice(text().lastIndexOf(name)).split('\u001b')[0];
      };
      const oneLine = await drawnFor('one-line.xml', `<records>${'<record/>'.repeat(50)}</records>`, [
        [10, 1],
        [30, 1],
      ]);
      expect(oneLine).to.equal('one-line.xml  30 rows  20 rows/s');
      const read = await drawnFor('read.csv', `asn\n${Array.from({ length: 100 }, (_, i) => String(i)).join('\n')}\n`, [
        [50, 51],
        [100, 101],
      ]);
      expect(read).to.match(/^read\.csv █+ 100% {2}100 rows {2}50 rows\/s$/);
    },
  );

  it('prints nothing when the stream is not a terminal, or when the output is JSON', async () => {
    const file = path.join(folder, 'small.csv');
    writeFileSync(file, 'asn\n1\n2\n');
    for (const [isTTY, json] of [
      [false, false],
      [true, true],
    ] as const) {
      const { stream, text } = terminal(isTTY);
      const printer = progressPrinter(stream, { json });
      await printer.begin('small.csv', file);
      printer.update(2, 3);
      printer.end();
      await new Promise((resolve) => setImmediate(resolve));
      expect(text(), `isTTY ${isTTY}, json ${json}`).to.equal('');
    }
  });
});

describe('progress of a run, told to the caller', () => {
  let app: TestApp;
  before(async () => {
    // Chunks of 4 records: a sample of 17 records takes 5.
    app = await createTestApp({ 'processing.chunkRows': 4 });
  });
  after(() => app.dispose());

  it('reference load tells each file and pass, after each batch', async () => {
    const seen: ReferenceProgress[] = [];
    await loadReference(app.db, path.join(samples, 'reference'), (progress) => seen.push(progress));
    expect(seen.map((p) => [p.file, p.pass, p.rowsDone, p.line])).to.deep.equal([
      ['authorities', 'load', 6, 7],
      ['schools', 'load', 15, 16],
      ['students', 'load', 38, 39],
      ['students', 'link', 38, 39],
      ['enrolments', 'load', 61, 62],
    ]);
    expect(seen[0]?.path).to.equal(path.join(samples, 'reference', 'authorities.csv'));

    const students = Array.from({ length: 10_001 }, (_, i) => `${400_000_000 + i},,Doe,Jane,,2012-01-01,,,false`);
    const big = writeFiles(path.join(app.home, 'big-reference'), {
      'students.csv': `${studentsHeader}\n${students.join('\n')}\n`,
    });
    const batches: [string, number, number][] = [];
    await loadReference(app.db, big, (progress) => batches.push([progress.pass, progress.rowsDone, progress.line]));
    expect(batches).to.deep.equal([
      ['load', 5000, 5001],
      ['load', 10_000, 10_001],
      ['load', 10_001, 10_002],
      ['link', 5000, 5001],
      ['link', 10_000, 10_001],
      ['link', 10_001, 10_002],
    ]);
  });

  it('ingest tells the rows done after each committed chunk, growing to the whole file', async () => {
    const seen: FileProgress[] = [];
    const result = await ingestFile(
      app,
      path.join(samples, 'enrolment/A.0094/september-low.csv'),
      'A.0094',
      'enrolment',
      '2026-09-15',
      (progress) => seen.push(progress),
    );
    expect(result.outcome).to.equal('processed');
    expect(seen.map((p) => p.rowsDone)).to.deep.equal([4, 8, 12, 16, 17]);
    expect(seen.map((p) => p.line)).to.deep.equal([5, 9, 13, 17, 18]);
  });
});

describe('the intake command through a pipe prints what it printed before', () => {
  let url: string;
  let home: string;
  const intake = intakeCommand(() => ({ database: url, home }));
  before(async () => {
    url = await freshDatabaseUrl();
    home = mkdtempSync(path.join(tmpdir(), 'intake-cli-progress-'));
  });
  after(async () => {
    await dropDatabase(url);
    rmSync(home, { recursive: true, force: true });
  });

  it('reference load: the counts on stdout, nothing on stderr', () => {
    const run = intake('reference', 'load', path.join(samples, 'reference'));
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.equal(
      'authorities: 6 rows loaded\nschools: 15 rows loaded\nstudents: 38 rows loaded\nenrolments: 61 rows loaded\n',
    );
    expect(run.stderr).to.equal('');
  });

  it('ingest: the summary on stdout, nothing on stderr', () => {
    const run = intake(
      'ingest',
      path.join(samples, 'enrolment/A.0094/september-low.csv'),
      '--authority',
      'A.0094',
      '--as-of',
      '2026-09-15',
    );
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.equal(
      'september-low.csv: processed as file 1 (enrolment, A.0094, as of 2026-09-15)\n' +
        '  accepted 9, referred 6, invalid 2\n' +
        `  report: ${path.join(home, 'outbox/A.0094/september-low.csv.results.csv')}\n`,
    );
    expect(run.stderr).to.equal('');
  });

  it('ingest --json: one JSON object on stdout, nothing on stderr', () => {
    const run = intake(
      'ingest',
      path.join(samples, 'enrolment/A.0001/september-regular.csv'),
      '--authority',
      'A.0001',
      '--as-of',
      '2026-09-15',
      '--json',
    );
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout.split('\n')).to.have.length(2);
    expect(JSON.parse(run.stdout)).to.include({ outcome: 'processed', fileId: 2 });
    expect(run.stderr).to.equal('');
  });
});
