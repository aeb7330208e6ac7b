import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { type Config, paths } from '../config/config.ts';
import { sqlTimeZone } from '../config/province.ts';
import type { Database } from '../db/database.ts';
import { folders } from '../files/folders.ts';
import { replaceFile } from '../files/outbox.ts';
import { timeIn } from '../validate/dates.ts';
import { formatAsn } from '../validate/values.ts';
import { spreadsheetSafe } from './spreadsheet-safe.ts';

const decisionColumns = ['file', 'line', 'asn', 'decision', 'note', 'when', 'result'] as const;

/**
 * `outbox/<authority>/student-records/decisions-<day>.csv`: one file per authority and day (the province's time
 * zone).
 */
export function decisionsPath(config: Config, authorityCode: string, day: string): string {
  return path.join(folders.outbox(config, authorityCode), 'student-records', `decisions-${day}.csv`);
}

interface DecisionRow {
  id: string;
  file_name: string;
  line: number;
  asn: string | null;
  result_asn: string | null;
  state: 'approved' | 'rejected' | 'returned';
  note: string | null;
  decided: Date;
  result: string | null;
}

/**
 * Writes (again) the day's decisions file of an authority from the database, whole, under a
 * lock per authority and day: the last writer has read every decision committed before it, so
 * a decision is never dropped by two writers racing. Marks the decisions as reported.
 */
export async function writeDecisionsFile(
  db: Database,
  config: Config,
  authorityCode: string,
  day: string,
): Promise<string> {
  return db.transaction(async (client) => {
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [`decisions|${authorityCode}|${day}`]);
    const decided = await client.query<DecisionRow>(
      `select r.id::text, f.original_name as file_name, r.line, r.asn, r.result_asn, r.state, r.note, r.result,
              r.resolved_at as decided
         from referral r join intake_file f on f.id = r.file_id
        where r.authority_code = $1 and r.state <> 'open'
          and r.resolved_at >= ($2::date)::timestamp at time zone ${sqlTimeZone}
          and r.resolved_at < ($2::date + 1)::timestamp at time zone ${sqlTimeZone}
        order by r.resolved_at, r.id`,
      [authorityCode, day],
    );
    const rows = decided.rows.map((r) => {
      // A new student's ASN is the uploader's to learn; otherwise the ASN as they sent it.
      const asn = r.result_asn ?? r.asn;
      return [
        r.file_name,
        r.line,
        asn === null ? '' : formatAsn(asn),
        r.state,
        r.note ?? '',
        timeIn(r.decided),
        r.result ?? '',
      ].map(spreadsheetSafe);
    });
    const target = decisionsPath(config, authorityCode, day);
    // Never through a link an authority planted (src/files/outbox.ts).
    await replaceFile(paths.outbox(config), target, stringify([[...decisionColumns], ...rows]), 0o640);
    await client.query('update referral set reported_at = now() where id = any($1::bigint[]) and reported_at is null', [
      decided.rows.map((r) => r.id),
    ]);
    return target;
  });
}

/** Decisions not yet in their authority's file (a crash right after a decision): their files are written again. */
export async function writeUnreportedDecisions(db: Database, config: Config): Promise<number> {
  const pending = await db.query<{ authority_code: string; day: string }>(
    `select distinct authority_code, to_char(resolved_at at time zone ${sqlTimeZone}, 'YYYY-MM-DD') as day
       from referral where state <> 'open' and reported_at is null`,
  );
  for (const { authority_code: authority, day } of pending.rows) await writeDecisionsFile(db, config, authority, day);
  return pending.rows.length;
}
