import type PgBoss from 'pg-boss';
import { type Database, hasPgCode, pgErrorCodes, type Queryable } from '../db/database.ts';
import { inTransaction, queues } from '../db/queue.ts';
import type { FileKind } from './kinds.ts';

export type FileFormat = 'csv' | 'xml';

export interface IntakeFile {
  id: number;
  authorityCode: string;
  kind: FileKind;
  originalName: string;
  format: FileFormat;
  sha256: string;
  /** The bytes read of the file: fixed at the claim, grown when its writer was still adding to it. */
  sizeBytes: number;
  /** The sha-256 of exactly those bytes (sha256 is the content key, which may have stayed the claim's). */
  readSha256: string;
  /** Its modification time when sizeBytes was read; null for files claimed by older releases. */
  mtimeMs: number | null;
  /** Its size at the claim, when it changed after it (the report says so). */
  claimedSizeBytes: number | null;
  /** The writer added to it after its first report; the report was written anew. */
  reopenedAfterReport: boolean;
  /** The file this run processes again (`intake files replay`), if it is a replay. */
  replayOf: number | null;
  /** The file its complete content was taken again as, when it was rewritten after rows were applied. */
  retakenAs: number | null;
  storedPath: string;
  status: 'queued' | 'processing' | 'done' | 'failed';
  asOf: string;
  /** Records whose outcome is committed; processing resumes after them. */
  recordsDone: number;
  accepted: number;
  referred: number;
  invalid: number;
  reportPath: string | null;
  error: string | null;
}

/** A row of intake_file as read with `fileColumns`. */
export interface FileRow {
  id: string;
  authority_code: string;
  kind: FileKind;
  original_name: string;
  format: FileFormat;
  sha256: string;
  size_bytes: string;
  read_sha256: string;
  mtime_ms: number | null;
  claimed_size_bytes: string | null;
  retaken_as: string | null;
  reopened_after_report: boolean;
  replay_of: string | null;
  stored_path: string;
  status: IntakeFile['status'];
  as_of: string;
  records_done: number;
  accepted: number;
  referred: number;
  invalid: number;
  report_path: string | null;
  error: string | null;
}

export const fileColumns = `id, authority_code, kind, original_name, format, sha256, size_bytes, read_sha256, mtime_ms,
  claimed_size_bytes, retaken_as, reopened_after_report, replay_of, stored_path, status, as_of::text, records_done,
  accepted, referred, invalid, report_path, error`;

export function toFile(row: FileRow): IntakeFile {
  return {
    id: Number(row.id),
    authorityCode: row.authority_code,
    kind: row.kind,
    originalName: row.original_name,
    format: row.format,
    sha256: row.sha256,
    sizeBytes: Number(row.size_bytes),
    readSha256: row.read_sha256,
    mtimeMs: row.mtime_ms,
    claimedSizeBytes: row.claimed_size_bytes === null ? null : Number(row.claimed_size_bytes),
    retakenAs: row.retaken_as === null ? null : Number(row.retaken_as),
    reopenedAfterReport: row.reopened_after_report,
    replayOf: row.replay_of === null ? null : Number(row.replay_of),
    storedPath: row.stored_path,
    status: row.status,
    asOf: row.as_of,
    recordsDone: row.records_done,
    accepted: row.accepted,
    referred: row.referred,
    invalid: row.invalid,
    reportPath: row.report_path,
    error: row.error,
  };
}

export interface NewFile {
  authorityCode: string;
  kind: FileKind;
  originalName: string;
  format: FileFormat;
  sha256: string;
  sizeBytes: number;
  mtimeMs: number;
  storedPath: string;
  asOf: string;
}

export type Registration = { outcome: 'registered'; file: IntakeFile } | { outcome: 'duplicate'; file: IntakeFile };

/**
 * Records a claimed file once per content hash and authority. With a boss, its processing job
 * is queued in the same transaction, so a file is never recorded without its job.
 */
export async function registerFile(db: Database, file: NewFile, boss: PgBoss | null): Promise<Registration> {
  return db.transaction(async (client) => {
    const inserted = await client.query<FileRow>(
      `insert into intake_file (authority_code, kind, original_name, format, sha256, read_sha256, size_bytes,
        mtime_ms, stored_path, as_of)
       values ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)
       on conflict (authority_code, sha256) where status <> 'failed' and replay_of is null do nothing
       returning ${fileColumns}`,
      [
        file.authorityCode,
        file.kind,
        file.originalName,
        file.format,
        file.sha256,
        file.sizeBytes,
        file.mtimeMs,
        file.storedPath,
        file.asOf,
      ],
    );
    const row = inserted.rows[0];
    if (row === undefined) {
      const existing = await client.query<FileRow>(
        `select ${fileColumns} from intake_file where authority_code = $1 and sha256 = $2 and status <> ` +
          `'failed' and replay_of is null`,
        [file.authorityCode, file.sha256],
      );
      return { outcome: 'duplicate', file: toFile(existing.rows[0] as FileRow) };
    }
    const registered = toFile(row);
    if (boss)
      await boss.send(
        queues.files,
        { fileId: registered.id },
        { ...inTransaction(client), singletonKey: String(registered.id) },
      );
    return { outcome: 'registered', file: registered };
  });
}

export async function getFile(db: Queryable, id: number): Promise<IntakeFile | null> {
  const result = await db.query<FileRow>(`select ${fileColumns} from intake_file where id = $1`, [id]);
  return result.rows[0] ? toFile(result.rows[0]) : null;
}

/**
 * The report's path, chosen once per file: `<name>.results.csv`, or `<name>.2.results.csv` and
 * so on when another file of the same name has it (a unique index decides, not a race).
 */
export async function reserveReportPath(
  db: Queryable,
  id: number,
  outbox: string,
  originalName: string,
  replay = false,
): Promise<string> {
  // A replay's report is `<name>.replay-2.results.csv`, `<name>.replay-3…`: never the original's.
  for (let n = replay ? 2 : 1; ; n++) {
    const candidate = replay
      ? `${outbox}/${originalName}.replay-${n}.results.csv`
      : `${outbox}/${n === 1 ? originalName : `${originalName}.${n}`}.results.csv`;
    try {
      const result = await db.query<{ report_path: string }>(
        'update intake_file set report_path = coalesce(report_path, $2) where id = $1 returning report_path',
        [id, candidate],
      );
      return (result.rows[0] as { report_path: string }).report_path;
    } catch (error) {
      if (!hasPgCode(error, pgErrorCodes.uniqueViolation)) throw error;
    }
  }
}

/** Files whose worker stopped (crash, restart): a lease ran out, or queued long with no worker taking them. */
export async function staleFiles(db: Queryable, leaseSeconds: number): Promise<number[]> {
  const result = await db.query<{ id: string }>(
    `select id from intake_file
      where (status = 'processing' and lease_until < now())
         or (status = 'queued' and received_at < now() - make_interval(secs => $1 * 5))
      order by id`,
    [leaseSeconds],
  );
  return result.rows.map((r) => Number(r.id));
}

export async function knownStoredPaths(db: Queryable, storedPaths: string[]): Promise<Set<string>> {
  const result = await db.query<{ stored_path: string }>(
    'select stored_path from intake_file where stored_path = any($1::text[])',
    [storedPaths],
  );
  return new Set(result.rows.map((r) => r.stored_path));
}
