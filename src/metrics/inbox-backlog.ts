import type { Dirent } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import path from 'node:path';
import { type Config, paths } from '../config/config.ts';
import { isTemporaryName } from '../files/arrival.ts';
import { type FileKind, fileKinds } from '../files/kinds.ts';

/** Entries looked at, at most, per walk: a flooded inbox costs a bounded walk, and says so. */
export const inboxWalkLimit = 10_000;

export interface InboxBacklog {
  /** Files waiting in `inbox/<authority>/<kind>/`, by kind. */
  waiting: Record<FileKind, number>;
  /** When the oldest of them was last written (ms since the epoch); null when none waits. */
  oldestMtimeMs: number | null;
  /** The walk stopped at `inboxWalkLimit` entries: the counts are at least these. */
  capped: boolean;
}

/**
 * The files an authority has dropped and the watcher has not yet claimed, walked now: what every
 * machine sharing the inbox sees alike, and what no restart forgets. The inbox is written by
 * others: links are neither followed nor counted (lstat), and names the watcher never takes
 * (temporary names, done markers) are left out, as are folders of kinds Intake does not know.
 */
export async function inboxBacklog(config: Config, limit = inboxWalkLimit): Promise<InboxBacklog> {
  const backlog: InboxBacklog = {
    waiting: Object.fromEntries(fileKinds.map((kind) => [kind, 0])) as Record<FileKind, number>,
    oldestMtimeMs: null,
    capped: false,
  };
  let looked = 0;
  // Entries one at a time (opendir), never a whole listing: a folder of a million names costs
  // `limit` entries, not a million.
  async function* entries(folder: string): AsyncGenerator<Dirent> {
    const dir = await opendir(folder).catch((error: NodeJS.ErrnoException) => {
      // A folder not made yet, or removed meanwhile, holds nothing.
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
      throw error;
    });
    if (dir === null) return;
    for await (const entry of dir) {
      if (++looked > limit) {
        backlog.capped = true;
        return;
      }
      yield entry;
    }
  }
  const inbox = paths.inbox(config);
  for await (const authority of entries(inbox)) {
    if (!authority.isDirectory()) continue;
    for await (const kindFolder of entries(path.join(inbox, authority.name))) {
      const kind = fileKinds.find((k) => k === kindFolder.name);
      if (kind === undefined || !kindFolder.isDirectory()) continue;
      const folder = path.join(inbox, authority.name, kind);
      for await (const entry of entries(folder)) {
        if (!entry.isFile() || isTemporaryName(entry.name, config.watch)) continue;
        const info = await lstat(path.join(folder, entry.name)).catch(() => null);
        // Claimed (or removed) since the folder was read, or replaced by something else.
        if (info === null || !info.isFile()) continue;
        backlog.waiting[kind]++;
        if (backlog.oldestMtimeMs === null || info.mtimeMs < backlog.oldestMtimeMs)
          backlog.oldestMtimeMs = info.mtimeMs;
      }
      if (backlog.capped) return backlog;
    }
    if (backlog.capped) return backlog;
  }
  return backlog;
}
