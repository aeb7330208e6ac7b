import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import type { WatchSettings } from '../config/config-types.ts';
import { identityKey, openForWriting } from './open-writers.ts';

/** `<name>.done`, written by a sender after `<name>` is complete (done-marker mode). */
export const doneMarkerSuffix = '.done';

/**
 * Names writers use while a file is incomplete (WinSCP's `.filepart`, `.part`, dot files…), and
 * done markers: never taken as files. The lists are configuration (docs/file-arrival.md).
 */
export function isTemporaryName(
  name: string,
  watch: Pick<WatchSettings, 'temporaryPrefixes' | 'temporarySuffixes'>,
): boolean {
  const lower = name.toLowerCase();
  return (
    watch.temporaryPrefixes.some((prefix) => name.startsWith(prefix)) ||
    watch.temporarySuffixes.some((suffix) => lower.endsWith(suffix)) ||
    lower.endsWith(doneMarkerSuffix)
  );
}

/** Whether the first `size` bytes of the file end with a line end (an empty file does not). */
async function endsWithLineEnd(file: string, size: number): Promise<boolean> {
  if (size === 0) return false;
  const handle = await open(file, 'r');
  try {
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a || last[0] === 0x0d;
  } finally {
    await handle.close();
  }
}

/** How long a file must stay unchanged: longer for a CSV cut in the middle of a row. */
export async function quietPeriodMs(file: string, size: number, watch: WatchSettings): Promise<number> {
  if (path.extname(file).toLowerCase() !== '.csv') return watch.stableMs;
  const complete = await endsWithLineEnd(file, size).catch(() => true);
  return complete ? watch.stableMs : watch.incompleteLineStableMs;
}

export interface FileState {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

export async function fileState(file: string): Promise<FileState | null> {
  const info = await lstat(file).catch(() => null);
  if (info === null || !info.isFile()) return null;
  return { size: info.size, mtimeMs: info.mtimeMs, dev: info.dev, ino: info.ino };
}

export const sameContentState = (a: FileState, b: Pick<FileState, 'size' | 'mtimeMs'>) =>
  a.size === b.size && a.mtimeMs === b.mtimeMs;

/** Of these files, those that no process is writing to (when the check is on). */
export async function notOpenForWriting<T extends { state: FileState }>(
  candidates: T[],
  watch: WatchSettings,
): Promise<T[]> {
  if (!watch.checkOpenWriters || candidates.length === 0) return candidates;
  const open = await openForWriting(candidates.map((c) => c.state));
  return candidates.filter((c) => !open.has(identityKey(c.state)));
}

/**
 * Waits until the writer of an already-claimed file is done, as the watcher would have:
 * unchanged for its quiet period and held open by no process. `keepAlive` runs between looks
 * (a file's lease is renewed there) and may throw to give up.
 */
export async function waitUntilWritten(
  file: string,
  watch: WatchSettings,
  keepAlive: () => Promise<void>,
): Promise<FileState> {
  let seen = await fileState(file);
  let since = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, watch.pollMs));
    await keepAlive();
    const now = await fileState(file);
    if (now === null) throw new Error(`${path.basename(file)} disappeared while its writer was being waited for.`);
    if (seen === null || !sameContentState(now, seen)) {
      seen = now;
      since = Date.now();
      continue;
    }
    if (Date.now() - since < (await quietPeriodMs(file, now.size, watch))) continue;
    if ((await notOpenForWriting([{ state: now }], watch)).length === 1) return now;
  }
}
