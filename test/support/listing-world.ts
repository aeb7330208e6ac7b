import path from 'node:path';
import { ingestFile } from '../../pipelines/ingest.ts';
import type { Database } from '../../src/db/database.ts';
import { loadReference } from '../../src/reference/load.ts';
import { addDays, todayIn } from '../../src/validate/dates.ts';
import type { TestApp } from './database.ts';
import { csv, referenceHeaders, writeFiles } from './files.ts';

/**
 * A world for connections listings, dated from today (listings are of today's associations):
 * A.0001 (S.0101, S.0102) and A.0002 (S.0201) share a student; A.0002 alone sees two students,
 * one of whom A.0001 enrolled too long ago to be associated still; A.0230 has no student at all.
 */
export const today = todayIn();
const daysAgo = (days: number) => addDays(today, -days);

export const students = {
  zeller: '100000001',
  abbott: '100000002',
  evil: '100000003',
  hidden: '100000004',
  former: '100000005',
  shared: '100000006',
} as const;

export async function loadListingWorld(db: Database, folder: string): Promise<void> {
  writeFiles(folder, {
    'authorities.csv': csv([
      referenceHeaders.authorities,
      ['A.0001', 'Edmonton Public', 'false', 'false', 'true', 'true', 'epsb.example.ca'],
      ['A.0002', 'Calgary Catholic', 'false', 'false', 'true', 'true', 'cssd.example.ca'],
      ['A.0230', 'The International School of Macao', 'false', 'true', 'true', 'true', 'tis.example.edu.mo'],
    ]),
    'schools.csv': csv([
      referenceHeaders.schools,
      ['S.0101', 'A.0001', 'Strathcona High', ''],
      ['S.0102', 'A.0001', 'Vimy Ridge Academy', ''],
      ['S.0201', 'A.0002', 'St. Francis Xavier', ''],
      ['S.2301', 'A.0230', 'TIS Macao', ''],
    ]),
    'students.csv': csv([
      referenceHeaders.students,
      [students.zeller, '', 'Zeller', 'Alice', '', '2010-01-01', '', '', 'false'],
      [students.abbott, '', 'Abbott', 'Bob', '', '2010-02-02', '', '', 'false'],
      [students.evil, '', '=Evil', 'Eve', '', '2010-03-03', '', '', 'false'],
      [students.hidden, '', 'Hidden', 'Hugo', '', '2010-04-04', '', '', 'false'],
      [students.former, '', 'Former', 'Fay', '', '2010-05-05', '', '', 'false'],
      [students.shared, '', 'Shared', 'Sam', '', '2010-06-06', '', '', 'false'],
    ]),
    'enrolments.csv': csv([
      referenceHeaders.enrolments,
      [students.zeller, 'S.0101', daysAgo(400), '', '10', 'Primary', 'false'],
      [students.abbott, 'S.0102', daysAgo(400), '', '10', 'Primary', 'false'],
      [students.evil, 'S.0101', daysAgo(400), '', '10', 'Primary', 'false'],
      [students.hidden, 'S.0201', daysAgo(400), '', '10', 'Primary', 'false'],
      // Left A.0001 over two years ago: a historical enrolment, no association.
      [students.former, 'S.0101', daysAgo(1500), daysAgo(800), '7', 'Primary', 'false'],
      [students.former, 'S.0201', daysAgo(790), '', '9', 'Primary', 'false'],
      [students.shared, 'S.0101', daysAgo(400), '', '10', 'Primary', 'false'],
      [students.shared, 'S.0201', daysAgo(400), '', '10', 'Shared', 'false'],
    ]),
  });
  const report = await loadReference(db, folder);
  if (report.problems.length > 0) throw new Error(report.problems.join('\n'));
}

const header = 'action,asn,school_code,requester,relationship,name,email,language,replace';

/** Processes an access-code file of `authority` as of today; returns the processed file. */
export async function ingestAccess(app: TestApp, name: string, rows: string[], authority: string) {
  const source = path.join(
    writeFiles(path.join(app.home, 'drop'), { [name]: `${[header, ...rows].join('\n')}\n` }),
    name,
  );
  const result = await ingestFile(app, source, authority, 'access', today);
  if (result.outcome !== 'processed') throw new Error(`${name}: ${result.outcome}`);
  return result.file;
}
