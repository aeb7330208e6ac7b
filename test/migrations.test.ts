import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Database } from '../src/db/database.ts';
import { listMigrations, MigrationError, migrate } from '../src/db/migrate.ts';
import { intakeCommand } from './support/cli.ts';
import { dropDatabase, freshDatabaseUrl } from './support/database.ts';

describe('migrations', function () {
  this.timeout(60_000);
  let url: string;
  let db: Database;

  beforeEach(async () => {
    url = await freshDatabaseUrl();
    db = new Database(url);
  });
  afterEach(async () => {
    await db.close();
    await dropDatabase(url);
  });

  const failure = (work: Promise<unknown>) =>
    work.then(
      () => null,
      (error: Error) => error,
    );

  it('keep the checksum of each file applied, and apply nothing twice', async () => {
    const names = listMigrations().map((m) => m.name);
    expect(await migrate(db)).to.deep.equal(names);
    const kept = await db.query<{ name: string; checksum: string }>(
      'select name, checksum from schema_migration order by version',
    );
    expect(kept.rows).to.deep.equal(listMigrations().map((m) => ({ name: m.name, checksum: m.checksum })));
    expect(await migrate(db)).to.deep.equal([]);
  });

  it('refuse a database on which an applied migration has since been edited, naming it', async () => {
    await migrate(db);
    await db.query("update schema_migration set checksum = repeat('0', 64) where name = '003_connections.sql'");
    const error = await failure(migrate(db));
    expect(error).to.be.instanceOf(MigrationError);
    expect(error?.message).to.match(/Migration 003_connections\.sql was changed after it was applied/);
  });

  it('refuse a database migrated by a newer release, and the command line says which', async () => {
    await migrate(db);
    await db.query(
      "insert into schema_migration (version, name, checksum) values (999, '999_from_the_future.sql', 'x')",
    );
    const error = await failure(migrate(db));
    expect(error?.message).to.match(
      /migrated by a newer release of Intake \(it has 999_from_the_future\.sql; this release knows up to 0\d\d_/,
    );
    const run = intakeCommand(() => ({ database: url, home: mkdtempSync(path.join(tmpdir(), 'intake-migrate-')) }))(
      'db',
      'migrate',
    );
    expect(run.status).to.not.equal(0);
    expect(run.stderr).to.include('999_from_the_future.sql');
  });

  it('a migration whose connection died is reported, and that connection is not handed out again', async () => {
    const single = new Database(url, 1);
    try {
      const known = listMigrations();
      const last = known.at(-1) as (typeof known)[number];
      const dying = { version: last.version + 1, name: 'next_kills_its_connection.sql', checksum: 'x' };
      const error = await failure(
        migrate(single, [...known, { ...dying, sql: 'select pg_terminate_backend(pg_backend_pid())' }]),
      );
      expect(error?.message).to.match(/^Migration next_kills_its_connection\.sql failed/);
      // The pool holds one connection: the next query must get a live one, not the dead one back.
      expect((await single.query<{ one: number }>('select 1 as one')).rows[0]?.one).to.equal(1);
    } finally {
      await single.close();
    }
  });

  it('give checksums to migrations applied before checksums were kept', async () => {
    await migrate(db);
    await db.query('update schema_migration set checksum = null');
    expect(await migrate(db)).to.deep.equal([]);
    const missing = await db.query('select 1 from schema_migration where checksum is null');
    expect(missing.rowCount).to.equal(0);
  });
});
