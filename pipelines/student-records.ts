import type pg from 'pg';
import type { Services } from '../src/app.ts';
import { sqlTimeZone } from '../src/config/province.ts';
import { inTransaction, queues } from '../src/db/queue.ts';
import type { FileKind } from '../src/files/kinds.ts';
import { insertAudit } from '../src/persist/row-outcomes.ts';
import { auditItem } from '../src/queue/claims.ts';
import { getItem, type QueueItem } from '../src/queue/queue-queries.ts';
import { maxNoteLength, type Resolution, type ResolveResult } from '../src/queue/resolution.ts';
import { loadReferenceCache } from '../src/reference/reference-cache.ts';
import { writeDecisionsFile } from '../src/report/decisions-report.ts';
import type { RulesSaw } from '../src/rules/enrolment-row.ts';
import type { AccessRow } from '../src/validate/access-row.ts';
import { dateIn, todayIn } from '../src/validate/dates.ts';
import type { EnrolmentRow } from '../src/validate/enrolment-row.ts';
import { formatAsn, studentMatchKey } from '../src/validate/values.ts';
import { applyAccessRows } from './access.ts';
import { issueLetterRun, type LetterRun } from './access-letters.ts';
import type { AppliedRow, RowTarget } from './chunk.ts';
import { applyEnrolmentRows } from './enrolment.ts';

const resolvedState = { approve: 'approved', reject: 'rejected', return: 'returned' } as const;

/** A note as stored: trimmed, control characters (but line breaks) removed; null when empty. */
function cleanNote(note: string | undefined): string | null {
  const cleaned = (note ?? '')
    .replace(/\r\n?/g, '\n')
    .replace(/(?!\n)\p{Cc}/gu, ' ')
    .trim();
  return cleaned === '' ? null : cleaned.slice(0, maxNoteLength);
}

interface LockedItem {
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
  row_data: Record<string, unknown>;
  saw: RulesSaw;
}

/**
 * A new student is created on approval only if nobody with the same names and birth date has
 * appeared since staff last saw the item (two approvals would otherwise make two records of one
 * child). The new ones are added to what the item shows, so a second approval, after a look, goes through.
 */
async function newMatchesSinceSeen(client: pg.PoolClient, item: LockedItem): Promise<AppliedRow | null> {
  const row = item.row_data as unknown as EnrolmentRow;
  if (item.kind !== 'enrolment' || row.asn !== null) return null;
  const key = studentMatchKey(row.firstName ?? '', row.lastName ?? '', row.birthDate ?? '');
  // The lock the pipeline takes to create a student with this key: creations are seen in order.
  await client.query('select pg_advisory_xact_lock(hashtext($1))', [key]);
  const found = await client.query<{ asn: string }>(
    'select distinct coalesce(primary_asn, asn) as asn from student where match_key = $1 and not deactivated order by 1',
    [key],
  );
  const seen = new Set(item.saw.matchingAsns ?? []);
  const fresh = found.rows.map((r) => r.asn).filter((asn) => !seen.has(asn));
  if (fresh.length === 0) return null;
  await client.query(`update referral set saw = jsonb_set(saw, '{matchingAsns}', to_jsonb($2::text[])) where id = $1`, [
    item.id,
    [...seen, ...fresh],
  ]);
  return {
    outcome: {
      line: item.line,
      status: 'invalid',
      code: 'DUPLICATE_STUDENT',
      asn: null,
      message: `Since the item was referred, ${fresh.map(formatAsn).join(', ')} ${fresh.length === 1 ? 'has' : 'have'} come to have the same names and birth date. They are now on the item's page: look at them, then approve again if this is another person.`,
    },
  };
}

/** Applies the item's row on Student Records' authority, in the caller's transaction. */
async function applyApproved(
  services: Services,
  client: pg.PoolClient,
  item: LockedItem,
  staff: string,
): Promise<AppliedRow> {
  const { config } = services;
  const reference = await loadReferenceCache(client);
  const authority = reference.authorities.get(item.authority_code);
  if (!authority) throw new Error(`authority ${item.authority_code} is not in the reference data`);
  const duplicate = await newMatchesSinceSeen(client, item);
  if (duplicate) return duplicate;
  const target: RowTarget = {
    fileId: Number(item.file_id),
    authorityCode: item.authority_code,
    asOf: todayIn(),
    actor: staff,
  };
  const rules = {
    authority,
    windows: config.rules,
    schools: reference.schoolAuthority,
    institutionDomains: reference.institutionDomains,
    connectionExpiryDays: config.connections.expiryDays,
  };
  const [applied] =
    item.kind === 'enrolment'
      ? await applyEnrolmentRows(
          client,
          target,
          [item.row_data as unknown as EnrolmentRow],
          rules,
          'student_records_approval',
        )
      : await applyAccessRows(
          client,
          target,
          [item.row_data as unknown as AccessRow],
          rules,
          'student_records_approval',
          Number(item.id),
        );
  return applied as AppliedRow;
}

function referralLetterRun(item: QueueItem): LetterRun {
  return {
    // A folder of their own: no file's letters can take their names.
    source: { kind: 'referral', id: item.id },
    authorityCode: item.authorityCode,
    subfolder: 'student-records',
    baseName: `item-${item.id}`,
    fileName: `${item.fileName}, line ${item.line} (approved by Student Records)`,
  };
}

/**
 * Approves, rejects or returns a queue item (SPEC §7). The item is row-locked, so of two staff
 * resolving it at once the second finds it resolved; an item another holds a live claim on
 * cannot be resolved. The row's changes, the decision, its audit and the end of the pg-boss job
 * commit together; the approved letter and the authority's decisions file follow the commit
 * (both are written again by the service's sweep if the process dies in between).
 */
export async function resolveItem(
  services: Services,
  id: number,
  staff: string,
  resolution: Resolution,
  noteText?: string,
): Promise<ResolveResult> {
  const { db, boss, config } = services;
  const note = cleanNote(noteText);
  if (resolution !== 'approve' && note === null) return { outcome: 'note_required' };
  const result = await db.transaction(async (client): Promise<ResolveResult> => {
    const found = await client.query<LockedItem>(
      `select id::text, job_id::text, kind, authority_code, file_id::text, line, asn, state, claimed_by, claimed_until,
              coalesce(claimed_until > now(), false) as live, row_data, saw
         from referral where id = $1 for update`,
      [id],
    );
    const item = found.rows[0];
    if (!item) return { outcome: 'not_found' };
    if (item.state !== 'open') return { outcome: 'already_resolved', item: (await getItem(client, id)) as QueueItem };
    if (item.live && item.claimed_by !== staff)
      return { outcome: 'claimed_by_other', claimedBy: item.claimed_by as string, until: item.claimed_until as Date };

    let applied: AppliedRow | null = null;
    if (resolution === 'approve') {
      applied = await applyApproved(services, client, item, staff);
      if (applied.outcome.status !== 'accepted') {
        await auditItem(client, staff, 'approval_refused', id, { code: applied.outcome.code });
        return { outcome: 'not_applicable', problem: applied.outcome };
      }
    }
    const resultAsn = applied?.outcome.code === 'STUDENT_CREATED' ? applied.outcome.asn : null;
    await client.query(
      `update referral set state = $2, resolved_by = $3, resolved_at = now(), note = $4, result = $5, result_asn = $6,
              claimed_by = $3, claimed_until = null
        where id = $1`,
      [id, resolvedState[resolution], staff, note, applied?.outcome.message ?? null, resultAsn],
    );
    // The item's count goes down; a count at 0 goes, so the counts hold only days with open items.
    const countKey = `(authority_code, school_code, kind, reason, referred_on) =
      (select authority_code, coalesce(school_code, ''), kind, reason, (created_at at time zone ${sqlTimeZone})::date from referral where id = $1)`;
    await client.query(`update referral_open_count set items = items - 1 where ${countKey}`, [id]);
    await client.query(`delete from referral_open_count where ${countKey} and items = 0`, [id]);
    await insertAudit(client, [
      {
        actor: staff,
        action: `item_${resolvedState[resolution]}`,
        asn: applied?.primaryAsn ?? item.asn,
        fileId: Number(item.file_id),
        line: item.line,
        referralId: id,
        detail: { note, ...(applied ? { code: applied.outcome.code } : {}) },
      },
    ]);
    // The pg-boss queue holds the open items only: the history stays in `referral` and the audit log.
    await boss.deleteJob(queues.studentRecords, item.job_id, inTransaction(client));
    return { outcome: 'resolved', item: (await getItem(client, id)) as QueueItem };
  });
  if (result.outcome !== 'resolved') return result;
  const { item } = result;
  try {
    if (item.kind === 'access' && item.state === 'approved')
      await issueLetterRun(services, referralLetterRun(item), async () => {});
    await writeDecisionsFile(db, config, item.authorityCode, dateIn(item.resolvedAt as Date));
    return result;
  } catch (error) {
    services.logger.error(
      'a decision stands, but its letter or decisions file could not be written yet; the service writes it later',
      { itemId: item.id, error: (error as Error).message },
    );
    return { ...result, pending: true };
  }
}

/** Approved access items whose letters did not get issued (the process died after the decision). */
export async function issueMissingReferralLetters(services: Services): Promise<number> {
  const missing = await services.db.query<{ id: string }>(
    `select distinct c.letter_referral_id::text as id from connection c
      where c.letter_referral_id is not null and c.pin_hash is null and c.status = 'waiting'`,
  );
  let issued = 0;
  for (const { id } of missing.rows) {
    const item = await getItem(services.db, Number(id));
    if (!item) continue;
    // One item whose letters fail (its error is logged) does not hold up the others.
    await issueLetterRun(services, referralLetterRun(item), async () => {}).then(
      () => issued++,
      (error: Error) =>
        services.logger.error('issuing the letter of an approved item failed; it is tried again later', {
          itemId: item.id,
          error: error.message,
        }),
    );
  }
  return issued;
}
