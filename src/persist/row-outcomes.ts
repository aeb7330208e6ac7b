import { arrayLiteral, columnLiteral } from '../db/array-literal.ts';
import type { Queryable } from '../db/database.ts';
import type { RowCode, RowStatus } from '../outcomes.ts';

export interface RowOutcome {
  line: number;
  status: RowStatus;
  code: RowCode;
  message: string;
  asn: string | null;
}

/**
 * One insert per chunk; `outcomes` in file order, `firstRecord` the records of the file before
 * them. The chunk's rows are added to the counts by kind, status and code (`outcome_count`, what
 * the metrics read) in the same transaction, so the counts never disagree with the outcomes.
 */
export async function insertOutcomes(
  client: Queryable,
  fileId: number,
  firstRecord: number,
  outcomes: RowOutcome[],
): Promise<void> {
  if (outcomes.length === 0) return;
  const statuses = outcomes.map((o) => o.status);
  const codes = outcomes.map((o) => o.code);
  await client.query(
    `insert into row_outcome_chunk (file_id, first_record, lines, statuses, codes, messages, asns)
     values ($1, $2, $3::int[], $4::text[], $5::text[], $6::text[], $7::text[])`,
    [
      fileId,
      firstRecord,
      columnLiteral(outcomes, (o) => o.line),
      arrayLiteral(statuses),
      arrayLiteral(codes),
      columnLiteral(outcomes, (o) => o.message),
      columnLiteral(outcomes, (o) => o.asn),
    ],
  );
  // Counted here and sent as a few (status, code) pairs: sending the chunk's 5,000 statuses and
  // codes a second time to be grouped on the server took 7.4–8.7 ms a chunk, this 1.8–3.3 ms
  // (100 chunks' counts each way, one connection). In key order: two chunks
  // committing at once lock the rows they share in the same order, so they wait for each other
  // rather than deadlock.
  const counts = new Map<string, number>();
  for (let i = 0; i < statuses.length; i++) {
    const key = `${statuses[i]}\u0000${codes[i]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const pairs = [...counts].map(([key, rows]) => [...key.split('\u0000'), rows] as const);
  await client.query(
    `insert into outcome_count (kind, status, code, rows)
     select f.kind, o.status, o.code, o.rows
       from intake_file f cross join unnest($2::text[], $3::text[], $4::bigint[]) as o (status, code, rows)
      where f.id = $1
      order by f.kind, o.status, o.code
     on conflict (kind, status, code) do update set rows = outcome_count.rows + excluded.rows`,
    [fileId, pairs.map((p) => p[0]), pairs.map((p) => p[1]), pairs.map((p) => p[2])],
  );
}

export interface AuditEntry {
  actor: string;
  action: string;
  asn: string | null;
  fileId: number | null;
  line: number | null;
  detail: Record<string, unknown>;
  /** The Student Records queue item the entry concerns. */
  referralId?: number | null;
}

export async function insertAudit(client: Queryable, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await client.query(
    `insert into audit_log (actor, action, asn, file_id, line, detail, referral_id)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::jsonb[], $7::bigint[])`,
    [
      entries.map((e) => e.actor),
      entries.map((e) => e.action),
      entries.map((e) => e.asn),
      entries.map((e) => e.fileId),
      entries.map((e) => e.line),
      entries.map((e) => JSON.stringify(e.detail)),
      entries.map((e) => e.referralId ?? null),
    ],
  );
}
