/**
 * `intake reference load` of 4 authorities, 160 schools, the students and their past enrolments
 * (the enrolment bench's scale), into a freshly migrated database, beside the floor: `\copy` of
 * the same four files into tables of the files' shape, with their keys, in a schema of their own.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openApp } from '../src/app.ts';
import { loadReference } from '../src/reference/load.ts';
import {
  adminQuery,
  cloneDatabase,
  databaseExists,
  dataFolder,
  dropStaleTemplates,
  sampleMemory,
  templateName,
  timePsql,
  withDatabase,
} from './bench-db.ts';

const authorities = ['A.0001', 'A.0002', 'A.0094', 'A.0230'];
const schoolsPerAuthority = 40;
const school = (authority: number, index: number) => `S.${String((authority + 1) * 100 + 1 + index).padStart(4, '0')}`;

async function writeLines(file: string, header: string, count: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(`${file}.part`);
  out.write(`${header}\n`);
  for (let i = 0; i < count; i++) if (!out.write(`${line(i)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  renameSync(`${file}.part`, file);
}

/** The four files, kept between runs; one student in 500 is a secondary ASN of the one before. */
async function referenceFiles(students: number, enrolments: number): Promise<string> {
  const folder = path.join(dataFolder(), `reference-${students}-${enrolments}`);
  if (existsSync(path.join(folder, 'enrolments.csv'))) return folder;
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    path.join(folder, 'authorities.csv'),
    `code,name,nationally_contracted,international,active,usage_agreement_signed,email_domains\n${authorities
      .map((code, a) => `${code},Authority ${a},${a === 2},${a === 3},true,${a !== 2},a${a}.example.ca`)
      .join('\n')}\n`,
  );
  writeFileSync(
    path.join(folder, 'schools.csv'),
    `code,authority_code,name,email_domains\n${authorities
      .flatMap((code, a) =>
        Array.from(
          { length: schoolsPerAuthority },
          (_, s) => `${school(a, s)},${code},School ${s},s${s}.a${a}.example.ca`,
        ),
      )
      .join('\n')}\n`,
  );
  const asn = (i: number) => String(100000001 + i);
  const day = (from: string, days: number) => new Date(Date.parse(from) + days * 86_400_000).toISOString().slice(0, 10);
  await writeLines(
    path.join(folder, 'students.csv'),
    'asn,primary_asn,last_name,first_name,middle_name,birth_date,created_by,created_on,deactivated',
    students,
    (i) =>
      `${asn(i)},${i % 500 === 499 ? asn(i - 1) : ''},Last${i},First${i},${i % 3 === 0 ? 'Marie' : ''},` +
      `${day('2008-01-01', i % 3000)},${authorities[i % 4]},${day('2013-09-01', i % 365)},false`,
  );
  // Four per student, one in each authority's schools; a secondary ASN's go onto its primary.
  await writeLines(
    path.join(folder, 'enrolments.csv'),
    'asn,school_code,entry_date,exit_date,grade,enrolment_type,deleted',
    enrolments,
    (n) => {
      const k = Math.floor(n / 4);
      const entry = day('2018-09-01', (n % 4) * 365);
      const place = school((n + k) % 4, n % schoolsPerAuthority);
      return `${asn(k % students)},${place},${entry},${day(entry, 300)},${1 + (k % 12)},Primary,false`;
    },
  );
  return folder;
}

function floorScript(folder: string): string {
  const file = (name: string) => path.join(folder, `${name}.csv`);
  return `drop schema if exists ref_floor cascade;
create schema ref_floor;
set search_path = ref_floor;
create table authority (code text primary key, name text, nationally_contracted boolean, international boolean,
  active boolean, usage_agreement_signed boolean, email_domains text);
create table school (code text primary key, authority_code text, name text, email_domains text);
create table student (asn text primary key, primary_asn text, last_name text, first_name text, middle_name text,
  birth_date date, created_by text, created_on date, deactivated boolean);
create table enrolment (asn text, school_code text, entry_date date, exit_date date, grade text, enrolment_type text,
  deleted boolean, primary key (asn, school_code, entry_date));
\\copy authority from '${file('authorities')}' with (format csv, header true)
\\copy school from '${file('schools')}' with (format csv, header true)
\\copy student from '${file('students')}' with (format csv, header true)
\\copy enrolment from '${file('enrolments')}' with (format csv, header true)
`;
}

export async function benchReferenceLoad(base: string, students: number, enrolments: number): Promise<void> {
  const folder = await referenceFiles(students, enrolments);
  const empty = templateName('intake_bench_migrated');
  await dropStaleTemplates(base, 'intake_bench_migrated', empty);
  if (!(await databaseExists(base, empty))) {
    await adminQuery(base, `create database ${empty}_part`);
    const home = mkdtempSync(path.join(tmpdir(), 'intake-bench-'));
    const setup = await openApp({ databaseUrl: withDatabase(base, `${empty}_part`), home, logLevel: 'warn' });
    await setup.close();
    rmSync(home, { recursive: true, force: true });
    await adminQuery(base, `alter database ${empty}_part rename to ${empty}`);
  }
  const url = await cloneDatabase(base, empty, `intake_bench_reference_${process.pid}`);
  const home = mkdtempSync(path.join(tmpdir(), 'intake-bench-'));
  try {
    await adminQuery(url, 'checkpoint');
    const floorSeconds = timePsql(url, floorScript(folder));
    await adminQuery(url, 'drop schema ref_floor cascade; checkpoint');
    const app = await openApp({ databaseUrl: url, home, logLevel: 'warn' });
    global.gc?.();
    const memory = sampleMemory();
    const started = Date.now();
    const report = await loadReference(app.db, folder);
    const seconds = (Date.now() - started) / 1000;
    const peak = memory.stop();
    await app.close();
    console.log(`\nreference load (${JSON.stringify(report.counts)}; ${report.problems.length} problems)`);
    for (const problem of report.problems.slice(0, 5)) console.log(`  problem: ${problem}`);
    console.log(`  \\copy of the four files into keyed tables: ${floorSeconds.toFixed(1)} s`);
    console.log(
      `  intake reference load:                      ${seconds.toFixed(1)} s, ` +
        `${(seconds / floorSeconds).toFixed(2)}x the floor; peak ${peak.rssMb.toFixed(0)} MB resident`,
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
    await adminQuery(base, `drop database if exists intake_bench_reference_${process.pid} with (force)`);
  }
}
