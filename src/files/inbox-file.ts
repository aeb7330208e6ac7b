import { constants } from 'node:fs';
import { type FileHandle, open, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

export type HeldFile =
  | { held: true; handle: FileHandle; dev: number; ino: number }
  | { held: false; outcome: 'gone' }
  | { held: false; outcome: 'refused'; reason: string };

/**
 * Opens a file of an authority's inbox folder the way a claim may take it: the name itself never
 * a link (O_NOFOLLOW), a regular file with one name only (a hard link could be another
 * authority's file, or anyone's), and really in `inbox/<authority>/<kind>/`, as the open descriptor shows, not
 * through a folder swapped for a link. The claim then checks that what it renamed is this very
 * file (`dev`, `ino`).
 */
export async function holdInboxFile(
  source: string,
  inboxRoot: string,
  authorityFolder: string,
  kindFolder: string,
): Promise<HeldFile> {
  const name = path.basename(source);
  let handle: FileHandle;
  try {
    handle = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { held: false, outcome: 'gone' };
    if (code === 'ELOOP')
      return refused(`${name} is a symbolic link; only regular files are read. It was left where it is.`);
    throw error;
  }
  const keep = async (): Promise<HeldFile> => {
    const info = await handle.stat();
    if (!info.isFile()) return refused(`${name} is not a regular file (folders and devices are not read).`);
    if (info.nlink !== 1) {
      return refused(
        `${name} has more than one name (a hard link); only a file written into the folder is read. It was left ` +
          `where it is.`,
      );
    }
    // Where the descriptor really is; without /proc, where the name resolves to now.
    const actual = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => realpath(source));
    // The inbox's own real path, then the folder names as they are: a folder that is a link
    // elsewhere (another authority's) does not resolve to itself.
    const expected = path.join(await realpath(inboxRoot), authorityFolder, kindFolder, name);
    if (actual !== expected) {
      return refused(
        `${name} is not inside its authority's own folder (a symbolic link on the way); it was left where it is.`,
      );
    }
    return { held: true, handle, dev: info.dev, ino: info.ino };
  };
  const result = await keep().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  if (!result.held) await handle.close();
  return result;
}

function refused(reason: string): HeldFile {
  return { held: false, outcome: 'refused', reason };
}
