import { sqlTimeZone } from '../config/province.ts';
import type { Queryable } from '../db/database.ts';

export interface AuthorityDay {
  authorityCode: string;
  authorityName: string;
  files: number;
  enrolmentFiles: number;
  accessFiles: number;
  accepted: number;
  referred: number;
  invalid: number;
  failed: number;
  /** Queued or being processed. */
  inProgress: number;
}

export interface FailedFile {
  id: string;
  authorityCode: string;
  kind: string;
  originalName: string;
  receivedAt: Date;
  error: string | null;
}

// Today in the province's time, as a range of moments, so the index on received_at can serve it.
const today = `(select date_trunc('day', now() at time zone ${sqlTimeZone}) at time zone ${sqlTimeZone} as starts,
                       (date_trunc('day', now() at time zone ${sqlTimeZone}) + interval '1 day') at time zone
                         ${sqlTimeZone} as ends) day`;

/** Today's files, per authority and those that failed: the console's dashboard. */
export async function filesToday(db: Queryable): Promise<{ authorities: AuthorityDay[]; failed: FailedFile[] }> {
  const authorities = await db.query<AuthorityDay>(
    `select f.authority_code as "authorityCode", a.name as "authorityName", count(*)::int as files,
            count(*) filter (where f.kind = 'enrolment')::int as "enrolmentFiles", count(*) filter (where f.kind =
              'access')::int as "accessFiles",
            sum(f.accepted)::int as accepted, sum(f.referred)::int as referred, sum(f.invalid)::int as invalid,
            count(*) filter (where f.status = 'failed')::int as failed,
            count(*) filter (where f.status in ('queued', 'processing'))::int as "inProgress"
       from intake_file f join authority a on a.code = f.authority_code, ${today}
      where f.received_at >= day.starts and f.received_at < day.ends
      group by f.authority_code, a.name order by f.authority_code`,
  );
  const failed = await db.query<FailedFile>(
    `select f.id::text, f.authority_code as "authorityCode", f.kind, f.original_name as "originalName", f.received_at
      as "receivedAt", f.error
       from intake_file f, ${today}
      where f.status = 'failed' and f.received_at >= day.starts and f.received_at < day.ends
      order by f.received_at, f.id`,
  );
  return { authorities: authorities.rows, failed: failed.rows };
}
