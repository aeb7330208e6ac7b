import type { Database, Queryable } from '../db/database.ts';

export interface SignInLimits {
  /** Failures per account, or per client address, within the window before attempts are slowed down. */
  maxFailures: number;
  windowMinutes: number;
}

/** The longest an attempt is held: the delay doubles from 1 s up to this. */
const maxSignInDelayMs = 16_000;

/** The attempt, counted as a failure until the password proves right, and how long to hold it first. */
export interface Reservation {
  failureIds: string[];
  delayMs: number;
}

/**
 * Counts the attempt as a failure now, before the password is checked, and says how long to hold
 * it: nothing below `maxFailures` failures of its account or its address within the window, then
 * 1 s, 2 s, 4 s… up to `maxSignInDelayMs`. An attempt is slowed, never refused: a stranger
 * guessing at an account cannot lock its owner out, only make each guess slow. Both keys are
 * locked for the transaction (in a fixed order), so attempts at the same moment are counted one
 * after the other even across processes, and a burst of them is held the longest.
 */
export async function reserveAttempt(
  db: Database,
  keys: { account: string; address: string },
  limits: SignInLimits,
): Promise<Reservation> {
  const ordered = [keys.account, keys.address].sort();
  return db.transaction(async (client) => {
    for (const key of ordered)
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [`intake.sign-in:${key}`]);
    await client.query('delete from sign_in_failure where at < now() - make_interval(mins => $1)', [
      limits.windowMinutes,
    ]);
    const counted = await client.query<{ failures: string }>(
      'select count(*) as failures from sign_in_failure where key = any($1::text[]) group by key order by 1 ' +
        'desc limit 1',
      [ordered],
    );
    const failures = Number(counted.rows[0]?.failures ?? 0);
    const inserted = await client.query<{ id: string }>(
      'insert into sign_in_failure (key) select unnest($1::text[]) returning id::text',
      [ordered],
    );
    const delayMs =
      failures < limits.maxFailures ? 0 : Math.min(1000 * 2 ** (failures - limits.maxFailures), maxSignInDelayMs);
    return { failureIds: inserted.rows.map((r) => r.id), delayMs };
  });
}

/** The password was right: the attempt was no failure, and the account's earlier failures are forgiven. */
export async function acceptAttempt(
  db: Queryable,
  reservation: { failureIds: string[] },
  accountKey: string,
): Promise<void> {
  await db.query('delete from sign_in_failure where id = any($1::bigint[]) or key = $2', [
    reservation.failureIds,
    accountKey,
  ]);
}
