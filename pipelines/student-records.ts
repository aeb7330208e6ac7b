import type pg from 'pg';
import type { Services } from '../src/app.ts';
import { inTransaction, queues } from '../src/db/queue.ts';
import { insertAudit } from '../src/persist/row-outcomes.ts';
import { auditItem } from '../src/queue/claims.ts';
import {
  approvedItemsWithoutLetters,
  type LockedItem,
  lockItem,
  recordDecision,
  recordMatchesSeen,
  studentsMatchingLocked,
} from '../src/queue/decisions.ts';
import { getItem, type QueueItem } from '../src/queue/queue-queries.ts';
import { maxNoteLength, type Resolution, type ResolveResult } from '../src/queue/resolution.ts';
import { loadReferenceCache } from '../src/reference/reference-cache.ts';
import { writeDecisionsFile } from '../src/report/decisions-report.ts';
import { dateIn, todayIn } from '../src/validate/dates.ts';
import type { StoredRow } from '../src/validate/stored-row.ts';
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

/**
 * A new student is created on approval only if nobody with the same names and birth date has
 * appeared since staff last saw the item (two approvals would otherwise make two records of one
 * child). The new ones are added to what the item shows, so a second approval, after a look, goes through.
 */
async function newMatchesSinceSeen(
  client: pg.PoolClient,
  item: LockedItem,
  row: StoredRow,
): Promise<AppliedRow | null> {
  if (row.kind !== 'enrolment' || row.row.asn !== null) return null;
  const { firstName, lastName, birthDate } = row.row;
  const found = await studentsMatchingLocked(client, studentMatchKey(firstName ?? '', lastName ?? '', birthDate ?? ''));
  const seen = new Set(item.saw.matchingAsns ?? []);
  const fresh = found.filter((asn) => !seen.has(asn));
  if (fresh.length === 0) return null;
  await recordMatchesSeen(client, item.id, [...seen, ...fresh]);
  return {
    outcome: {
      line: item.line,
      status: 'invalid',
      code: 'DUPLICATE_STUDENT',
      asn: null,
      message:
        `Since the item was ` +
        `referred, ${fresh.map(formatAsn).join(', ')} ${fresh.length === 1 ? 'has' : 'have'} come to have the ` +
        `same names and birth date. They are now on the item's page: look at them, then approve again if this is ` +
        `another person.`,
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
  // A stored row this release's checks refuse is not applied: the problem is said instead.
  if (!item.row.ok) return { outcome: { line: item.line, status: 'invalid', asn: item.asn, ...item.row.problem } };
  const row = item.row.row;
  const reference = await loadReferenceCache(client);
  const authority = reference.authorities.get(item.authorityCode);
  if (!authority) throw new Error(`authority ${item.authorityCode} is not in the reference data`);
  const duplicate = await newMatchesSinceSeen(client, item, row);
  if (duplicate) return duplicate;
  const target: RowTarget = { fileId: item.fileId, authorityCode: item.authorityCode, asOf: todayIn(), actor: staff };
  const rules = {
    authority,
    windows: config.rules,
    schools: reference.schoolAuthority,
    institutionDomains: reference.institutionDomains,
    connectionExpiryDays: config.connections.expiryDays,
  };
  const basis = 'student_records_approval';
  const [applied] =
    row.kind === 'enrolment'
      ? await applyEnrolmentRows(client, target, [row.row], rules, basis)
      : await applyAccessRows(client, target, [row.row], rules, basis, Number(item.id));
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
 * Approves, rejects or returns a queue item (docs/rules.md §7). The item is row-locked, so of two staff
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
    const item = await lockItem(client, id);
    if (!item) return { outcome: 'not_found' };
    if (item.state !== 'open') return { outcome: 'already_resolved', item: (await getItem(client, id)) as QueueItem };
    if (item.live && item.claimedBy !== staff)
      return { outcome: 'claimed_by_other', claimedBy: item.claimedBy as string, until: item.claimedUntil as Date };

    let applied: AppliedRow | null = null;
    if (resolution === 'approve') {
      applied = await applyApproved(services, client, item, staff);
      if (applied.outcome.status !== 'accepted') {
        await auditItem(client, staff, 'approval_refused', id, { code: applied.outcome.code });
        return { outcome: 'not_applicable', problem: applied.outcome };
      }
    }
    const resultAsn = applied?.outcome.code === 'STUDENT_CREATED' ? applied.outcome.asn : null;
    await recordDecision(client, {
      id,
      state: resolvedState[resolution],
      staff,
      note,
      result: applied?.outcome.message ?? null,
      resultAsn,
    });
    await insertAudit(client, [
      {
        actor: staff,
        action: `item_${resolvedState[resolution]}`,
        asn: applied?.primaryAsn ?? item.asn,
        fileId: item.fileId,
        line: item.line,
        referralId: id,
        detail: { note, ...(applied ? { code: applied.outcome.code } : {}) },
      },
    ]);
    // The pg-boss queue holds the open items only: the history stays in `referral` and the audit log.
    await boss.deleteJob(queues.studentRecords, item.jobId, inTransaction(client));
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
  let issued = 0;
  for (const id of await approvedItemsWithoutLetters(services.db)) {
    const item = await getItem(services.db, id);
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
