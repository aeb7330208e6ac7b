import { chmod, copyFile, type FileHandle, lstat, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type PgBoss from 'pg-boss';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import { todayIn } from '../validate/dates.ts';
import { parseAuthorityCode } from '../validate/values.ts';
import { fileState } from './arrival.ts';
import { folders, moveFile, safeName, storedName, writeNewNote } from './folders.ts';
import { holdInboxFile } from './inbox-file.ts';
import { inspectFile } from './inspect.ts';
import { fileKinds, parseFileKind } from './kinds.ts';
import { type FileFormat, type IntakeFile, registerFile } from './registry.ts';

export interface ClaimRequest {
  source: string;
  authorityFolder: string;
  kindFolder: string;
  /** For inbox files: the inbox root; the file must really be in `<root>/<authority>/<kind>/`, no links on the way. */
  inboxRoot?: string;
  /** The inbox moves files; `intake ingest` copies, leaving the caller's file alone. */
  mode: 'move' | 'copy';
  asOf?: string;
}

export type ClaimResult =
  | { outcome: 'registered'; file: IntakeFile }
  | { outcome: 'duplicate'; file: IntakeFile }
  | { outcome: 'refused'; reason: string }
  /** Left in the inbox for a reason that can be put right without changing the file; offered again later. */
  | { outcome: 'waiting'; reason: string }
  | { outcome: 'gone' };

interface ClaimServices {
  config: Config;
  db: Database;
  logger: Logger;
  /** Null when the caller processes the file itself (intake ingest). */
  boss: PgBoss | null;
}

function formatOf(name: string): FileFormat | null {
  const extension = path.extname(name).toLowerCase();
  return extension === '.csv' ? 'csv' : extension === '.xml' ? 'xml' : null;
}

async function refuseBeforeRegistration(
  services: ClaimServices,
  current: string,
  authorityFolder: string,
  kindFolder: string,
  name: string,
  reason: string,
): Promise<ClaimResult> {
  const { config, logger } = services;
  const failedPath = path.join(
    folders.failed(config, safeName(authorityFolder), safeName(kindFolder)),
    storedName(name),
  );
  await moveFile(current, failedPath);
  await writeFile(`${failedPath}.error.txt`, `${name} was not processed: no row of it was applied.\n\n${reason}\n`, {
    mode: 0o600,
  });
  const authority = parseAuthorityCode(authorityFolder);
  const known =
    authority !== null &&
    (await services.db.query('select 1 from authority where code = $1', [authority])).rowCount === 1;
  if (known)
    await writeNewNote(
      config,
      authority,
      name,
      '.error.txt',
      `${name} was not processed: no row of it was applied.\n\n${reason}\n`,
    );
  logger.warn('file refused', { authority: authorityFolder, kind: kindFolder, reason });
  return { outcome: 'refused', reason };
}

/** Whether `code` is an authority of the reference data. */
export async function isKnownAuthority(db: Database, code: string | null): Promise<boolean> {
  return code !== null && (await db.query('select 1 from authority where code = $1', [code])).rowCount === 1;
}

/** An inbox folder named after no authority: said of the folder, which is what its sender sees. */
const unknownAuthorityReason = (folder: string) =>
  `"${folder}" is not the code of a known school authority; files are taken only from an authority's own folder ` +
  `(as inbox/A.0094/enrolment/).`;

/** An authority named on the command line (`intake ingest --authority`) that the reference data does not have. */
export const unknownAuthorityText = (code: string) =>
  `${code} is not an authority in the reference data: check the code, or load the reference data that has it ` +
  `(intake reference load DIR). Nothing was taken.`;

/**
 * Claims a complete file: atomic rename (or copy) into `claimed/`, one streaming pass for its
 * hash and encoding, then one row per (authority, content) with its job in the same transaction.
 */
export async function claimFile(services: ClaimServices, request: ClaimRequest): Promise<ClaimResult> {
  const name = safeName(request.source);
  let held: { handle: FileHandle; dev: number; ino: number } | null = null;
  if (request.inboxRoot !== undefined) {
    // An authority's folder is its identity: only a file really in it, by one name, is taken.
    const hold = await holdInboxFile(request.source, request.inboxRoot, request.authorityFolder, request.kindFolder);
    if (!hold.held) return hold.outcome === 'gone' ? { outcome: 'gone' } : { outcome: 'refused', reason: hold.reason };
    held = hold;
  } else {
    const info = await lstat(request.source).catch(() => null);
    if (info === null) return { outcome: 'gone' };
    if (!info.isFile())
      return { outcome: 'refused', reason: `${name} is not a regular file (links and folders are not read).` };
  }
  try {
    return await claimHeld(services, request, name, held);
  } finally {
    await held?.handle.close();
  }
}

async function claimHeld(
  services: ClaimServices,
  request: ClaimRequest,
  name: string,
  held: { dev: number; ino: number } | null,
): Promise<ClaimResult> {
  const { config } = services;
  // Before anything is moved: an authority not yet in the reference data may be loaded later,
  // and the file must still be where its sender put it then (and nothing is created for it).
  if (!(await isKnownAuthority(services.db, parseAuthorityCode(request.authorityFolder)))) {
    return request.mode === 'move'
      ? { outcome: 'waiting', reason: unknownAuthorityReason(request.authorityFolder) }
      : { outcome: 'refused', reason: unknownAuthorityText(request.authorityFolder) };
  }

  const claimedFolder = folders.claimed(config, safeName(request.authorityFolder), safeName(request.kindFolder));
  const claimed = path.join(claimedFolder, storedName(name));
  await mkdir(claimedFolder, { recursive: true, mode: 0o700 });
  try {
    if (request.mode === 'move') await rename(request.source, claimed);
    else await copyFile(request.source, claimed);
  } catch (error) {
    // Another process claimed it first.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { outcome: 'gone' };
    throw error;
  }
  // What the rename took must be the file that was checked: a folder swapped for a link in
  // between would have brought another file. That one goes back, untouched.
  const taken = await lstat(claimed);
  if (held !== null && (taken.dev !== held.dev || taken.ino !== held.ino)) {
    await rename(claimed, request.source).catch(() => {});
    return { outcome: 'refused', reason: `${name} changed while it was being taken; it was left where it is.` };
  }
  // Personal data: readable by Intake's account only, whatever mode the uploader gave it.
  if (!taken.isSymbolicLink()) await chmod(claimed, 0o600);
  // Swapped for a link between the look and the rename: never read through it.
  if ((await lstat(claimed)).isSymbolicLink()) {
    return refuseBeforeRegistration(
      services,
      claimed,
      request.authorityFolder,
      request.kindFolder,
      name,
      'The file is a symbolic link; only regular files are read.',
    );
  }
  return registerClaimed(services, claimed, request.authorityFolder, request.kindFolder, name, request.asOf);
}

/** The second half of a claim; also used for files found in `claimed/` after a crash. */
export async function registerClaimed(
  services: ClaimServices,
  claimed: string,
  authorityFolder: string,
  kindFolder: string,
  name: string,
  asOf?: string,
): Promise<ClaimResult> {
  const { config, db, logger } = services;
  const authority = parseAuthorityCode(authorityFolder);
  const refuse = (reason: string) =>
    refuseBeforeRegistration(services, claimed, authorityFolder, kindFolder, name, reason);
  if (authority === null || !(await isKnownAuthority(db, authority)))
    return refuse(unknownAuthorityReason(authorityFolder));
  const kind = parseFileKind(kindFolder);
  if (!kind)
    return refuse(`"${kindFolder}" is not a kind of file Intake takes; use the folder ${fileKinds.join(' or ')}.`);
  const format = formatOf(name);
  if (!format) return refuse('The file name must end in .csv or .xml so Intake knows how to read it.');
  // What is read of the file is fixed here: its size and modification time now, and the hash of
  // exactly those bytes. A writer still adding to it is noticed after the run (file-runner).
  const state = await fileState(claimed);
  if (state === null) return refuse('The file is not a regular file; only regular files are read.');
  const inspection = await inspectFile(claimed, state.size);
  if (inspection.problem !== null) return refuse(inspection.problem);

  const registration = await registerFile(
    db,
    {
      authorityCode: authority,
      kind,
      originalName: name,
      format,
      sha256: inspection.sha256,
      sizeBytes: inspection.sizeBytes,
      mtimeMs: state.mtimeMs,
      storedPath: claimed,
      asOf: asOf ?? todayIn(),
    },
    services.boss,
  );
  if (registration.outcome === 'duplicate') {
    const existing = registration.file;
    // Two sweeps recording the same orphan: the other one recorded this very file.
    if (existing.storedPath === claimed) return registration;
    const duplicatePath = path.join(folders.archive(config, authority, kind), 'duplicates', path.basename(claimed));
    await moveFile(claimed, duplicatePath);
    const unfinished = existing.status === 'queued' || existing.status === 'processing';
    const note = unfinished
      ? `${name} has the same content as ${existing.originalName} (file ${existing.id}), which is being ` +
        `processed; its rows are applied once, and reported in the results of ${existing.originalName}.\n`
      : `${name} has the same content as ${existing.originalName} (file ${existing.id}, ${existing.status}); it ` +
        `was not applied again.\n`;
    await writeNewNote(config, authority, name, '.duplicate.txt', note);
    logger.info('duplicate file', { authority, kind, fileId: existing.id });
  } else {
    logger.info('file claimed', { authority, kind, fileId: registration.file.id, bytes: inspection.sizeBytes });
  }
  return registration;
}
