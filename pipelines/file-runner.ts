import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type PgBoss from 'pg-boss';
import type pg from 'pg';
import type { Config } from '../src/config/config.ts';
import type { Database } from '../src/db/database.ts';
import { readCsvRecords } from '../src/formats/csv-records.ts';
import { FileRefusedError, type ParsedItem } from '../src/formats/records.ts';
import { readXmlRecords } from '../src/formats/xml-records.ts';
import { folders, moveFile, writeFileAtomically } from '../src/files/folders.ts';
import { acquireLease, finishFile, type FileKind, type IntakeFile, recordProgress } from '../src/files/registry.ts';
import type { Logger } from '../src/log.ts';
import type { RowOutcome } from '../src/persist/row-outcomes.ts';
import { loadReferenceCache } from '../src/reference/reference-cache.ts';
import { chooseReportPath, writeResultReport } from '../src/report/result-report.ts';
import type { AuthorityFacts, RuleWindows } from '../src/rules/facts.ts';

export interface Services {
  config: Config;
  db: Database;
  boss: PgBoss;
  logger: Logger;
  /** Names this process in file leases. */
  workerId: string;
}

export interface ChunkSettings {
  authority: AuthorityFacts;
  schools: Map<string, string>;
  windows: RuleWindows;
  boss: PgBoss;
}

/** What a kind of file (enrolment, access) adds to the common run: its columns and its chunk step. */
export interface KindDefinition {
  kind: FileKind;
  columns: readonly string[];
  required: readonly string[];
  xml: { root: string; record: string };
  processChunk(client: pg.PoolClient, file: IntakeFile, items: ParsedItem[], settings: ChunkSettings): Promise<RowOutcome[]>;
}

function readItems(file: IntakeFile, kind: KindDefinition, config: Config): AsyncGenerator<ParsedItem> {
  if (file.format === 'csv') {
    return readCsvRecords(file.storedPath, { columns: kind.columns, required: kind.required, maxRecordBytes: config.processing.maxRecordBytes });
  }
  return readXmlRecords(createReadStream(file.storedPath, { encoding: 'utf8' }), {
    rootName: kind.xml.root, recordName: kind.xml.record, maxRecordBytes: config.processing.maxRecordBytes, maxDepth: config.processing.xmlMaxDepth,
  });
}

/** XML structure is checked whole before any row is applied: a truncated document is refused, not half-applied. */
async function checkXmlStructure(file: IntakeFile, kind: KindDefinition, config: Config): Promise<void> {
  for await (const item of readItems(file, kind, config)) void item;
}

/** Reads the next chunk while the caller works on the current one, so parsing overlaps database work. */
async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next();
  for (;;) {
    const current = await next;
    if (current.done) return;
    next = source.next();
    // A read error surfaces when that chunk is awaited, not as an unhandled rejection meanwhile.
    next.catch(() => {});
    yield current.value;
  }
}

async function* chunksOf(items: AsyncIterable<ParsedItem>, size: number, after: number): AsyncGenerator<ParsedItem[]> {
  let chunk: ParsedItem[] = [];
  for await (const item of items) {
    const line = item.kind === 'record' ? item.record.line : item.broken.line;
    if (line <= after) continue;
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function lastLineOf(items: ParsedItem[]): number {
  return items.reduce((max, item) => Math.max(max, item.kind === 'record' ? item.record.line : item.broken.line), 0);
}

async function refuse(services: Services, file: IntakeFile, reason: string): Promise<void> {
  const { config, db } = services;
  const failedPath = path.join(folders.failed(config, file.authorityCode, file.kind), path.basename(file.storedPath));
  const explanation = `${file.originalName} (${file.kind} file of ${file.authorityCode}) was not processed: no row of it was applied.\n\n${reason}\n`;
  await moveFile(file.storedPath, failedPath).catch(() => {});
  await writeFile(`${failedPath}.error.txt`, explanation, { mode: 0o640 });
  await writeFileAtomically(path.join(folders.outbox(config, file.authorityCode), `${file.originalName}.error.txt`), explanation);
  await finishFile(db, file.id, services.workerId, { status: 'failed', storedPath: failedPath, reportPath: null, error: reason });
}

/**
 * parse → validate → persist / route, chunk by chunk, each chunk in one transaction with the
 * file's progress, so a restart resumes after the last committed line. Returns null when
 * another worker holds the file or it is already finished.
 */
export async function runFile(services: Services, fileId: number, kinds: Record<FileKind, KindDefinition | undefined>): Promise<IntakeFile | null> {
  const { config, db, logger, workerId } = services;
  const file = await acquireLease(db, fileId, workerId, config.processing.leaseSeconds);
  if (!file) return null;
  const kind = kinds[file.kind];
  const started = Date.now();
  logger.info('processing file', { fileId, authority: file.authorityCode, kind: file.kind, resumeAfterLine: file.linesDone });
  try {
    if (!kind) throw new FileRefusedError(`Files of kind "${file.kind}" are not processed by this version of Intake.`);
    const reference = await loadReferenceCache(db);
    const authority = reference.authorities.get(file.authorityCode);
    if (!authority) throw new FileRefusedError(`Authority ${file.authorityCode} is not in the reference data.`);
    const settings: ChunkSettings = { authority, schools: reference.schoolAuthority, windows: config.rules, boss: services.boss };
    if (file.format === 'xml' && file.linesDone === 0) await checkXmlStructure(file, kind, config);

    for await (const items of readAhead(chunksOf(readItems(file, kind, config), config.processing.chunkRows, file.linesDone))) {
      await db.transaction(async (client) => {
        const outcomes = await kind.processChunk(client, file, items, settings);
        const count = (status: RowOutcome['status']) => outcomes.filter((o) => o.status === status).length;
        await recordProgress(client, file.id, workerId, config.processing.leaseSeconds, {
          lastLine: lastLineOf(items), accepted: count('accepted'), referred: count('referred'), invalid: count('invalid'),
        });
      });
    }

    const reportPath = file.reportPath ?? chooseReportPath(folders.outbox(config, file.authorityCode), file.originalName);
    await db.query('update intake_file set report_path = $2 where id = $1', [file.id, reportPath]);
    await writeResultReport(db, file.id, reportPath);
    const archivePath = path.join(folders.archive(config, file.authorityCode, file.kind), path.basename(file.storedPath));
    await moveFile(file.storedPath, archivePath);
    await finishFile(db, file.id, workerId, { status: 'done', storedPath: archivePath, reportPath, error: null });
    const finished = { ...file, status: 'done' as const, storedPath: archivePath, reportPath };
    const counts = await db.query<{ accepted: number; referred: number; invalid: number }>('select accepted, referred, invalid from intake_file where id = $1', [file.id]);
    logger.info('file processed', { fileId, ms: Date.now() - started, ...counts.rows[0] });
    return { ...finished, ...counts.rows[0] };
  } catch (error) {
    if (!(error instanceof FileRefusedError)) throw error;
    logger.warn('file refused', { fileId, authority: file.authorityCode, reason: error.message });
    await refuse(services, file, error.message);
    return { ...file, status: 'failed', error: error.message };
  }
}
