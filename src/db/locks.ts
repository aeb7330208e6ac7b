import type { Database, Queryable } from './database.ts';

/**
 * Transaction-scoped advisory locks on these keys, taken in sorted order so two transactions
 * wanting overlapping keys never deadlock: the second waits, then sees what the first wrote.
 */
export async function lockKeys(client: Queryable, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await client.query('select pg_advisory_xact_lock(hashtext(k)) from unnest($1::text[]) k order by k', [
    [...keys].sort(),
  ]);
}

/**
 * Runs `work` only if no other process of the cluster is running work under `key` now: the lock
 * is held by a transaction of its own for as long as the work takes (the work uses other
 * connections). Returns null when another holds it.
 */
export async function exclusively<T>(db: Database, key: string, work: () => Promise<T>): Promise<T | null> {
  return db.transaction(async (client) => {
    const taken = await client.query<{ taken: boolean }>('select pg_try_advisory_xact_lock(hashtext($1)) as taken', [
      key,
    ]);
    if (taken.rows[0]?.taken !== true) return null;
    return work();
  });
}
