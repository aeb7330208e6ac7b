import type { Queryable } from '../db/database.ts';
import type { SignInChecks, VerifiedAccount } from './oidc-sign-in.ts';
import { newToken, tokenHash } from './secrets.ts';

/**
 * How long a sign-in under way lasts, from the provider's button to the PIN: time to sign in and
 * to find the letter, and short, so a browser left open somewhere soon holds nothing.
 */
export const signInMinutes = 30;

/** A sign-in on the activation page, named by the random value of the browser's cookie. */
export interface PendingSignIn {
  /** SHA-256 of the email's token: the link it started from. */
  tokenHash: Buffer;
  provider: string;
  checks: SignInChecks;
  language: 'en' | 'fr';
  /** Set once the provider's answer was checked. */
  account: VerifiedAccount | null;
}

const cookieValue = /^[A-Za-z0-9_-]{43}$/;

/** Starts one and returns the cookie's value. Those past their time go, and the one it replaces. */
export async function beginSignIn(
  db: Queryable,
  pending: Omit<PendingSignIn, 'account'>,
  replacing: string | undefined,
): Promise<string> {
  await db.query('delete from activation_sign_in where expires_at <= now() or id_hash = $1', [
    replacing && cookieValue.test(replacing) ? tokenHash(replacing) : null,
  ]);
  const value = newToken();
  await db.query(
    `insert into activation_sign_in (id_hash, token_hash, provider, state, nonce, code_verifier, language, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(mins => $8))`,
    [
      tokenHash(value),
      pending.tokenHash,
      pending.provider,
      pending.checks.state,
      pending.checks.nonce,
      pending.checks.codeVerifier,
      pending.language,
      signInMinutes,
    ],
  );
  return value;
}

/** The sign-in the cookie names, while it lasts. */
export async function findSignIn(db: Queryable, value: string | undefined): Promise<PendingSignIn | null> {
  if (!value || !cookieValue.test(value)) return null;
  const found = await db.query<{
    token_hash: Buffer;
    provider: string;
    state: string;
    nonce: string;
    code_verifier: string;
    language: 'en' | 'fr';
    issuer: string | null;
    subject: string | null;
    email: string | null;
  }>(
    `select token_hash, provider, state, nonce, code_verifier, language, issuer, subject, email
       from activation_sign_in where id_hash = $1 and expires_at > now()`,
    [tokenHash(value)],
  );
  const row = found.rows[0];
  if (!row) return null;
  return {
    tokenHash: row.token_hash,
    provider: row.provider,
    checks: { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier },
    language: row.language,
    account:
      row.issuer !== null && row.subject !== null
        ? { issuer: row.issuer, subject: row.subject, email: row.email }
        : null,
  };
}

/** Records whom the provider vouched for; false when the sign-in is gone or already done (a second answer). */
export async function recordSignedIn(db: Queryable, value: string, account: VerifiedAccount): Promise<boolean> {
  const updated = await db.query(
    `update activation_sign_in set issuer = $2, subject = $3, email = $4, signed_in_at = now()
      where id_hash = $1 and subject is null and expires_at > now()`,
    [tokenHash(value), account.issuer, account.subject, account.email],
  );
  return updated.rowCount === 1;
}

export async function endSignIn(db: Queryable, value: string | undefined): Promise<void> {
  if (value && cookieValue.test(value))
    await db.query('delete from activation_sign_in where id_hash = $1', [tokenHash(value)]);
}
