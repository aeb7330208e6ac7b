import type { EnrolmentDelete, EnrolmentWrite, NewStudent } from '../src/persist/enrolment-writes.ts';
import type { AuditEntry } from '../src/persist/row-outcomes.ts';
import type { EnrolmentSnapshot } from '../src/reference/enrolment-snapshot.ts';
import { type DecisionBasis, decideEnrolmentRow } from '../src/rules/enrolment-row.ts';
import type { EnrolmentRow } from '../src/validate/enrolment-row.ts';
import { formatAsn, studentMatchKey } from '../src/validate/values.ts';
import type { AppliedRow, RowTarget } from './chunk.ts';

const acceptedMessages = {
  ENROLMENT_CREATED: 'Enrolment created.',
  ENROLMENT_UPDATED: 'Enrolment updated.',
  ENROLMENT_DELETED: 'Enrolment deleted.',
} as const;

/** What a chunk accepted, in order, as its snapshot learnt it: the next chunk's lookups may not see it yet. */
export type Change =
  | { student: string; matchKey: string; createdBy: string; createdOn: string }
  | { enrolment: string; schoolCode: string; entryDate: string; exitDate: string | null; deleted: boolean };

/** A chunk's rows decided, and what deciding them would write. */
export interface DecidedChunk {
  results: AppliedRow[];
  students: NewStudent[];
  writes: EnrolmentWrite[];
  deletes: EnrolmentDelete[];
  audit: AuditEntry[];
  changes: Change[];
}

const matchKeyOf = (row: EnrolmentRow) => studentMatchKey(row.firstName ?? '', row.lastName ?? '', row.birthDate ?? '');

/** The sorted match keys of the rows asking for a new student (each once). */
export const matchKeysOf = (rows: EnrolmentRow[]) =>
  [...new Set(rows.flatMap((row) => (row.asn ? [] : [matchKeyOf(row)])))].sort();

/**
 * The previous chunk's changes, onto a snapshot read before that chunk committed (its lookups
 * may or may not have seen them; applying them again changes nothing). Only what concerns this
 * chunk: a change to a student it names, to the primary of one it names, or a new student with
 * the names and birth date of one it asks to create.
 */
export function catchUp(
  snapshot: EnrolmentSnapshot,
  asns: ReadonlySet<string>,
  matchKeys: ReadonlySet<string>,
  changes: readonly Change[],
): void {
  for (const change of changes) {
    if ('student' in change) {
      if (asns.has(change.student))
        snapshot.addStudent(change.student, change.matchKey, change.createdBy, change.createdOn);
      else if (matchKeys.has(change.matchKey)) snapshot.addPotentialDuplicate(change.matchKey, change.student);
    } else if (snapshot.knows(change.enrolment)) {
      if (change.deleted) snapshot.markDeleted(change.enrolment, change.schoolCode, change.entryDate);
      else snapshot.recordEnrolment(change.enrolment, change.schoolCode, change.entryDate, change.exitDate, false);
    }
  }
}

/**
 * Decides checked enrolment rows in file order under the rules (docs/rules.md §3), each seeing
 * what the rows before it accepted, and gathers what to write. `allocate` hands out new ASNs
 * (taken in one block for the rest of the chunk's new-student rows).
 */
export async function decideRows(
  snapshot: EnrolmentSnapshot,
  rows: EnrolmentRow[],
  target: RowTarget,
  basis: DecisionBasis,
  allocate: (count: number) => Promise<string[]>,
): Promise<DecidedChunk> {
  const writes = new Map<string, EnrolmentWrite>();
  const deletes = new Map<string, EnrolmentDelete>();
  const students: NewStudent[] = [];
  const audit: AuditEntry[] = [];
  const changes: Change[] = [];
  const freeAsns: string[] = [];
  let newStudentRowsLeft = rows.filter((row) => row.asn === null).length;

  const results: AppliedRow[] = [];
  for (const row of rows) {
    if (row.asn === null) newStudentRowsLeft--;
    const decision = decideEnrolmentRow(row, snapshot, basis);
    if (decision.status === 'invalid') {
      results.push({
        outcome: { line: row.line, status: 'invalid', code: decision.code, message: decision.message, asn: row.asn },
      });
      continue;
    }
    if (decision.status === 'referred') {
      results.push({
        outcome: { line: row.line, status: 'referred', code: decision.code, message: decision.message, asn: row.asn },
        referral: { kind: 'enrolment', row, reason: decision.reason, reportedCode: decision.code, saw: decision.saw },
      });
      continue;
    }
    let primaryAsn: string;
    let message: string;
    if (decision.code === 'STUDENT_CREATED') {
      if (freeAsns.length === 0) freeAsns.push(...(await allocate(newStudentRowsLeft + 1)));
      primaryAsn = freeAsns.shift() as string;
      const matchKey = matchKeyOf(row);
      students.push({
        asn: primaryAsn,
        lastName: row.lastName ?? '',
        firstName: row.firstName ?? '',
        middleName: row.middleName,
        birthDate: row.birthDate ?? '',
        matchKey,
        createdBy: target.authorityCode,
        createdOn: target.asOf,
      });
      snapshot.addStudent(primaryAsn, matchKey, target.authorityCode, target.asOf);
      changes.push({ student: primaryAsn, matchKey, createdBy: target.authorityCode, createdOn: target.asOf });
      message = `Student created with ASN ${formatAsn(primaryAsn)}; enrolment created.`;
    } else {
      primaryAsn = decision.primaryAsn;
      message = acceptedMessages[decision.code];
      if (decision.externalAccess) {
        audit.push({
          actor: target.actor,
          action: 'external_access',
          asn: primaryAsn,
          fileId: target.fileId,
          line: row.line,
          detail: { school: row.schoolCode, entryDate: row.entryDate },
        });
      }
    }
    const key = `${primaryAsn}|${row.schoolCode}|${row.entryDate}`;
    if (row.action === 'delete') {
      snapshot.markDeleted(primaryAsn, row.schoolCode, row.entryDate);
      changes.push({
        enrolment: primaryAsn,
        schoolCode: row.schoolCode,
        entryDate: row.entryDate,
        exitDate: null,
        deleted: true,
      });
      const pending = writes.get(key);
      if (pending) pending.deleted = true;
      else deletes.set(key, { asn: primaryAsn, schoolCode: row.schoolCode, entryDate: row.entryDate });
    } else {
      snapshot.recordEnrolment(primaryAsn, row.schoolCode, row.entryDate, row.exitDate, false);
      changes.push({
        enrolment: primaryAsn,
        schoolCode: row.schoolCode,
        entryDate: row.entryDate,
        exitDate: row.exitDate,
        deleted: false,
      });
      deletes.delete(key);
      writes.set(key, {
        asn: primaryAsn,
        schoolCode: row.schoolCode,
        entryDate: row.entryDate,
        exitDate: row.exitDate,
        grade: row.grade ?? '',
        enrolmentType: row.enrolmentType ?? '',
        deleted: false,
      });
    }
    // The ASN as submitted: a secondary ASN's primary is not the uploader's to learn from us.
    results.push({
      outcome: {
        line: row.line,
        status: 'accepted',
        code: decision.code,
        message,
        asn: decision.code === 'STUDENT_CREATED' ? primaryAsn : row.asn,
      },
      primaryAsn,
    });
  }
  return { results, students, writes: [...writes.values()], deletes: [...deletes.values()], audit, changes };
}
