import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Config } from '../src/config/config.ts';
import type { IntakeFile } from '../src/files/registry.ts';
import { readCsvBatches } from '../src/formats/csv-records.ts';
import type { ParsedItem } from '../src/formats/records.ts';
import { readXmlRecords } from '../src/formats/xml-records.ts';
import { type KindDefinition, turn } from './chunk.ts';

/* Reading a claimed file for the runner (pipelines/file-runner.ts): its records, in chunks. */

/** XML records, handed on in batches as CSV records are (one at a time cost a promise each). */
async function* inBatches(items: AsyncIterable<ParsedItem>, size: number): AsyncGenerator<ParsedItem[]> {
  let batch: ParsedItem[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * The file's records in its first `lengthBytes` bytes (what was claimed of it, not what a writer
 * added since), in batches.
 */
export function readItems(
  file: IntakeFile,
  kind: KindDefinition,
  config: Config,
  lengthBytes: number,
): AsyncGenerator<ParsedItem[]> {
  if (file.format === 'csv') {
    return readCsvBatches(file.storedPath, {
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
  const items = readXmlRecords(stream, {
    rootName: kind.xml.root,
    recordName: kind.xml.record,
    maxRecordBytes: config.processing.maxRecordBytes,
    maxDepth: config.processing.xmlMaxDepth,
  });
  return inBatches(items, 1000);
}

/** XML structure is checked whole before any row is applied: a truncated document is refused, not half-applied. */
export async function checkXmlStructure(
  file: IntakeFile,
  kind: KindDefinition,
  config: Config,
  lengthBytes: number,
): Promise<void> {
  for await (const batch of readItems(file, kind, config, lengthBytes)) void batch;
}

/** Chunks of `size` records, after the first `skip` (committed before a restart). */
export async function* chunksOf(
  batches: AsyncIterable<ParsedItem[]>,
  size: number,
  skip: number,
): AsyncGenerator<ParsedItem[]> {
  let chunk: ParsedItem[] = [];
  let toSkip = skip;
  for await (const batch of batches) {
    let from = 0;
    if (toSkip > 0) {
      from = Math.min(toSkip, batch.length);
      toSkip -= from;
    }
    while (from < batch.length) {
      const take = Math.min(size - chunk.length, batch.length - from);
      for (let i = from; i < from + take; i++) chunk.push(batch[i] as ParsedItem);
      from += take;
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
    // Records come a batch at a time without a turn of the event loop between them: give it one
    // after each, so the chunk committing meanwhile is not kept waiting (pipelines/chunk.ts).
    await turn();
  }
  if (chunk.length > 0) yield chunk;
}
