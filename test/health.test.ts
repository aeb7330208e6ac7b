import { expect } from 'chai';
import { startConsole } from '../pipelines/console.ts';
import { startService } from '../pipelines/service.ts';
import type { WebServer } from '../src/web/server.ts';
import { createTestApp, cutOffDatabase, type TestApp } from './support/database.ts';
import { startOpenIdProvider } from './support/oidc.ts';

describe('health and readiness, without a session', function () {
  this.timeout(60_000);
  let app: TestApp;
  let web: WebServer;
  const get = async (path: string) => {
    const response = await fetch(`${web.url}${path}`);
    return { status: response.status, text: (await response.text()).trim(), headers: response.headers };
  };

  before(async () => {
    app = await createTestApp();
    web = await startConsole(app);
  });
  after(async () => {
    await web.stop();
    await app.dispose();
  });

  it('/healthz: the process answers; /readyz: it can work', async () => {
    expect(await get('/healthz')).to.include({ status: 200, text: 'ok' });
    const ready = await get('/readyz');
    expect(ready).to.include({ status: 200, text: 'ready' });
    expect(ready.headers.get('content-security-policy')).to.be.a('string');
  });

  it('/readyz names what stops it, and nothing more', async () => {
    await app.db.query("insert into schema_migration (version, name, checksum) values (999, '999_later.sql', 'x')");
    expect(await get('/readyz')).to.include({ status: 503, text: 'not ready: migrations' });
    await app.db.query('delete from schema_migration where version = 999');
    await app.db.query(
      "insert into connection_key (fingerprint) values ('\\x00') on conflict (only_row) do update set " +
        "fingerprint = '\\x00'",
    );
    expect(await get('/readyz')).to.include({ status: 503, text: 'not ready: connection key' });
    await app.db.query('delete from connection_key');
    const restore = await cutOffDatabase(app.url);
    try {
      expect(await get('/readyz')).to.include({ status: 503, text: 'not ready: database' });
      expect(await get('/healthz')).to.include({ status: 200, text: 'ok' });
    } finally {
      await restore();
    }
    expect((await get('/readyz')).status).to.equal(200);
  });

  it('every listener of intake start answers them: the console, the activation page and the operator', async () => {
    // The activation page runs only with a provider to sign in with; no one signs in here.
    const oidc = await startOpenIdProvider(`${app.config.mail.activationUrl}/signed-in`, {});
    const service = await startService({
      ...app,
      config: {
        ...app.config,
        roles: [...app.config.roles, 'activation'],
        activationServer: {
          ...app.config.activationServer,
          providers: [oidc.provider('education', 'Education Account')],
        },
        operatorServer: { ...app.config.operatorServer, enabled: true },
      },
    }).catch(async (error: unknown) => {
      await oidc.stop();
      throw error;
    });
    try {
      const urls = [service.consoleUrl, service.activationUrl, service.operatorUrl];
      expect(new Set(urls).size, 'three listeners').to.equal(3);
      for (const url of urls) {
        expect((await fetch(`${url}/healthz`)).status).to.equal(200);
        expect(await (await fetch(`${url}/readyz`)).text()).to.equal('ready\n');
      }
      // Each serves its own pages only: no sign-in on the public page, no activation on the console.
      expect((await fetch(`${service.activationUrl}/login`)).status).to.equal(404);
      expect((await fetch(`${service.consoleUrl}/activate`)).status).to.equal(404);
      expect((await fetch(`${service.operatorUrl}/login`)).status).to.equal(404);
    } finally {
      await service.stop();
      await oidc.stop();
    }
  });
});
