import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import type { Database, Queryable } from './database.ts';

const migrationsFolder = path.join(projectRoot, 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** sha-256 of the file as applied; an applied migration must never change. */
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function listMigrations(): Migration[] {
  return readdirSync(migrationsFolder)
    .filter((name) => /^\d{3}_[a-z0-9_]+\.sql$/.test(name))
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(migrationsFolder, name), 'utf8');
      // Line ends do not count: a checkout on another system keeps the same checksums.
      const checksum = createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
      return { version: Number(name.slice(0, 3)), name, sql, checksum };
    });
}

/**
 * The database as this release finds it: migrated by no newer release, and every migration it
 * applied unchanged since. Migrations applied before checksums were kept get theirs now.
 */
async function checkApplied(
  client: Queryable,
  migrations: Migration[],
  applied: { version: number; name: string; checksum: string | null }[],
): Promise<void> {
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const migration = known.get(row.version);
    if (!migration) {
      const newest = migrations[migrations.length - 1]?.name ?? 'none';
      throw new MigrationError(
        `The database was migrated by a newer release of Intake (it has ${row.name}; ` +
          `this release knows up to ${newest}). ` +
          'Run that release (or a newer one), or restore a backup taken before it.',
      );
    }
    if (row.checksum === null) {
      await client.query('update schema_migration set checksum = $2 where version = $1', [
        row.version,
        migration.checksum,
      ]);
    } else if (row.checksum !== migration.checksum) {
      throw new MigrationError(
        `Migration ${migration.name} was changed after it was applied to this database ` +
          `(checksum ${row.checksum.slice(0, 12)}… then, ${migration.checksum.slice(0, 12)}… now). ` +
          'Put the file back as it was and add the change as a new migration.',
      );
    }
  }
}

/**
 * Applies the numbered SQL files not yet applied, each in its own transaction. A session-level
 * advisory lock keeps two processes starting at once from applying the same migration twice.
 */
export async function migrate(db: Database, migrations: Migration[] = listMigrations()): Promise<string[]> {
  const client = await db.pool.connect();
  // Set when the connection can no longer be trusted (as in `Database.transaction`); closing it
  // also drops its advisory lock. Its death comes as an 'error' event too, heard here.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', ['intake.migrate']);
    await client.query(
      `create table if not exists schema_migration (
         version integer primary key, name text not null, applied_at timestamptz not null default now()
       )`,
    );
    await client.query('alter table schema_migration add column if not exists checksum text');
    const done = await client.query<{ version: number; name: string; checksum: string | null }>(
      'select version, name, checksum from schema_migration order by version',
    );
    await checkApplied(client, migrations, done.rows);
    const doneVersions = new Set(done.rows.map((r) => r.version));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (doneVersions.has(migration.version)) continue;
      try {
        await client.query('begin');
        await client.query(migration.sql);
        await client.query('insert into schema_migration (version, name, checksum) values ($1, $2, $3)', [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query('commit');
      } catch (error) {
        // A connection whose rollback failed is in an unknown state: it is closed, not pooled.
        await client.query('rollback').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(migration.name);
    }
    return applied;
  } finally {
    if (!broken)
      await client.query('select pg_advisory_unlock(hashtext($1))', ['intake.migrate']).catch((error: Error) => {
        broken = error;
      });
    if (broken === undefined) client.off('error', onError);
    client.release(broken);
  }
}

/** Whether every migration this release knows has been applied (and none it does not know). */
export async function migrationsCurrent(db: Queryable): Promise<boolean> {
  const applied = await db.query<{ version: number }>('select version from schema_migration order by version');
  const known = listMigrations().map((m) => m.version);
  return applied.rows.length === known.length && applied.rows.every((row, index) => row.version === known[index]);
}
