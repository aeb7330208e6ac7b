import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Config } from '../src/config/config.ts';
import type { IntakeFile } from '../src/files/registry.ts';
import { readCsvRecords } from '../src/formats/csv-records.ts';
import type { ParsedItem } from '../src/formats/records.ts';
import { readXmlRecords } from '../src/formats/xml-records.ts';
import { type KindDefinition, turn } from './chunk.ts';

/* Reading a claimed file for the runner (pipelines/file-runner.ts): its records, in chunks. */

/** The file's records in its first `lengthBytes` bytes: what was claimed of it, not what a writer added since. */
export function readItems(
  file: IntakeFile,
  kind: KindDefinition,
  config: Config,
  lengthBytes: number,
): AsyncGenerator<ParsedItem> {
  if (file.format === 'csv') {
    return readCsvRecords(file.storedPath, {
      columns: kind.columns,
      required: kind.required,
      maxRecordBytes: config.processing.maxRecordBytes,
      lengthBytes,
    });
  }
  const stream =
    lengthBytes === 0
      ? Readable.from([])
      : createReadStream(file.storedPath, { encoding: 'utf8', end: lengthBytes - 1 });
  return readXmlRecords(stream, {
    rootName: kind.xml.root,
    recordName: kind.xml.record,
    maxRecordBytes: config.processing.maxRecordBytes,
    maxDepth: config.processing.xmlMaxDepth,
  });
}

/** XML structure is checked whole before any row is applied: a truncated document is refused, not half-applied. */
export async function checkXmlStructure(
  file: IntakeFile,
  kind: KindDefinition,
  config: Config,
  lengthBytes: number,
): Promise<void> {
  for await (const item of readItems(file, kind, config, lengthBytes)) void item;
}

/** Chunks of `size` records, after the first `skip` (committed before a restart). */
export async function* chunksOf(
  items: AsyncIterable<ParsedItem>,
  size: number,
  skip: number,
): AsyncGenerator<ParsedItem[]> {
  let chunk: ParsedItem[] = [];
  let seen = 0;
  for await (const item of items) {
    if (seen++ < skip) continue;
    chunk.push(item);
    // Records come from a buffer without a turn of the event loop between them: give it one
    // now and then, so the chunk committing meanwhile is not kept waiting (pipelines/chunk.ts).
    if (chunk.length % 1000 === 0) await turn();
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
