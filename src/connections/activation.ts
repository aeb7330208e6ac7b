import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { assertConnectionKey } from '../persist/connection-key.ts';
import { insertAudit } from '../persist/row-outcomes.ts';
import { timeIn } from '../validate/dates.ts';
import { connectionSecret, keyFingerprint, pinMatches, tokenHash } from './secrets.ts';

export type ActivationResult =
  | { outcome: 'activated'; connectionId: string; asn: string }
  | { outcome: 'wrong_pin'; attemptsLeft: number }
  /** `until` null: locked until the school resets the PIN. */
  | { outcome: 'locked'; until: Date | null }
  | { outcome: 'expired' }
  | { outcome: 'revoked' }
  | { outcome: 'already_activated' }
  | { outcome: 'unknown_link' };

/** Who activates, as the connection and the audit log record it (docs/rules.md §5). */
interface ActivatingAccount {
  /** The OpenID provider that vouched for the person, or `intake-cli` for an operator's activation. */
  issuer: string;
  /** Who that is at the issuer: the provider's subject, or the operator's account on the server. */
  subject: string;
  /**
   * The account shown as the one that activated: the verified email, else the subject; for `intake-cli`, the account
   * the operator names.
   */
  account: string;
  /** Whom the audit log names, when not the account: the operator (`operator:<name>`). */
  actor?: string;
}

/** The issuer of activations made by an operator on the server (`intake connections activate`). */
export const operatorIssuer = 'intake-cli';

export type ActivationRequest = (
  | { token: string }
  /** The activation page keeps only the SHA-256 of the token while the person signs in. */
  | { tokenHash: Buffer }
) & {
  pin: string;
  /** A plain text: an account named on the server (issuer `intake-cli`, the account as subject). */
  account: ActivatingAccount | string;
};

interface Candidate {
  id: string;
  asn: string;
  status: 'waiting' | 'activated' | 'expired' | 'deleted';
  pin_hash: Buffer | null;
  failed_attempts: number;
  lockouts: number;
  locked_until: Date | null;
  is_locked: boolean;
  is_past_expiry: boolean;
}

/**
 * docs/rules.md §5: activation needs the email's token and the letter's PIN, and records who
 * activated (the account a provider vouched for, or an operator's). Wrong PINs count; the
 * configured number of them locks the connection for the configured minutes, after which the
 * count starts again. After the configured number of lockouts the PIN stays locked until the
 * school resets it: each lockout starts the count again, so 3 lockouts of 5 tries leave 15 guesses
 * in all, a 0.15% chance for a
 * 4-digit PIN. A locked, expired, deleted or activated connection is never activated.
 */
export async function activateConnection(
  db: Database,
  config: Config,
  request: ActivationRequest,
): Promise<ActivationResult> {
  const secret = connectionSecret(config);
  const { maxPinAttempts, lockMinutes, maxLockouts } = config.connections;
  const by: ActivatingAccount =
    typeof request.account === 'string'
      ? { issuer: operatorIssuer, subject: request.account, account: request.account }
      : request.account;
  const actor = by.actor ?? by.account;
  const hash = 'tokenHash' in request ? request.tokenHash : tokenHash(request.token);
  return db.transaction(async (client) => {
    await assertConnectionKey(client, keyFingerprint(secret));
    // Row-locked: two tries at once are counted one after the other. A token of an earlier
    // issue (before a reset) is not a link to this connection any more.
    const found = await client.query<Candidate>(
      `select c.id::text, c.asn, c.status, c.pin_hash, c.failed_attempts, c.lockouts, c.locked_until,
              coalesce(c.locked_until > now(), false) as is_locked, coalesce(c.expires_at <= now(), false) as
                is_past_expiry
         from connection_token t join connection c on c.id = t.connection_id and c.issue = t.issue
        where t.token_hash = $1 for update of c`,
      [hash],
    );
    const connection = found.rows[0];
    if (!connection) return { outcome: 'unknown_link' } as const;
    const audit = (action: string, detail: Record<string, unknown> = {}) =>
      insertAudit(client, [
        {
          actor,
          action,
          asn: connection.asn,
          fileId: null,
          line: null,
          detail: { connection: connection.id, issuer: by.issuer, subject: by.subject, ...detail },
        },
      ]);

    if (connection.status === 'deleted') return { outcome: 'revoked' } as const;
    if (connection.status === 'activated') return { outcome: 'already_activated' } as const;
    if (connection.status === 'expired' || connection.is_past_expiry) {
      if (connection.status === 'waiting') {
        await client.query(
          `update connection set status = 'expired', pin_hash = null, status_changed_at = now(), ` +
            `status_changed_by = 'expiry' where id = $1`,
          [connection.id],
        );
      }
      return { outcome: 'expired' } as const;
    }
    // Tokens are sent only for an issued PIN; without one, the link is not valid.
    if (connection.pin_hash === null) return { outcome: 'unknown_link' } as const;
    if (connection.lockouts >= maxLockouts) return { outcome: 'locked', until: null } as const;
    if (connection.is_locked) return { outcome: 'locked', until: connection.locked_until as Date } as const;

    if (!/^\d{4}$/.test(request.pin) || !pinMatches(secret, connection.id, request.pin, connection.pin_hash)) {
      const attempts = connection.failed_attempts + 1;
      if (attempts >= maxPinAttempts) {
        const lockouts = connection.lockouts + 1;
        const locked = await client.query<{ locked_until: Date }>(
          `update connection set failed_attempts = 0, lockouts = $3, locked_until = now() + make_interval(mins ` +
            `=> $2) where id = $1 returning locked_until`,
          [connection.id, lockMinutes, lockouts],
        );
        const forGood = lockouts >= maxLockouts;
        await audit('activation_locked', forGood ? { untilReset: true, lockouts } : { minutes: lockMinutes, lockouts });
        return {
          outcome: 'locked',
          until: forGood ? null : (locked.rows[0] as { locked_until: Date }).locked_until,
        } as const;
      }
      await client.query('update connection set failed_attempts = $2 where id = $1', [connection.id, attempts]);
      await audit('activation_wrong_pin', { attempt: attempts });
      return { outcome: 'wrong_pin', attemptsLeft: maxPinAttempts - attempts } as const;
    }

    await client.query(
      `update connection set status = 'activated', activated_at = now(), activated_account = $2, activated_issuer = $3,
              activated_subject = $4, pin_hash = null, failed_attempts = 0, locked_until = null, status_changed_at =
                now(),
              status_changed_by = $5
        where id = $1`,
      [connection.id, by.account, by.issuer, by.subject, actor],
    );
    await audit('connection_activated', { account: by.account });
    return { outcome: 'activated', connectionId: connection.id, asn: connection.asn } as const;
  });
}

/** What each outcome means, in plain words, for the CLI (the activation page words its own). */
export function describeActivation(result: ActivationResult): string {
  switch (result.outcome) {
    case 'activated':
      return "The connection is activated: the account can now see the student's record.";
    case 'wrong_pin':
      return (
        `The PIN is not ` +
        `right. ${result.attemptsLeft} ${result.attemptsLeft === 1 ? 'attempt is' : 'attempts are'} left before ` +
        `the connection is locked.`
      );
    case 'locked':
      return result.until === null
        ? 'Too many wrong PINs: the PIN is locked for good. Ask the school for a new PIN.'
        : `Too many wrong PINs: the connection is locked until ${timeIn(result.until)}. Try again after that.`;
    case 'expired':
      return 'This activation request has expired. Ask the school for a new PIN.';
    case 'revoked':
      return (
        'This connection was deleted by the school; it can no longer be activated. Ask the school if you ' +
        'need access.'
      );
    case 'already_activated':
      return (
        'This connection is already activated. If you cannot sign in, reset the password of the account ' +
        'you activated it with (Education Account, Google or Microsoft).'
      );
    case 'unknown_link':
      return (
        'This activation link is not valid: it may have been replaced by a newer email. Use the link in ' +
        'the newest email, or ask the school.'
      );
  }
}
