import path from 'node:path';
import { type Config, paths } from '../config/config.ts';
import type { Queryable } from '../db/database.ts';
import { filesStoredAt, markOriginalsPurged } from './retention-queries.ts';
import {
  entriesOf,
  type FolderEntry,
  isOwnRegularFile,
  type PinnedFolder,
  pinFolder,
  removeEntry,
} from './safe-removal.ts';

/** What retention removes, each on its own clock (docs/operations.md §4). */
export const retentionKinds = ['archive', 'failed', 'outbox', 'mail', 'letters'] as const;
export type RetentionKind = (typeof retentionKinds)[number];

export interface KindTally {
  /** Removed (on a dry run: due), by the path Intake wrote them at. */
  removed: string[];
  /** Where a file of Intake's was expected, something else was: a link, a folder, another account's file. */
  leftAlone: number;
  /** Due, but the system refused to remove it (permissions, say). */
  errors: number;
}

const emptyTally = (): KindTally => ({ removed: [], leftAlone: 0, errors: 0 });

/** One run of retention: what is due, and what came of each removal. */
export class RetentionSweep {
  readonly tally: Record<RetentionKind, KindTally> = {
    archive: emptyTally(),
    failed: emptyTally(),
    outbox: emptyTally(),
    mail: emptyTally(),
    letters: emptyTally(),
  };

  constructor(
    readonly config: Config,
    readonly db: Queryable,
    readonly dryRun: boolean,
    /** A file of each kind whose clock started before this is due. */
    readonly cutoffs: Record<RetentionKind, Date>,
  ) {}

  isDue(kind: RetentionKind, since: number | null): boolean {
    return since !== null && since < this.cutoffs[kind].getTime();
  }

  leaveAlone(kind: RetentionKind): void {
    this.tally[kind].leftAlone++;
  }

  /**
   * Removes a due entry (on a dry run, only counts it). `kept`: it was not Intake's file to remove, or could not be.
   */
  async remove(kind: RetentionKind, folder: PinnedFolder, entry: FolderEntry): Promise<'removed' | 'gone' | 'kept'> {
    const tally = this.tally[kind];
    const where = path.join(folder.path, entry.name);
    if (!isOwnRegularFile(entry.stats)) {
      tally.leftAlone++;
      return 'kept';
    }
    if (this.dryRun) {
      tally.removed.push(where);
      return 'removed';
    }
    const outcome = await removeEntry(folder, entry).catch(() => 'failed' as const);
    if (outcome === 'removed') tally.removed.push(where);
    else if (outcome === 'unsafe') tally.leftAlone++;
    else if (outcome === 'failed') tally.errors++;
    return outcome === 'removed' || outcome === 'gone' ? outcome : 'kept';
  }
}

/**
 * The real folders directly in `folder` (links to folders are never gone into), whose names pass
 * `wanted`. A link where a folder was expected is left alone and counted.
 */
export async function subfolders(
  sweep: RetentionSweep,
  kind: RetentionKind,
  root: string,
  folder: string,
  wanted: (name: string) => boolean = () => true,
): Promise<string[]> {
  const pinned = await pinFolder(root, folder);
  if (pinned === 'absent') return [];
  if (pinned === 'unsafe') {
    sweep.leaveAlone(kind);
    return [];
  }
  try {
    const entries = await entriesOf(pinned);
    for (const entry of entries) if (entry.stats.isSymbolicLink() && wanted(entry.name)) sweep.leaveAlone(kind);
    return entries.filter((e) => e.stats.isDirectory() && wanted(e.name)).map((e) => path.join(folder, e.name));
  } finally {
    await pinned.close();
  }
}

/** Runs `work` over the folder's entries whose names pass `wanted`, the folder held open meanwhile. */
export async function inFolder(
  sweep: RetentionSweep,
  kind: RetentionKind,
  root: string,
  folder: string,
  wanted: (name: string) => boolean,
  work: (pinned: PinnedFolder, entries: FolderEntry[]) => Promise<void>,
): Promise<void> {
  const pinned = await pinFolder(root, folder);
  if (pinned === 'absent') return;
  if (pinned === 'unsafe') {
    sweep.leaveAlone(kind);
    return;
  }
  try {
    // Hidden names are Intake's files being written (`.intake-….tmp`, `.letters-….tmp`), never due.
    const entries = (await entriesOf(pinned)).filter((e) => !e.name.startsWith('.') && wanted(e.name));
    // Under a name Intake writes, anything but its own regular file (a link, say) was put there by someone else.
    for (const entry of entries)
      if (!entry.stats.isDirectory() && !isOwnRegularFile(entry.stats)) sweep.leaveAlone(kind);
    await work(
      pinned,
      entries.filter((e) => isOwnRegularFile(e.stats)),
    );
  } finally {
    await pinned.close();
  }
}

/** `20250102T030405-…__name`: the moment (UTC) a stored file was claimed, written by Intake into its name. */
function claimedAtOf(storedName: string): number | null {
  const stamp = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})-[0-9a-f]{8}__/.exec(storedName);
  if (!stamp) return null;
  const [, year, month, day, hours, minutes, seconds] = stamp;
  const at = Date.parse(`${year}-${month}-${day}T${hours}:${minutes}:${seconds}Z`);
  return Number.isNaN(at) ? null : at;
}

const noteSuffix = '.error.txt';

/**
 * Archived originals (`archive/<authority>/<kind>/`, and duplicates in `…/duplicates/`) or failed
 * files with their notes (`failed/<authority>/<kind>/`). A file the database knows is due by its
 * finish; one it does not (a duplicate, a file refused before it was recorded) by the later of
 * its claim (in its stored name) and its modification time, which an uploader may have set to
 * any date. A file whose twin is still in `claimed/` is being archived or refused now: kept.
 */
export async function sweepHeldFiles(sweep: RetentionSweep, kind: 'archive' | 'failed'): Promise<void> {
  const { config } = sweep;
  const root = kind === 'archive' ? paths.archive(config) : paths.failed(config);
  for (const authority of await subfolders(sweep, kind, root, root)) {
    for (const kindFolder of await subfolders(sweep, kind, root, authority)) {
      const twin = path.join(paths.claimed(config), path.relative(root, kindFolder));
      await sweepHeldFolder(sweep, kind, root, kindFolder, twin);
      if (kind === 'archive') await sweepHeldFolder(sweep, kind, root, path.join(kindFolder, 'duplicates'), twin);
    }
  }
}

async function sweepHeldFolder(
  sweep: RetentionSweep,
  kind: 'archive' | 'failed',
  root: string,
  folder: string,
  twin: string,
): Promise<void> {
  await inFolder(
    sweep,
    kind,
    root,
    folder,
    () => true,
    async (pinned, entries) => {
      const stemOf = (name: string) => (name.endsWith(noteSuffix) ? name.slice(0, -noteSuffix.length) : name);
      const records = await filesStoredAt(
        sweep.db,
        entries.flatMap((e) => [path.join(folder, stemOf(e.name)), path.join(twin, stemOf(e.name))]),
      );
      const purged: number[] = [];
      for (const entry of entries) {
        const stem = stemOf(entry.name);
        const record = records.get(path.join(folder, stem));
        const untrackedSince = Math.max(entry.stats.mtimeMs, claimedAtOf(stem) ?? 0);
        const since = record
          ? record.status === 'done' || record.status === 'failed'
            ? (record.finishedAt?.getTime() ?? untrackedSince)
            : null
          : records.has(path.join(twin, stem))
            ? null
            : untrackedSince;
        if (!sweep.isDue(kind, since)) continue;
        const outcome = await sweep.remove(kind, pinned, entry);
        if (record && stem === entry.name && outcome === 'removed') purged.push(record.id);
      }
      if (!sweep.dryRun) await markOriginalsPurged(sweep.db, purged);
    },
  );
}
