import type PgBoss from 'pg-boss';
import type { Database, Queryable } from '../db/database.ts';
import { inTransaction, queues } from '../db/queue.ts';
import { type FileRow, fileColumns, type IntakeFile, toFile } from './registry.ts';

/**
 * A file's run holds a lease on it (docs/architecture.md, how a chunk commits): taken, renewed with each chunk,
 * released or ended with the file. Every write of a run checks it still holds the lease.
 */

export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/** Throws when the run's update found no row: another run has taken the file over. */
function stillLeased(rowCount: number | null, id: number, owner: string): void {
  if (rowCount !== 1) throw new LeaseLostError(`File ${id} is no longer leased to ${owner}.`);
}

/**
 * Takes the file for one run unless another run holds a live lease; a lease left by a crashed
 * worker runs out and the file is taken over, resuming after its last committed record.
 * `owner` is unique to the run, so two runs in one process never share a lease.
 */
export async function acquireLease(
  db: Queryable,
  id: number,
  owner: string,
  leaseSeconds: number,
): Promise<IntakeFile | null> {
  const result = await db.query<FileRow>(
    `update intake_file set status = 'processing', lease_owner = $2, lease_until = now() + make_interval(secs => $3)
      where id = $1 and status in ('queued', 'processing')
        and (lease_owner is null or lease_until < now())
     returning ${fileColumns}`,
    [id, owner, leaseSeconds],
  );
  return result.rows[0] ? toFile(result.rows[0]) : null;
}

export interface ChunkProgress {
  recordsDone: number;
  accepted: number;
  referred: number;
  invalid: number;
}

/** Records a chunk's progress in its own transaction; fails when the lease was lost, rolling the chunk back. */
export async function recordProgress(
  client: Queryable,
  id: number,
  owner: string,
  leaseSeconds: number,
  progress: ChunkProgress,
): Promise<void> {
  const result = await client.query(
    `update intake_file set records_done = $3, accepted = accepted + $4, referred = referred + $5, invalid = invalid +
      $6,
            lease_until = now() + make_interval(secs => $7)
      where id = $1 and lease_owner = $2 and status = 'processing'`,
    [id, owner, progress.recordsDone, progress.accepted, progress.referred, progress.invalid, leaseSeconds],
  );
  stillLeased(result.rowCount, id, owner);
}

/** Records why the file is refused before it is moved, so a restart finishes the same refusal. */
export async function recordRefusal(db: Queryable, id: number, owner: string, reason: string): Promise<void> {
  const result = await db.query(
    `update intake_file set error = $3 where id = $1 and lease_owner = $2 and status = 'processing'`,
    [id, owner, reason],
  );
  stillLeased(result.rowCount, id, owner);
}

/**
 * The run stops: its file is free at once (its committed chunks stand), with a new job so that
 * the next worker, here or on another machine, resumes it without waiting for a sweep.
 */
export async function releaseLease(db: Database, id: number, owner: string, boss: PgBoss): Promise<void> {
  await db.transaction(async (client) => {
    const released = await client.query(
      `update intake_file set lease_owner = null, lease_until = now() - interval '1 second'
        where id = $1 and lease_owner = $2 and status = 'processing'`,
      [id, owner],
    );
    if (released.rowCount === 1) await boss.send(queues.files, { fileId: id }, inTransaction(client));
  });
}

/** Renews the run's lease, failing when another run has taken the file over. */
export async function renewLease(db: Queryable, id: number, owner: string, leaseSeconds: number): Promise<void> {
  const result = await db.query(
    `update intake_file set lease_until = now() + make_interval(secs => $3) where id = $1 and lease_owner = $2 ` +
      `and status = 'processing'`,
    [id, owner, leaseSeconds],
  );
  stillLeased(result.rowCount, id, owner);
}

export async function finishFile(
  db: Queryable,
  id: number,
  owner: string,
  outcome: { status: 'done' | 'failed'; storedPath: string; error: string | null },
): Promise<void> {
  const result = await db.query(
    `update intake_file set status = $3, stored_path = $4, error = $5, finished_at = now(), lease_owner = null,
      lease_until = null
      where id = $1 and lease_owner = $2`,
    [id, owner, outcome.status, outcome.storedPath, outcome.error],
  );
  stillLeased(result.rowCount, id, owner);
}
