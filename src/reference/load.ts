import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import type { Database, Queryable } from '../db/database.ts';
import {
  parseAsn,
  parseAuthorityCode,
  parseBoolean,
  parseDate,
  parseGrade,
  parseSchoolCode,
  studentMatchKey,
} from '../validate/values.ts';
import { mergeLinkedStudents } from './merge-students.ts';

export interface LoadReport {
  counts: Record<string, number>;
  problems: string[];
  /** What linking secondary ASNs to their primaries had to decide (the same enrolment under both…). */
  merges: string[];
}

/**
 * After each batch of a file is written (in the file's transaction), for a caller showing progress:
 * rows read so far in this pass and the line the last ended on (the header is line 1). `students`
 * is read twice: to load it, then to link secondary ASNs to their primaries.
 */
export type ReferenceProgress = { file: string; path: string; pass: 'load' | 'link'; rowsDone: number; line: number };
type BatchDone = (rowsDone: number, line: number) => void;
type LoadContext = { problems: string[]; merges: string[]; batchDone: (pass: ReferenceProgress['pass']) => BatchDone };

type Row = Record<string, string>;
const batchSize = 5000;

async function* batches(
  file: string,
  columns: string[],
  done: BatchDone,
): AsyncGenerator<{ line: number; row: Row }[]> {
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      info: true,
      trim: true,
    }),
  );
  let batch: { line: number; row: Row }[] = [];
  let checked = false;
  let rows = 0;
  // The consumer asks for the next batch once it has written this one: told then, not when read.
  const hand = async function* (ready: { line: number; row: Row }[]) {
    yield ready;
    rows += ready.length;
    done(rows, ready.at(-1)?.line ?? 0);
  };
  for await (const { record, info } of parser as AsyncIterable<{ record: Row; info: { lines: number } }>) {
    if (!checked) {
      const missing = columns.filter((c) => !(c in record));
      if (missing.length > 0)
        throw new Error(
          `${path.basename(file)}: missing column(s) ${missing.join(', ')}; expected ${columns.join(', ')}.`,
        );
      checked = true;
    }
    batch.push({ line: info.lines, row: record });
    if (batch.length >= batchSize) {
      yield* hand(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield* hand(batch);
}

const list = (text: string | undefined) =>
  (text ?? '')
    .split(';')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

function bool(value: string | undefined, where: string, problems: string[]): boolean {
  const parsed = parseBoolean(value ?? '');
  if (parsed === null) problems.push(`${where}: "${value}" is not true or false`);
  return parsed ?? false;
}

async function loadAuthorities(db: Queryable, file: string, { problems, batchDone }: LoadContext): Promise<number> {
  let count = 0;
  for await (const batch of batches(
    file,
    ['code', 'name', 'nationally_contracted', 'international', 'active', 'usage_agreement_signed', 'email_domains'],
    batchDone('load'),
  )) {
    const rows = batch.flatMap(({ line, row }) => {
      const where = `authorities.csv line ${line}`;
      const code = parseAuthorityCode(row.code ?? '');
      if (!code) {
        problems.push(`${where}: "${row.code}" is not an authority code (A.NNNN)`);
        return [];
      }
      return [
        [
          code,
          row.name ?? '',
          bool(row.nationally_contracted, where, problems),
          bool(row.international, where, problems),
          bool(row.active, where, problems),
          bool(row.usage_agreement_signed, where, problems),
          `{${list(row.email_domains)
            .map((d) => JSON.stringify(d))
            .join(',')}}`,
        ],
      ];
    });
    await db.query(
      `insert into authority (code, name, nationally_contracted, international, active, usage_agreement_signed, email_domains)
       select t.c, t.n, t.nc, t.i, t.a, t.u, t.d::text[] from unnest($1::text[], $2::text[], $3::bool[], $4::bool[], $5::bool[], $6::bool[], $7::text[]) as t (c, n, nc, i, a, u, d)
       on conflict (code) do update set name = excluded.name, nationally_contracted = excluded.nationally_contracted, international = excluded.international,
         active = excluded.active, usage_agreement_signed = excluded.usage_agreement_signed, email_domains = excluded.email_domains`,
      [0, 1, 2, 3, 4, 5, 6].map((i) => rows.map((r) => r[i])),
    );
    count += rows.length;
  }
  return count;
}

async function loadSchools(db: Queryable, file: string, { problems, batchDone }: LoadContext): Promise<number> {
  let count = 0;
  for await (const batch of batches(file, ['code', 'authority_code', 'name', 'email_domains'], batchDone('load'))) {
    const rows = batch.flatMap(({ line, row }) => {
      const code = parseSchoolCode(row.code ?? '');
      const authority = parseAuthorityCode(row.authority_code ?? '');
      if (!code || !authority) {
        problems.push(`schools.csv line ${line}: bad school or authority code`);
        return [];
      }
      return [
        [
          code,
          authority,
          row.name ?? '',
          `{${list(row.email_domains)
            .map((d) => JSON.stringify(d))
            .join(',')}}`,
        ],
      ];
    });
    await db.query(
      `insert into school (code, authority_code, name, email_domains)
       select t.c, t.a, t.n, t.d::text[] from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as t (c, a, n, d)
       on conflict (code) do update set authority_code = excluded.authority_code, name = excluded.name, email_domains = excluded.email_domains`,
      [0, 1, 2, 3].map((i) => rows.map((r) => r[i])),
    );
    count += rows.length;
  }
  return count;
}

const studentColumns = [
  'asn',
  'primary_asn',
  'last_name',
  'first_name',
  'middle_name',
  'birth_date',
  'created_by',
  'created_on',
  'deactivated',
];

async function loadStudents(db: Queryable, file: string, context: LoadContext): Promise<number> {
  const { problems, merges, batchDone } = context;
  let count = 0;
  for await (const batch of batches(file, studentColumns, batchDone('load'))) {
    const rows = batch.flatMap(({ line, row }) => {
      const where = `students.csv line ${line}`;
      const asn = parseAsn(row.asn ?? '');
      const birth = row.birth_date ? parseDate(row.birth_date) : null;
      const createdOn = row.created_on ? parseDate(row.created_on) : null;
      if (!asn || !row.last_name || !row.first_name) {
        problems.push(`${where}: needs a valid asn, last_name and first_name`);
        return [];
      }
      if ((row.birth_date && !birth) || (row.created_on && !createdOn)) {
        problems.push(`${where}: a date is not YYYY-MM-DD`);
        return [];
      }
      return [
        [
          asn,
          row.last_name,
          row.first_name,
          row.middle_name || null,
          birth,
          studentMatchKey(row.first_name, row.last_name, birth ?? ''),
          parseAuthorityCode(row.created_by ?? ''),
          createdOn,
          bool(row.deactivated, where, problems),
        ],
      ];
    });
    await db.query(
      `insert into student (asn, last_name, first_name, middle_name, birth_date, match_key, created_by, created_on, deactivated)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::text[], $7::text[], $8::date[], $9::bool[])
       on conflict (asn) do update set last_name = excluded.last_name, first_name = excluded.first_name, middle_name = excluded.middle_name,
         birth_date = excluded.birth_date, match_key = excluded.match_key, created_by = excluded.created_by, created_on = excluded.created_on,
         deactivated = excluded.deactivated`,
      [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => rows.map((r) => r[i])),
    );
    count += rows.length;
  }
  // Second pass: secondary ASNs point at primaries that are all present now.
  for await (const batch of batches(file, studentColumns, batchDone('link'))) {
    const links = batch.flatMap(({ row }) => {
      const asn = parseAsn(row.asn ?? '');
      const primary = row.primary_asn ? parseAsn(row.primary_asn) : null;
      return asn ? [[asn, primary]] : [];
    });
    const changed = await db.query<{ secondary: string; primary: string | null }>(
      `update student s set primary_asn = t.p from unnest($1::text[], $2::text[]) as t (a, p)
        where s.asn = t.a and s.primary_asn is distinct from t.p
       returning s.asn as secondary, t.p as primary`,
      [links.map((l) => l[0]), links.map((l) => l[1])],
    );
    // What was kept under an ASN that is now secondary moves onto its primary, where the rules look.
    const linked = changed.rows.flatMap((r) =>
      r.primary === null ? [] : [{ secondary: r.secondary, primary: r.primary }],
    );
    merges.push(...(await mergeLinkedStudents(db, linked)));
  }
  return count;
}

async function loadEnrolments(db: Queryable, file: string, { problems, batchDone }: LoadContext): Promise<number> {
  let count = 0;
  for await (const batch of batches(
    file,
    ['asn', 'school_code', 'entry_date', 'exit_date', 'grade', 'enrolment_type', 'deleted'],
    batchDone('load'),
  )) {
    const rows = batch.flatMap(({ line, row }) => {
      const where = `enrolments.csv line ${line}`;
      const asn = parseAsn(row.asn ?? '');
      const school = parseSchoolCode(row.school_code ?? '');
      const entry = parseDate(row.entry_date ?? '');
      const exit = row.exit_date ? parseDate(row.exit_date) : null;
      const grade = parseGrade(row.grade ?? '');
      if (!asn || !school || !entry || (row.exit_date && !exit) || !grade) {
        problems.push(`${where}: needs asn, school_code, entry_date, grade in their forms`);
        return [];
      }
      return [[asn, school, entry, exit, grade, row.enrolment_type ?? '', bool(row.deleted, where, problems)]];
    });
    const result = await db.query(
      `insert into enrolment (asn, school_code, entry_date, exit_date, grade, enrolment_type, deleted)
       select coalesce(s.primary_asn, s.asn), t.sc, t.en, t.ex, t.g, t.ty, t.d
         from unnest($1::text[], $2::text[], $3::date[], $4::date[], $5::text[], $6::text[], $7::bool[]) as t (a, sc, en, ex, g, ty, d)
         join student s on s.asn = t.a
         join school on school.code = t.sc
       on conflict (asn, school_code, entry_date) do update set exit_date = excluded.exit_date, grade = excluded.grade,
         enrolment_type = excluded.enrolment_type, deleted = excluded.deleted`,
      [0, 1, 2, 3, 4, 5, 6].map((i) => rows.map((r) => r[i])),
    );
    if ((result.rowCount ?? 0) < rows.length)
      problems.push(
        `enrolments.csv: ${rows.length - (result.rowCount ?? 0)} row(s) near line ${batch[0]?.line} name an unknown ASN or school`,
      );
    count += result.rowCount ?? 0;
  }
  return count;
}

/** `intake reference load DIR`: loads or updates what changed; each file in one transaction. */
export async function loadReference(
  db: Database,
  folder: string,
  onProgress?: (progress: ReferenceProgress) => void,
): Promise<LoadReport> {
  const problems: string[] = [];
  const merges: string[] = [];
  const counts: Record<string, number> = {};
  const steps = [
    ['authorities', loadAuthorities],
    ['schools', loadSchools],
    ['students', loadStudents],
    ['enrolments', loadEnrolments],
  ] as const;
  for (const [name, load] of steps) {
    const file = path.join(folder, `${name}.csv`);
    if (!existsSync(file)) continue;
    const batchDone = (pass: ReferenceProgress['pass']) => (rowsDone: number, line: number) =>
      onProgress?.({ file: name, path: file, pass, rowsDone, line });
    counts[name] = await db.transaction((client) => load(client, file, { problems, merges, batchDone }));
  }
  if (Object.keys(counts).length === 0)
    problems.push(`${folder} holds none of authorities.csv, schools.csv, students.csv, enrolments.csv`);
  return { counts, problems, merges };
}
