import { sqlTimeZone } from '../config/province.ts';
import type { Queryable } from '../db/database.ts';
import type { FileKind } from './kinds.ts';
import type { IntakeFile } from './registry.ts';

export type FileStatus = IntakeFile['status'];
export const fileStatuses: readonly FileStatus[] = ['queued', 'processing', 'done', 'failed'];

/** A file as operators look at it: where it stands, what came of its rows, where its report is. */
export interface FileSummary {
  id: number;
  authorityCode: string;
  kind: FileKind;
  name: string;
  status: FileStatus;
  asOf: string;
  receivedAt: Date;
  finishedAt: Date | null;
  /** Records whose outcome is committed (all of them once done). */
  recordsDone: number;
  accepted: number;
  referred: number;
  invalid: number;
  bytes: number;
  /** Set when the file changed while it was read: its size at the claim. */
  claimedBytes: number | null;
  retakenAs: number | null;
  reportPath: string | null;
  storedPath: string;
  error: string | null;
}

export interface FileFilter {
  authority?: string;
  kind?: FileKind;
  status?: FileStatus;
  /** Received on or after this day, in the province's time zone. */
  since?: string;
  limit: number;
}

const summaryColumns = `id::int as id, authority_code as "authorityCode", kind, original_name as name, status,
  as_of::text as "asOf",
  received_at as "receivedAt", finished_at as "finishedAt", records_done as "recordsDone", accepted, referred, invalid,
  size_bytes::float8 as bytes, claimed_size_bytes::float8 as "claimedBytes", retaken_as::int as "retakenAs",
  report_path as "reportPath", stored_path as "storedPath", error`;

/** The newest files first, filtered; at most `limit`. */
export async function listFiles(db: Queryable, filter: FileFilter): Promise<FileSummary[]> {
  const result = await db.query<FileSummary>(
    `select ${summaryColumns} from intake_file
      where ($1::text is null or authority_code = $1) and ($2::text is null or kind = $2)
        and ($3::text is null or status = $3)
        and ($4::date is null or received_at >= ($4::date)::timestamp at time zone ${sqlTimeZone})
      order by id desc limit $5`,
    [filter.authority ?? null, filter.kind ?? null, filter.status ?? null, filter.since ?? null, filter.limit],
  );
  return result.rows;
}

export async function fileSummary(db: Queryable, id: number): Promise<FileSummary | null> {
  const result = await db.query<FileSummary>(`select ${summaryColumns} from intake_file where id = $1`, [id]);
  return result.rows[0] ?? null;
}
