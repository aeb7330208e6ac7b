import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Services } from '../src/app.ts';
import { type Config, paths } from '../src/config/config.ts';
import { folders, moveFile, writeNewNote } from '../src/files/folders.ts';
import type { FileKind } from '../src/files/kinds.ts';
import {
  acquireLease,
  finishFile,
  recordProgress,
  recordRefusal,
  releaseLease,
  renewLease,
} from '../src/files/leases.ts';
import { getFile, type IntakeFile, reserveReportPath } from '../src/files/registry.ts';
import { FileRefusedError } from '../src/formats/records.ts';
import type { RowOutcome } from '../src/persist/row-outcomes.ts';
import { loadReferenceCache } from '../src/reference/reference-cache.ts';
import { writeResultReport } from '../src/report/result-report.ts';
import { addStageTime, type ChunkSettings, type KindDefinition, type PreparedChunk } from './chunk.ts';
import { changedSinceRead, changeNotice, firstReadLimit, nextPass } from './file-changes.ts';
import { checkXmlStructure, chunksOf, readItems } from './file-reading.ts';

/** Where a file goes when done or refused: fixed by its stored name, so a restart finds it there. */
const finalPaths = (config: Config, file: IntakeFile) => ({
  archive: path.join(folders.archive(config, file.authorityCode, file.kind), path.basename(file.storedPath)),
  failed: path.join(folders.failed(config, file.authorityCode, file.kind), path.basename(file.storedPath)),
});

/** Moves the file unless a run that stopped after the move already did (or it is gone). */
async function moveOnce(from: string, to: string): Promise<void> {
  if (!existsSync(from)) return;
  await moveFile(from, to);
}

async function refuse(services: Services, file: IntakeFile, owner: string, reason: string): Promise<void> {
  const { config, db } = services;
  const failedPath = finalPaths(config, file).failed;
  const applied =
    file.recordsDone === 0
      ? 'no row of it was applied'
      : `processing stopped after ${file.recordsDone} rows, which were applied`;
  const explanation =
    `${file.originalName} (${file.kind} file of ${file.authorityCode}) was not processed: ` +
    `${applied}.\n\n${reason}\n`;
  await recordRefusal(db, file.id, owner, reason);
  await moveOnce(file.storedPath, failedPath);
  await writeFile(`${failedPath}.error.txt`, explanation, { mode: 0o600 });
  await writeNewNote(config, file.authorityCode, file.originalName, '.error.txt', explanation);
  await finishFile(db, file.id, owner, { status: 'failed', storedPath: failedPath, error: reason });
}

/** The service is stopping: the run ends after the chunk in hand, and gives its file back at once. */
class StopRequestedError extends Error {
  override name = 'StopRequestedError';
}

/**
 * After each committed chunk, for a caller showing progress: the records applied so far (an
 * earlier, stopped run's included) and the file line the last of them starts on.
 */
export type FileProgress = { rowsDone: number; line: number };

/** One pass: the records after those already applied, up to `readUpTo` bytes, chunk by chunk. */
async function applyRows(
  services: Services,
  file: IntakeFile,
  kind: KindDefinition,
  settings: ChunkSettings,
  owner: string,
  readUpTo: number,
  stopping: AbortSignal | undefined,
  onProgress: ((progress: FileProgress) => void) | undefined,
): Promise<void> {
  const { config, db } = services;
  if (file.format === 'xml' && file.recordsDone === 0) await checkXmlStructure(file, kind, config, readUpTo);
  let recordsDone = file.recordsDone;
  const chunks = chunksOf(readItems(file, kind, config, readUpTo), config.processing.chunkRows, file.recordsDone);
  // The next chunk is read, checked and looked up (another connection) while this one commits, so
  // Node and Postgres work at once; two chunks in hand at most. Its lookups start after the chunk
  // before this one committed: they may miss only this one's writes, which the kind makes up for.
  const prepareNext = async (): Promise<PreparedChunk | null> => {
    const next = await chunks.next();
    return next.done ? null : kind.prepareChunk(db, file, next.value, settings);
  };
  let upcoming = prepareNext();
  try {
    for (let prepared = await upcoming; prepared !== null; prepared = await upcoming) {
      const { records, lastLine, apply } = prepared;
      upcoming = prepareNext();
      upcoming.catch(() => {}); // an error surfaces when that chunk is awaited, not unhandled meanwhile
      const commitStarted = performance.now();
      await db.transaction(async (client) => {
        const outcomes = await apply(client, recordsDone);
        const count = (status: RowOutcome['status']) => outcomes.filter((o) => o.status === status).length;
        await recordProgress(client, file.id, owner, config.processing.leaseSeconds, {
          recordsDone: recordsDone + records,
          accepted: count('accepted'),
          referred: count('referred'),
          invalid: count('invalid'),
        });
      });
      addStageTime('transaction', commitStarted);
      recordsDone += records;
      file.recordsDone = recordsDone;
      onProgress?.({ rowsDone: recordsDone, line: lastLine });
      if (stopping?.aborted) throw new StopRequestedError();
    }
  } finally {
    await upcoming.catch(() => null); // a chunk read ahead, not applied, is dropped: it wrote nothing
    await chunks.return(undefined);
  }
  file.recordsDone = recordsDone;
}

/**
 * parse → validate → persist / route, chunk by chunk, each chunk in one transaction with the
 * file's progress, so a restart resumes after the last committed record. Returns null when
 * another run holds the file or it is already finished.
 */
export async function runFile(
  services: Services,
  fileId: number,
  kinds: Record<FileKind, KindDefinition | undefined>,
  stopping?: AbortSignal,
  onProgress?: (progress: FileProgress) => void,
): Promise<IntakeFile | null> {
  const { config, db, logger } = services;
  const owner = `${services.workerId}:${randomBytes(4).toString('hex')}`;
  const leased = await acquireLease(db, fileId, owner, config.processing.leaseSeconds);
  if (!leased) return null;
  // Grows when a writer turns out to have added to the file after its claim.
  let file = leased;
  const kind = kinds[file.kind];
  const started = Date.now();
  const final = finalPaths(config, file);
  logger.info('processing file', {
    fileId,
    authority: file.authorityCode,
    kind: file.kind,
    resumeAfterRecord: file.recordsDone,
  });
  try {
    // A run that stopped while refusing the file: finish that refusal, with its reason.
    if (file.error !== null) throw new FileRefusedError(file.error);
    if (!kind) throw new FileRefusedError(`Files of kind "${file.kind}" are not processed by this version of Intake.`);
    // A run that stopped between moving the file and recording it has nothing left to apply.
    const alreadyArchived = !existsSync(file.storedPath) && existsSync(final.archive);
    if (!alreadyArchived && !existsSync(file.storedPath)) {
      throw new FileRefusedError(
        'The file was removed from the claimed folder before it was processed. Send it again.',
      );
    }
    if (!alreadyArchived) {
      const reference = await loadReferenceCache(db);
      const authority = reference.authorities.get(file.authorityCode);
      if (!authority) throw new FileRefusedError(`Authority ${file.authorityCode} is not in the reference data.`);
      const settings: ChunkSettings = {
        authority,
        schools: reference.schoolAuthority,
        windows: config.rules,
        institutionDomains: reference.institutionDomains,
        connectionExpiryDays: config.connections.expiryDays,
        boss: services.boss,
      };
      const keepLease = async () => {
        if (stopping?.aborted) throw new StopRequestedError();
        await renewLease(db, file.id, owner, config.processing.leaseSeconds);
      };
      // Pass after pass until every byte the writer wrote is read (docs/file-arrival.md). Every run
      // looks first: the file may have changed since the claim, or while a stopped run was away.
      let readUpTo = await firstReadLimit(file);
      if (await changedSinceRead(file)) {
        const first = await nextPass(services, file, owner, file.sizeBytes, keepLease);
        if (first === null) readUpTo = -1;
        else {
          file = first.file;
          readUpTo = first.readUpTo;
        }
      }
      for (; readUpTo >= 0; ) {
        let refusal: FileRefusedError | null = null;
        try {
          await applyRows(services, file, kind, settings, owner, readUpTo, stopping, onProgress);
        } catch (error) {
          if (!(error instanceof FileRefusedError)) throw error;
          refusal = error;
        }
        // A file refused as it was claimed may only have been incomplete: look before refusing.
        const next = await nextPass(services, file, owner, readUpTo, keepLease);
        if (next === null) {
          if (refusal) throw refusal;
          break;
        }
        file = next.file;
        readUpTo = next.readUpTo;
      }
      if (kind.afterRows) {
        await keepLease();
        await kind.afterRows(services, file, keepLease);
      }
    }

    const reportPath = await reserveReportPath(
      db,
      file.id,
      folders.outbox(config, file.authorityCode),
      file.originalName,
      file.replayOf !== null,
    );
    await writeResultReport(
      db,
      file.id,
      paths.outbox(config),
      reportPath,
      changeNotice((await getFile(db, file.id)) ?? file),
    );
    await renewLease(db, file.id, owner, config.processing.leaseSeconds);
    await moveOnce(file.storedPath, final.archive);
    await finishFile(db, file.id, owner, { status: 'done', storedPath: final.archive, error: null });
    const finished = await getFile(db, file.id);
    logger.info('file processed', {
      fileId,
      ms: Date.now() - started,
      accepted: finished?.accepted,
      referred: finished?.referred,
      invalid: finished?.invalid,
    });
    return finished;
  } catch (error) {
    if (error instanceof StopRequestedError) {
      // Its committed chunks stand; whoever sweeps next (this machine or another) resumes it now,
      // not after its lease would have run out.
      await releaseLease(db, file.id, owner, services.boss);
      logger.info('stopped while processing a file: given back, it resumes after its last committed record', {
        fileId,
        recordsDone: file.recordsDone,
      });
      return null;
    }
    if (!(error instanceof FileRefusedError)) throw error;
    // The reason may quote the file's content (a header that is really a data row): it goes to
    // the authority and the failed folder, not to the log.
    logger.warn('file refused', { fileId, authority: file.authorityCode, explanation: `${final.failed}.error.txt` });
    await refuse(services, file, owner, error.message);
    return getFile(db, file.id);
  }
}
