import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.ts';

export interface StaffSession {
  username: string;
  displayName: string;
  csrfToken: string;
}

/** The cookie holds 32 random bytes; the database only their SHA-256, so a copy of it opens nothing. */
function sessionIdHash(cookieValue: string): Buffer {
  return createHash('sha256').update(cookieValue, 'utf8').digest();
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Returns the cookie value of a new session; the caller sends it and keeps nothing. */
export async function createSession(
  db: Queryable,
  username: string,
  hours: number,
): Promise<{ cookieValue: string; csrfToken: string }> {
  const cookieValue = randomToken();
  const csrfToken = randomToken();
  await db.query(
    `insert into staff_session (id_hash, username, csrf_token, expires_at) values ($1, $2, $3, now() + ` +
      `make_interval(hours => $4))`,
    [sessionIdHash(cookieValue), username, csrfToken, hours],
  );
  // Expired sessions are of no use to anyone; they go whenever someone signs in.
  await db.query('delete from staff_session where expires_at < now()');
  return { cookieValue, csrfToken };
}

/**
 * The session of a cookie, if it is current and its account is not disabled; marks it seen.
 * A disabled account's sessions stop here at once even if they were not deleted.
 */
export async function findSession(db: Queryable, cookieValue: string): Promise<StaffSession | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) return null;
  const found = await db.query<StaffSession>(
    `update staff_session s set last_seen_at = now()
       from staff a
      where s.id_hash = $1 and s.expires_at > now() and a.username = s.username and not a.disabled
     returning s.username, a.display_name as "displayName", s.csrf_token as "csrfToken"`,
    [sessionIdHash(cookieValue)],
  );
  return found.rows[0] ?? null;
}

export async function endSession(db: Queryable, cookieValue: string): Promise<void> {
  await db.query('delete from staff_session where id_hash = $1', [sessionIdHash(cookieValue)]);
}
