import type { Database, Queryable } from '../db/database.ts';
import { insertAudit } from '../persist/row-outcomes.ts';
import { filterConditions, getItem, type QueueFilter, type QueueItem } from './queue-queries.ts';

export type ClaimResult =
  | { outcome: 'claimed'; item: QueueItem }
  | { outcome: 'claimed_by_other'; claimedBy: string; until: Date }
  | { outcome: 'resolved'; item: QueueItem }
  | { outcome: 'not_found' };

/** Audit entries of the queue name the item and, when known, the student by the ASN as submitted. */
export async function auditItem(
  client: Queryable,
  actor: string,
  action: string,
  itemId: number,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await insertAudit(client, [{ actor, action, asn: null, fileId: null, line: null, detail, referralId: itemId }]);
}

/**
 * Records that `staff` opened the item (it shows the student's record). One entry per person and
 * item in 10 minutes: the page shown again after each action is not a new look.
 */
export async function recordItemViewed(db: Queryable, staff: string, itemId: number): Promise<void> {
  await db.query(
    `insert into audit_log (actor, action, referral_id, detail)
     select $1, 'item_viewed', $2, '{}' where not exists (
       select 1 from audit_log where referral_id = $2 and actor = $1 and at > now() - interval '10 minutes')`,
    [staff, itemId],
  );
}

/**
 * Takes an open item for `staff` for the configured minutes. A claim that lapsed (abandoned)
 * may be taken by anyone; claiming one's own item again extends it.
 */
export async function claimItem(db: Database, id: number, staff: string, claimMinutes: number): Promise<ClaimResult> {
  return db.transaction(async (client) => {
    const found = await client.query<{
      state: string;
      claimed_by: string | null;
      claimed_until: Date | null;
      live: boolean;
    }>(
      `select state, claimed_by, claimed_until, coalesce(claimed_until > now(), false) as live from referral ` +
        `where id = $1 for update`,
      [id],
    );
    const row = found.rows[0];
    if (!row) return { outcome: 'not_found' } as const;
    if (row.state !== 'open') return { outcome: 'resolved', item: (await getItem(client, id)) as QueueItem } as const;
    if (row.live && row.claimed_by !== staff)
      return {
        outcome: 'claimed_by_other',
        claimedBy: row.claimed_by as string,
        until: row.claimed_until as Date,
      } as const;
    await client.query(
      `update referral set claimed_by = $2, claimed_until = now() + make_interval(mins => $3) where id = $1`,
      [id, staff, claimMinutes],
    );
    await auditItem(client, staff, 'item_claimed', id, { minutes: claimMinutes });
    return { outcome: 'claimed', item: (await getItem(client, id)) as QueueItem } as const;
  });
}

/**
 * Claims the oldest open item nobody holds, under the filter. Items being claimed by someone
 * else at this very moment are skipped rather than waited for.
 */
export async function claimNextItem(
  db: Database,
  filter: QueueFilter,
  staff: string,
  claimMinutes: number,
): Promise<QueueItem | null> {
  return db.transaction(async (client) => {
    const { where, values } = filterConditions(filter, 1);
    const next = await client.query<{ id: string }>(
      `select r.id::text from referral r
        where r.state = 'open' and (r.claimed_until is null or r.claimed_until <= now())
          ${where.map((w) => `and ${w}`).join(' ')}
        order by r.created_at, r.id limit 1 for update skip locked`,
      values,
    );
    const id = next.rows[0] ? Number(next.rows[0].id) : null;
    if (id === null) return null;
    await client.query(
      `update referral set claimed_by = $2, claimed_until = now() + make_interval(mins => $3) where id = $1`,
      [id, staff, claimMinutes],
    );
    await auditItem(client, staff, 'item_claimed', id, { minutes: claimMinutes, next: true });
    return getItem(client, id);
  });
}

/** Gives one's own claim back before it lapses. */
export async function releaseItem(db: Database, id: number, staff: string): Promise<boolean> {
  return db.transaction(async (client) => {
    const released = await client.query(
      `update referral set claimed_by = null, claimed_until = null where id = $1 and state = 'open' and ` +
        `claimed_by = $2 and claimed_until > now()`,
      [id, staff],
    );
    if (released.rowCount === 0) return false;
    await auditItem(client, staff, 'item_released', id);
    return true;
  });
}
