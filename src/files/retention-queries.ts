import type { Queryable } from '../db/database.ts';
import type { IntakeFile } from './registry.ts';

/*
 * What the database knows about files retention looks at (docs/operations.md §4): when each
 * file was finished, which letters still hold a PIN that works, and what was removed.
 */

/** A file as retention sees it: where it stands and when it was finished. */
export interface FileRecord {
  id: number;
  status: IntakeFile['status'];
  finishedAt: Date | null;
}

interface FileRecordRow {
  id: string;
  path: string;
  status: IntakeFile['status'];
  finished_at: Date | null;
}

function byPath(rows: FileRecordRow[]): Map<string, FileRecord> {
  return new Map(rows.map((r) => [r.path, { id: Number(r.id), status: r.status, finishedAt: r.finished_at }]));
}

/** The files kept (or being processed) at these paths, by path. */
export async function filesStoredAt(db: Queryable, storedPaths: string[]): Promise<Map<string, FileRecord>> {
  if (storedPaths.length === 0) return new Map();
  const result = await db.query<FileRecordRow>(
    'select id, stored_path as path, status, finished_at from intake_file where stored_path = any($1::text[])',
    [storedPaths],
  );
  return byPath(result.rows);
}

/** The files whose result reports are at these paths, by path. */
export async function filesReportedAt(db: Queryable, reportPaths: string[]): Promise<Map<string, FileRecord>> {
  if (reportPaths.length === 0) return new Map();
  const result = await db.query<FileRecordRow>(
    'select id, report_path as path, status, finished_at from intake_file where report_path = any($1::text[])',
    [reportPaths],
  );
  return byPath(result.rows);
}

/** The kept originals of these files were removed by retention. */
export async function markOriginalsPurged(db: Queryable, fileIds: number[]): Promise<void> {
  if (fileIds.length === 0) return;
  await db.query(
    'update intake_file set stored_purged_at = now() where id = any($1::bigint[]) and stored_purged_at is null',
    [fileIds],
  );
}

/** The result reports of these files were removed by retention. */
export async function markReportsPurged(db: Queryable, fileIds: number[]): Promise<void> {
  if (fileIds.length === 0) return;
  await db.query(
    'update intake_file set report_purged_at = now() where id = any($1::bigint[]) and report_purged_at is null',
    [fileIds],
  );
}

/** A batch of letters (a file's, or a queue item's) with the PDFs it wrote. */
export interface LetterBatchFiles {
  fileId: number | null;
  referralId: number | null;
  /** The PDFs' final names and the temporary names they were written under. */
  paths: string[];
}

/**
 * Batches of letters no request of which is still waiting, the last of them settled (expired,
 * activated or deleted) before `settledBefore`, and issued before it. A request belongs to the
 * batch whose letter carries its current PIN: one reset since onto another file's letters left
 * a dead PIN in this batch's PDF, and waits with the other batch.
 */
export async function dueLetterBatches(db: Queryable, settledBefore: Date): Promise<LetterBatchFiles[]> {
  const result = await db.query<{
    file_id: string | null;
    referral_id: string | null;
    pdf_paths: string[];
    temp_paths: string[];
  }>(
    `with request as (
       select 'f' || letter_file_id as batch, status, coalesce(activated_at, status_changed_at) as settled_at
         from connection where letter_file_id is not null
       union all
       select 'r' || letter_referral_id, status, coalesce(activated_at, status_changed_at)
         from connection where letter_referral_id is not null
     ), settled as (
       select batch, bool_or(status = 'waiting') as waiting, max(settled_at) as settled_at from request group by batch
     )
     select b.file_id, b.referral_id, b.pdf_paths, b.temp_paths
       from letter_batch b
       left join settled s on s.batch = coalesce('f' || b.file_id, 'r' || b.referral_id)
      where b.pdfs_purged_at is null
        and not coalesce(s.waiting, false)
        and greatest(b.issued_at, s.settled_at) < $1
      order by b.issued_at`,
    [settledBefore],
  );
  return result.rows.map((r) => ({
    fileId: r.file_id === null ? null : Number(r.file_id),
    referralId: r.referral_id === null ? null : Number(r.referral_id),
    paths: [...r.pdf_paths, ...r.temp_paths],
  }));
}

/** The PDFs of these batches were removed by retention: they are not looked at again. */
export async function markLetterBatchesPurged(db: Queryable, batches: LetterBatchFiles[]): Promise<void> {
  if (batches.length === 0) return;
  await db.query(
    `update letter_batch set pdfs_purged_at = now()
      where (file_id = any($1::bigint[]) or referral_id = any($2::bigint[])) and pdfs_purged_at is null`,
    [
      batches.flatMap((b) => (b.fileId === null ? [] : [b.fileId])),
      batches.flatMap((b) => (b.referralId === null ? [] : [b.referralId])),
    ],
  );
}

/** When retention removed a file's kept original and its report (null: not removed). */
export interface PurgedParts {
  originalPurgedAt: Date | null;
  reportPurgedAt: Date | null;
}

export async function purgedPartsOf(db: Queryable, fileId: number): Promise<PurgedParts | null> {
  const result = await db.query<{ stored_purged_at: Date | null; report_purged_at: Date | null }>(
    'select stored_purged_at, report_purged_at from intake_file where id = $1',
    [fileId],
  );
  const row = result.rows[0];
  return row ? { originalPurgedAt: row.stored_purged_at, reportPurgedAt: row.report_purged_at } : null;
}
