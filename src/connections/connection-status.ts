import type { Queryable } from '../db/database.ts';

/** docs/rules.md §5's statuses, as people read them. */
export const statusNames = {
  waiting: 'Waiting for Activation',
  activated: 'Activated',
  expired: 'Request Expired',
  deleted: 'Deleted',
} as const;

type ConnectionStatus = keyof typeof statusNames;

/**
 * Moves Waiting connections whose request has expired (at the end of the day printed on the
 * letter, 30 days after it by default) to Request Expired; their PIN stops working. A request
 * whose letter was never issued expires the same number of days after it was made. `asns`:
 * only those students' (a chunk's, so its rules see them as expired); `now` is for tests.
 */
export async function expireConnections(
  db: Queryable,
  expiryDays: number,
  options: { asns?: string[]; now?: Date } = {},
): Promise<number> {
  const result = await db.query(
    `update connection set status = 'expired', pin_hash = null, locked_until = null, status_changed_at = now(),
      status_changed_by = 'expiry'
      where status = 'waiting' and ($3::text[] is null or asn = any($3::text[]))
        and (expires_at <= $1 or (expires_at is null and status_changed_at <= $1 - make_interval(days => $2)))`,
    [options.now ?? new Date(), expiryDays, options.asns ?? null],
  );
  return result.rowCount ?? 0;
}

export interface ConnectionListing {
  id: string;
  status: ConnectionStatus;
  requester: 'student' | 'parent_guardian';
  relationship: string | null;
  name: string | null;
  email: string;
  schoolCode: string;
  createdAt: Date;
  createdBy: string;
  expiresAt: Date | null;
  activatedAt: Date | null;
  activatedAccount: string | null;
  lockedUntil: Date | null;
  /** Too many lockouts: the PIN works again only after the school resets it. */
  lockedUntilReset: boolean;
}

/** Everyone connected to a student's record (under its primary ASN), newest first. Never a PIN or token. */
export async function listConnections(
  db: Queryable,
  asn: string,
  maxLockouts: number,
): Promise<{ primaryAsn: string | null; connections: ConnectionListing[] }> {
  const student = await db.query<{ primary: string }>(
    'select coalesce(primary_asn, asn) as primary from student where asn = $1',
    [asn],
  );
  const primaryAsn = student.rows[0]?.primary ?? null;
  if (primaryAsn === null) return { primaryAsn, connections: [] };
  const rows = await db.query<{
    id: string;
    status: ConnectionStatus;
    requester: 'student' | 'parent_guardian';
    relationship: string | null;
    person_name: string | null;
    email: string;
    school_code: string;
    created_at: Date;
    created_by: string;
    expires_at: Date | null;
    activated_at: Date | null;
    activated_account: string | null;
    locked_until: Date | null;
    locked_until_reset: boolean;
  }>(
    `select id::text, status, requester, relationship, person_name, email, school_code, created_at, created_by,
      expires_at,
            activated_at, activated_account, case when locked_until > now() then locked_until end as locked_until,
            status = 'waiting' and lockouts >= $2 as locked_until_reset
       from connection where asn = $1 order by created_at desc, id desc`,
    [primaryAsn, maxLockouts],
  );
  return {
    primaryAsn,
    connections: rows.rows.map((r) => ({
      id: r.id,
      status: r.status,
      requester: r.requester,
      relationship: r.relationship,
      name: r.person_name,
      email: r.email,
      schoolCode: r.school_code,
      createdAt: r.created_at,
      createdBy: r.created_by,
      expiresAt: r.expires_at,
      activatedAt: r.activated_at,
      activatedAccount: r.activated_account,
      lockedUntil: r.locked_until,
      lockedUntilReset: r.locked_until_reset,
    })),
  };
}
