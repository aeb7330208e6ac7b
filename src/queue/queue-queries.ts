import { sqlTimeZone } from '../config/province.ts';
import type { Queryable } from '../db/database.ts';
import type { FileKind } from '../files/kinds.ts';
import type { ReferralReason } from '../outcomes.ts';

type ItemState = 'open' | 'approved' | 'rejected' | 'returned';

/** A queue item as listed: no row data, so a page of the list shows no names. */
export interface QueueItem {
  id: number;
  kind: FileKind;
  authorityCode: string;
  schoolCode: string | null;
  fileId: number;
  fileName: string;
  line: number;
  reason: ReferralReason;
  reportedCode: string;
  asn: string | null;
  asOf: string;
  createdAt: Date;
  state: ItemState;
  /** Set while a claim holds the item (a lapsed claim is shown as none). */
  claimedBy: string | null;
  claimedUntil: Date | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  note: string | null;
  result: string | null;
  resultAsn: string | null;
}

export interface QueueFilter {
  authority?: string;
  school?: string;
  reason?: string;
  kind?: FileKind;
  /**
   * Only items referred at least this many days ago (calendar days in the province's time zone: 1 = yesterday or
   * before).
   */
  minAgeDays?: number;
}

/** Where a page starts: after this item in the list's order (oldest first). */
export interface PageCursor {
  createdAt: string;
  id: number;
}

interface ItemRow {
  id: string;
  kind: FileKind;
  authority_code: string;
  school_code: string | null;
  file_id: string;
  file_name: string;
  line: number;
  reason: ReferralReason;
  reported_code: string;
  asn: string | null;
  as_of: string;
  created_at: Date;
  state: ItemState;
  claimed_by: string | null;
  claimed_until: Date | null;
  claim_live: boolean;
  resolved_by: string | null;
  resolved_at: Date | null;
  note: string | null;
  result: string | null;
  result_asn: string | null;
  created_key: string;
}

const itemColumns = `r.id::text, r.kind, r.authority_code, r.school_code, r.file_id::text,
  f.original_name as file_name, r.line,
  r.reason, r.reported_code, r.asn, r.as_of::text, r.created_at, r.state, r.claimed_by, r.claimed_until,
  coalesce(r.claimed_until > now(), false) as claim_live, r.resolved_by, r.resolved_at, r.note, r.result, r.result_asn,
  to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_key`;

function itemOf(row: ItemRow): QueueItem {
  const held = row.state === 'open' ? row.claim_live : true;
  return {
    id: Number(row.id),
    kind: row.kind,
    authorityCode: row.authority_code,
    schoolCode: row.school_code,
    fileId: Number(row.file_id),
    fileName: row.file_name,
    line: row.line,
    reason: row.reason,
    reportedCode: row.reported_code,
    asn: row.asn,
    asOf: row.as_of,
    createdAt: row.created_at,
    state: row.state,
    claimedBy: held ? row.claimed_by : null,
    claimedUntil: held && row.state === 'open' ? row.claimed_until : null,
    resolvedBy: row.resolved_by,
    resolvedAt: row.resolved_at,
    note: row.note,
    result: row.result,
    resultAsn: row.result_asn,
  };
}

const provinceToday = `(now() at time zone ${sqlTimeZone})::date`;

/**
 * The filter as SQL conditions over `r`, with its values from `$first` on: over the items, or
 * over the kept counts (whose day referred stands for the items' time).
 */
export function filterConditions(
  filter: QueueFilter,
  first: number,
  over: 'items' | 'counts' = 'items',
): { where: string[]; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (condition: (n: string) => string, value: unknown) => {
    values.push(value);
    where.push(condition(`$${first + values.length - 1}`));
  };
  if (filter.authority) add((n) => `r.authority_code = ${n}`, filter.authority);
  if (filter.school) add((n) => `r.school_code = ${n}`, filter.school);
  if (filter.reason) add((n) => `r.reason = ${n}`, filter.reason);
  if (filter.kind) add((n) => `r.kind = ${n}`, filter.kind);
  if (filter.minAgeDays) {
    add(
      (n) =>
        over === 'items'
          ? `r.created_at < (${provinceToday} - ${n}::int + 1)::timestamp at time zone ${sqlTimeZone}`
          : `r.referred_on <= ${provinceToday} - ${n}::int`,
      filter.minAgeDays,
    );
  }
  return { where, values };
}

export interface QueuePage {
  items: QueueItem[];
  /** Where the next page starts; null on the last page. */
  next: PageCursor | null;
}

/**
 * One page of open items, oldest first. Pages are keyed by the last item shown, not by an
 * offset, so page 2,000 of a September rush costs what page 1 does.
 */
export async function listOpenItems(
  db: Queryable,
  filter: QueueFilter,
  pageSize: number,
  after: PageCursor | null = null,
): Promise<QueuePage> {
  const { where, values } = filterConditions(filter, 2);
  if (after) {
    values.push(after.createdAt, after.id);
    where.push(`(r.created_at, r.id) > ($${values.length}::timestamptz, $${values.length + 1}::bigint)`);
  }
  const result = await db.query<ItemRow>(
    `select ${itemColumns} from referral r join intake_file f on f.id = r.file_id
      where r.state = 'open' ${where.map((w) => `and ${w}`).join(' ')}
      order by r.created_at, r.id limit $1`,
    [pageSize + 1, ...values],
  );
  const rows = result.rows.slice(0, pageSize);
  const last = rows[rows.length - 1];
  return {
    items: rows.map(itemOf),
    next: result.rows.length > pageSize && last ? { createdAt: last.created_key, id: Number(last.id) } : null,
  };
}

/** Open items per reason under the other filters (the reason filter itself left out), from the kept counts. */
export async function countOpenByReason(db: Queryable, filter: QueueFilter): Promise<Map<string, number>> {
  const { where, values } = filterConditions({ ...filter, reason: undefined }, 1, 'counts');
  const result = await db.query<{ reason: string; items: string }>(
    `select r.reason, sum(r.items) as items from referral_open_count r where r.items > 0
      ${where.map((w) => `and ${w}`).join(' ')}
      group by r.reason having sum(r.items) > 0 order by r.reason`,
    values,
  );
  return new Map(result.rows.map((r) => [r.reason, Number(r.items)]));
}

export function cursorText(cursor: PageCursor): string {
  return `${cursor.createdAt}_${cursor.id}`;
}

export function parseCursor(text: string): PageCursor | null {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)_(\d{1,18})$/.exec(text);
  return match ? { createdAt: match[1] as string, id: Number(match[2]) } : null;
}

export async function getItem(db: Queryable, id: number): Promise<QueueItem | null> {
  const result = await db.query<ItemRow>(
    `select ${itemColumns} from referral r join intake_file f on f.id = r.file_id where r.id = $1`,
    [id],
  );
  const row = result.rows[0];
  return row ? itemOf(row) : null;
}

/** Open queue items per authority, from the kept counts. */
export async function openItemsByAuthority(db: Queryable): Promise<{ authorityCode: string; items: number }[]> {
  const result = await db.query<{ authority_code: string; items: string }>(
    'select authority_code, sum(items) as items from referral_open_count group by authority_code having ' +
      'sum(items) > 0 order by authority_code',
  );
  return result.rows.map((r) => ({ authorityCode: r.authority_code, items: Number(r.items) }));
}
