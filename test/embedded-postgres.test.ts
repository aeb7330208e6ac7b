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
      // As root the server runs as postgres: the home (made 0700) lets that user's group through, nobody else.
      if (process.getuid?.() === 0) expect(statSync(home).mode & 0o777).to.equal(0o710);
      expect(password).to.match(/^[0-9a-f]{64}$/);
      expect(await answers(password)).to.equal('connected');
      expect(await answers('intake-embedded'), 'the password once written in the source').to.equal('28P01');
      // As an earlier release left it.
      const admin = new pg.Client({ connectionString: server.adminUrl });
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

  it("Intake's own work runs as a role that is not a superuser; an earlier release's data moves to it", async () => {
    const config = loadConfig({ home, embeddedPostgresPort: port }, {});
    let server = await startEmbeddedPostgres(config, () => {});
    try {
      const app = new pg.Client({ connectionString: server.url });
      await app.connect();
      const who = await app.query<{ rolsuper: boolean; db: string }>(
        'select rolsuper, current_database() as db from pg_roles where rolname = current_user',
      );
      expect(who.rows).to.deep.equal([{ rolsuper: false, db: 'intake' }]);
      const program = await app.query("copy (select 1) to program 'true'").then(
        () => 'ran',
        (error: { code?: string }) => error.code,
      );
      expect(program, 'no programs on the host').to.equal('42501');
      await app.end();
      // As an earlier release left a home: its data in `postgres`, owned by the superuser.
      const admin = new pg.Client({ connectionString: server.adminUrl });
      await admin.connect();
      await admin.query('drop database intake');
      await admin.query(
        "create table schema_migration (version integer primary key, name text not null); insert into schema_migration values (1, '001_x.sql')",
      );
      await admin.query(
        "create schema pgboss; create type pgboss.job_state as enum ('created'); create table pgboss.job (id serial, state pgboss.job_state)",
      );
      await admin.end();
    } finally {
      await server.stop();
    }
    server = await startEmbeddedPostgres(config, () => {});
    try {
      const app = new pg.Client({ connectionString: server.url });
      await app.connect();
      expect((await app.query('select name from schema_migration')).rows).to.deep.equal([{ name: '001_x.sql' }]);
      await app.query("insert into pgboss.job (state) values ('created')");
      await app.query('alter table schema_migration add column checked boolean');
      await app.end();
    } finally {
      await server.stop();
    }
  });

  it('a move stopped halfway is finished at the next start', async () => {
    const config = loadConfig({ home, embeddedPostgresPort: port }, {});
    let server = await startEmbeddedPostgres(config, () => {});
    try {
      // Tables made by the superuser in Intake's database (ownership not yet given), and no `postgres` left.
      const data = new pg.Client({ connectionString: server.adminUrl.replace(/\/postgres$/, '/intake') });
      await data.connect();
      await data.query('create table halfway (a int)');
      await data.end();
      const template = new pg.Client({ connectionString: server.adminUrl.replace(/\/postgres$/, '/template1') });
      await template.connect();
      await template.query('drop database postgres');
      await template.end();
    } finally {
      await server.stop();
    }
    server = await startEmbeddedPostgres(config, () => {});
    try {
      const app = new pg.Client({ connectionString: server.url });
      await app.connect();
      await app.query('insert into halfway values (1)');
      await app.end();
    } finally {
      await server.stop();
    }
  });
});
