import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type App, openApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';

let server: Promise<string> | null = null;

/** The Postgres server tests run against: DATABASE_URL when set, else the embedded default under var/. */
function serverUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return Promise.resolve(process.env.DATABASE_URL);
  server ??= (async () => {
    const embedded = await startEmbeddedPostgres(loadConfig({}, {}), () => {});
    process.once('exit', () => void embedded.stop());
    // Test databases are made and dropped by the superuser.
    return embedded.adminUrl;
  })();
  return server;
}

let counter = 0;

/** A new, empty database on the test server; each test file gets its own. */
export async function freshDatabaseUrl(): Promise<string> {
  const base = await serverUrl();
  const name = `intake_test_${process.pid}_${++counter}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Makes the database unreachable, as an outage would: new connections refused and open ones
 * ended. Returns what brings it back.
 */
export async function cutOffDatabase(url: string): Promise<() => Promise<void>> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: await serverUrl() });
  await admin.connect();
  try {
    await admin.query(`alter database ${name} with allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
  } finally {
    await admin.end();
  }
  return async () => {
    const restorer = new pg.Client({ connectionString: await serverUrl() });
    await restorer.connect();
    try {
      await restorer.query(`alter database ${name} with allow_connections true`);
    } finally {
      await restorer.end();
    }
  };
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: await serverUrl() });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}

export interface TestApp extends App {
  home: string;
  url: string;
  dispose(): Promise<void>;
}

/** A migrated database and a temporary home folder (inbox, outbox, archive) for one test file. */
export async function createTestApp(overrides: Record<string, unknown> = {}): Promise<TestApp> {
  const url = await freshDatabaseUrl();
  const home = mkdtempSync(path.join(tmpdir(), 'intake-test-'));
  // Port 0: a service started in a test serves its console on a free port, never a fixed one.
  const app = await openApp({
    databaseUrl: url,
    home,
    logLevel: 'warn',
    'watch.stableMs': 300,
    'watch.pollMs': 50,
    'server.port': 0,
    'activationServer.port': 0,
    'operatorServer.port': 0,
    // Tests send many forms from one address; the limit is tested on its own.
    'server.publicPostsPerMinute': 10_000,
    ...overrides,
  });
  return {
    ...app,
    home,
    url,
    async dispose() {
      await app.close();
      await dropDatabase(url);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
