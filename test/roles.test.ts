import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ingestFile } from '../pipelines/ingest.ts';
import { type RunningService, startService } from '../pipelines/service.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import type { Role } from '../src/config/roles.ts';
import { queues } from '../src/db/queue.ts';
import { loadReference } from '../src/reference/load.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { startOpenIdProvider, type TestOpenIdProvider } from './support/oidc.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(100);
  }
}

const enrolment = (entryDate: string) =>
  `asn,school_code,entry_date,grade,enrolment_type\n104827361,S.0101,${entryDate},10,Primary\n`;

/** docs/operations.md §2: each role alone does its own work and nothing else's. */
describe('intake start --roles: each role alone does its work, and only it', function () {
  this.timeout(120_000);
  let app: TestApp;
  let running: RunningService | null = null;
  /** The activation page needs a provider to sign in with; no one signs in here. */
  let oidc: TestOpenIdProvider;
  const start = async (...roles: Role[]) => {
    const providers = [oidc.provider('education', 'Education Account')];
    running = await startService({
      ...app,
      config: { ...app.config, roles, activationServer: { ...app.config.activationServer, providers } },
    });
    return running;
  };
  const stop = async () => {
    await running?.stop();
    running = null;
  };
  const fileStatus = async (name: string) =>
    (await app.db.query<{ status: string }>('select status from intake_file where original_name = $1', [name])).rows[0]
      ?.status;
  const inbox = (name: string) => path.join(app.home, 'inbox/A.0001/enrolment', name);

  before(async () => {
    app = await createTestApp({ 'processing.pollingIntervalSeconds': 1, 'watch.rescanSeconds': 1 });
    oidc = await startOpenIdProvider(`${app.config.mail.activationUrl}/signed-in`, {});
    await loadReference(app.db, path.join(samplesFolder, 'reference'));
  });
  afterEach(stop);
  after(async () => {
    await oidc?.stop();
    await app.dispose();
  });

  it('watcher: takes and queues a file, processes nothing, serves nothing', async () => {
    const service = await start('watcher');
    expect([service.consoleUrl, service.activationUrl, service.operatorUrl]).to.deep.equal([null, null, null]);
    writeFileSync(inbox('watched.csv'), enrolment('2031-01-05'));
    await waitFor(async () => (await fileStatus('watched.csv')) === 'queued');
    await sleep(2500);
    expect(await fileStatus('watched.csv'), 'no worker here').to.equal('queued');
  });

  it('worker: runs the queued file, takes nothing from the inbox', async () => {
    await start('worker');
    await waitFor(async () => (await fileStatus('watched.csv')) === 'done');
    expect(existsSync(path.join(app.home, 'outbox/A.0001/watched.csv.results.csv'))).to.equal(true);
    writeFileSync(inbox('left.csv'), enrolment('2031-01-06'));
    await sleep(2500);
    expect(existsSync(inbox('left.csv')), 'no watcher here').to.equal(true);
    expect(await fileStatus('left.csv')).to.equal(undefined);
  });

  it('console and activation: each its own listener, and nothing else', async () => {
    const console = await start('console');
    expect(console.consoleUrl).to.be.a('string');
    expect([console.activationUrl, console.operatorUrl]).to.deep.equal([null, null]);
    expect((await fetch(`${console.consoleUrl}/login`)).status).to.equal(200);
    await stop();
    const activation = await start('activation');
    expect(activation.activationUrl).to.be.a('string');
    expect(activation.consoleUrl).to.equal(null);
    expect((await fetch(`${activation.activationUrl}/activate?token=not-a-token`)).status).to.equal(200);
    await sleep(1500);
    expect(existsSync(inbox('left.csv')), 'still no watcher').to.equal(true);
  });

  it('mail: sends the activation emails that are due', async () => {
    const result = await ingestFile(
      app,
      path.join(samplesFolder, 'access/A.0094/access-low.csv'),
      'A.0094',
      'access',
      samplesAsOf,
    );
    expect(result.outcome).to.equal('processed');
    const mailFolder = path.join(app.home, 'outbox/mail');
    expect(existsSync(mailFolder) ? readdirSync(mailFolder) : []).to.deep.equal([]);
    await start('mail');
    await waitFor(() => existsSync(mailFolder) && readdirSync(mailFolder).some((n) => n.endsWith('.eml')));
  });

  it('scheduler: expires waiting requests past their date, and nothing else', async () => {
    await app.db.query("update connection set expires_at = now() - interval '1 day' where status = 'waiting'");
    const waiting = Number(
      (await app.db.query<{ n: string }>("select count(*) n from connection where status = 'waiting'")).rows[0]?.n,
    );
    expect(waiting).to.be.above(0);
    const service = await start('scheduler');
    expect(service.consoleUrl).to.equal(null);
    const expired = Number(
      (await app.db.query<{ n: string }>("select count(*) n from connection where status = 'expired'")).rows[0]?.n,
    );
    expect(expired).to.equal(waiting);
    // Its scheduled jobs are pg-boss jobs: one sent now stands for tonight's listings.
    await app.boss.send(queues.connectionListings, {});
    await waitFor(() => existsSync(path.join(app.home, 'outbox/A.0094/connections')));
    expect(readdirSync(path.join(app.home, 'outbox/A.0094/connections')).sort()).to.have.length(2);
    await sleep(1500);
    expect(existsSync(inbox('left.csv')), 'no watcher').to.equal(true);
  });

  it(
    'all together: the file left in the inbox is taken and processed; the default is all but the activation ' + 'page',
    async () => {
      expect(app.config.roles).to.deep.equal(['watcher', 'worker', 'scheduler', 'mail', 'console']);
      const service = await start(...app.config.roles, 'activation');
      expect(service.consoleUrl).to.not.equal(service.activationUrl);
      await waitFor(async () => (await fileStatus('left.csv')) === 'done');
    },
  );
});
