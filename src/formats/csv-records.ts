import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { CsvError, parse } from 'csv-parse';
import { FileRefusedError, type ParsedItem } from './records.ts';

export interface CsvReadOptions {
  /** Every column the kind knows, lower case. */
  columns: readonly string[];
  /** Columns the header must name. */
  required: readonly string[];
  maxRecordBytes: number;
}

/** Reads the header: names are case-insensitive and may come in any order; unknown or repeated names refuse the file. */
function checkHeader(header: string[], options: CsvReadOptions): string[] {
  const names = header.map((name) => name.trim().toLowerCase());
  const problems: string[] = [];
  const unknown = names.filter((name) => !options.columns.includes(name));
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  const missing = options.required.filter((name) => !names.includes(name));
  if (unknown.length > 0) problems.push(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}`);
  if (repeated.length > 0) problems.push(`repeated column${repeated.length > 1 ? 's' : ''} ${repeated.map((n) => `"${n}"`).join(', ')}`);
  if (missing.length > 0) problems.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')}`);
  if (problems.length > 0) {
    throw new FileRefusedError(
      `The header row (line 1) has ${problems.join('; ')}. The columns are: ${options.columns.join(', ')} ` +
        `(required: ${options.required.join(', ')}). Correct the header and send the file again.`,
    );
  }
  return names;
}

/**
 * From `offset` (the end of the last good record), skips blank lines and the one bad line after
 * them. Returns how many blank lines were skipped and where the next line starts (null at the end).
 */
async function skipBadLine(path: string, offset: number): Promise<{ blankLines: number; next: number | null }> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    let blankLines = 0;
    let inBadLine = false;
    for (let position = offset; ; ) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return { blankLines, next: null };
      for (let index = 0; index < bytesRead; index++) {
        const byte = buffer[index];
        if (byte === 0x0a) {
          if (inBadLine) return { blankLines, next: position + index + 1 };
          blankLines++;
        } else if (byte !== 0x0d) inBadLine = true;
      }
      position += bytesRead;
    }
  } finally {
    await file.close();
  }
}

/**
 * Streams the records of a CSV file (UTF-8, BOM allowed, header row). A row the parser cannot
 * read becomes a broken record and reading goes on: after an unclosed quote or an over-long
 * record, parsing restarts on the next physical line, so one bad row never swallows the rest.
 */
export async function* readCsvRecords(path: string, options: CsvReadOptions): AsyncGenerator<ParsedItem> {
  let header: string[] | null = null;
  let startOffset = 0;
  let lineBase = 0;
  for (;;) {
    const parser = createReadStream(path, { start: startOffset }).pipe(
      parse({
        bom: startOffset === 0,
        info: true,
        skip_empty_lines: true,
        relax_quotes: true,
        relax_column_count: true,
        max_record_size: options.maxRecordBytes,
      }),
    );
    let lastGoodBytes = 0;
    let lastGoodLine = lineBase;
    let broken: { line: number; problem: string } | null = null;
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; bytes: number } }>) {
        const newlinesInside = record.reduce((count, value) => count + (value.match(/\n/g)?.length ?? 0), 0);
        const line = lineBase + info.lines - newlinesInside;
        if (newlinesInside > 0) {
          // No field of ours holds a line break, so this is an unclosed quote: resume on the next line.
          broken = { line, problem: `line ${line} has a double quote that is not closed on the same line; check the double quotes on this line.` };
          break;
        }
        lastGoodBytes = info.bytes;
        lastGoodLine = lineBase + info.lines;
        if (header === null) {
          header = checkHeader(record, options);
          continue;
        }
        if (record.length !== header.length) {
          yield { kind: 'broken', broken: { line, problem: `line ${line} has ${record.length} field${record.length === 1 ? '' : 's'} but the header has ${header.length}; check for a missing or extra comma, or a comma inside a value that is not in double quotes.` } };
          continue;
        }
        const fields: Record<string, string> = {};
        header.forEach((name, index) => (fields[name] = record[index] ?? ''));
        yield { kind: 'record', record: { line, fields } };
      }
      if (header === null) throw new FileRefusedError('The file is empty: it has no header row. Send a file with a header row and one row per enrolment.');
    } catch (error) {
      if (error instanceof FileRefusedError || !(error instanceof CsvError)) throw error;
      const badLine = lastGoodLine + 1 + (await skipBadLine(path, startOffset + lastGoodBytes)).blankLines;
      broken = {
        line: badLine,
        problem:
          error.code === 'CSV_QUOTE_NOT_CLOSED' || error.code === 'CSV_MAX_RECORD_SIZE'
            ? `line ${badLine} cannot be read: a double quote is not closed, or the row is longer than ${options.maxRecordBytes} bytes; check the double quotes on this line.`
            : `line ${badLine} cannot be read (${error.code}); check the double quotes and commas on this line.`,
      };
    } finally {
      parser.destroy();
    }
    if (broken === null) return;
    if (header === null) throw new FileRefusedError(`The header row cannot be read: ${broken.problem} Correct the header and send the file again.`);
    yield { kind: 'broken', broken };
    const restart = (await skipBadLine(path, startOffset + lastGoodBytes)).next;
    if (restart === null) return;
    startOffset = restart;
    lineBase = broken.line;
  }
}
