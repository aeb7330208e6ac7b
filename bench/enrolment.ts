/**
 * `npm run bench` (first part): an enrolment file of 1,000,000 rows (students in scattered order;
 * 93% accepted, 5% new students, 2% referred) over 500,000 students with 2,000,000 past
 * enrolments, through `ingestFile` (the inbox's own path), beside the floor: what a database
 * administrator would write by hand for the same file (`\copy` into a staging table, one
 * `insert … select … on conflict`), run by `psql` against tables of the same size in a schema of
 * its own, in the same database, in the same run. Then `intake reference load` of the same
 * reference data beside `\copy` of its files (bench/reference-load.ts).
 *
 * Every run starts from a copy of a seeded template database, so runs see the same data.
 * `BENCH_STUDENTS`, `BENCH_ENROLMENTS`, `BENCH_ROWS` scale it down; `BENCH_BIG_ROWS=5000000` adds a
 * second file to show memory flat in file size; `BENCH_ONLY=ingest` or `reference` runs one part.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { stageTimes } from '../pipelines/chunk.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { openApp } from '../src/app.ts';
import {
  adminQuery,
  cloneDatabase,
  databaseExists,
  dataFolder,
  dropStaleTemplates,
  postgresCpuSeconds,
  sampleMemory,
  serverUrl,
  templateName,
  timePsql,
  withDatabase,
} from './bench-db.ts';
import { runCompiledIngest } from './compiled-run.ts';
import { benchReferenceLoad } from './reference-load.ts';

const students = Number(process.env.BENCH_STUDENTS ?? 500_000);
const pastEnrolments = Number(process.env.BENCH_ENROLMENTS ?? 2_000_000);
const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const bigRows = process.env.BENCH_BIG_ROWS ? Number(process.env.BENCH_BIG_ROWS) : null;
const only = process.env.BENCH_ONLY;
const schoolsPerAuthority = 40;
// Stage times are printed per 5,000 rows, whatever the chunk size, so runs compare across sizes.
const perRows = 5000;

async function seedReference(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`
    insert into authority (code, name, nationally_contracted, international, active, usage_agreement_signed) values
      ('A.0001', 'Regular One', false, false, true, true), ('A.0002', 'Regular Two', false, false, true, true),
      ('A.0094', 'Nunavut - Department of Education', true, false, true, false),
      ('A.0230', 'The International School of Macao', false, true, true, true);
    insert into school (code, authority_code, name)
      select 'S.' || lpad((a * 100 + s)::text, 4, '0'),
             'A.' || lpad(case a when 1 then 1 when 2 then 2 when 3 then 94 else 230 end::text, 4, '0'),
             'School ' || s
        from generate_series(1, 4) a, generate_series(1, ${schoolsPerAuthority}) s;`);
  await client.query(`
    insert into student (asn, last_name, first_name, birth_date, match_key)
      select (100000000 + i)::text, 'Last' || i, 'First' || i, date '2008-01-01' + (i % 3000),
             'first' || i || '|last' || i || '|' || (date '2008-01-01' + (i % 3000))::text
        from generate_series(1, ${students}) i`);
  // Four past enrolments per student, one in each authority's schools, ended before the as-of date.
  await client.query(`
    insert into enrolment (asn, school_code, entry_date, exit_date, grade, enrolment_type)
      select (100000000 + 1 + (n / 4))::text,
             'S.' || lpad((((n + (n / 4)) % 4 + 1) * 100 + 1 + (n % ${schoolsPerAuthority}))::text, 4, '0'),
             date '2018-09-01' + (n % 4) * 365, date '2019-06-28' + (n % 4) * 365, '5', 'Primary'
        from generate_series(0, ${pastEnrolments - 1}) n
       where n / 4 < ${students}`);
  // The floor's own tables: the same rows, keyed as the issue states, in a schema of their own.
  await client.query(`
    create schema floor;
    create table floor.student (like public.student including defaults);
    insert into floor.student select * from public.student;
    alter table floor.student add primary key (asn);
    create table floor.enrolment (like public.enrolment including defaults);
    insert into floor.enrolment select * from public.enrolment;
    alter table floor.enrolment add primary key (asn, school_code, entry_date);`);
  await client.query('vacuum analyze');
  await client.end();
}

/** The seeded template, made once per scale. */
async function seededTemplate(base: string): Promise<string> {
  const prefix = `intake_bench_seed_${students}_${pastEnrolments}`;
  const name = templateName(prefix);
  await dropStaleTemplates(base, prefix, name);
  if (await databaseExists(base, name)) return name;
  const started = Date.now();
  await adminQuery(base, `create database ${name}_part`);
  const home = mkdtempSync(path.join(tmpdir(), 'intake-bench-seed-'));
  const setup = await openApp({ databaseUrl: withDatabase(base, `${name}_part`), home, logLevel: 'warn' });
  await setup.close();
  rmSync(home, { recursive: true, force: true });
  await seedReference(withDatabase(base, `${name}_part`));
  await adminQuery(base, `alter database ${name}_part rename to ${name}`);
  console.log(`seeded ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return name;
}

/**
 * Rows for the Low authority A.0094, students in scattered order (as files grouped by school send
 * them): 93% new enrolments of existing students, 5% new students, 2% unknown ASNs (referred).
 */
async function enrolmentFile(count: number): Promise<string> {
  const file = path.join(dataFolder(), `enrolments-${students}-${count}.csv`);
  if (existsSync(file)) return file;
  const out = createWriteStream(`${file}.part`);
  out.write(
    'asn,school_code,entry_date,exit_date,grade,enrolment_type,last_name,first_name,middle_name,birth_date,action\n',
  );
  for (let i = 0; i < count; i++) {
    const asn = 100000001 + ((i * 7919) % students);
    const school = `S.03${String(1 + (i % schoolsPerAuthority)).padStart(2, '0')}`;
    // A student comes back once per pass over the students, each time on a later entry date.
    const entry = `2026-09-${String(1 + (Math.floor(i / students) % 28)).padStart(2, '0')}`;
    let line: string;
    if (i % 20 === 7) line = `,${school},${entry},,7,Primary,Newstudent${i},Alex,,2014-02-03,`;
    else if (i % 50 === 3) line = `${300000000 + i},${school},${entry},,4,Primary,,,,,`;
    else line = `${asn},${school},${entry},,${1 + (i % 12)},Primary,,,,,`;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(`${file}.part`, file);
  return file;
}

/** The CPU a run cost the server, in seconds, or '?' where that cannot be seen. */
const cpuSince = (before: number | null, after: number | null) =>
  before === null || after === null ? '?' : (after - before).toFixed(1);

/** The yardstick, as written there, against the floor schema's tables. */
function floorScript(file: string): string {
  return `set search_path = floor, public;
BEGIN;
CREATE TEMP TABLE stage (asn text, school_code text, entry_date text, exit_date text, grade text, enrolment_type text,
  last_name text, first_name text, middle_name text, birth_date text, action text) ON COMMIT DROP;
\\copy stage FROM '${file}' WITH (FORMAT csv, HEADER true)
INSERT INTO enrolment (asn, school_code, entry_date, exit_date, grade, enrolment_type, deleted)
SELECT s.asn, s.school_code, s.entry_date::date, nullif(s.exit_date,'')::date, s.grade, s.enrolment_type, false
FROM stage s JOIN student st ON st.asn = s.asn
ON CONFLICT (asn, school_code, entry_date) DO UPDATE SET exit_date = excluded.exit_date,
  grade = excluded.grade, enrolment_type = excluded.enrolment_type, deleted = false;
COMMIT;
`;
}

async function benchIngest(base: string, template: string, count: number): Promise<void> {
  const file = await enrolmentFile(count);
  const url = await cloneDatabase(base, template, `intake_bench_${process.pid}`);
  await adminQuery(url, 'checkpoint');
  const floorCpuBefore = await postgresCpuSeconds(url);
  const floorSeconds = timePsql(url, floorScript(file));
  const floorCpu = cpuSince(floorCpuBefore, await postgresCpuSeconds(url));
  const home = mkdtempSync(path.join(tmpdir(), 'intake-bench-'));
  try {
    const app = await openApp({ databaseUrl: url, home, logLevel: 'warn' });
    stageTimes.clear();
    global.gc?.();
    const memory = sampleMemory();
    const cpuBefore = await postgresCpuSeconds(url);
    const started = Date.now();
    const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    const seconds = (Date.now() - started) / 1000;
    const peak = memory.stop();
    const ingestCpu = cpuSince(cpuBefore, await postgresCpuSeconds(url));
    await app.close();
    if (result.outcome !== 'processed') throw new Error(`bench file was ${result.outcome}`);
    const f = result.file;
    console.log(
      `\n${count.toLocaleString('en')} rows (accepted ${f.accepted}, referred ${f.referred}, invalid ${f.invalid})`,
    );
    console.log(`  SQL floor (psql, \\copy + one upsert): ${floorSeconds.toFixed(1)} s`);
    console.log(
      `  intake ingest:                        ${seconds.toFixed(1)} s, ${Math.round(count / seconds)} rows/s, ` +
        `${(seconds / floorSeconds).toFixed(2)}x the floor`,
    );
    console.log(
      `  peak memory:                          ${peak.rssMb.toFixed(0)} MB resident, ` +
        `${peak.heapMb.toFixed(0)} MB heap; Node on a core ${(peak.cpuShare * 100).toFixed(0)}% of the time`,
    );
    console.log(
      `  CPU seconds:                          Postgres ${ingestCpu} (floor ${floorCpu}), ` +
        `Node ${(peak.cpuShare * seconds).toFixed(1)}`,
    );
    const per = count / perRows;
    const stages = [...stageTimes].map(([stage, ms]) => `${stage} ${(ms / per).toFixed(1)}`).join(', ');
    console.log(
      `  ms per ${perRows.toLocaleString('en')} rows (chunks of ${app.config.processing.chunkRows}): ${stages}`,
    );
    // Again, from the same data, as `npm start` runs Intake: the build, its heap flag, a process of its own.
    await cloneDatabase(base, template, `intake_bench_${process.pid}`);
    await adminQuery(url, 'checkpoint');
    const compiledCpuBefore = await postgresCpuSeconds(url);
    const compiled = await runCompiledIngest(url, mkdtempSync(path.join(home, 'compiled-')), file);
    const compiledCpu = cpuSince(compiledCpuBefore, await postgresCpuSeconds(url));
    if (compiled.summary.accepted !== f.accepted) throw new Error('the two runs disagree');
    console.log(
      `  as \`npm start\` runs it (dist/, ${compiled.heapFlags.join(' ') || 'no heap flag'}): ` +
        `${compiled.seconds.toFixed(1)} s, ${(compiled.seconds / floorSeconds).toFixed(2)}x the floor, ` +
        `peak ${compiled.peakMb.toFixed(0)} MB resident (VmHWM), CPU seconds Postgres ${compiledCpu}, ` +
        `Node ${compiled.cpuSeconds.toFixed(1)}`,
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
    await adminQuery(base, `drop database if exists intake_bench_${process.pid} with (force)`);
  }
}

const base = await serverUrl();
if (only !== 'reference') {
  const template = await seededTemplate(base);
  for (const count of bigRows === null ? [rows] : [rows, bigRows]) await benchIngest(base, template, count);
}
if (only !== 'ingest') await benchReferenceLoad(base, students, pastEnrolments);
