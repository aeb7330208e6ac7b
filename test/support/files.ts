import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Database, Queryable } from '../../src/db/database.ts';
import { loadReference } from '../../src/reference/load.ts';

/** Writes `name: content` files into a folder and returns its path. */
export function writeFiles(folder: string, files: Record<string, string | Buffer>): string {
  mkdirSync(folder, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(folder, name), content);
  return folder;
}

export function csv(rows: (string | number)[][]): string {
  return `${rows.map((row) => row.join(',')).join('\n')}\n`;
}

export interface ReportRow {
  line: string;
  status: string;
  code: string;
  message: string;
  asn: string;
}

export function readReport(file: string): ReportRow[] {
  return parse(readFileSync(file), { columns: true }) as ReportRow[];
}

/** The header rows of the reference files (`intake reference load`), for tests that write their own. */
export const referenceHeaders = {
  authorities: [
    'code',
    'name',
    'nationally_contracted',
    'international',
    'active',
    'usage_agreement_signed',
    'email_domains',
  ],
  schools: ['code', 'authority_code', 'name', 'email_domains'],
  students: [
    'asn',
    'primary_asn',
    'last_name',
    'first_name',
    'middle_name',
    'birth_date',
    'created_by',
    'created_on',
    'deactivated',
  ],
  enrolments: ['asn', 'school_code', 'entry_date', 'exit_date', 'grade', 'enrolment_type', 'deleted'],
};

/** A small reference set: a regular authority, a Low one and a High one, with a few students. */
export async function loadSmallReference(db: Database, folder: string): Promise<void> {
  writeFiles(folder, {
    'authorities.csv': csv([
      referenceHeaders.authorities,
      ['A.0001', 'Edmonton Public', 'false', 'false', 'true', 'true', 'epsb.ca'],
      ['A.0094', 'Nunavut - Department of Education', 'true', 'false', 'true', 'false', 'gov.nu.ca'],
      ['A.0230', 'The International School of Macao', 'false', 'true', 'true', 'true', 'tis.edu.mo'],
    ]),
    'schools.csv': csv([
      referenceHeaders.schools,
      ['S.0001', 'A.0001', 'Strathcona High', ''],
      ['S.0094', 'A.0094', 'Inuksuk High', ''],
      ['S.0230', 'A.0230', 'TIS Macao', ''],
    ]),
    'students.csv': csv([
      referenceHeaders.students,
      ['100000001', '', 'Doe', 'Jane', '', '2012-01-01', '', '', 'false'],
      ['100000002', '100000001', 'Doe', 'Jane', '', '2012-01-01', '', '', 'false'],
      ['100000003', '', 'Tremblay', 'Éloïse', '', '2011-05-05', '', '', 'false'],
    ]),
    'enrolments.csv': csv([
      referenceHeaders.enrolments,
      ['100000001', 'S.0001', '2025-09-01', '', '6', 'Primary', 'false'],
      ['100000003', 'S.0094', '2024-09-01', '2026-06-30', '8', 'Primary', 'false'],
    ]),
  });
  const report = await loadReference(db, folder);
  if (report.problems.length > 0) throw new Error(report.problems.join('\n'));
}

export async function count(db: Queryable, sql: string, values: unknown[] = []): Promise<number> {
  const result = await db.query<{ n: string }>(sql, values);
  return Number(result.rows[0]?.n ?? 0);
}
