import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, readdir, readlink, realpath, unlink } from 'node:fs/promises';
import path from 'node:path';

/*
 * Looking at and removing files where authorities can write (the outbox, through SFTP), never
 * through a link they planted (docs/file-arrival.md §7). A folder is opened once and then used
 * through its descriptor (`/proc/self/fd/N/<name>`): what is listed and removed is in the very
 * folder whose real path was checked, even if a step of its path is swapped for a link later.
 * Node has no `unlinkat`; this is the same thing on Linux.
 */

/** A folder held open, checked to be where it was expected. */
export interface PinnedFolder {
  /** Where the folder was expected: names in reports and dry runs are joined to it. */
  path: string;
  /** The folder through its descriptor: names joined to it resolve in the folder held. */
  handlePath: string;
  close(): Promise<void>;
}

export interface FolderEntry {
  name: string;
  stats: Stats;
}

/** `absent`: nothing there; `unsafe`: a link, or not a folder Intake can read, on the way (left alone). */
export type PinOutcome = PinnedFolder | 'absent' | 'unsafe';

const ownUid = process.getuid?.();

/** Its path has no link below `root` (used where `/proc/self/fd` cannot be read). */
async function noLinkBelow(root: string, folder: string): Promise<boolean> {
  let current = root;
  for (const part of path
    .relative(root, folder)
    .split(path.sep)
    .filter((p) => p !== '')) {
    current = path.join(current, part);
    const info = await lstat(current).catch(() => null);
    if (info === null || info.isSymbolicLink() || !info.isDirectory()) return false;
  }
  return true;
}

/**
 * Opens `folder` (at or below `root`) if it is a real folder reached through real folders only.
 * `root` itself is the operator's (it may be a link to a mounted volume); only steps below it count.
 */
export async function pinFolder(root: string, folder: string): Promise<PinOutcome> {
  const relative = path.relative(root, folder);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return 'unsafe';
  let handle: FileHandle;
  try {
    handle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'absent';
    // A link (O_NOFOLLOW), not a folder, or a folder someone made unreadable to Intake: not its own.
    if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM') return 'unsafe';
    throw error;
  }
  const close = () => handle.close();
  const handlePath = `/proc/self/fd/${handle.fd}`;
  const actual = await readlink(handlePath).catch(() => null);
  const expected = path.join(await realpath(root), relative);
  if (actual === null) {
    // No /proc: the folder is checked step by step instead, and used by its path.
    if (await noLinkBelow(root, folder)) return { path: folder, handlePath: folder, close };
  } else if (actual === expected) return { path: folder, handlePath, close };
  await close();
  return 'unsafe';
}

/** What the folder holds, each looked at with lstat (a link is seen as a link, never followed). */
export async function entriesOf(folder: PinnedFolder): Promise<FolderEntry[]> {
  const names = await readdir(folder.handlePath);
  const entries: FolderEntry[] = [];
  for (const name of names) {
    const stats = await lstat(path.join(folder.handlePath, name)).catch(() => null);
    if (stats !== null) entries.push({ name, stats });
  }
  return entries;
}

/** A regular file of Intake's own account: not a link, a folder or a file someone else made. */
export function isOwnRegularFile(stats: Stats): boolean {
  return stats.isFile() && (ownUid === undefined || stats.uid === ownUid);
}

/**
 * Removes the entry if it is still the regular file looked at (same device and inode). `unlink`
 * removes a name, never what a link points to, and the folder is the one held.
 */
export async function removeEntry(folder: PinnedFolder, entry: FolderEntry): Promise<'removed' | 'gone' | 'unsafe'> {
  const where = path.join(folder.handlePath, entry.name);
  const now = await lstat(where).catch(() => null);
  if (now === null) return 'gone';
  if (!isOwnRegularFile(now) || now.ino !== entry.stats.ino || now.dev !== entry.stats.dev) return 'unsafe';
  try {
    await unlink(where);
    return 'removed';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
}
