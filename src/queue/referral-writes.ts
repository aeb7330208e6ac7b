import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { sqlTimeZone } from '../config/province.ts';
import type { Queryable } from '../db/database.ts';
import { inTransaction, queues } from '../db/queue.ts';
import type { IntakeFile } from '../files/registry.ts';
import type { ReferralReason, RowCode } from '../outcomes.ts';
import type { RulesSaw } from '../rules/enrolment-row.ts';
import type { AccessRow } from '../validate/access-row.ts';
import type { EnrolmentRow } from '../validate/enrolment-row.ts';

/** A referred row, as a chunk hands it to Student Records. */
export type NewReferral =
  | { kind: 'enrolment'; row: EnrolmentRow; reason: ReferralReason; reportedCode: RowCode; saw: RulesSaw }
  | { kind: 'access'; row: AccessRow; reason: ReferralReason; reportedCode: RowCode; saw: RulesSaw };

/**
 * Queues a chunk's referrals in the caller's transaction: an item row each (what Student
 * Records lists and claims) and a pg-boss job of the same id (the queue holds it until it is
 * resolved), so rows, outcomes and queue items commit or roll back together.
 */
export async function queueReferrals(
  client: Queryable,
  boss: PgBoss,
  file: IntakeFile,
  referrals: NewReferral[],
): Promise<void> {
  if (referrals.length === 0) return;
  const jobIds = referrals.map(() => randomUUID());
  await client.query(
    `insert into referral (job_id, kind, authority_code, school_code, file_id, line, reason, reported_code, asn,
      as_of, row_data, saw)
     select r.job_id, r.kind, $3, r.school_code, $4, r.line, r.reason, r.reported_code, r.asn, $5, r.row_data, r.saw
       from unnest($1::uuid[], $2::text[], $6::text[], $7::int[], $8::text[], $9::text[], $10::text[], $11::jsonb[],
         $12::jsonb[])
         as r (job_id, kind, school_code, line, reason, reported_code, asn, row_data, saw)`,
    [
      jobIds,
      referrals.map((r) => r.kind),
      file.authorityCode,
      file.id,
      file.asOf,
      referrals.map((r) => r.row.schoolCode),
      referrals.map((r) => r.row.line),
      referrals.map((r) => r.reason),
      referrals.map((r) => r.reportedCode),
      referrals.map((r) => r.row.asn),
      referrals.map((r) => JSON.stringify(r.row)),
      referrals.map((r) => JSON.stringify(r.saw)),
    ],
  );
  await client.query(
    `insert into referral_open_count (authority_code, school_code, kind, reason, referred_on, items)
     select $1, r.school_code, r.kind, r.reason, (now() at time zone ${sqlTimeZone})::date, count(*)
       from unnest($2::text[], $3::text[], $4::text[]) as r (school_code, kind, reason)
      group by r.school_code, r.kind, r.reason order by r.school_code, r.kind, r.reason
     on conflict (authority_code, school_code, kind, reason, referred_on) do update set items =
       referral_open_count.items + excluded.items`,
    [
      file.authorityCode,
      referrals.map((r) => r.row.schoolCode),
      referrals.map((r) => r.kind),
      referrals.map((r) => r.reason),
    ],
  );
  const jobs: PgBoss.JobInsert[] = referrals.map((referral, i) => ({
    id: jobIds[i],
    name: queues.studentRecords,
    data: {
      kind: referral.kind,
      authorityCode: file.authorityCode,
      fileId: file.id,
      fileName: file.originalName,
      line: referral.row.line,
      reason: referral.reason,
      reportedCode: referral.reportedCode,
      asOf: file.asOf,
      row: referral.row,
      saw: referral.saw,
    },
  }));
  await boss.insert(jobs, inTransaction(client));
}
