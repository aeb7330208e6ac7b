import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { FileRefusedError, type ParsedItem } from './records.ts';

export interface CsvReadOptions {
  /** Every column the kind knows, lower case. */
  columns: readonly string[];
  /** Columns the header must name. */
  required: readonly string[];
  maxRecordBytes: number;
  /** Read only this many bytes of the file (what was claimed of it); all of it when absent. */
  lengthBytes?: number;
}

/**
 * Reads the header: names are case-insensitive and may come in any order; unknown or repeated names refuse the file.
 */
function checkHeader(header: string[], options: CsvReadOptions): string[] {
  const names = header.map((name) => name.trim().toLowerCase());
  const problems: string[] = [];
  const unknown = names.filter((name) => !options.columns.includes(name));
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  const missing = options.required.filter((name) => !names.includes(name));
  // At most the first 20 names, each cut to 60 characters: a header of thousands of columns
  // gives a reason a person can read.
  const shown = 20;
  const list = (kind: string, all: string[]) => {
    const items = [...new Set(all)];
    const named = items.slice(0, shown).map((n) => `"${n.length > 60 ? `${n.slice(0, 60)}…` : n}"`);
    const more = items.length > shown ? ` and ${items.length - shown} more` : '';
    return `${kind} column${items.length > 1 ? 's' : ''} ${named.join(', ')}${more}`;
  };
  if (unknown.length > 0) problems.push(list('unknown', unknown));
  if (repeated.length > 0) problems.push(list('repeated', repeated));
  if (missing.length > 0) problems.push(list('missing', missing));
  if (problems.length > 0) {
    throw new FileRefusedError(
      `The header row (line 1) has ${problems.join('; ')}. The columns are: ${options.columns.join(', ')} ` +
        `(required: ${options.required.join(', ')}). Correct the header and send the file again.`,
    );
  }
  return names;
}

interface Line {
  number: number;
  text: string | null; // null: longer than the limit, not kept
}

/**
 * Physical lines, streamed, as many at a time as one read of the file holds. A line ends at LF,
 * CRLF or a lone CR (old Mac files), also when the CR and LF arrive in different reads. A line
 * longer than the limit is reported without being held in memory.
 */
async function* physicalLines(path: string, maxBytes: number, lengthBytes: number | undefined): AsyncGenerator<Line[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  let afterCarriageReturn = false;
  const finishLine = (): Line => {
    const line = { number: ++number, text: pendingBytes > maxBytes ? null : Buffer.concat(pending).toString('utf8') };
    pending = [];
    pendingBytes = 0;
    return line;
  };
  const keep = (piece: Buffer) => {
    if (pendingBytes + piece.length <= maxBytes) pending.push(piece);
    pendingBytes += piece.length;
  };
  if (lengthBytes === 0) return;
  for await (const chunk of createReadStream(
    path,
    lengthBytes === undefined ? {} : { end: lengthBytes - 1 },
  ) as AsyncIterable<Buffer>) {
    const lines: Line[] = [];
    let start = 0;
    // The LF of a CRLF split across two reads.
    if (afterCarriageReturn && chunk[0] === 0x0a) start = 1;
    afterCarriageReturn = false;
    let nextCarriageReturn = chunk.indexOf(0x0d, start);
    let nextLineFeed = chunk.indexOf(0x0a, start);
    while (nextCarriageReturn >= 0 || nextLineFeed >= 0) {
      const end =
        nextCarriageReturn >= 0 && (nextLineFeed < 0 || nextCarriageReturn < nextLineFeed)
          ? nextCarriageReturn
          : nextLineFeed;
      if (pendingBytes === 0 && end - start <= maxBytes) {
        // The whole line is in this read (nearly every line): decoded in place, no copy of its bytes.
        lines.push({ number: ++number, text: chunk.toString('utf8', start, end) });
      } else {
        keep(chunk.subarray(start, end));
        lines.push(finishLine());
      }
      start = end + 1;
      if (end === nextCarriageReturn) {
        if (start === chunk.length) afterCarriageReturn = true;
        else if (chunk[start] === 0x0a) start++;
      }
      if (nextCarriageReturn >= 0 && nextCarriageReturn < start) nextCarriageReturn = chunk.indexOf(0x0d, start);
      if (nextLineFeed >= 0 && nextLineFeed < start) nextLineFeed = chunk.indexOf(0x0a, start);
    }
    keep(chunk.subarray(start));
    if (lines.length > 0) yield lines;
  }
  if (pendingBytes > 0) yield [finishLine()];
}

const lineLimitProblem = (line: number, max: number) =>
  `line ${line} is longer than ${max} bytes; check it for a missing line break or a runaway value.`;
const unclosedProblem = (line: number) =>
  `line ${line} has a double quote that is not closed on the same line; check the double quotes on this line.`;

const strayQuoteProblem = (line: number) =>
  `line ${line} has a double quote inside a value; put the whole value in double quotes and double each quote ` +
  `inside it ("O""Brien"), or remove the quote.`;

type LineProblem = { problem: 'unclosed' | 'stray' };

/**
 * Parses one physical line; null when it is blank. Quotes are strict: a quote inside an unquoted
 * value, or text after a closing quote (`"Smith"son`), makes the row unreadable, never part of a name.
 */
function parseLine(text: string): string[] | null | LineProblem {
  try {
    const [record] = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
    return record ?? null;
  } catch (error) {
    return { problem: (error as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED' ? 'unclosed' : 'stray' };
  }
}

const quoteProblem = (line: number, found: LineProblem) =>
  found.problem === 'unclosed' ? unclosedProblem(line) : strayQuoteProblem(line);

/**
 * Streams the records of a CSV file (UTF-8, BOM allowed, header row) a batch of lines at a time, parsing
 * with csv-parse. No field of ours holds a line break, so a record is one line: a quote left
 * open spoils only its own line, and one bad row never swallows the rows after it.
 */
export async function* readCsvBatches(path: string, options: CsvReadOptions): AsyncGenerator<ParsedItem[]> {
  let header: string[] | null = null;
  const batchLines = 1000;
  let batch: Line[] = [];

  const toItem = (line: number, record: string[], names: string[]): ParsedItem => {
    if (record.length !== names.length) {
      return {
        kind: 'broken',
        broken: {
          line,
          problem:
            `line ${line} has ${record.length} field${record.length === 1 ? '' : 's'} but the header ` +
            `has ${names.length}; check for a missing or extra comma, or a comma inside a value that is not in ` +
            `double quotes.`,
        },
      };
    }
    const fields: Record<string, string> = {};
    for (let index = 0; index < names.length; index++) fields[names[index] as string] = record[index] as string;
    return { kind: 'record', record: { line, fields } };
  };

  function lineByLine(lines: Line[], names: string[]): ParsedItem[] {
    const items: ParsedItem[] = [];
    for (const line of lines) {
      if (line.text === null) {
        items.push({
          kind: 'broken',
          broken: { line: line.number, problem: lineLimitProblem(line.number, options.maxRecordBytes) },
        });
        continue;
      }
      const record = parseLine(line.text);
      if (record === null) continue;
      if (!Array.isArray(record))
        items.push({ kind: 'broken', broken: { line: line.number, problem: quoteProblem(line.number, record) } });
      else items.push(toItem(line.number, record, names));
    }
    return items;
  }

  function flush(lines: Line[], names: string[]): ParsedItem[] {
    if (lines.length === 0) return [];
    // Nearly every batch holds no double quote: a line's fields are then the text between its
    // commas, which is what csv-parse returns for it, without joining the batch to parse it again
    // (a fifth of the reading time of a 1,000,000-row file). Any quote: csv-parse reads the batch.
    if (lines.every((l) => l.text !== null && !l.text.includes('"'))) {
      const items: ParsedItem[] = [];
      for (const l of lines) if (l.text !== '') items.push(toItem(l.number, (l.text as string).split(','), names));
      return items;
    }
    // Fast path: the whole batch at once; a batch with any trouble is read again line by line.
    // Blank lines are left out, so record i is line i of those kept: a line holds no line break,
    // so it gives at most one record, and a record running over two lines (a quote left open)
    // shows as fewer records than lines. (No per-record info object from csv-parse.)
    if (lines.every((l) => l.text !== null)) {
      const kept = lines.filter((l) => l.text !== '');
      try {
        const parsed = parse(kept.map((l) => l.text).join('\n'), { relax_column_count: true }) as string[][];
        if (parsed.length === kept.length)
          return parsed.map((record, i) => toItem((kept[i] as Line).number, record, names));
      } catch {
        // falls through to line by line
      }
    }
    return lineByLine(lines, names);
  }

  for await (const read of physicalLines(path, options.maxRecordBytes, options.lengthBytes))
    for (const line of read) {
      if (line.number === 1 && line.text !== null) line.text = line.text.replace(/^\uFEFF/, '');
      // A line of spaces or tabs is as blank as an empty one (kept, emptied, so line numbers hold).
      const text = line.text;
      if (text !== null && (text.charCodeAt(0) === 32 || text.charCodeAt(0) === 9) && /^[ \t]*$/.test(text))
        line.text = '';
      if (header === null) {
        if (line.text === null)
          throw new FileRefusedError(
            `The header row cannot be read: ${lineLimitProblem(line.number, options.maxRecordBytes)}`,
          );
        const record = parseLine(line.text);
        if (record !== null && !Array.isArray(record))
          throw new FileRefusedError(
            `The header row cannot be read: ${quoteProblem(line.number, record)} Correct the header and send the ` +
              `file again.`,
          );
        if (record !== null) header = checkHeader(record, options);
        continue;
      }
      batch.push(line);
      if (batch.length >= batchLines) {
        const items = flush(batch, header);
        if (items.length > 0) yield items;
        batch = [];
      }
    }
  if (header === null)
    throw new FileRefusedError(
      'The file is empty: it has no header row. Send a file with a header row and one row per enrolment.',
    );
  const items = flush(batch, header);
  if (items.length > 0) yield items;
}
