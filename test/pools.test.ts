import { expect } from 'chai';
import type pg from 'pg';
import { startConsole } from '../pipelines/console.ts';
import type { WebServer } from '../src/web/server.ts';
import { createTestApp, type TestApp } from './support/database.ts';

describe('the web server has its own small pool: files and pages cannot starve each other', function () {
  this.timeout(60_000);
  let app: TestApp;
  let web: WebServer;

  before(async () => {
    app = await createTestApp();
    web = await startConsole(app);
  });
  after(async () => {
    await web.stop();
    await app.dispose();
  });

  it("the console's sign-in page and /readyz answer while every connection of the files' pool is busy", async () => {
    const size = app.db.pool.options.max;
    expect(size, "the files' pool has a size").to.be.a('number').and.greaterThan(0);
    // Every connection of the pool that processes files, held and working (as chunks being written).
    const held: pg.PoolClient[] = await Promise.all(Array.from({ length: size }, () => app.db.pool.connect()));
    const sleeping = held.map((client) => client.query('select pg_sleep(3)'));
    const started = Date.now();
    try {
      // Files' work that asks for a connection now waits for one to come back.
      let filesAnswered = 0;
      const waiting = app.db.query('select 1').then(() => {
        filesAnswered = Date.now();
      });
      for (const path of ['/login', '/readyz']) {
        const response = await fetch(`${web.url}${path}`, { signal: AbortSignal.timeout(2000) });
        expect(response.status, path).to.equal(200);
        if (path === '/readyz') expect(await response.text()).to.equal('ready\n');
        else expect(await response.text()).to.contain('<form');
      }
      const pagesAnswered = Date.now();
      expect(pagesAnswered - started, 'the pages answered at once').to.be.lessThan(2000);
      expect(filesAnswered, "while the files' pool was still full").to.equal(0);
      await Promise.all(sleeping);
      for (const client of held.splice(0)) client.release();
      await waiting;
      expect(filesAnswered - started).to.be.greaterThanOrEqual(2900);
    } finally {
      await Promise.allSettled(sleeping);
      for (const client of held) client.release();
    }
  });
});
