import { createReadStream } from 'node:fs';
import path from 'node:path';
import { CsvError, Parser } from 'csv-parse';
import { parseBoolean } from '../validate/values.ts';

/** A record's fields in the order of the columns asked for, and the line it ended on (the header is line 1). */
export type ReadRow = { line: number; fields: string[] };
/** Rows read so far in this pass, and the line the last ended on. */
export type BatchDone = (rowsDone: number, line: number) => void;

const batchSize = 5000;

/**
 * Records as arrays, each with the line it ended on, read off the parser as it pushes them.
 * The parser's `info: true` and `columns` cost 6.4 s and 2.5 s of the 11 s it took to read
 * 2,000,000 enrolments (measured): both build an object per record.
 */
class LinedParser extends Parser {
  /** The header's names, kept as it is parsed: an error further on comes before the header is consumed. */
  names: string[] | null = null;

  override push(record: unknown, encoding?: BufferEncoding): boolean {
    if (this.names === null && Array.isArray(record))
      this.names = record.map((name) => String(name).trim().toLowerCase());
    return super.push(record === null ? null : { record, line: this.info.lines }, encoding);
  }
}

/** The parser's one message naming a field says its header name, as it did when it made objects of records. */
async function* named<T>(records: AsyncIterable<T>, names: () => string[]): AsyncGenerator<T> {
  try {
    yield* records;
  } catch (error) {
    const column = error instanceof CsvError ? (error as CsvError & { column?: unknown }).column : undefined;
    const name = typeof column === 'number' ? names()[column] : undefined;
    if (error instanceof CsvError && name !== undefined)
      error.message = error.message.replace(`on field ${column} `, `on field ${JSON.stringify(name)} `);
    throw error;
  }
}

/**
 * A reference file in batches of `batchSize` records: the columns are found by name in the
 * header (trimmed, any case, any order; the last of a repeated name counts), each missing one
 * named. `done` is told after the consumer asks for the next batch, having written this one.
 */
export async function* batches(file: string, columns: string[], done: BatchDone): AsyncGenerator<ReadRow[]> {
  const parser = new LinedParser({ bom: true, skip_empty_lines: true, trim: true });
  const records = createReadStream(file).pipe(parser) as AsyncIterable<{ record: string[]; line: number }>;
  let positions: number[] | null = null;
  let batch: ReadRow[] = [];
  let rows = 0;
  const hand = async function* (ready: ReadRow[]) {
    yield ready;
    rows += ready.length;
    done(rows, ready.at(-1)?.line ?? 0);
  };
  for await (const { record, line } of named(records, () => parser.names ?? [])) {
    if (positions === null) {
      const header = new Map(record.map((name, i) => [name.trim().toLowerCase(), i]));
      const missing = columns.filter((c) => !header.has(c));
      if (missing.length > 0)
        throw new Error(
          `${path.basename(file)}: missing column(s) ${missing.join(', ')}; expected ${columns.join(', ')}.`,
        );
      positions = columns.map((c) => header.get(c) ?? 0);
      continue;
    }
    const at = positions;
    batch.push({ line, fields: at.map((i) => record[i] ?? '') });
    if (batch.length >= batchSize) {
      yield* hand(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield* hand(batch);
}

/** What each file's loader is given: where to say problems and merges, and whom to tell of each batch. */
export type LoadContext = { problems: string[]; merges: string[]; batchDone: (pass: 'load' | 'link') => BatchDone };

export function bool(value: string, where: () => string, problems: string[]): boolean {
  const parsed = parseBoolean(value);
  if (parsed === null) problems.push(`${where()}: "${value}" is not true or false`);
  return parsed ?? false;
}
