import type pg from 'pg';
import type { Queryable } from '../src/db/database.ts';
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
import { type AppliedRow, addStageTime, type ChunkSettings, defineKind, type RowTarget, timed } from './chunk.ts';

const acceptedMessages = {
  ENROLMENT_CREATED: 'Enrolment created.',
  ENROLMENT_UPDATED: 'Enrolment updated.',
  ENROLMENT_DELETED: 'Enrolment deleted.',
} as const;

/** What the rules need besides the database: the authority's facts and the schools. */
export type RuleSettings = Pick<ChunkSettings, 'authority' | 'windows' | 'schools'>;

/** What a chunk accepted, in order, as its snapshot learnt it: the next chunk's lookups may not see it yet. */
type Change =
  | { student: string; matchKey: string; createdBy: string; createdOn: string }
  | { enrolment: string; schoolCode: string; entryDate: string; exitDate: string | null; deleted: boolean };

/** The last chunk's changes, per file run (a run's settings are made once for it). */
const lastChanges = new WeakMap<RuleSettings, Change[]>();

/** A chunk's students, looked up before its transaction (the enrolment kind's `prepare`). */
interface PreparedSnapshot {
  snapshot: EnrolmentSnapshot;
  asns: Set<string>;
}

const keyOf = (row: EnrolmentRow) => studentMatchKey(row.firstName ?? '', row.lastName ?? '', row.birthDate ?? '');

async function prepareEnrolmentRows(
  db: Queryable,
  target: RowTarget,
  rows: EnrolmentRow[],
  rules: RuleSettings,
): Promise<PreparedSnapshot> {
  const snapshot = new EnrolmentSnapshot(target.asOf, rules.authority, rules.windows, rules.schools);
  const asns = new Set<string>();
  for (const row of rows) if (row.asn !== null) asns.add(row.asn);
  await snapshot.loadStudents(db, [...asns]);
  return { snapshot, asns };
}

/**
 * The previous chunk's changes, onto a snapshot read while that chunk was committing (its lookups
 * may or may not have seen them; applying them again changes nothing). Only what concerns this
 * chunk's students: a change to a student the chunk names, or to the primary of one it names.
 */
function catchUp(prepared: PreparedSnapshot, changes: readonly Change[]): void {
  const { snapshot, asns } = prepared;
  for (const change of changes) {
    if ('student' in change) {
      if (asns.has(change.student))
        snapshot.addStudent(change.student, change.matchKey, change.createdBy, change.createdOn);
    } else if (snapshot.knows(change.enrolment)) {
      if (change.deleted) snapshot.markDeleted(change.enrolment, change.schoolCode, change.entryDate);
      else snapshot.recordEnrolment(change.enrolment, change.schoolCode, change.entryDate, change.exitDate, false);
    }
  }
}

/**
 * Decides checked enrolment rows and writes the accepted ones in bulk, in the caller's
 * transaction: a file's chunk under the limited-access rules (its students looked up ahead by
 * `prepareEnrolmentRows`), or a row Student Records approved.
 */
export async function applyEnrolmentRows(
  client: pg.PoolClient,
  target: RowTarget,
  rows: EnrolmentRow[],
  rules: RuleSettings,
  basis: DecisionBasis,
  ahead?: PreparedSnapshot,
): Promise<AppliedRow[]> {
  const prepared = ahead ?? (await prepareEnrolmentRows(client, target, rows, rules));
  const { snapshot } = prepared;
  const matchKeys = [...new Set(rows.flatMap((row) => (row.asn ? [] : [keyOf(row)])))].sort();
  // Two files creating the same person at once: the second waits, then sees the first's student.
  await timed('match keys', async () => {
    await lockKeys(client, matchKeys);
    await snapshot.loadMatches(client, matchKeys);
  });
  catchUp(prepared, lastChanges.get(rules) ?? []);
  const changes: Change[] = [];
  const decideStarted = performance.now();

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

  addStageTime('decide', decideStarted);
  lastChanges.set(rules, changes);
  await timed('writes', async () => {
    await insertStudents(client, students);
    await deleteEnrolments(client, target.fileId, [...deletes.values()]);
    await upsertEnrolments(client, target.fileId, [...writes.values()]);
    await insertAudit(client, audit);
  });
  return results;
}

export const enrolmentKind = defineKind({
  kind: 'enrolment',
  columns: enrolmentColumns,
  required: requiredEnrolmentColumns,
  xml: { root: 'enrolments', record: 'enrolment' },
  check: checkEnrolmentRecord,
  prepare: prepareEnrolmentRows,
  apply: applyEnrolmentRows,
});
