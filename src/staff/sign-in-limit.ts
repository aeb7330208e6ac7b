import type { Database, Queryable } from '../db/database.ts';

export interface SignInLimits {
  /** Failures per account, or per client address, within the window before more are refused. */
  maxFailures: number;
  windowMinutes: number;
}

export type Reservation = { outcome: 'counted'; failureIds: string[] } | { outcome: 'refused'; retryAt: Date };

/**
 * Refuses the attempt when its account or its address has `maxFailures` failures within the
 * window; otherwise counts it as a failure now, before the password is checked. Both keys are
 * locked for the transaction (in a fixed order), so attempts at the same moment are counted one
 * after the other even across processes. Refused attempts are not counted: the lock ends
 * `windowMinutes` after the failure that set it, however long someone keeps trying.
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
    let retryAt: Date | null = null;
    for (const key of ordered) {
      const until = await limitedUntil(client, key, limits);
      if (until !== null && (retryAt === null || until > retryAt)) retryAt = until;
    }
    if (retryAt !== null) return { outcome: 'refused', retryAt } as const;
    const inserted = await client.query<{ id: string }>(
      'insert into sign_in_failure (key) select unnest($1::text[]) returning id::text',
      [ordered],
    );
    return { outcome: 'counted', failureIds: inserted.rows.map((r) => r.id) } as const;
  });
}

/** When the key's failures drop below the limit again; null when they are below it now. */
async function limitedUntil(client: Queryable, key: string, limits: SignInLimits): Promise<Date | null> {
  const found = await client.query<{ until: Date }>(
    `select at + make_interval(mins => $2) as until from sign_in_failure
      where key = $1 and at > now() - make_interval(mins => $2)
      order by at desc offset $3 - 1 limit 1`,
    [key, limits.windowMinutes, limits.maxFailures],
  );
  return found.rows[0]?.until ?? null;
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
