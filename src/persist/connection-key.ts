import type { Queryable } from '../db/database.ts';

export class ConnectionKeyMismatchError extends Error {}

/**
 * The first PIN work records the key's fingerprint; afterwards a different key is refused, so a
 * second machine with its own generated key cannot issue letters whose PINs never match.
 */
export async function assertConnectionKey(db: Queryable, fingerprint: Buffer): Promise<void> {
  await db.query('insert into connection_key (fingerprint) values ($1) on conflict (only_row) do nothing', [
    fingerprint,
  ]);
  const stored = await db.query<{ fingerprint: Buffer }>('select fingerprint from connection_key');
  if (!stored.rows[0]?.fingerprint.equals(fingerprint)) {
    throw new ConnectionKeyMismatchError(
      "The PIN key of this machine is not the one this database's PINs were made with. Give every machine the same " +
        "key in INTAKE_CONNECTION_SECRET (or connections.secret), or copy the first machine's " +
        'var/secrets/connection.key.',
    );
  }
}

/** Whether this machine's key is the one the database knows (or none is recorded yet); records nothing. */
export async function connectionKeyMatches(db: Queryable, fingerprint: Buffer): Promise<boolean> {
  const stored = await db.query<{ fingerprint: Buffer }>('select fingerprint from connection_key');
  const known = stored.rows[0]?.fingerprint;
  return known === undefined || known.equals(fingerprint);
}
