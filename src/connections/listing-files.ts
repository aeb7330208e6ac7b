import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Queryable } from '../db/database.ts';
import { type FileWriter, startFile } from '../files/outbox.ts';
import { type NextRows, openConnectionChanges, openListedConnections } from './listing-queries.ts';
import { changeCells, changeColumns, connectionCells, connectionColumns } from './listing-rows.ts';
import { type ListingScope, studentsWithAssociation } from './visible-students.ts';

/** Rows read from the database at a time: memory stays the same for 100 or 100,000 students. */
const pageSize = 5000;

/** A file written whole under a temporary name: `commit` gives it its name, `abandon` removes it. */
export interface WrittenFile {
  writer: FileWriter;
  rows: number;
}

/**
 * The rows of a cursor whose student the authority has an association with, page by page. A
 * student it may not see leaves no trace: no row, no count, no gap.
 */
async function* visibleRows<T extends { asn: string }>(
  db: Queryable,
  next: NextRows<T>,
  scope: ListingScope,
  cells: (row: T) => string[],
  counted: { rows: number },
): AsyncGenerator<string[]> {
  for (;;) {
    const page = await next(pageSize);
    if (page.length === 0) return;
    const visible = await studentsWithAssociation(
      db,
      page.map((row) => row.asn),
      scope,
    );
    for (const row of page) {
      if (!visible.has(row.asn)) continue;
      counted.rows++;
      yield cells(row);
    }
  }
}

/** Streams rows into a fresh file of the outbox (never through a link: src/files/outbox.ts), not yet named. */
async function writeCsv(
  outboxRoot: string,
  target: string,
  columns: readonly string[],
  rows: (counted: { rows: number }) => AsyncGenerator<string[]>,
): Promise<WrittenFile> {
  const writer = await startFile(outboxRoot, target, 0o640);
  const counted = { rows: 0 };
  try {
    await pipeline(rows(counted), stringify({ header: true, columns: [...columns] }), writer.stream);
  } catch (error) {
    await writer.abandon();
    throw error;
  }
  return { writer, rows: counted.rows };
}

/** `connections-<day>.csv`, in the caller's transaction (its cursor lives, and ends, there). */
export async function writeConnectionsFile(
  client: Queryable,
  outboxRoot: string,
  target: string,
  scope: ListingScope,
): Promise<WrittenFile> {
  const next = await openListedConnections(client, scope.authority.code);
  return writeCsv(outboxRoot, target, connectionColumns, (counted) =>
    visibleRows(client, next, scope, connectionCells, counted),
  );
}

/** `changes-<day>.csv`: what happened in the window to the connections the listing shows. */
export async function writeChangesFile(
  client: Queryable,
  outboxRoot: string,
  target: string,
  scope: ListingScope,
  window: { from: Date; until: Date },
): Promise<WrittenFile> {
  const next = await openConnectionChanges(client, scope.authority.code, window);
  return writeCsv(outboxRoot, target, changeColumns, (counted) =>
    visibleRows(client, next, scope, changeCells, counted),
  );
}
