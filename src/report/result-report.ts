import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Queryable } from '../db/database.ts';
import { formatAsn } from '../validate/values.ts';
import { spreadsheetSafe } from './spreadsheet-safe.ts';

export const reportColumns = ['line', 'status', 'code', 'message', 'asn'] as const;

/** `<name>.results.csv`, or `<name>.2.results.csv` and so on when a report of that name exists. */
export function chooseReportPath(outbox: string, originalName: string): string {
  for (let n = 1; ; n++) {
    const candidate = path.join(outbox, n === 1 ? `${originalName}.results.csv` : `${originalName}.${n}.results.csv`);
    if (!existsSync(candidate)) return candidate;
  }
}

interface OutcomeRow {
  line: number;
  status: string;
  code: string;
  message: string;
  asn: string | null;
}

async function* outcomeRows(db: Queryable, fileId: number): AsyncGenerator<string[]> {
  const counts = { accepted: 0, referred: 0, invalid: 0 };
  let after = 0;
  for (;;) {
    const page = await db.query<OutcomeRow>(
      'select line, status, code, message, asn from row_outcome where file_id = $1 and line > $2 order by line limit 5000',
      [fileId, after],
    );
    for (const row of page.rows) {
      counts[row.status as keyof typeof counts]++;
      yield [row.line, row.status, row.code, row.message, row.asn === null ? null : formatAsn(row.asn)].map(spreadsheetSafe);
    }
    const last = page.rows[page.rows.length - 1];
    if (last === undefined) break;
    after = last.line;
  }
  // The summary closes the report: rows with no line number and status "summary".
  const total = counts.accepted + counts.referred + counts.invalid;
  yield ['', 'summary', 'TOTAL', `${total} rows`, ''];
  for (const [status, count] of Object.entries(counts)) yield ['', 'summary', status.toUpperCase(), `${count} rows ${status}`, ''];
}

/** Streams the file's outcomes, in line order, into the report; written whole or not at all. */
export async function writeResultReport(db: Queryable, fileId: number, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.part`;
  await pipeline(outcomeRows(db, fileId), stringify({ header: true, columns: [...reportColumns] }), createWriteStream(temporary, { mode: 0o640 }));
  await rename(temporary, target);
}
