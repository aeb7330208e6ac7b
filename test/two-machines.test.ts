import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { samplesFolder } from '../scripts/sample-files.ts';
import { build, startCommand } from '../scripts/start-command.ts';
import { loadReference } from '../src/reference/load.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { readReport } from './support/files.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every file of a folder tree (regular files and links alike), as paths. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** `rows` enrolments of one student at distinct entry dates from `firstDay` (days after 1990-01-01). */
function enrolmentRows(asn: string, school: string, rows: number, firstDay: number): string {
  const lines = ['asn,school_code,entry_date,grade,enrolment_type'];
  for (let i = 0; i < rows; i++)
    lines.push(`${asn},${school},${new Date(Date.UTC(1990, 0, firstDay + i)).toISOString().slice(0, 10)},10,Primary`);
  return `${lines.join('\n')}\n`;
}

interface Dropped {
  authority: string;
  kind: 'enrolment' | 'access';
  name: string;
  rows: number;
}

/**
 * Two `intake start` processes standing for two machines: one home (the shared volume), one
 * database, each with its own temporary and log folders. docs/operations.md §1.
 */
describe('two machines share one home and one database', function () {
  this.timeout(240_000);
  let app: TestApp;
  const machines: ChildProcess[] = [];
  const machineFolders: string[] = [];

  function startMachine(name: string, environment: Record<string, string> = {}): ChildProcess {
    const own = mkdtempSync(path.join(tmpdir(), `intake-${name}-`));
    machineFolders.push(own);
    mkdirSync(path.join(own, 'tmp'));
    // As the service's unit runs it: the build, with the heap capped as `npm start` caps it.
    const child = spawn(process.execPath, [...startCommand(), '--home', app.home, 'start'], {
      env: {
        ...process.env,
        DATABASE_URL: app.url,
        TMPDIR: path.join(own, 'tmp'),
        INTAKE_LOG_FOLDER: path.join(own, 'log'),
        INTAKE_LOG_LEVEL: 'warn',
        INTAKE_HTTP_PORT: '0',
        INTAKE_ACTIVATION_PORT: '0',
        INTAKE_STABLE_MS: '300',
        INTAKE_INCOMPLETE_LINE_STABLE_MS: '300',
        INTAKE_POLL_MS: '100',
        INTAKE_RESCAN_SECONDS: '1',
        INTAKE_LEASE_SECONDS: '2',
        INTAKE_CHUNK_ROWS: '250',
        INTAKE_WORKERS: '2',
        INTAKE_POLLING_INTERVAL_SECONDS: '1',
        ...environment,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk}`));
    machines.push(child);
    return child;
  }

  before(async () => {
    build();
    app = await createTestApp();
    await loadReference(app.db, path.join(samplesFolder, 'reference'));
    // The folders, made as a start makes them, before any machine runs.
    const { startService } = await import('../pipelines/service.ts');
    await (await startService({ ...app, config: { ...app.config, roles: ['watcher'] } })).stop();
  });
  after(async () => {
    for (const machine of machines) if (machine.exitCode === null) machine.kill('SIGKILL');
    await app.dispose();
    for (const folder of machineFolders) rmSync(folder, { recursive: true, force: true });
  });

  it(
    '20 files dropped at once, one machine killed midway: each file processed once, every row reported once, ' +
      'nothing left claimed',
    async () => {
      const staging = path.join(app.home, 'staging');
      mkdirSync(staging);
      const dropped: (Dropped & { staged: string })[] = [];
      const stage = (
        authority: string,
        kind: Dropped['kind'],
        name: string,
        rows: number,
        content: string | Buffer,
      ) => {
        const staged = path.join(staging, `${dropped.length}-${name}`);
        writeFileSync(staged, content);
        dropped.push({ authority, kind, name, rows, staged });
      };
      for (let i = 0; i < 8; i++) {
        stage(
          'A.0001',
          'enrolment',
          `roll-${i}.csv`,
          2000,
          enrolmentRows('104827361', 'S.0101', 2000, 10_000 + i * 2000),
        );
        stage(
          'A.0230',
          'enrolment',
          `roll-${i}.csv`,
          2000,
          enrolmentRows('433592017', 'S.2302', 2000, 10_000 + i * 2000),
        );
      }
      const sample = (kind: Dropped['kind'], authority: string, name: string) =>
        readFileSync(path.join(samplesFolder, kind, authority, name));
      const rowsOfSample = (kind: Dropped['kind'], authority: string, name: string) =>
        readReport(path.join(samplesFolder, kind, authority, `${name.replace(/\.(csv|xml)$/, '')}.expected.csv`))
          .length;
      for (const [kind, authority, name] of [
        ['enrolment', 'A.0002', 'september-regular.xml'],
        ['access', 'A.0001', 'fall-access.csv'],
        ['access', 'A.0094', 'access-low.csv'],
        ['access', 'A.0230', 'access-requests.xml'],
      ] as const) {
        stage(authority, kind, name, rowsOfSample(kind, authority, name), sample(kind, authority, name));
      }
      expect(dropped).to.have.length(20);

      // A polls its inbox, as on a shared volume whose writes raise no events; B listens for events.
      const machineA = startMachine('a', { INTAKE_USE_POLLING: 'true' });
      const machineB = startMachine('b');
      await sleep(3000);
      // Dropped at once: each rename is atomic, so no machine sees a file half-copied.
      for (const file of dropped)
        renameSync(file.staged, path.join(app.home, 'inbox', file.authority, file.kind, file.name));

      // Machine B is killed while it holds a file it has begun.
      const heldByB = async () =>
        (
          await app.db.query(
            `select 1 from intake_file where status = 'processing' and records_done > 0 and lease_owner like $1`,
            [`%:${machineB.pid}:%`],
          )
        ).rowCount ?? 0;
      const until = Date.now() + 60_000;
      while ((await heldByB()) === 0 && Date.now() < until) await sleep(25);
      expect(await heldByB(), 'machine B was working a file when it was killed').to.be.above(0);
      machineB.kill('SIGKILL');

      const finished = async () =>
        Number(
          (await app.db.query<{ n: string }>("select count(*) n from intake_file where status in ('done', 'failed')"))
            .rows[0]?.n,
        );
      const deadline = Date.now() + 150_000;
      while ((await finished()) < dropped.length && Date.now() < deadline) await sleep(250);

      const files = await app.db.query<{
        authority_code: string;
        original_name: string;
        status: string;
        records_done: number;
      }>('select authority_code, original_name, status, records_done from intake_file order by id');
      expect(files.rows, 'one record per file dropped').to.have.length(dropped.length);
      for (const file of dropped) {
        const row = files.rows.find((r) => r.authority_code === file.authority && r.original_name === file.name);
        expect(row, `${file.authority}/${file.name}`).to.include({ status: 'done', records_done: file.rows });
      }
      // Every row reported once: the access files' reports list each row; the enrolment files' too.
      const outbox = (authority: string) => path.join(app.home, 'outbox', authority);
      for (const file of dropped) {
        const report = readReport(path.join(outbox(file.authority), `${file.name}.results.csv`));
        const lines = report.filter((r) => r.status !== 'summary' && r.status !== 'notice').map((r) => Number(r.line));
        expect(new Set(lines).size, `${file.name}: each line once`).to.equal(lines.length);
        expect(lines, `${file.authority}/${file.name}`).to.have.length(file.rows);
      }
      const outcomes = await app.db.query<{ n: string }>('select count(*) n from row_outcome');
      expect(Number(outcomes.rows[0]?.n)).to.equal(dropped.reduce((sum, f) => sum + f.rows, 0));
      expect(filesUnder(path.join(app.home, 'claimed')), 'nothing left in claimed/').to.deep.equal([]);
      expect(filesUnder(path.join(app.home, 'inbox')), 'nothing left in the inbox').to.deep.equal([]);
      // No file was taken twice: no duplicate or error notes.
      const notes = ['A.0001', 'A.0002', 'A.0094', 'A.0230'].flatMap((a) =>
        readdirSync(outbox(a)).filter((n) => n.endsWith('.duplicate.txt') || n.endsWith('.error.txt')),
      );
      expect(notes).to.deep.equal([]);
      // Each machine logs to a folder of its own.
      for (const own of machineFolders) expect(existsSync(path.join(own, 'log/intake.log'))).to.equal(true);
      expect(machineA.exitCode, 'machine A still running').to.equal(null);
      machineA.kill('SIGTERM');
      await new Promise((resolve) => machineA.once('exit', resolve));
    },
  );
});
