import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { loadConfig } from '../src/config/config.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';

describe('the embedded database keeps other local users out', function () {
  this.timeout(120_000);
  const port = 54000 + (process.pid % 900);
  let home: string;

  before(() => {
    home = mkdtempSync(path.join(tmpdir(), 'intake-embedded-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  const answers = async (password: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    try {
      await client.connect();
      return 'connected';
    } catch (error) {
      return (error as { code?: string }).code ?? 'failed';
    } finally {
      await client.end().catch(() => {});
    }
  };

  it("with a password of this home's own, kept owner-only; a cluster made with the old fixed password gets it too", async () => {
    const config = loadConfig({ home, embeddedPostgresPort: port }, {});
    let server = await startEmbeddedPostgres(config, () => {});
    const file = path.join(home, 'secrets/embedded-postgres.password');
    const password = readFileSync(file, 'utf8').trim();
    try {
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      expect(password).to.match(/^[0-9a-f]{64}$/);
      expect(await answers(password)).to.equal('connected');
      expect(await answers('intake-embedded'), 'the password once written in the source').to.equal('28P01');
      // As an earlier release left it.
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      await admin.query("alter role postgres password 'intake-embedded'");
      await admin.end();
    } finally {
      await server.stop();
    }
    server = await startEmbeddedPostgres(config, () => {});
    try {
      expect(await answers('intake-embedded')).to.equal('28P01');
      expect(await answers(password)).to.equal('connected');
    } finally {
      await server.stop();
    }
  });
});
