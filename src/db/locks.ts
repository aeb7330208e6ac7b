import type { Queryable } from './database.ts';

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
