import type { Queryable } from '../db/database.ts';
import { queues } from '../db/queue.ts';

/*
 * What the metrics and the dashboard's health read from the database: each an index-only count
 * over a small index, a range of an index, or a read of a small counter table (migration 009),
 * so that a scrape costs the same with ten files or ten million. The numbers come from the
 * database, not from the process asked, so every machine answers alike and a restart forgets
 * nothing.
 */

/** Minutes of finished files the processing-time histogram looks at. */
export const processingWindowMinutes = 60;
/** Minutes of finished files the rows-per-second rate looks at. */
export const rateWindowMinutes = 15;

/** Files by kind and status: index-only, over `intake_file_kind_status`. */
export async function filesByStatus(db: Queryable): Promise<{ kind: string; status: string; files: number }[]> {
  const result = await db.query<{ kind: string; status: string; files: number }>(
    'select kind, status, count(*)::float8 as files from intake_file group by kind, status order by kind, status',
  );
  return result.rows;
}

/** Rows by kind, status and code, as kept with each chunk's outcomes (`outcome_count`). */
export async function rowsByOutcome(
  db: Queryable,
): Promise<{ kind: string; status: string; code: string; rows: number }[]> {
  const result = await db.query<{ kind: string; status: string; code: string; rows: number }>(
    'select kind, status, code, rows::float8 as rows from outcome_count order by kind, status, code',
  );
  return result.rows;
}

export interface FinishedFile {
  kind: string;
  /** From the run's first take of the file to its end. */
  seconds: number;
  records: number;
  /** Finished within the last `rateWindowMinutes`. */
  inRateWindow: boolean;
}

/**
 * Files processed to the end within the last `processingWindowMinutes`: a range of the index of
 * recently done files (every file claimed since migration 006 has mtime_ms, which that index's
 * predicate asks). Files without started_at finished before migration 009, outside the window.
 */
export async function recentlyFinished(db: Queryable): Promise<FinishedFile[]> {
  const result = await db.query<FinishedFile>(
    `select kind, greatest(extract(epoch from finished_at - started_at), 0)::float8 as seconds, records_done as records,
            finished_at > now() - make_interval(mins => $2) as "inRateWindow"
       from intake_file
      where status = 'done' and mtime_ms is not null and finished_at > now() - make_interval(mins => $1)
        and started_at is not null
      order by finished_at`,
    [processingWindowMinutes, rateWindowMinutes],
  );
  return result.rows;
}

/** Open Student Records queue items by reason, from the kept counts (`referral_open_count`). */
export async function openItemsByReason(db: Queryable): Promise<{ reason: string; items: number }[]> {
  const result = await db.query<{ reason: string; items: number }>(
    `select reason, sum(items)::float8 as items from referral_open_count
      group by reason having sum(items) > 0 order by reason`,
  );
  return result.rows;
}

/** Seconds the oldest open queue item has waited (the first entry of `referral_open`); null when none is open. */
export async function oldestOpenItemSeconds(db: Queryable): Promise<number | null> {
  const result = await db.query<{ seconds: number }>(
    `select extract(epoch from now() - created_at)::float8 as seconds from referral
      where state = 'open' order by created_at, id limit 1`,
  );
  return result.rows[0]?.seconds ?? null;
}

/** pg-boss's states of an activation email's job, as the metrics name them. */
export const emailStates = {
  created: 'queued',
  retry: 'retrying',
  active: 'sending',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;

export type EmailState = (typeof emailStates)[keyof typeof emailStates];

/** How long pg-boss keeps a finished job in its job table before moving it to its archive (its default). */
export const finishedEmailsKeptHours = 12;

/**
 * Activation email jobs by state, from pg-boss's own table: the queue's partition only, which
 * holds what waits or is being sent, and what finished within `finishedEmailsKeptHours`; older
 * finished jobs are in pg-boss's archive, not counted.
 */
export async function activationEmailsByState(db: Queryable): Promise<Record<EmailState, number>> {
  const result = await db.query<{ state: keyof typeof emailStates; jobs: number }>(
    `select state::text as state, count(*)::float8 as jobs from pgboss.job where name = ` +
      `'${queues.activationMail}' group by state`,
  );
  const byState = Object.fromEntries(Object.values(emailStates).map((state) => [state, 0])) as Record<
    EmailState,
    number
  >;
  for (const row of result.rows) byState[emailStates[row.state]] = row.jobs;
  return byState;
}

/** PIN letters issued, in every batch ever recorded: index-only, over `letter_batch_issued`. */
export async function lettersIssued(db: Queryable): Promise<number> {
  const result = await db.query<{ letters: number }>(
    'select coalesce(sum(letters), 0)::float8 as letters from letter_batch',
  );
  return result.rows[0]?.letters ?? 0;
}

/** Activations and lockouts of connections, as audited: over the partial index of those entries only. */
export async function connectionEvents(db: Queryable): Promise<{ activations: number; lockouts: number }> {
  const result = await db.query<{ activations: number; lockouts: number }>(
    `select count(*) filter (where action = 'connection_activated')::float8 as activations,
            count(*) filter (where action = 'activation_locked')::float8 as lockouts
       from audit_log where action in ('connection_activated', 'activation_locked')`,
  );
  return result.rows[0] ?? { activations: 0, lockouts: 0 };
}

export interface UnfinishedFile {
  id: number;
  authorityCode: string;
  kind: string;
  name: string;
  status: 'queued' | 'processing';
  receivedAt: Date;
  startedAt: Date | null;
  /** Records whose outcome is committed. */
  recordsDone: number;
  accepted: number;
  referred: number;
  invalid: number;
}

/** Files queued or being processed, oldest first (over `intake_file_unfinished`); at most `limit`. */
export async function unfinishedFiles(db: Queryable, limit: number): Promise<UnfinishedFile[]> {
  const result = await db.query<UnfinishedFile>(
    `select id::int as id, authority_code as "authorityCode", kind, original_name as name, status, received_at as
      "receivedAt",
            started_at as "startedAt", records_done as "recordsDone", accepted, referred, invalid
       from intake_file where status in ('queued', 'processing') order by id limit $1`,
    [limit],
  );
  return result.rows;
}
