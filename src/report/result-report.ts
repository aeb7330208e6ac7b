import { pipeline } from 'node:stream/promises';
import type { Queryable } from '../db/database.ts';
import { startFile } from '../files/outbox.ts';
import { formatAsn } from '../validate/values.ts';
import { csvField, csvLine } from './csv-line.ts';
import { spreadsheetSafe } from './spreadsheet-safe.ts';

const reportColumns = ['line', 'status', 'code', 'message', 'asn'] as const;

/** A chunk's outcomes, each column a JSON array (read by `JSON.parse`, not element by element). */
interface OutcomeChunk {
  first_record: number;
  lines: number[];
  statuses: string[];
  codes: string[];
  messages: string[];
  asns: (string | null)[];
}

/** The report's text, a chunk of outcomes at a time (each chunk's lines as one string). */
async function* reportText(db: Queryable, fileId: number, notice: string | null): AsyncGenerator<string> {
  yield csvLine(reportColumns);
  // Said first, where it cannot be missed: the file changed while it was read (file-changes).
  if (notice !== null) yield csvLine(['', 'notice', 'FILE_CHANGED_WHILE_READ', spreadsheetSafe(notice), '']);
  const counts = { accepted: 0, referred: 0, invalid: 0 };
  // The page is chosen first, by the key's order, and only its two chunks are converted: with
  // the conversion beside the sort, a plan that sorts (the table's statistics lag a file being
  // written) converted every chunk after `after` for each page (9 s for a 1,000,000-row report).
  const pageAfter = (after: number) => {
    const page = db.query<OutcomeChunk>(
      `with page as materialized (
         select first_record, lines, statuses, codes, messages, asns from row_outcome_chunk
          where file_id = $1 and first_record >= $2 order by first_record limit 2)
       select first_record, array_to_json(lines) as lines, array_to_json(statuses) as statuses,
              array_to_json(codes) as codes, array_to_json(messages) as messages, array_to_json(asns) as asns
         from page order by first_record`,
      [fileId, after],
    );
    // A page read ahead and never written (the write failed) must not fail unheard.
    page.catch(() => {});
    return page;
  };
  let next = pageAfter(0);
  for (;;) {
    const page = await next;
    const last = page.rows[page.rows.length - 1];
    if (last === undefined) break;
    // The next page is read while this one is written out.
    next = pageAfter(last.first_record + last.lines.length);
    for (const chunk of page.rows) {
      const lines = new Array<string>(chunk.lines.length);
      for (let index = 0; index < chunk.lines.length; index++) {
        const status = chunk.statuses[index] as keyof typeof counts;
        const asn = chunk.asns[index] ?? null;
        counts[status]++;
        // Status and code are outcome codes (capitals and underscores) and an ASN is written as
        // digits and dashes: only the message can hold what a cell must not start with or carry.
        lines[index] =
          `${chunk.lines[index] ?? ''},${status},${chunk.codes[index] ?? ''},` +
          `${csvField(spreadsheetSafe(chunk.messages[index] ?? ''))},${asn === null ? '' : formatAsn(asn)}\n`;
      }
      yield lines.join('');
    }
  }
  // The summary closes the report: rows with no line number and status "summary".
  const total = counts.accepted + counts.referred + counts.invalid;
  const rows = (count: number) => `${count} ${count === 1 ? 'row' : 'rows'}`;
  yield csvLine(['', 'summary', 'TOTAL', rows(total), '']);
  for (const [status, count] of Object.entries(counts))
    yield csvLine(['', 'summary', status.toUpperCase(), `${rows(count)} ${status}`, '']);
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
    await pipeline(reportText(db, fileId, notice), writer.stream);
  } catch (error) {
    await writer.abandon();
    throw error;
  }
  await writer.commit();
}
