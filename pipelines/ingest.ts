import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Services } from '../src/app.ts';
import { paths } from '../src/config/config.ts';
import { exclusively } from '../src/db/locks.ts';
import { type ClaimResult, claimFile, registerClaimed } from '../src/files/claim.ts';
import { originalNameOf } from '../src/files/folders.ts';
import type { FileKind } from '../src/files/kinds.ts';
import { type IntakeFile, knownStoredPaths } from '../src/files/registry.ts';
import { type FileProgress, runFile } from './file-runner.ts';
import { kinds } from './kinds.ts';

export type IngestResult =
  | { outcome: 'processed'; file: IntakeFile }
  | { outcome: 'refused'; reason: string; file?: IntakeFile }
  | { outcome: 'duplicate'; file: IntakeFile }
  | { outcome: 'busy'; file: IntakeFile };

/**
 * `intake ingest`: the watcher's path (claim, register, run) done now, in this process.
 * A repeat of a file that was never finished (a crash) resumes it instead of calling it a duplicate.
 * `onProgress` hears of each committed chunk (the command line draws it on a terminal).
 */
export async function ingestFile(
  services: Services,
  source: string,
  authority: string,
  kind: FileKind,
  asOf?: string,
  onProgress?: (progress: FileProgress) => void,
): Promise<IngestResult> {
  const claim: ClaimResult = await claimFile(
    { ...services, boss: null },
    { source, authorityFolder: authority, kindFolder: kind, mode: 'copy', ...(asOf ? { asOf } : {}) },
  );
  if (claim.outcome === 'gone') return { outcome: 'refused', reason: await whyNotTaken(source) };
  if (claim.outcome === 'refused' || claim.outcome === 'waiting') return { outcome: 'refused', reason: claim.reason };
  if (claim.outcome === 'duplicate' && (claim.file.status === 'done' || claim.file.status === 'failed')) return claim;
  const file = await runFile(services, claim.file.id, kinds, undefined, onProgress);
  if (file === null) return { outcome: 'busy', file: claim.file };
  if (file.status === 'failed') return { outcome: 'refused', reason: file.error ?? 'refused', file };
  return { outcome: 'processed', file };
}

/** Why a file named on the command line could not be taken: a path that is not there is said to be so. */
async function whyNotTaken(source: string): Promise<string> {
  const code = await access(source, constants.R_OK).then(
    () => null,
    (error: NodeJS.ErrnoException) => error.code,
  );
  if (code === 'ENOENT' || code === 'ENOTDIR') return `${source} does not exist.`;
  if (code === 'EACCES') return `${source} cannot be read: permission denied.`;
  return `${source} cannot be read.`;
}

/**
 * Files left in `claimed/` by a crash between the rename and the database row are registered
 * again. Only files claimed more than a lease ago: a younger one may be a claim still under way.
 * One process of the cluster at a time: two machines registering one orphan would each see the
 * other's row as a duplicate of it.
 */
export async function registerOrphans(services: Services): Promise<number> {
  return (await exclusively(services.db, 'intake:orphan-sweep', () => registerOrphansNow(services))) ?? 0;
}

async function registerOrphansNow(services: Services): Promise<number> {
  const root = paths.claimed(services.config);
  const found: { path: string; authority: string; kind: string }[] = [];
  for (const authority of await readdir(root).catch(() => [] as string[])) {
    for (const kind of await readdir(path.join(root, authority)).catch(() => [] as string[])) {
      for (const name of await readdir(path.join(root, authority, kind)).catch(() => [] as string[])) {
        if (!name.endsWith('.part')) found.push({ path: path.join(root, authority, kind, name), authority, kind });
      }
    }
  }
  const known = await knownStoredPaths(
    services.db,
    found.map((f) => f.path),
  );
  const settled = Date.now() - services.config.processing.leaseSeconds * 1000;
  let registered = 0;
  for (const orphan of found.filter((f) => !known.has(f.path))) {
    const info = await stat(orphan.path).catch(() => null);
    if (info === null || info.ctimeMs > settled) continue;
    await registerClaimed(
      services,
      orphan.path,
      orphan.authority,
      orphan.kind,
      originalNameOf(path.basename(orphan.path)),
    );
    registered++;
  }
  return registered;
}
