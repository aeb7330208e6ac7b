import type pg from 'pg';
import type { IntakeFile } from '../src/files/registry.ts';
import type { ParsedItem } from '../src/formats/records.ts';
import { statusOf } from '../src/outcomes.ts';
import {
  allocateAsns,
  deleteEnrolments,
  type EnrolmentDelete,
  type EnrolmentWrite,
  insertStudents,
  type NewStudent,
  upsertEnrolments,
} from '../src/persist/enrolment-writes.ts';
import { type AuditEntry, insertAudit, insertOutcomes, type RowOutcome } from '../src/persist/row-outcomes.ts';
import { type NewReferral, queueReferrals } from '../src/queue/referral-writes.ts';
import { EnrolmentSnapshot } from '../src/reference/enrolment-snapshot.ts';
import { type DecisionBasis, decideEnrolmentRow } from '../src/rules/enrolment-row.ts';
import {
  checkEnrolmentRecord,
  type EnrolmentRow,
  enrolmentColumns,
  requiredEnrolmentColumns,
} from '../src/validate/enrolment-row.ts';
import { formatAsn, parseAsn, studentMatchKey } from '../src/validate/values.ts';
import type { ChunkSettings, KindDefinition } from './file-runner.ts';

const acceptedMessages = {
  ENROLMENT_CREATED: 'Enrolment created.',
  ENROLMENT_UPDATED: 'Enrolment updated.',
  ENROLMENT_DELETED: 'Enrolment deleted.',
} as const;

/** Validate → decide → write one chunk of an enrolment file, inside the caller's transaction. */
async function processChunk(
  client: pg.PoolClient,
  file: IntakeFile,
  items: ParsedItem[],
  firstRecord: number,
  settings: ChunkSettings,
): Promise<RowOutcome[]> {
  // One outcome per item, at the item's position: the report keeps the file's order.
  const outcomes: RowOutcome[] = new Array(items.length);
  const rows: { row: EnrolmentRow; position: number }[] = [];
  items.forEach((item, position) => {
    if (item.kind === 'broken') {
      outcomes[position] = {
        line: item.broken.line,
        status: 'invalid',
        code: 'MALFORMED_ROW',
        message: item.broken.problem,
        asn: null,
      };
      return;
    }
    const checked = checkEnrolmentRecord(item.record);
    if (checked.ok) rows.push({ row: checked.row, position });
    else
      outcomes[position] = {
        line: item.record.line,
        status: statusOf(checked.problem.code),
        ...checked.problem,
        asn: parseAsn((item.record.fields.asn ?? '').trim()),
      };
  });

  const target: RowTarget = {
    fileId: file.id,
    authorityCode: file.authorityCode,
    asOf: file.asOf,
    actor: file.authorityCode,
  };
  const applied = await applyEnrolmentRows(
    client,
    target,
    rows.map(({ row }) => row),
    settings,
    'limited_access_rules',
  );
  return recordChunk(
    client,
    file,
    firstRecord,
    outcomes,
    rows.map(({ position }) => position),
    applied,
    settings,
  );
}

/**
 * Puts each applied row's outcome at its place in the chunk, then stores the chunk's outcomes
 * and queues its referrals, in the caller's transaction.
 */
export async function recordChunk(
  client: pg.PoolClient,
  file: IntakeFile,
  firstRecord: number,
  outcomes: RowOutcome[],
  positions: number[],
  applied: AppliedRow[],
  settings: ChunkSettings,
): Promise<RowOutcome[]> {
  const referrals: NewReferral[] = [];
  applied.forEach((result, i) => {
    outcomes[positions[i] as number] = result.outcome;
    if (result.referral) referrals.push(result.referral);
  });
  await insertOutcomes(client, file.id, firstRecord, outcomes);
  await queueReferrals(client, settings.boss, file, referrals);
  return outcomes;
}

/** Whose rows are applied, and who is recorded as doing it. */
export interface RowTarget {
  /** The file the rows came from (kept as each write's source). */
  fileId: number;
  authorityCode: string;
  asOf: string;
  /** The authority itself, or the Student Records staff member who approved. */
  actor: string;
}

/** One row's fate: its outcome, the referral to queue when referred, the student it was applied to. */
export interface AppliedRow {
  outcome: RowOutcome;
  referral?: NewReferral;
  primaryAsn?: string;
}

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
  if (matchKeys.length > 0)
    await client.query('select pg_advisory_xact_lock(hashtext(k)) from unnest($1::text[]) k order by k', [matchKeys]);
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

export const enrolmentKind: KindDefinition = {
  kind: 'enrolment',
  columns: enrolmentColumns,
  required: requiredEnrolmentColumns,
  xml: { root: 'enrolments', record: 'enrolment' },
  processChunk,
};
