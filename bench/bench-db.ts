/**
 * What the benches share: the server, databases made from a seeded template (every run starts from
 * the same data without seeding it again), `psql` floors, and memory sampled during a run.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config/config.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';

export async function serverUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  // The superuser: the bench makes and drops its databases (the application's own role cannot).
  return (await startEmbeddedPostgres(loadConfig({}, {}), () => {})).adminUrl;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Generated files, kept between runs (keyed by scale in their names): `BENCH_DATA` or the temp folder. */
export function dataFolder(): string {
  const folder = process.env.BENCH_DATA ?? path.join(tmpdir(), 'intake-bench-data');
  mkdirSync(folder, { recursive: true });
  return folder;
}

export async function adminQuery(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function databaseExists(url: string, name: string): Promise<boolean> {
  const found = await adminQuery(url, `select 1 from pg_database where datname = '${name}'`);
  return found.rowCount === 1;
}

/** A fresh copy of `template` (a file copy on the server: seconds, where seeding takes minutes). */
export async function cloneDatabase(url: string, template: string, name: string): Promise<string> {
  await adminQuery(url, `drop database if exists ${name} with (force)`);
  await adminQuery(url, `create database ${name} template ${template}`);
  return withDatabase(url, name);
}

/** Runs a psql script (stopping at the first error) and returns its wall time in seconds. */
export function timePsql(url: string, script: string): number {
  const started = process.hrtime.bigint();
  execFileSync('psql', [url, '-q', '-X', '-v', 'ON_ERROR_STOP=1'], {
    input: script,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export interface MemoryPeak {
  stop(): { rssMb: number; heapMb: number; cpuShare: number };
}

/** Peak resident size and heap, sampled every 50 ms, and the share of the wall time this process was on a core. */
export function sampleMemory(): MemoryPeak {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    rss = Math.max(rss, usage.rss);
    heap = Math.max(heap, usage.heapUsed);
  };
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const used = process.cpuUsage(cpu);
      const wallUs = Number(process.hrtime.bigint() - started) / 1e3;
      return { rssMb: rss / 2 ** 20, heapMb: heap / 2 ** 20, cpuShare: (used.user + used.system) / wallUs };
    },
  };
}

/** Names a template after the migrations it was made with: a changed migration makes a new one. */
export function templateName(prefix: string): string {
  const folder = path.join(import.meta.dirname, '..', 'migrations');
  const hash = createHash('sha256');
  for (const name of readdirSync(folder).sort()) hash.update(name).update(readFileSync(path.join(folder, name)));
  return `${prefix}_${hash.digest('hex').slice(0, 8)}`;
}

/** Drops the templates of `prefix` made with other migrations (each is hundreds of MB). */
export async function dropStaleTemplates(url: string, prefix: string, keep: string): Promise<void> {
  const found = await adminQuery(url, `select datname from pg_database where datname like '${prefix}%'`);
  for (const { datname } of found.rows as { datname: string }[])
    if (datname !== keep) await adminQuery(url, `drop database if exists ${datname} with (force)`);
}

/** Clock ticks per second of /proc's CPU times. */
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * The parent of a process and its CPU seconds, from /proc/<pid>/stat: its own (utime + stime)
 * and its reaped children's (cutime + cstime). Null once it is gone.
 */
export function processTimes(pid: number): { ppid: number; own: number; children: number } | null {
  try {
    // The command name is in parentheses and may hold spaces: the fields are counted after it.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const at = (field: number) => Number(fields[field - 3]);
    return { ppid: at(4), own: (at(14) + at(15)) / ticks, children: (at(16) + at(17)) / ticks };
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by the Postgres server behind `url` (its postmaster, its live processes,
 * and those that have exited), or null when the server is not on this machine. The difference
 * over a run is what the run cost the server, whatever connections it used.
 */
export async function postgresCpuSeconds(url: string): Promise<number | null> {
  // The backend's parent is read while its connection is open (it is gone once closed).
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let postmaster: number | undefined;
  try {
    postmaster = processTimes(Number((await client.query('select pg_backend_pid() as pid')).rows[0]?.pid))?.ppid;
  } finally {
    await client.end();
  }
  const root = postmaster === undefined ? null : processTimes(postmaster);
  if (postmaster === undefined || root === null) return null;
  let total = root.own + root.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const times = processTimes(Number(entry));
    if (times?.ppid === postmaster) total += times.own;
  }
  return total;
}
