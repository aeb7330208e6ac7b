import type pg from 'pg';
import { sqlTimeZone } from '../config/province.ts';
import type { Queryable } from '../db/database.ts';
import type { FileKind } from '../files/kinds.ts';
import type { RulesSaw } from '../rules/enrolment-row.ts';
import type { RowProblem } from '../validate/enrolment-row.ts';
import { checkStoredRow, type StoredRow } from '../validate/stored-row.ts';

/** A queue item as a decision sees it, row-locked: its row checked again as it was read back. */
export interface LockedItem {
  id: string;
  jobId: string;
  kind: FileKind;
  authorityCode: string;
  fileId: number;
  line: number;
  asn: string | null;
  state: string;
  claimedBy: string | null;
  claimedUntil: Date | null;
  /** Someone's claim on it has not run out. */
  live: boolean;
  row: { ok: true; row: StoredRow } | { ok: false; problem: RowProblem };
  saw: RulesSaw;
}

/**
 * Locks the item for a decision (`for update`): of two staff deciding at once, the second waits, then finds it
 * decided.
 */
export async function lockItem(client: pg.PoolClient, id: number): Promise<LockedItem | null> {
  const found = await client.query<{
    id: string;
    job_id: string;
    kind: FileKind;
    authority_code: string;
    file_id: string;
    line: number;
    asn: string | null;
    state: string;
    claimed_by: string | null;
    claimed_until: Date | null;
    live: boolean;
    row_data: unknown;
    saw: RulesSaw;
  }>(
    `select id::text, job_id::text, kind, authority_code, file_id::text, line, asn, state, claimed_by, claimed_until,
            coalesce(claimed_until > now(), false) as live, row_data, saw
       from referral where id = $1 for update`,
    [id],
  );
  const item = found.rows[0];
  if (!item) return null;
  return {
    id: item.id,
    jobId: item.job_id,
    kind: item.kind,
    authorityCode: item.authority_code,
    fileId: Number(item.file_id),
    line: item.line,
    asn: item.asn,
    state: item.state,
    claimedBy: item.claimed_by,
    claimedUntil: item.claimed_until,
    live: item.live,
    row: checkStoredRow(item.kind, item.row_data),
    saw: item.saw,
  };
}

/**
 * The primary ASNs of active students with this match key, under the lock the pipeline takes to
 * create a student with the key: creations are seen in order.
 */
export async function studentsMatchingLocked(client: pg.PoolClient, matchKey: string): Promise<string[]> {
  await client.query('select pg_advisory_xact_lock(hashtext($1))', [matchKey]);
  const found = await client.query<{ asn: string }>(
    'select distinct coalesce(primary_asn, asn) as asn from student where match_key = $1 and not deactivated ' +
      'order by 1',
    [matchKey],
  );
  return found.rows.map((r) => r.asn);
}

/** What the item's page shows as matching students from now on. */
export async function recordMatchesSeen(client: Queryable, id: string, asns: string[]): Promise<void> {
  await client.query(`update referral set saw = jsonb_set(saw, '{matchingAsns}', to_jsonb($2::text[])) where id = $1`, [
    id,
    asns,
  ]);
}

export interface Decision {
  id: number;
  state: 'approved' | 'rejected' | 'returned';
  staff: string;
  note: string | null;
  /** What applying the row did (approvals). */
  result: string | null;
  /** The student an approval created. */
  resultAsn: string | null;
}

/** Records the decision and takes the item out of the kept counts (a count at 0 goes). */
export async function recordDecision(client: Queryable, decision: Decision): Promise<void> {
  const { id, state, staff, note, result, resultAsn } = decision;
  await client.query(
    `update referral set state = $2, resolved_by = $3, resolved_at = now(), note = $4, result = $5, result_asn = $6,
            claimed_by = $3, claimed_until = null
      where id = $1`,
    [id, state, staff, note, result, resultAsn],
  );
  const countKey = `(authority_code, school_code, kind, reason, referred_on) =
    (select authority_code, coalesce(school_code, ''), kind, reason, (created_at at time zone ${sqlTimeZone})::date
       from referral where id = $1)`;
  await client.query(`update referral_open_count set items = items - 1 where ${countKey}`, [id]);
  await client.query(`delete from referral_open_count where ${countKey} and items = 0`, [id]);
}

/** Approved access items whose letters were not issued (the process died after the decision). */
export async function approvedItemsWithoutLetters(db: Queryable): Promise<number[]> {
  const missing = await db.query<{ id: string }>(
    `select distinct c.letter_referral_id::text as id from connection c
      where c.letter_referral_id is not null and c.pin_hash is null and c.status = 'waiting'`,
  );
  return missing.rows.map((r) => Number(r.id));
}
