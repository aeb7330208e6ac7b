import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Queryable } from '../db/database.ts';
import { startFile } from '../files/outbox.ts';
import { formatAsn } from '../validate/values.ts';
import { spreadsheetSafe } from './spreadsheet-safe.ts';

const reportColumns = ['line', 'status', 'code', 'message', 'asn'] as const;

interface OutcomeChunk {
  first_record: number;
  lines: number[];
  statuses: string[];
  codes: string[];
  messages: string[];
  asns: (string | null)[];
}

async function* outcomeRows(db: Queryable, fileId: number, notice: string | null): AsyncGenerator<string[]> {
  // Said first, where it cannot be missed: the file changed while it was read (file-changes).
  if (notice !== null) yield ['', 'notice', 'FILE_CHANGED_WHILE_READ', spreadsheetSafe(notice), ''];
  const counts = { accepted: 0, referred: 0, invalid: 0 };
  let after = 0;
  for (;;) {
    const page = await db.query<OutcomeChunk>(
      `select first_record, lines, statuses, codes, messages, asns from row_outcome_chunk
        where file_id = $1 and first_record >= $2 order by first_record limit 4`,
      [fileId, after],
    );
    for (const chunk of page.rows) {
      for (let index = 0; index < chunk.lines.length; index++) {
        const status = chunk.statuses[index] as keyof typeof counts;
        const asn = chunk.asns[index] ?? null;
        counts[status]++;
        yield [
          chunk.lines[index] ?? '',
          status,
          chunk.codes[index] ?? '',
          chunk.messages[index] ?? '',
          asn === null ? null : formatAsn(asn),
        ].map(spreadsheetSafe);
      }
    }
    const last = page.rows[page.rows.length - 1];
    if (last === undefined) break;
    after = last.first_record + last.lines.length;
  }
  // The summary closes the report: rows with no line number and status "summary".
  const total = counts.accepted + counts.referred + counts.invalid;
  const rows = (count: number) => `${count} ${count === 1 ? 'row' : 'rows'}`;
  yield ['', 'summary', 'TOTAL', rows(total), ''];
  for (const [status, count] of Object.entries(counts))
    yield ['', 'summary', status.toUpperCase(), `${rows(count)} ${status}`, ''];
}

/**
 * Streams the file's outcomes, in line order, into the report; written whole or not at all, and
 * never through a link planted in the outbox (`outboxRoot`: src/files/outbox.ts).
 */
export async function writeResultReport(
  db: Queryable,
  fileId: number,
  outboxRoot: string,
  target: string,
  notice: string | null = null,
): Promise<void> {
  const writer = await startFile(outboxRoot, target, 0o640);
  try {
    await pipeline(
      outcomeRows(db, fileId, notice),
      stringify({ header: true, columns: [...reportColumns] }),
      writer.stream,
    );
  } catch (error) {
    await writer.abandon();
    throw error;
  }
  await writer.commit();
}
