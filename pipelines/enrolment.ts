import type pg from 'pg';
import { lockKeys } from '../src/db/locks.ts';
import {
  allocateAsns,
  deleteEnrolments,
  type EnrolmentDelete,
  type EnrolmentWrite,
  insertStudents,
  type NewStudent,
  upsertEnrolments,
} from '../src/persist/enrolment-writes.ts';
import { type AuditEntry, insertAudit } from '../src/persist/row-outcomes.ts';
import { EnrolmentSnapshot } from '../src/reference/enrolment-snapshot.ts';
import { type DecisionBasis, decideEnrolmentRow } from '../src/rules/enrolment-row.ts';
import {
  checkEnrolmentRecord,
  type EnrolmentRow,
  enrolmentColumns,
  requiredEnrolmentColumns,
} from '../src/validate/enrolment-row.ts';
import { formatAsn, studentMatchKey } from '../src/validate/values.ts';
import { type AppliedRow, type ChunkSettings, defineKind, type RowTarget } from './chunk.ts';

const acceptedMessages = {
  ENROLMENT_CREATED: 'Enrolment created.',
  ENROLMENT_UPDATED: 'Enrolment updated.',
  ENROLMENT_DELETED: 'Enrolment deleted.',
} as const;

/** What the rules need besides the database: the authority's facts and the schools. */
export type RuleSettings = Pick<ChunkSettings, 'authority' | 'windows' | 'schools'>;

/**
 * Decides checked enrolment rows and writes the accepted ones in bulk, in the caller's
 * transaction: a file's chunk under the limited-access rules, or a row Student Records approved.
 */
export async function applyEnrolmentRows(
  client: pg.PoolClient,
  target: RowTarget,
  rows: EnrolmentRow[],
  rules: RuleSettings,
  basis: DecisionBasis,
): Promise<AppliedRow[]> {
  const snapshot = new EnrolmentSnapshot(target.asOf, rules.authority, rules.windows, rules.schools);
  const keyOf = (row: EnrolmentRow) => studentMatchKey(row.firstName ?? '', row.lastName ?? '', row.birthDate ?? '');
  const matchKeys = [...new Set(rows.flatMap((row) => (row.asn ? [] : [keyOf(row)])))].sort();
  // Two files creating the same person at once: the second waits, then sees the first's student.
  await lockKeys(client, matchKeys);
  await snapshot.load(
    client,
    rows.flatMap((row) => (row.asn ? [row.asn] : [])),
    matchKeys,
  );

  const writes = new Map<string, EnrolmentWrite>();
  const deletes = new Map<string, EnrolmentDelete>();
  const students: NewStudent[] = [];
  const audit: AuditEntry[] = [];
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
      // New ASNs are taken in one block for the rest of the chunk's new-student rows.
      if (freeAsns.length === 0) freeAsns.push(...(await allocateAsns(client, newStudentRowsLeft + 1)));
      primaryAsn = freeAsns.shift() as string;
      const matchKey = keyOf(row);
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
      const pending = writes.get(key);
      if (pending) pending.deleted = true;
      else deletes.set(key, { asn: primaryAsn, schoolCode: row.schoolCode, entryDate: row.entryDate });
    } else {
      snapshot.recordEnrolment(primaryAsn, row.schoolCode, row.entryDate, row.exitDate, false);
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

  await insertStudents(client, students);
  await deleteEnrolments(client, target.fileId, [...deletes.values()]);
  await upsertEnrolments(client, target.fileId, [...writes.values()]);
  await insertAudit(client, audit);
  return results;
}

export const enrolmentKind = defineKind({
  kind: 'enrolment',
  columns: enrolmentColumns,
  required: requiredEnrolmentColumns,
  xml: { root: 'enrolments', record: 'enrolment' },
  check: checkEnrolmentRecord,
  apply: applyEnrolmentRows,
});
