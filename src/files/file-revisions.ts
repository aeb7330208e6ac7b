import type PgBoss from 'pg-boss';
import { type Database, hasPgCode, pgErrorCodes, type Queryable } from '../db/database.ts';
import { inTransaction, queues } from '../db/queue.ts';
import { LeaseLostError } from './leases.ts';
import { type FileRow, fileColumns, type IntakeFile, toFile } from './registry.ts';

/*
 * What happens to a registered file after its claim when its writer was not done, or an operator
 * asks for it again (docs/file-arrival.md §5): growth, retakes, reopening, replays.
 */

export interface FileGrowth {
  sizeBytes: number;
  sha256: string;
  mtimeMs: number;
}

/**
 * The file changed after its claim and its writer is now done: what is read of it becomes the
 * whole of it. The content key follows unless another file of the authority already has that
 * content (it was also sent complete): then the claim's key stays, and both are applied.
 */
export async function recordGrowth(db: Database, id: number, owner: string, growth: FileGrowth): Promise<IntakeFile> {
  const update = (withKey: boolean) =>
    db.query<FileRow>(
      `update intake_file set size_bytes = $3, mtime_ms = $4, read_sha256 = $5,
              claimed_size_bytes = coalesce(claimed_size_bytes, size_bytes) ${withKey ? ', sha256 = $5' : ''}
        where id = $1 and lease_owner = $2 and status = 'processing' returning ${fileColumns}`,
      [id, owner, growth.sizeBytes, growth.mtimeMs, growth.sha256],
    );
  const result = await update(true).catch((error: unknown) => {
    if (hasPgCode(error, pgErrorCodes.uniqueViolation)) return update(false);
    throw error;
  });
  const row = result.rows[0];
  if (row === undefined) throw new LeaseLostError(`File ${id} is no longer leased to ${owner}.`);
  return toFile(row);
}

/** The file was rewritten after rows were applied; its complete content is now file `retakenAs`. */
export async function recordRetake(
  db: Queryable,
  id: number,
  owner: string,
  retakenAs: number,
  claimedSizeBytes: number,
): Promise<void> {
  const result = await db.query(
    `update intake_file set retaken_as = $3, claimed_size_bytes = coalesce(claimed_size_bytes, $4)
      where id = $1 and lease_owner = $2 and status = 'processing'`,
    [id, owner, retakenAs, claimedSizeBytes],
  );
  if (result.rowCount !== 1) throw new LeaseLostError(`File ${id} is no longer leased to ${owner}.`);
}

/** Files finished within the last `minutes`, with what was read of them: was anything added since? */
export async function recentlyFinished(db: Queryable, minutes: number): Promise<IntakeFile[]> {
  // A file already taken again whole is the new file's business, not this one's.
  const result = await db.query<FileRow>(
    `select ${fileColumns} from intake_file
      where status = 'done' and mtime_ms is not null and retaken_as is null
        and finished_at > now() - make_interval(mins => $1)`,
    [minutes],
  );
  return result.rows.map(toFile);
}

/** A finished file taken again whole as `retakenAs` (written to after its report, see file-changes). */
export async function recordRetakeOfFinished(db: Queryable, id: number, retakenAs: number): Promise<void> {
  await db.query(
    `update intake_file set retaken_as = $2, claimed_size_bytes = coalesce(claimed_size_bytes, size_bytes) ` +
      `where id = $1`,
    [id, retakenAs],
  );
}

/** A finished file its writer added to: queued again (with its job), to read on from its last record. */
export async function reopenFile(db: Database, id: number, boss: PgBoss): Promise<boolean> {
  return db.transaction(async (client) => {
    const result = await client.query(
      `update intake_file set status = 'queued', finished_at = null, reopened_after_report = true where id = $1 ` +
        `and status = 'done'`,
      [id],
    );
    if (result.rowCount !== 1) return false;
    await boss.send(queues.files, { fileId: id }, inTransaction(client));
    return true;
  });
}

/**
 * A new run of a processed file, on an operator's request: its own row, reading `storedPath`, a
 * copy of the original; the content key does not hold for replays.
 */
export async function registerReplay(
  db: Database,
  original: IntakeFile,
  replay: { storedPath: string; sizeBytes: number; readSha256: string; mtimeMs: number; asOf: string; reason: string },
): Promise<IntakeFile> {
  const inserted = await db.query<FileRow>(
    `insert into intake_file (authority_code, kind, original_name, format, sha256, read_sha256, size_bytes, mtime_ms,
                              stored_path, as_of, replay_of, replay_reason)
     select authority_code, kind, original_name, format, sha256, $6, $7, $2, $3, $4, id, $5
       from intake_file where id = $1
     returning ${fileColumns}`,
    [original.id, replay.mtimeMs, replay.storedPath, replay.asOf, replay.reason, replay.readSha256, replay.sizeBytes],
  );
  return toFile(inserted.rows[0] as FileRow);
}

/**
 * The last record read was a line its writer had not finished (the bytes read ended mid-line, and
 * the file has grown since): when that cut line was refused, its outcome is taken back so the line
 * is read again whole. A refused row changed nothing else. Returns the file as it now stands.
 */
export async function takeBackCutRecord(db: Database, id: number, owner: string): Promise<IntakeFile | null> {
  return db.transaction(async (client) => {
    const last = await client.query<{ first_record: number; n: number; status: string; code: string }>(
      `select first_record, cardinality(statuses) as n, statuses[cardinality(statuses)] as status,
              codes[cardinality(codes)] as code
         from row_outcome_chunk where file_id = $1 order by first_record desc limit 1 for update`,
      [id],
    );
    const chunk = last.rows[0];
    if (chunk === undefined || chunk.status !== 'invalid') return null;
    if (chunk.n === 1) {
      await client.query('delete from row_outcome_chunk where file_id = $1 and first_record = $2', [
        id,
        chunk.first_record,
      ]);
    } else {
      await client.query(
        `update row_outcome_chunk set lines = lines[1:$3], statuses = statuses[1:$3], codes = codes[1:$3],
                messages = messages[1:$3], asns = asns[1:$3]
          where file_id = $1 and first_record = $2`,
        [id, chunk.first_record, chunk.n - 1],
      );
    }
    // The metrics' counts follow the outcomes they count.
    await client.query(
      `update outcome_count set rows = rows - 1
        where kind = (select kind from intake_file where id = $1) and status = 'invalid' and code = $2`,
      [id, chunk.code],
    );
    const updated = await client.query<FileRow>(
      `update intake_file set records_done = records_done - 1, invalid = invalid - 1
        where id = $1 and lease_owner = $2 and status = 'processing' returning ${fileColumns}`,
      [id, owner],
    );
    const row = updated.rows[0];
    if (row === undefined) throw new LeaseLostError(`File ${id} is no longer leased to ${owner}.`);
    return toFile(row);
  });
}
