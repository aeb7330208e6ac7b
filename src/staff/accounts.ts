import { createHash } from 'node:crypto';
import type { Database, Queryable } from '../db/database.ts';
import { hasPgCode, pgErrorCodes } from '../db/database.ts';
import { hashPassword, passwordMatches, passwordProblem, spendLikeAHash } from './passwords.ts';
import { acceptAttempt, reserveAttempt, type SignInLimits } from './sign-in-limit.ts';

export interface StaffAccount {
  username: string;
  displayName: string;
  disabled: boolean;
}

/** A problem with what was asked (a bad username or password, an account that exists or not). */
export class StaffAccountError extends Error {
  override name = 'StaffAccountError';
}

const usernamePattern = /^[a-z][a-z0-9._-]{1,39}$/;

/** A username as staff type it (any case, spaces around) in the form it is kept. */
export function normalizeUsername(typed: string): string {
  return typed.trim().toLowerCase();
}

export function usernameProblem(username: string): string | null {
  return usernamePattern.test(username)
    ? null
    : 'a username is 2 to 40 characters: a lower-case letter, then lower-case letters, digits, dots, hyphens or ' +
        'underscores';
}

export async function addStaff(
  db: Queryable,
  account: { username: string; displayName: string; password: string },
): Promise<void> {
  const username = normalizeUsername(account.username);
  const displayName = account.displayName.trim();
  const problem =
    usernameProblem(username) ??
    passwordProblem(account.password) ??
    (displayName === '' || displayName.length > 200 ? 'the name must have 1 to 200 characters' : null);
  if (problem) throw new StaffAccountError(problem);
  const hash = await hashPassword(account.password);
  try {
    await db.query('insert into staff (username, display_name, password_hash) values ($1, $2, $3)', [
      username,
      displayName,
      hash,
    ]);
  } catch (error) {
    if (hasPgCode(error, pgErrorCodes.uniqueViolation))
      throw new StaffAccountError(`the account ${username} exists already`);
    throw error;
  }
}

/** The account can no longer sign in, and its open sessions stop working at once. */
export async function disableStaff(db: Database, typedUsername: string): Promise<void> {
  const username = normalizeUsername(typedUsername);
  await db.transaction(async (client) => {
    const updated = await client.query('update staff set disabled = true where username = $1', [username]);
    if (updated.rowCount === 0) throw new StaffAccountError(`there is no account ${username}`);
    await client.query('delete from staff_session where username = $1', [username]);
  });
}

/** A new password ends every session of the account: whoever knew the old one is signed out. */
export async function setPassword(db: Database, typedUsername: string, password: string): Promise<void> {
  const username = normalizeUsername(typedUsername);
  const problem = passwordProblem(password);
  if (problem) throw new StaffAccountError(problem);
  const hash = await hashPassword(password);
  await db.transaction(async (client) => {
    const updated = await client.query(
      'update staff set password_hash = $2, password_changed_at = now() where username = $1',
      [username, hash],
    );
    if (updated.rowCount === 0) throw new StaffAccountError(`there is no account ${username}`);
    await client.query('delete from staff_session where username = $1', [username]);
  });
}

export async function findStaff(db: Queryable, typedUsername: string): Promise<StaffAccount | null> {
  const found = await db.query<StaffAccount>(
    'select username, display_name as "displayName", disabled from staff where username = $1',
    [normalizeUsername(typedUsername)],
  );
  return found.rows[0] ?? null;
}

export interface SignInRequest {
  username: string;
  password: string;
  /** The client's address: failures are counted per address as well as per account. */
  address: string;
}

export type SignInResult =
  | { outcome: 'signed_in'; staff: { username: string; displayName: string } }
  /** Unknown account, wrong password or disabled account: never told apart. */
  | { outcome: 'failed' };

/**
 * Checks a sign-in under the failure limit. The attempt is counted as a failure before the
 * password is checked (and forgiven if it was right), so attempts made at the same moment
 * cannot slip past the limit together.
 */
export async function verifySignIn(db: Database, request: SignInRequest, limits: SignInLimits): Promise<SignInResult> {
  const username = normalizeUsername(request.username).slice(0, 100);
  // Hashed: what is typed as a username may be a password typed in the wrong box.
  const keys = {
    account: `user:${createHash('sha256').update(username).digest('hex')}`,
    address: `address:${request.address}`,
  };
  const reservation = await reserveAttempt(db, keys, limits);
  // Past the limit every attempt waits, the right password too: guessing is slow, locking out impossible.
  if (reservation.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, reservation.delayMs));

  const found = await db.query<{ display_name: string; password_hash: string; disabled: boolean }>(
    'select display_name, password_hash, disabled from staff where username = $1',
    [username],
  );
  const account = found.rows[0];
  if (!account) {
    await spendLikeAHash(request.password);
    return { outcome: 'failed' };
  }
  const matches = await passwordMatches(request.password, account.password_hash);
  if (!matches || account.disabled) return { outcome: 'failed' };
  await acceptAttempt(db, reservation, keys.account);
  return { outcome: 'signed_in', staff: { username, displayName: account.display_name } };
}
