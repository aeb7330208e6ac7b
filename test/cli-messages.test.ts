import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { intakeCommand, intakeCommandWithInput, root } from './support/cli.ts';
import { dropDatabase, freshDatabaseUrl } from './support/database.ts';

/** Every path under `folder`, relative to it. */
function allPaths(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' });
}

/** What a newcomer meets on the command line: each message says what is wrong in their terms. */
describe('the intake command: what it says when something is not right', function () {
  this.timeout(120_000);
  let url: string;
  let home: string;
  const intake = intakeCommand(() => ({ database: url, home }));
  const intakeWithInput = intakeCommandWithInput(() => ({ database: url, home }));

  before(async () => {
    url = await freshDatabaseUrl();
    home = mkdtempSync(path.join(tmpdir(), 'intake-cli-messages-'));
    const loaded = intake('reference', 'load', path.join(root, 'samples/reference'));
    expect(loaded.status, loaded.stderr).to.equal(0);
  });
  after(async () => {
    await dropDatabase(url);
    rmSync(home, { recursive: true, force: true });
  });

  it(
    'ingest for an authority not in the reference data: a usage error about the authority, and nothing ' + 'created',
    () => {
      const run = intake(
        'ingest',
        path.join(root, 'samples/enrolment/A.0094/september-low.csv'),
        '--authority',
        'A.9999',
      );
      expect(run.status).to.equal(64);
      expect(run.stdout).to.equal('');
      expect(run.stderr.trim()).to.equal(
        'intake: A.9999 is not an authority in the reference data: check the code, or load the reference data ' +
          'that has it (intake reference load DIR). Nothing was taken.',
      );
      expect(run.stderr).to.not.contain('folder');
      expect(allPaths(home).filter((p) => p.includes('A.9999'))).to.deep.equal([]);
    },
  );

  it('ingest of a path that is not there says it does not exist', () => {
    const missing = path.join(home, 'no-such-folder', 'september.csv');
    const run = intake('ingest', missing, '--authority', 'A.0094');
    expect(run.status).to.equal(2);
    expect(run.stdout.trim()).to.equal(`refused: ${missing} does not exist.`);
  });

  it('counts one row as one row: in the report and on the command line', () => {
    const [header, first] = readFileSync(path.join(root, 'samples/enrolment/A.0094/september-low.csv'), 'utf8').split(
      '\n',
    );
    const one = path.join(home, 'one-row.csv');
    writeFileSync(one, `${header}\n${first}\n`);
    const run = intake('ingest', one, '--authority', 'A.0094', '--as-of', '2026-09-15', '--json');
    expect(run.status, run.stderr).to.equal(0);
    const report = parse(readFileSync(String((JSON.parse(run.stdout) as { report: string }).report), 'utf8'), {
      columns: true,
    }) as { status: string; code: string; message: string }[];
    const summary = report.filter((r) => r.status === 'summary').map((r) => `${r.code}: ${r.message}`);
    expect(summary).to.deep.equal([
      'TOTAL: 1 row',
      'ACCEPTED: 1 row accepted',
      'REFERRED: 0 rows referred',
      'INVALID: 0 rows invalid',
    ]);
    const listed = intake('files', 'list', '--authority', 'A.0094');
    expect(listed.stdout).to.contain('(1 row: 1 accepted, 0 referred, 0 invalid;');
  });

  it('staff passwd and add say a wrong account before asking for a password', () => {
    const passwd = intakeWithInput('', 'staff', 'passwd', 'nobody');
    expect([passwd.status, passwd.stderr.trim()]).to.deep.equal([1, 'intake: there is no account nobody']);
    expect(intakeWithInput('a long enough password\n', 'staff', 'add', 'mara', '--name', 'Mara Ng').status).to.equal(0);
    const again = intakeWithInput('', 'staff', 'add', 'mara', '--name', 'Mara Ng');
    expect([again.status, again.stderr.trim()]).to.deep.equal([1, 'intake: the account mara exists already']);
  });

  it(
    'start says which listener cannot have its address, that another program holds it, and how to run a second ' +
      'Intake',
    async () => {
      const taken: Server = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const { port } = taken.address() as { port: number };
      process.env.INTAKE_HTTP_PORT = String(port);
      try {
        const run = intake('start', '--roles', 'console');
        expect(run.status).to.equal(1);
        expect(run.stderr).to.contain(`intake: the console cannot listen on 127.0.0.1:${port}: another program holds`);
        expect(run.stderr).to.contain('another intake start');
        expect(run.stderr).to.contain('INTAKE_HTTP_PORT');
        expect(run.stderr).to.contain('--roles watcher,worker,scheduler,mail');
        expect(run.stderr).to.not.contain('EADDRINUSE');
      } finally {
        delete process.env.INTAKE_HTTP_PORT;
        await new Promise((resolve) => taken.close(resolve));
      }
    },
  );
});
