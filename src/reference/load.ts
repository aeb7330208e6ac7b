import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Database, Queryable } from '../db/database.ts';
import { parseAuthorityCode, parseSchoolCode } from '../validate/values.ts';
import { batches, bool, type LoadContext } from './csv-batches.ts';
import { loadEnrolments } from './load-enrolments.ts';
import { loadStudents } from './load-students.ts';

export interface LoadReport {
  counts: Record<string, number>;
  problems: string[];
  /** What linking secondary ASNs to their primaries had to decide (the same enrolment under both…). */
  merges: string[];
}

/**
 * After each batch of a file is written (in the file's transaction), for a caller showing progress:
 * rows read so far in this pass and the line the last ended on (the header is line 1). `students`
 * has two passes: loading it, then linking secondary ASNs to their primaries.
 */
export type ReferenceProgress = { file: string; path: string; pass: 'load' | 'link'; rowsDone: number; line: number };

const list = (text: string) =>
  text
    .split(';')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

async function loadAuthorities(db: Queryable, file: string, { problems, batchDone }: LoadContext): Promise<number> {
  let count = 0;
  for await (const batch of batches(
    file,
    ['code', 'name', 'nationally_contracted', 'international', 'active', 'usage_agreement_signed', 'email_domains'],
    batchDone('load'),
  )) {
    const rows = batch.flatMap(({ line, fields }) => {
      const [codeText, name, national, international, active, signed, domains] = fields as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const where = () => `authorities.csv line ${line}`;
      const code = parseAuthorityCode(codeText);
      if (!code) {
        problems.push(`${where()}: "${codeText}" is not an authority code (A.NNNN)`);
        return [];
      }
      return [
        [
          code,
          name,
          bool(national, where, problems),
          bool(international, where, problems),
          bool(active, where, problems),
          bool(signed, where, problems),
          `{${list(domains)
            .map((d) => JSON.stringify(d))
            .join(',')}}`,
        ],
      ];
    });
    await db.query(
      `insert into authority (code, name, nationally_contracted, international, active, usage_agreement_signed,
        email_domains)
       select t.c, t.n, t.nc, t.i, t.a, t.u, t.d::text[] from unnest($1::text[], $2::text[], $3::bool[], $4::bool[],
         $5::bool[], $6::bool[], $7::text[]) as t (c, n, nc, i, a, u, d)
       on conflict (code) do update set name = excluded.name, nationally_contracted = excluded.nationally_contracted,
         international = excluded.international,
         active = excluded.active, usage_agreement_signed = excluded.usage_agreement_signed, email_domains =
           excluded.email_domains`,
      [0, 1, 2, 3, 4, 5, 6].map((i) => rows.map((r) => r[i])),
    );
    count += rows.length;
  }
  return count;
}

async function loadSchools(db: Queryable, file: string, { problems, batchDone }: LoadContext): Promise<number> {
  let count = 0;
  for await (const batch of batches(file, ['code', 'authority_code', 'name', 'email_domains'], batchDone('load'))) {
    const rows = batch.flatMap(({ line, fields }) => {
      const [codeText, authorityText, name, domains] = fields as [string, string, string, string];
      const code = parseSchoolCode(codeText);
      const authority = parseAuthorityCode(authorityText);
      if (!code || !authority) {
        problems.push(`schools.csv line ${line}: bad school or authority code`);
        return [];
      }
      return [
        [
          code,
          authority,
          name,
          `{${list(domains)
            .map((d) => JSON.stringify(d))
            .join(',')}}`,
        ],
      ];
    });
    await db.query(
      `insert into school (code, authority_code, name, email_domains)
       select t.c, t.a, t.n, t.d::text[] from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as t (c, a, n, d)
       on conflict (code) do update set authority_code = excluded.authority_code, name = excluded.name, email_domains
         = excluded.email_domains`,
      [0, 1, 2, 3].map((i) => rows.map((r) => r[i])),
    );
    count += rows.length;
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
