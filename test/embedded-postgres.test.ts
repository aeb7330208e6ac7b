import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { loadConfig } from '../src/config/config.ts';
import { type EmbeddedServer, startEmbeddedPostgres } from '../src/db/embedded.ts';

describe('the embedded database keeps other local users out', function () {
  this.timeout(120_000);
  const port = 54000 + (process.pid % 900);
  let home: string;

  before(() => {
    home = mkdtempSync(path.join(tmpdir(), 'intake-embedded-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  /** The cluster of the test's home, running for `work`. */
  const running = async (work: (server: EmbeddedServer) => Promise<void>) => {
    const server = await startEmbeddedPostgres(loadConfig({ home, embeddedPostgresPort: port }, {}), () => {});
    try {
      await work(server);
    } finally {
      await server.stop();
    }
  };
  /** One connection to `url` for `work`. */
  const connected = async <T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const inDatabase = (adminUrl: string, database: string) => adminUrl.replace(/\/postgres$/, `/${database}`);

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

  it(
    "with a password of this home's own, kept owner-only; a cluster made with the old fixed password gets it " + 'too',
    async () => {
      const file = path.join(home, 'secrets/embedded-postgres.password');
      let password = '';
      await running(async (server) => {
        password = readFileSync(file, 'utf8').trim();
        expect(statSync(file).mode & 0o777).to.equal(0o600);
        // As root the server runs as postgres: the home (made 0700) lets that user's group through, nobody else.
        if (process.getuid?.() === 0) expect(statSync(home).mode & 0o777).to.equal(0o710);
        expect(password).to.match(/^[0-9a-f]{64}$/);
        expect(await answers(password)).to.equal('connected');
        expect(await answers('intake-embedded'), 'the password once written in the source').to.equal('28P01');
        // As an earlier release left it.
        await connected(server.adminUrl, (admin) => admin.query("alter role postgres password 'intake-embedded'"));
      });
      await running(async () => {
        expect(await answers('intake-embedded')).to.equal('28P01');
        expect(await answers(password)).to.equal('connected');
      });
    },
  );

  it("Intake's own work runs as a role that is not a superuser; an earlier release's data moves to it", async () => {
    await running(async (server) => {
      await connected(server.url, async (app) => {
        const who = await app.query<{ rolsuper: boolean; db: string }>(
          'select rolsuper, current_database() as db from pg_roles where rolname = current_user',
        );
        expect(who.rows).to.deep.equal([{ rolsuper: false, db: 'intake' }]);
        const program = await app.query("copy (select 1) to program 'true'").then(
          () => 'ran',
          (error: { code?: string }) => error.code,
        );
        expect(program, 'no programs on the host').to.equal('42501');
      });
      // As an earlier release left a home: its data in `postgres`, owned by the superuser.
      await connected(server.adminUrl, async (admin) => {
        await admin.query('drop database intake');
        await admin.query(
          'create table schema_migration (version integer primary key, name text not null); insert into ' +
            "schema_migration values (1, '001_x.sql')",
        );
        await admin.query(
          "create schema pgboss; create type pgboss.job_state as enum ('created'); create table pgboss.job (id " +
            'serial, state pgboss.job_state)',
        );
      });
    });
    await running((server) =>
      connected(server.url, async (app) => {
        expect((await app.query('select name from schema_migration')).rows).to.deep.equal([{ name: '001_x.sql' }]);
        await app.query("insert into pgboss.job (state) values ('created')");
        await app.query('alter table schema_migration add column checked boolean');
      }),
    );
  });

  it('a move stopped halfway is finished at the next start', async () => {
    await running(async (server) => {
      // Tables made by the superuser in Intake's database (ownership not yet given), and no `postgres` left.
      await connected(inDatabase(server.adminUrl, 'intake'), (data) => data.query('create table halfway (a int)'));
      await connected(inDatabase(server.adminUrl, 'template1'), (template) => template.query('drop database postgres'));
    });
    await running((server) =>
      connected(server.url, (app) => app.query('insert into halfway values (1)')).then(() => {}),
    );
  });
});
