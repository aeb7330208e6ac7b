import type { Queryable } from '../db/database.ts';
import { EnrolmentSnapshot } from '../reference/enrolment-snapshot.ts';
import { loadReferenceCache } from '../reference/reference-cache.ts';
import { associations } from '../rules/associations.ts';
import type { RulesSaw } from '../rules/enrolment-row.ts';
import type { Association, RuleWindows } from '../rules/facts.ts';
import { restrictionLevel } from '../rules/restriction.ts';
import { checkRulesSaw } from '../validate/rules-saw.ts';
import { checkStoredRow, type StoredRow } from '../validate/stored-row.ts';
import { getItem, type QueueItem } from './queue-queries.ts';

interface StudentSummary {
  asn: string;
  primaryAsn: string;
  lastName: string;
  firstName: string;
  middleName: string | null;
  birthDate: string | null;
  deactivated: boolean;
}

interface EnrolmentSummary {
  schoolCode: string;
  schoolName: string;
  authorityCode: string;
  entryDate: string;
  exitDate: string | null;
  grade: string;
}

interface ConnectionSummary {
  email: string;
  requester: string;
  status: string;
  schoolCode: string;
  statusChangedAt: Date;
}

/** Everything Student Records needs to decide an item: the row, what the rules saw, and the student as they are now. */
export interface ItemDetail {
  item: QueueItem;
  /**
   * The row as normalised when it was read (the file's own words are in the archive), checked again
   * as read back: null when what is stored does not pass, and `rowProblem` says why.
   */
  row: StoredRow['row'] | null;
  rowProblem: string | null;
  /** What the rules saw, checked as read back: null when it is damaged or not on record (`sawProblem`). */
  saw: RulesSaw | null;
  sawProblem: string | null;
  student: StudentSummary | null;
  /** The item's authority's associations with the student today. */
  associationsNow: Association[];
  recentEnrolments: EnrolmentSummary[];
  connections: ConnectionSummary[];
  /** For a possible duplicate: the students with the same names and birth date. */
  matchingStudents: StudentSummary[];
}

async function studentsByAsn(db: Queryable, asns: string[]): Promise<StudentSummary[]> {
  if (asns.length === 0) return [];
  const result = await db.query<{
    asn: string;
    primary_asn: string | null;
    last_name: string;
    first_name: string;
    middle_name: string | null;
    birth_date: string | null;
    deactivated: boolean;
  }>(
    `select asn, primary_asn, last_name, first_name, middle_name, birth_date::text, deactivated
       from student
      where asn = any($1::text[])
      order by asn`,
    [asns],
  );
  return result.rows.map((s) => ({
    asn: s.asn,
    primaryAsn: s.primary_asn ?? s.asn,
    lastName: s.last_name,
    firstName: s.first_name,
    middleName: s.middle_name,
    birthDate: s.birth_date,
    deactivated: s.deactivated,
  }));
}

export async function getItemDetail(
  db: Queryable,
  id: number,
  windows: RuleWindows,
  today: string,
): Promise<ItemDetail | null> {
  const item = await getItem(db, id);
  if (!item) return null;
  const stored = await db.query<{ row_data: unknown; saw: unknown }>(
    'select row_data, saw from referral where id = $1',
    [id],
  );
  const checkedRow = checkStoredRow(item.kind, stored.rows[0]?.row_data);
  const checkedSaw = checkRulesSaw(stored.rows[0]?.saw);
  const row = checkedRow.ok ? checkedRow.row.row : null;
  const rowProblem = checkedRow.ok
    ? null
    : `The row stored for this item is damaged (${checkedRow.problem.code}): ${checkedRow.problem.message}`;
  const saw = checkedSaw.ok ? checkedSaw.saw : null;
  const sawProblem = checkedSaw.ok ? null : checkedSaw.problem;
  const [student] = item.asn ? await studentsByAsn(db, [item.asn]) : [];
  const matchingStudents = await studentsByAsn(db, saw?.matchingAsns ?? []);

  let associationsNow: Association[] = [];
  let recentEnrolments: EnrolmentSummary[] = [];
  let connections: ConnectionSummary[] = [];
  if (student) {
    const reference = await loadReferenceCache(db);
    const authority = reference.authorities.get(item.authorityCode);
    if (authority) {
      const snapshot = new EnrolmentSnapshot(today, authority, windows, reference.schoolAuthority);
      await snapshot.load(db, [student.primaryAsn], []);
      associationsNow = associations(
        snapshot.facts(student.primaryAsn),
        authority.code,
        restrictionLevel(authority),
        today,
        windows,
      );
    }
    const enrolments = await db.query<{
      school_code: string;
      school_name: string;
      authority_code: string;
      entry_date: string;
      exit_date: string | null;
      grade: string;
    }>(
      `select e.school_code, s.name as school_name, s.authority_code, e.entry_date::text, e.exit_date::text, e.grade
         from enrolment e join school s on s.code = e.school_code
        where e.asn = $1 and not e.deleted order by e.entry_date desc limit 10`,
      [student.primaryAsn],
    );
    recentEnrolments = enrolments.rows.map((e) => ({
      schoolCode: e.school_code,
      schoolName: e.school_name,
      authorityCode: e.authority_code,
      entryDate: e.entry_date,
      exitDate: e.exit_date,
      grade: e.grade,
    }));
    if (item.kind === 'access') {
      const found = await db.query<{
        email: string;
        requester: string;
        status: string;
        school_code: string;
        status_changed_at: Date;
      }>(
        `select email, requester, status, school_code, status_changed_at
           from connection
          where asn = $1
          order by status_changed_at desc
          limit 20`,
        [student.primaryAsn],
      );
      connections = found.rows.map((c) => ({
        email: c.email,
        requester: c.requester,
        status: c.status,
        schoolCode: c.school_code,
        statusChangedAt: c.status_changed_at,
      }));
    }
  }
  return {
    item,
    row,
    rowProblem,
    saw,
    sawProblem,
    student: student ?? null,
    associationsNow,
    recentEnrolments,
    connections,
    matchingStudents,
  };
}
