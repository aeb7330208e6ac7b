import { randomBytes } from 'node:crypto';
import { constants, type WriteStream } from 'node:fs';
import { type FileHandle, link, lstat, mkdir, open, readlink, realpath, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writing where authorities read (docs/file-arrival.md §7): they may plant links there,
 * often through the same SFTP area they write. Nothing here follows a link: folders are created one
 * step at a time and refused when a step is a link; files are created under a fresh unpredictable
 * name with O_CREAT|O_EXCL|O_NOFOLLOW, then renamed into place (a rename replaces a link, it never
 * writes through one).
 */
export class UnsafeOutboxPathError extends Error {
  override name = 'UnsafeOutboxPathError';
}

const freshFlags = constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_WRONLY;

/** Creates `folder` and the folders between `root` and it, refusing any that is a link or not a folder. */
export async function ensureFolder(root: string, folder: string, mode = 0o750): Promise<void> {
  const relative = path.relative(root, folder);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new UnsafeOutboxPathError(`${folder} is not inside ${root}; nothing is written there.`);
  }
  let current = root;
  for (const part of ['', ...relative.split(path.sep).filter((p) => p !== '')]) {
    current = path.join(current, part);
    let info = await lstat(current).catch(() => null);
    if (info === null) {
      await mkdir(current, { mode }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      info = await lstat(current);
    }
    if (info.isSymbolicLink() || !info.isDirectory()) {
      throw new UnsafeOutboxPathError(
        `${current} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; nothing is written ` +
          `through it. Remove it.`,
      );
    }
  }
}

/** A fresh file in `folder` under an unpredictable name, created exclusively, never through a link. */
function freshName(folder: string): string {
  return path.join(folder, `.intake-${randomBytes(12).toString('hex')}.tmp`);
}

/** Writes `content` whole under a fresh name, then renames it to `target` (replacing what was there). */
export async function replaceFile(root: string, target: string, content: string | Buffer, mode: number): Promise<void> {
  const writer = await startFile(root, target, mode);
  await new Promise<void>((resolve, reject) => {
    writer.stream.once('error', reject);
    writer.stream.end(content, () => resolve());
  }).catch(async (error: unknown) => {
    await writer.abandon();
    throw error;
  });
  await writer.commit();
}

export interface FileWriter {
  stream: WriteStream;
  /** Renames the finished file to its target. */
  commit(): Promise<void>;
  /** Removes the unfinished file. */
  abandon(): Promise<void>;
}

/**
 * Opens a fresh file in `folder` and checks, by its descriptor, that it really is there: a folder
 * on the way swapped for a link between `ensureFolder` and the open would have put it elsewhere.
 */
async function openFresh(
  root: string,
  folder: string,
  mode: number,
): Promise<{ handle: FileHandle; temporary: string }> {
  await ensureFolder(root, folder);
  const temporary = freshName(folder);
  const handle = await open(temporary, freshFlags, mode);
  const actual = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
  const expected = path.join(await realpath(root), path.relative(root, temporary));
  if (actual !== null && actual !== expected) {
    await handle.close();
    await unlink(actual).catch(() => {});
    throw new UnsafeOutboxPathError(
      `${folder} was swapped for a link while Intake wrote in it; nothing was written through it.`,
    );
  }
  return { handle, temporary };
}

/** The folder is checked again just before the rename, so a swap must fall in between the two. */
async function renameIntoPlace(root: string, temporary: string, target: string): Promise<void> {
  await ensureFolder(root, path.dirname(target));
  await rename(temporary, target);
}

/** A stream into a fresh file that becomes `target` on commit (for reports written row by row). */
export async function startFile(root: string, target: string, mode: number): Promise<FileWriter> {
  const { handle, temporary } = await openFresh(root, path.dirname(target), mode);
  // The handle's own stream: it closes the handle when done, so nothing closes the descriptor twice.
  const stream = handle.createWriteStream();
  return {
    stream,
    commit: () => renameIntoPlace(root, temporary, target),
    abandon: () => rm(temporary, { force: true }),
  };
}

/**
 * Writes `content` as `target` only if no file (or link) of that name exists: false when one does.
 * `link` never follows or replaces what is at its target.
 */
export async function createNewFile(root: string, target: string, content: string, mode: number): Promise<boolean> {
  const { handle, temporary } = await openFresh(root, path.dirname(target), mode);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  try {
    await ensureFolder(root, path.dirname(target));
    await link(temporary, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => {});
  }
}
