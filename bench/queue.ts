/**
 * `npm run bench` (third part): Student Records' queue in a September rush, 100,000 open items
 * (BENCH_QUEUE_ITEMS) across 12 authorities, 60 schools, every reason and both kinds, with their
 * pg-boss jobs. Times a page of the queue as the console shows it (the page and its counts per
 * reason) with each filter, a page deep in the list, and claiming the next item, and prints the
 * median and 95th percentile of each against its bar (100 ms a page, 50 ms a claim).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { sqlTimeZone } from '../src/config/province.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { queues } from '../src/db/queue.ts';
import { referralReasons } from '../src/outcomes.ts';
import { claimNextItem } from '../src/queue/claims.ts';
import { countOpenByReason, listOpenItems, type QueueFilter } from '../src/queue/queue-queries.ts';

const items = Number(process.env.BENCH_QUEUE_ITEMS ?? 100_000);
const authorities = 12;
const schoolsPerAuthority = 5;
const repeats = 40;
const reasons = Object.keys(referralReasons);

async function serverUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  return (await startEmbeddedPostgres(loadConfig({}, {}), () => {})).url;
}

const base = new URL(await serverUrl());
const admin = new pg.Client({ connectionString: base.toString() });
await admin.connect();
await admin.query('drop database if exists intake_bench_queue with (force)');
await admin.query('create database intake_bench_queue');
await admin.end();
const url = new URL(base.toString());
url.pathname = '/intake_bench_queue';
const home = mkdtempSync(path.join(tmpdir(), 'intake-bench-queue-'));
const app = await openApp({ databaseUrl: url.toString(), home, logLevel: 'warn' });

const seedStarted = Date.now();
await app.db.query(`
  insert into authority (code, name)
    select 'A.' || lpad(a::text, 4, '0'), 'Authority ' || a
      from generate_series(1, ${authorities}) a;
  insert into school (code, authority_code, name)
    select 'S.' || lpad(((a - 1) * ${schoolsPerAuthority} + s)::text, 4, '0'), 'A.' || lpad(a::text, 4, '0'),
           'School ' || s
      from generate_series(1, ${authorities}) a, generate_series(1, ${schoolsPerAuthority}) s;
  insert into intake_file (authority_code, kind, original_name, format, sha256, size_bytes, stored_path, status, as_of)
    select 'A.' || lpad(a::text, 4, '0'), k, 'september-' || k || '.csv', 'csv', md5(a || k), 1, '/dev/null', 'done',
           date '2026-09-15'
      from generate_series(1, ${authorities}) a, unnest(array['enrolment', 'access']) k;`);
// Items and their jobs, in batches as the pipeline writes them: oldest 30 days ago.
const batch = 5_000;
for (let first = 0; first < items; first += batch) {
  const size = Math.min(batch, items - first);
  await app.db.transaction(async (client) => {
    const inserted = await client.query<{ id: string; job_id: string; data: object }>(
      `insert into referral (job_id, kind, authority_code, school_code, file_id, line, reason, reported_code, asn,
                             as_of, row_data, saw, created_at)
       select gen_random_uuid(), f.kind, f.authority_code,
              'S.' || lpad(((a - 1) * ${schoolsPerAuthority} + 1 + i % ${schoolsPerAuthority})::text, 4, '0'), f.id,
              2 + i / ${authorities},
              ($2::text[])[1 + i % ${reasons.length}], 'NOT_ACCESSIBLE', (300000000 + i)::text, date '2026-09-15',
              jsonb_build_object('line', 2 + i / ${authorities}, 'asn', (300000000 + i)::text),
              '{"restriction":"high","associations":[],"recentEnrolments":[]}',
              now() - make_interval(secs => (${items} - i) * (30 * 86400.0 / ${items}))
         from generate_series($1::int, $1::int + ${size - 1}) i
              cross join lateral (select 1 + i % ${authorities} as a) pick
              join intake_file f
                on f.authority_code = 'A.' || lpad(pick.a::text, 4, '0')
               and f.kind = (case when i % 3 = 0 then 'access' else 'enrolment' end)
       returning id::text, job_id::text, row_data as data`,
      [first, reasons],
    );
    await client.query(
      `insert into pgboss.job (id, name, data)
       select id, $1, data from unnest($2::uuid[], $3::jsonb[]) as j (id, data)`,
      [queues.studentRecords, inserted.rows.map((r) => r.job_id), inserted.rows.map((r) => JSON.stringify(r.data))],
    );
  });
}
// The kept counts, as the pipeline's writes leave them.
await app.db.query(`insert into referral_open_count (authority_code, school_code, kind, reason, referred_on, items)
  select authority_code, school_code, kind, reason, (created_at at time zone ${sqlTimeZone})::date, count(*)
    from referral where state = 'open' group by 1, 2, 3, 4, 5`);
await app.db.query('vacuum analyze');
console.log(
  `queue: ${items.toLocaleString('en-US')} open items seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`,
);

async function timed(work: () => Promise<unknown>): Promise<number[]> {
  await work(); // warm
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b);
}
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
let failures = 0;
function report(name: string, times: number[], bar: number): void {
  const p50 = quantile(times, 0.5);
  const p95 = quantile(times, 0.95);
  const ok = p95 < bar;
  if (!ok) failures++;
  console.log(
    `  ${name.padEnd(52)} median ${p50.toFixed(1).padStart(6)} ms  p95 ${p95.toFixed(1).padStart(6)} ms  ` +
      `(bar ${bar} ms) ${ok ? 'ok' : 'OVER'}`,
  );
}

const pageSize = app.config.queue.pageSize;
const queuePage = (filter: QueueFilter) => async () => {
  await listOpenItems(app.db, filter, pageSize);
  await countOpenByReason(app.db, filter);
};
const filters: [string, QueueFilter][] = [
  ['no filter', {}],
  ['authority', { authority: 'A.0007' }],
  ['school', { school: 'S.0033' }],
  ['reason', { reason: 'HIGH_HISTORICAL_ONLY' }],
  ['kind', { kind: 'access' }],
  ['older than 20 days', { minAgeDays: 20 }],
  ['older than 1 day (nearly all)', { minAgeDays: 1 }],
  ['authority + reason + kind', { authority: 'A.0003', reason: 'NO_ASSOCIATION_FOR_ACCESS', kind: 'access' }],
];
console.log(`queue page (${pageSize} items + counts per reason), ${repeats} runs each:`);
for (const [name, filter] of filters) report(name, await timed(queuePage(filter)), 100);

// Half-way down the list, reached by following the pages' cursors.
let deep = await listOpenItems(app.db, {}, 1000);
for (let i = 0; i < items / 2000 && deep.next; i++) deep = await listOpenItems(app.db, {}, 1000, deep.next);
const middle = deep.next;
report(
  `page at item ${(items / 2).toLocaleString('en-US')} (no counts)`,
  await timed(() => listOpenItems(app.db, {}, pageSize, middle)),
  100,
);

console.log('claim the next item (each run claims a new one):');
report('claim next, no filter', await timed(() => claimNextItem(app.db, {}, 'bench', 30)), 50);
report(
  'claim next, authority + reason',
  await timed(() => claimNextItem(app.db, { authority: 'A.0005', reason: 'HIGH_MORE_RECENT_ELSEWHERE' }, 'bench', 30)),
  50,
);

await app.close();
rmSync(home, { recursive: true, force: true });
if (failures > 0) {
  console.log(`queue: ${failures} measurement(s) over their bar`);
  process.exitCode = 1;
}
