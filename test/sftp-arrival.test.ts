import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startService } from '../pipelines/service.ts';
import { loadReference } from '../src/reference/load.ts';
import { root } from './support/cli.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { readReport } from './support/files.ts';
import { connectSftp, startSftpServer, startStallingRelay, upload } from './support/sftp.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(100);
  }
}

/** `rows` enrolments of one student of A.0001 at distinct entry dates: a file of about 40 bytes a row. */
function enrolments(rows: number, firstDay: number): Buffer {
  const lines = ['asn,school_code,entry_date,grade,enrolment_type'];
  for (let i = 0; i < rows; i++)
    lines.push(`104827361,S.0101,${new Date(Date.UTC(1990, 0, firstDay + i)).toISOString().slice(0, 10)},10,Primary`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

interface Environment {
  app: TestApp;
  service: { stop(): Promise<void> };
  sftpServer: Awaited<ReturnType<typeof startSftpServer>>;
  session: Awaited<ReturnType<typeof connectSftp>>;
}

async function setUp(overrides: Record<string, unknown>): Promise<Environment> {
  const app = await createTestApp({
    'processing.pollingIntervalSeconds': 1,
    'watch.pollMs': 100,
    'watch.rescanSeconds': 2,
    ...overrides,
  });
  await loadReference(app.db, path.join(root, 'samples/reference'));
  const service = await startService(app);
  // Authorities reach their folders over SFTP: the server's root is the inbox.
  const sftpServer = await startSftpServer(path.join(app.home, 'inbox'));
  const session = await connectSftp(sftpServer);
  return { app, service, sftpServer, session };
}

async function tearDown(environment: Environment): Promise<void> {
  environment.session.end();
  await environment.sftpServer.close();
  await environment.service.stop();
  await environment.app.dispose();
}

/** Every line of the file reported once, in order, and the file recorded once. */
async function expectProcessedWhole(
  environment: Environment,
  authority: string,
  name: string,
  rows: number,
  final: (report: ReturnType<typeof readReport>) => boolean = () => true,
): Promise<ReturnType<typeof readReport>> {
  const { app } = environment;
  const reportPath = path.join(app.home, 'outbox', authority, `${name}.results.csv`);
  await waitFor(() => existsSync(reportPath) && final(readReport(reportPath)));
  const report = readReport(reportPath);
  const rowLines = report.filter((r) => r.status !== 'summary' && r.status !== 'notice').map((r) => Number(r.line));
  expect(rowLines).to.deep.equal(Array.from({ length: rows }, (_, i) => i + 2));
  expect(report.find((r) => r.code === 'TOTAL')?.message).to.equal(`${rows} rows`);
  // The report is written just before the file is recorded done.
  const files = async () =>
    (
      await app.db.query<{ status: string; records_done: number }>(
        'select status, records_done from intake_file where original_name = $1',
        [name],
      )
    ).rows;
  for (let i = 0; i < 100 && (await files()).some((f) => f.status !== 'done'); i++) await sleep(100);
  expect(await files()).to.deep.equal([{ status: 'done', records_done: rows }]);
  const notes = readdirSync(path.join(app.home, 'outbox', authority)).filter(
    (n) => n.startsWith(name) && !n.endsWith('.results.csv'),
  );
  expect(notes, 'no error or duplicate note').to.deep.equal([]);
  return report;
}

describe('files delivered over SFTP are taken only once their writer is done', function () {
  this.timeout(120_000);
  let environment: Environment;

  before(async () => {
    // A short quiet period so that every stall below outlasts it: what holds these files back is
    // that the SFTP server still has them open for writing, not the clock.
    environment = await setUp({ 'watch.stableMs': 1500, 'watch.incompleteLineStableMs': 3000 });
  });
  after(async () => tearDown(environment));

  it('a steady upload', async () => {
    await upload(environment.session.sftp, '/A.0001/enrolment/steady.csv', enrolments(3000, 0), {
      pauseEveryWriteMs: 20,
    });
    const report = await expectProcessedWhole(environment, 'A.0001', 'steady.csv', 3000);
    expect(report.filter((r) => r.status === 'accepted')).to.have.length(3000);
  });

  it('a plain upload that stalls midway for longer than the quiet period', async () => {
    const content = enrolments(3000, 5000);
    const inbox = path.join(environment.app.home, 'inbox/A.0001/enrolment/stalled.csv');
    let sawItWaiting = false;
    const uploading = upload(environment.session.sftp, '/A.0001/enrolment/stalled.csv', content, {
      stall: { afterBytes: Math.floor(content.length / 2), ms: 6000 },
    });
    await sleep(5000);
    sawItWaiting = existsSync(inbox);
    await uploading;
    expect(sawItWaiting, 'still in the inbox, half-written, 5 s into the stall').to.equal(true);
    const report = await expectProcessedWhole(environment, 'A.0001', 'stalled.csv', 3000);
    expect(report.some((r) => r.status === 'notice')).to.equal(false);
  });

  it("OpenSSH's sftp client, whose link stalls midway", async () => {
    // OpenSSH's client comes with the machine (Debian's openssh-client); .ci/run makes sure of it.
    expect(spawnSync('sftp', ['-h']).error, 'the sftp command (openssh-client) is needed').to.equal(undefined);
    const content = enrolments(3000, 50_000);
    const work = mkdtempSync(path.join(tmpdir(), 'intake-openssh-'));
    try {
      writeFileSync(path.join(work, 'key'), environment.sftpServer.clientKey, { mode: 0o600 });
      writeFileSync(path.join(work, 'openssh.csv'), content);
      writeFileSync(path.join(work, 'batch'), `put ${path.join(work, 'openssh.csv')} /A.0001/enrolment/openssh.csv\n`);
      // The handshake and the first part of the file pass; then nothing for 6 s.
      const relay = await startStallingRelay(environment.sftpServer.port, { afterBytes: 60_000, ms: 6000 });
      const client = spawn(
        'sftp',
        [
          '-b',
          path.join(work, 'batch'),
          '-i',
          path.join(work, 'key'),
          '-P',
          String(relay.port),
          '-o',
          'BatchMode=yes',
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-o',
          'LogLevel=ERROR',
          `${environment.sftpServer.username}@127.0.0.1`,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const exited = new Promise<number | null>((resolve) => client.once('exit', resolve));
      await sleep(4500);
      const target = path.join(environment.app.home, 'inbox/A.0001/enrolment/openssh.csv');
      expect(
        existsSync(target) && statSync(target).size < content.length,
        'half-written and still in the inbox during the stall',
      ).to.equal(true);
      expect(await exited).to.equal(0);
      await relay.close();
      await expectProcessedWhole(environment, 'A.0001', 'openssh.csv', 3000);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('a WinSCP-style upload (.filepart, renamed when complete) that stalls', async () => {
    const content = enrolments(2000, 10_000);
    await upload(environment.session.sftp, '/A.0001/enrolment/winscp.csv.filepart', content, {
      stall: { afterBytes: Math.floor(content.length / 3), ms: 4000 },
      renameTo: '/A.0001/enrolment/winscp.csv',
    });
    await expectProcessedWhole(environment, 'A.0001', 'winscp.csv', 2000);
    expect(existsSync(path.join(environment.app.home, 'failed/A.0001')), 'nothing refused').to.equal(false);
  });

  it("the demo's sample with a 4 s stall", async () => {
    const content = readFileSync(path.join(root, 'samples/enrolment/A.0094/september-low.csv'));
    await upload(environment.session.sftp, '/A.0094/enrolment/september-low.csv', content, {
      stall: { afterBytes: Math.floor(content.length / 2), ms: 4000 },
    });
    await expectProcessedWhole(environment, 'A.0094', 'september-low.csv', 17);
  });

  it('a file written by a process that keeps it open and pauses between writes', async () => {
    const target = path.join(environment.app.home, 'inbox/A.0001/enrolment/paused.csv');
    const content = enrolments(900, 15_000).toString();
    const third = Math.floor(content.length / 3);
    // Another process, as a script on the server would be: pauses longer than the quiet period.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `
      const fs = require('node:fs');
      const [target, content, third] = process.argv.slice(1);
      const fd = fs.openSync(target, 'w');
      const pieces = [content.slice(0, third), content.slice(third, 2 * third), content.slice(2 * third)];
      (async () => {
        for (const piece of pieces) { fs.writeSync(fd, piece); await new Promise((r) => setTimeout(r, 2500)); }
        fs.closeSync(fd);
      })();
    `,
        target,
        content,
        String(third),
      ],
      { stdio: 'inherit' },
    );
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    await sleep(4000);
    expect(existsSync(target), 'not taken while its writer holds it open').to.equal(true);
    await exited;
    await expectProcessedWhole(environment, 'A.0001', 'paused.csv', 900);
  });
});

describe('a file that changes after its claim is read to its end, and the report says so', function () {
  this.timeout(120_000);
  let environment: Environment;

  before(async () => {
    // As on a shared volume, where writers on other machines cannot be seen: the quiet period
    // alone decides, and this one is shorter than the stall, so the file is claimed half-written.
    environment = await setUp({
      'watch.stableMs': 1000,
      'watch.incompleteLineStableMs': 1000,
      'watch.checkOpenWriters': false,
      'watch.rescanSeconds': 1,
    });
  });
  after(async () => tearDown(environment));

  const inboxFile = (name: string) => path.join(environment.app.home, 'inbox/A.0001/enrolment', name);

  it(
    'a plain upload claimed during its stall: every row is applied once, and the report opens with a ' + 'notice',
    async () => {
      const content = enrolments(3000, 20_000);
      const half = Math.floor(content.length / 2);
      // The link comes back just after the half-written file was claimed, while it is being read.
      await upload(environment.session.sftp, '/A.0001/enrolment/claimed-early.csv', content, {
        stall: { afterBytes: half, until: () => !existsSync(inboxFile('claimed-early.csv')) },
      });
      // The writer comes back while the claimed half is read, or (on a fast machine) just after its
      // first report: then the file is reopened and its report written anew. Either way, the report
      // that stands covers every row and opens with the notice.
      const report = await expectProcessedWhole(
        environment,
        'A.0001',
        'claimed-early.csv',
        3000,
        (r) => r[0]?.status === 'notice' && r.some((row) => row.code === 'TOTAL' && row.message === '3000 rows'),
      );
      expect(report[0]?.status).to.equal('notice');
      expect(report[0]?.code).to.equal('FILE_CHANGED_WHILE_READ');
      // Claimed during the stall, or earlier still on a busy machine: in any case before it was complete.
      const sizes = /\((\d+) bytes then, (\d+) when its writer was done\)/.exec(report[0]?.message ?? '');
      expect(Number(sizes?.[1])).to.be.within(1, half);
      expect(Number(sizes?.[2])).to.equal(content.length);
      expect(report.filter((r) => r.status === 'accepted')).to.have.length(3000);
      const enrolled = await environment.app.db.query<{ n: string }>(
        "select count(*) as n from enrolment where asn = '104827361' and entry_date >= '2044-10-03'",
      );
      expect(Number(enrolled.rows[0]?.n)).to.equal(3000);
      const archived = readdirSync(path.join(environment.app.home, 'archive/A.0001/enrolment')).find((n) =>
        n.endsWith('__claimed-early.csv'),
      );
      expect(
        readFileSync(path.join(environment.app.home, 'archive/A.0001/enrolment', archived ?? '')).equals(content),
        'the archive holds the whole file',
      ).to.equal(true);
    },
  );

  it('a writer that goes on after the report: the rest is read, and the report written anew says so', async () => {
    const content = enrolments(2000, 30_000);
    // Cut at a line end, so the first report is of whole rows.
    const cut = content.indexOf('\n', Math.floor(content.length / 2)) + 1;
    const reportPath = path.join(environment.app.home, 'outbox/A.0001/late.csv.results.csv');
    await upload(environment.session.sftp, '/A.0001/enrolment/late.csv', content, {
      stall: { afterBytes: cut, until: () => existsSync(reportPath) },
    });
    const firstRows = content.subarray(0, cut).toString().split('\n').length - 2;
    expect(readReport(reportPath).filter((r) => r.status === 'accepted')).to.have.length(firstRows);
    await waitFor(() => readReport(reportPath)[0]?.status === 'notice');
    const report = await expectProcessedWhole(environment, 'A.0001', 'late.csv', 2000);
    expect(report[0]?.message).to.include('This report replaces the one written before the writer went on');
    expect(report.filter((r) => r.status === 'accepted')).to.have.length(2000);
  });

  it('a writer that goes on after the report, whose last line was cut: that line is read again whole', async () => {
    const content = enrolments(1000, 35_000);
    // Cut inside a row: the file looked complete with that row cut short, which its checks refuse.
    const cut = content.indexOf('\n', Math.floor(content.length / 2)) + 20;
    const reportPath = path.join(environment.app.home, 'outbox/A.0001/cut.csv.results.csv');
    await upload(environment.session.sftp, '/A.0001/enrolment/cut.csv', content, {
      stall: { afterBytes: cut, until: () => existsSync(reportPath) },
    });
    const cutLine = content.subarray(0, cut).toString().split('\n').length;
    const first = readReport(reportPath);
    expect(first.find((r) => r.line === String(cutLine))?.status).to.equal('invalid');
    await waitFor(() => readReport(reportPath)[0]?.status === 'notice');
    const report = await expectProcessedWhole(environment, 'A.0001', 'cut.csv', 1000);
    expect(report.filter((r) => r.status === 'accepted')).to.have.length(1000);
  });

  it(
    'a file rewritten (not only added to) after rows were applied is taken again whole, and both reports say ' + 'so',
    async () => {
      const first = enrolments(600, 40_000);
      // The same rows but the first, whose grade changes: a rewrite in place, not an addition.
      const second = Buffer.from(
        first.toString().replace('104827361,S.0101,2099-07-07,10,Primary', '104827361,S.0101,2099-07-07,11,Primary'),
      );
      expect(second.equals(first)).to.equal(false);
      const handle = await open(inboxFile('rewritten.csv'), 'w');
      await handle.write(first, 0, first.length, 0);
      const recordsDone = async () =>
        Number(
          (
            await environment.app.db.query<{ n: number }>(
              "select records_done as n from intake_file where original_name = 'rewritten.csv'",
            )
          ).rows[0]?.n ?? 0,
        );
      const until = Date.now() + 30_000;
      while ((await recordsDone()) === 0 && Date.now() < until) await sleep(20);
      await handle.write(second, 0, second.length, 0);
      await handle.close();
      const outbox = path.join(environment.app.home, 'outbox/A.0001');
      await waitFor(
        () =>
          existsSync(path.join(outbox, 'rewritten.csv.results.csv')) &&
          existsSync(path.join(outbox, 'rewritten.csv.2.results.csv')),
      );
      const firstReport = readReport(path.join(outbox, 'rewritten.csv.results.csv'));
      expect(firstReport[0]?.code).to.equal('FILE_CHANGED_WHILE_READ');
      expect(firstReport[0]?.message).to.match(/rewritten while Intake was reading it .* taken again as file \d+/);
      const secondReport = readReport(path.join(outbox, 'rewritten.csv.2.results.csv'));
      expect(secondReport.filter((r) => r.status === 'accepted')).to.have.length(600);
      const grade = await environment.app.db.query<{ grade: string }>(
        "select grade from enrolment where asn = '104827361' and entry_date = '2099-07-07'",
      );
      expect(grade.rows[0]?.grade, 'the rewritten content is what stands').to.equal('11');
    },
  );

  it('a file taken again whole is not looked at again: no further notes, no third file', async () => {
    // The rewritten file of the test before: several walks of the inbox later, still two files.
    await sleep(3500);
    const files = await environment.app.db.query("select id from intake_file where original_name = 'rewritten.csv'");
    expect(files.rowCount).to.equal(2);
    const notes = readdirSync(path.join(environment.app.home, 'outbox/A.0001')).filter(
      (n) => n.startsWith('rewritten.csv.') && n.endsWith('.txt'),
    );
    expect(notes).to.deep.equal([]);
  });

  it(
    'an access-code file written to after its report is taken again whole: the authority is told, and the ' +
      'added rows get their letters',
    async () => {
      const lines = readFileSync(path.join(root, 'samples/access/A.0094/access-low.csv'), 'utf8').trimEnd().split('\n');
      const target = path.join(environment.app.home, 'inbox/A.0094/access/late-access.csv');
      const handle = await open(target, 'w');
      await handle.write(`${lines.slice(0, 2).join('\n')}\n`);
      const outbox = path.join(environment.app.home, 'outbox/A.0094');
      await waitFor(() => existsSync(path.join(outbox, 'late-access.csv.results.csv')));
      await handle.write(`${lines.slice(2).join('\n')}\n`);
      await handle.close();
      await waitFor(() => existsSync(path.join(outbox, 'late-access.csv.2.results.csv')));
      expect(readFileSync(path.join(outbox, 'late-access.csv.changed.txt'), 'utf8')).to.match(
        /taken again as file \d+/,
      );
      const again = readReport(path.join(outbox, 'late-access.csv.2.results.csv'));
      expect(again.filter((r) => r.status !== 'summary').map((r) => r.line)).to.deep.equal(['2', '3', '4', '5']);
      expect(again[0]?.code, 'the row applied the first time').to.equal('ALREADY_WAITING');
      const second = await environment.app.db.query<{ id: string }>(
        "select id from intake_file where original_name = 'late-access.csv' order by id desc limit 1",
      );
      const created = again.filter((r) => r.code === 'CONNECTION_CREATED').length;
      expect(created).to.be.greaterThan(0);
      for (let i = 0; i < 100 && (await lettered(second.rows[0]?.id)) < created; i++) await sleep(100);
      expect(await lettered(second.rows[0]?.id), 'a PIN letter for every connection the added rows set up').to.equal(
        created,
      );
    },
  );

  const lettered = async (fileId: string | undefined) =>
    Number(
      (
        await environment.app.db.query<{ n: string }>(
          "select count(*) as n from connection where source_file_id = $1 and status = 'waiting' and pin_hash " +
            'is not null',
          [fileId],
        )
      ).rows[0]?.n,
    );
});
