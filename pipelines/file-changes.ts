import { open } from 'node:fs/promises';
import type { Services } from '../src/app.ts';
import {
  fileState,
  notOpenForWriting,
  quietPeriodMs,
  sameContentState,
  waitUntilWritten,
} from '../src/files/arrival.ts';
import { registerClaimed } from '../src/files/claim.ts';
import {
  recentlyFinished,
  recordGrowth,
  recordRetake,
  recordRetakeOfFinished,
  reopenFile,
  takeBackCutRecord,
} from '../src/files/file-revisions.ts';
import { copyIntoClaimed, writeNewNote } from '../src/files/folders.ts';
import { hashOfFirstBytes, inspectFile } from '../src/files/inspect.ts';
import type { IntakeFile } from '../src/files/registry.ts';
import { FileRefusedError } from '../src/formats/records.ts';

/**
 * How far a pass reads. A CSV whose claimed bytes end in the middle of a line is read up to its
 * last line end first: that line may be a row cut short by a writer not yet done, and is read
 * only once the file is known complete (docs/file-arrival.md).
 */
export async function firstReadLimit(file: IntakeFile): Promise<number> {
  if (file.format !== 'csv' || file.mtimeMs === null || file.sizeBytes === 0) return file.sizeBytes;
  const handle = await open(file.storedPath, 'r');
  try {
    const block = Buffer.alloc(64 * 1024);
    for (let end = file.sizeBytes; end > 0; ) {
      const start = Math.max(0, end - block.length);
      const { bytesRead } = await handle.read(block, 0, end - start, start);
      const piece = block.subarray(0, bytesRead);
      const lastLineEnd = Math.max(piece.lastIndexOf(0x0a), piece.lastIndexOf(0x0d));
      if (lastLineEnd >= 0) return start + lastLineEnd + 1;
      end = start;
    }
    // A single line: nothing to hold back.
    return file.sizeBytes;
  } finally {
    await handle.close();
  }
}

/** Whether the first `bytes` bytes of the file end inside a line (their last byte is no line end). */
async function endsMidLine(storedPath: string, bytes: number): Promise<boolean> {
  if (bytes === 0) return false;
  const handle = await open(storedPath, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, bytes - 1);
    return bytesRead === 1 && buffer[0] !== 0x0a && buffer[0] !== 0x0d;
  } finally {
    await handle.close();
  }
}

/**
 * Whether the file is not as it was when what was read of it was recorded: its size or time, or,
 * those being the same (a writer can put them back), its bytes.
 */
export async function changedSinceRead(file: IntakeFile): Promise<boolean> {
  if (file.mtimeMs === null) return false;
  const now = await fileState(file.storedPath);
  if (now === null) return false;
  if (!sameContentState(now, { size: file.sizeBytes, mtimeMs: file.mtimeMs })) return true;
  return (await sameBytes(file)) === false;
}

/** Whether the claimed bytes are still those read (null: the file is gone). */
async function sameBytes(file: IntakeFile): Promise<boolean | null> {
  const hash = await hashOfFirstBytes(file.storedPath, file.sizeBytes).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  return hash === null ? null : hash === file.readSha256;
}

/** What follows a pass over the first `readUpTo` bytes: another pass up to `readUpTo`, or none. */
export type NextPass = { file: IntakeFile; readUpTo: number } | null;

/**
 * After a pass: was the file complete when it was claimed? If its writer was still adding to it
 * (its size or modification time moved), wait until the writer is done, then read on: the rows
 * added are applied too, after those already applied, and the report says the file changed. A
 * file rewritten rather than added to, after rows were applied, is taken again whole as a new
 * file. No row written after the claim is left unread.
 */
export async function nextPass(
  services: Services,
  file: IntakeFile,
  owner: string,
  readUpTo: number,
  keepLease: () => Promise<void>,
): Promise<NextPass> {
  const { config, logger } = services;
  // Files claimed by an older release carry no modification time: they were taken as they were.
  if (file.mtimeMs === null) return null;
  const now = await fileState(file.storedPath);
  if (now === null) return null;
  let unchanged = sameContentState(now, { size: file.sizeBytes, mtimeMs: file.mtimeMs });
  // A writer can put a file's size and time back: the last pass also holds the bytes read to the
  // hash taken when they were claimed (one more read of the file, from the page cache).
  if (unchanged && readUpTo === file.sizeBytes) {
    // A file removed meanwhile (null) has nothing more to read, as when it is gone.
    if ((await sameBytes(file)) !== false) return null;
    unchanged = false;
  }
  if (unchanged && (await notOpenForWriting([{ state: now }], config.watch)).length === 1)
    return { file, readUpTo: file.sizeBytes };

  logger.warn('file changed after it was claimed: waiting for its writer', {
    fileId: file.id,
    claimedBytes: file.sizeBytes,
    bytesNow: now.size,
  });
  const final = await waitUntilWritten(file.storedPath, config.watch, keepLease);
  const onlyAdded =
    final.size >= file.sizeBytes && (await hashOfFirstBytes(file.storedPath, file.sizeBytes)) === file.readSha256;
  if (onlyAdded || file.recordsDone === 0) {
    const inspection = await inspectFile(file.storedPath, final.size);
    if (inspection.problem !== null)
      throw new FileRefusedError(`The file changed while it was being read. ${inspection.problem}`);
    let grown = await recordGrowth(services.db, file.id, owner, {
      sizeBytes: final.size,
      sha256: inspection.sha256,
      mtimeMs: final.mtimeMs,
    });
    // Its last line, read when the file looked complete, was cut short by the writer: read it again whole.
    if (onlyAdded && file.format === 'csv' && (await endsMidLine(file.storedPath, readUpTo)))
      grown = (await takeBackCutRecord(services.db, file.id, owner)) ?? grown;
    logger.info('file read on after its writer finished', { fileId: file.id, bytes: final.size });
    // Nothing applied yet (or only added to): read on from the first record not yet applied.
    return { file: grown, readUpTo: await firstReadLimit(grown) };
  }
  await retakeWhole(services, file, owner);
  return null;
}

/**
 * A writer that stalled for longer than the quiet period, where no open descriptor can be seen
 * (a shared volume), may go on after the file's report was written: it writes into the archived
 * file (a rename keeps the file). Files finished within `watch.lateWriteMinutes` are looked at.
 * An enrolment file that changed is opened again, read on from its last record, and its report
 * written anew. An access-code file is taken again whole as a new file instead: its letters were
 * issued as one batch, and the new file's rows get letters of their own (the rows already applied
 * come back as ALREADY_WAITING); a note tells the authority.
 */
export async function reopenFilesWrittenAfterReport(services: Services): Promise<number> {
  const { config, db, logger } = services;
  let reopened = 0;
  for (const file of await recentlyFinished(db, config.watch.lateWriteMinutes)) {
    const now = await fileState(file.storedPath);
    if (now === null || sameContentState(now, { size: file.sizeBytes, mtimeMs: file.mtimeMs ?? Number.NaN })) continue;
    if (file.kind === 'access') {
      // Taken only once its writer is done; until then the next look comes back to it.
      const quiet = Date.now() - now.mtimeMs >= (await quietPeriodMs(file.storedPath, now.size, config.watch));
      if (!quiet || (await notOpenForWriting([{ state: now }], config.watch)).length === 0) continue;
      const retakenAs = await takeAgainWhole(services, file);
      if (retakenAs === null) continue;
      await recordRetakeOfFinished(db, file.id, retakenAs);
      await writeNewNote(
        config,
        file.authorityCode,
        file.originalName,
        '.changed.txt',
        `${file.originalName} was still being written after its report was made (${file.sizeBytes} bytes were read). ` +
          `The complete file was taken again as file ${retakenAs}: its report follows, with letters for the rows ` +
          'added. Rows already applied appear there as ALREADY_WAITING. Upload under a temporary name and rename ' +
          'when done to avoid this.\n',
      );
      logger.warn('access file written to after its report: taken again whole', { fileId: file.id, retakenAs });
      reopened++;
    } else if (await reopenFile(db, file.id, services.boss)) {
      logger.warn('file written to after its report: read on, and its report written anew', {
        fileId: file.id,
        reportedBytes: file.sizeBytes,
        bytesNow: now.size,
      });
      reopened++;
    }
  }
  return reopened;
}

/** The file's content as it is now, registered as a new file; its id, or null when refused. */
async function takeAgainWhole(services: Services, file: IntakeFile): Promise<number | null> {
  const copy = await copyIntoClaimed(
    services.config,
    file.storedPath,
    file.authorityCode,
    file.kind,
    file.originalName,
  );
  const registration = await registerClaimed(
    services,
    copy,
    file.authorityCode,
    file.kind,
    file.originalName,
    file.asOf,
  );
  return registration.outcome === 'registered' || registration.outcome === 'duplicate' ? registration.file.id : null;
}

/** The content was rewritten after rows were applied: the complete file becomes a file of its own. */
async function retakeWhole(services: Services, file: IntakeFile, owner: string): Promise<void> {
  const retakenAs = await takeAgainWhole(services, file);
  if (retakenAs === null) {
    throw new FileRefusedError(
      'The file was rewritten while it was being read, and its new content could not be taken (see the note on it).',
    );
  }
  await recordRetake(services.db, file.id, owner, retakenAs, file.sizeBytes);
  services.logger.warn('file rewritten after rows were applied: taken again whole', { fileId: file.id, retakenAs });
}

/** The report's first row when the file changed while it was read; none otherwise. */
export function changeNotice(file: IntakeFile): string | null {
  if (file.retakenAs !== null) {
    return (
      `The file was rewritten while Intake was reading it (it had ${file.claimedSizeBytes} bytes when it was taken). ` +
      `The rows below were read from that first content. The complete file was taken again as file ` +
      `${file.retakenAs}, with a report of its own.`
    );
  }
  if (file.claimedSizeBytes !== null) {
    const replaced = file.reopenedAfterReport
      ? ' This report replaces the one written before the writer went on: it covered only the rows read then.'
      : '';
    return (
      `The file was still being written when Intake took it (${file.claimedSizeBytes} bytes then, ` +
      `${file.sizeBytes} when its writer was done). ` +
      `Intake waited for the writer and read the whole file: every row is reported below.${replaced} ` +
      `Upload under a temporary name and rename when done to avoid this.`
    );
  }
  return null;
}
