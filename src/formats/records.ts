/** One data record of an uploaded file, before any validation. */
export interface SourceRecord {
  /** 1-based line of the file where the record starts (CSV: the header is line 1). */
  line: number;
  /** Field values by lower-case column name; absent columns are absent keys. */
  fields: Record<string, string>;
}

/** A record the parser could not read; the rest of the file goes on. */
interface BrokenRecord {
  line: number;
  problem: string;
}

export type ParsedItem = { kind: 'record'; record: SourceRecord } | { kind: 'broken'; broken: BrokenRecord };

/** The file as a whole cannot be read: nothing in it is applied. */
export class FileRefusedError extends Error {
  override name = 'FileRefusedError';
}
