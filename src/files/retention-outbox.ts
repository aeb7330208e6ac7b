import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { paths } from '../config/config.ts';
import {
  dueLetterBatches,
  filesReportedAt,
  type LetterBatchFiles,
  markLetterBatchesPurged,
  markReportsPurged,
} from './retention-queries.ts';
import { inFolder, type RetentionSweep, subfolders } from './retention-sweep.ts';
import { type PinnedFolder, pinFolder } from './safe-removal.ts';

/*
 * What Intake wrote where authorities read (docs/operations.md §4). Only names Intake writes are
 * looked at; anything else an authority keeps there is theirs and stays.
 */

const authorityFolderName = /^A\.\d{4}$/;
const reportName = /\.results\.csv$/;
const noteName = /\.(error|duplicate|changed)\.txt$/;
/** Files of a day, written again whole while that day lasts: Student Records' decisions, connections listings. */
const filesOfADay = [
  { folder: 'student-records', name: /^decisions-\d{4}-\d{2}-\d{2}\.csv$/ },
  { folder: 'connections', name: /^(connections|changes)-\d{4}-\d{2}-\d{2}\.csv$/ },
];
const emlName = /^connection-\d+-issue-\d+\.eml$/;

/**
 * Result reports, by their file's finish (a report whose file is being processed again is kept);
 * notes, decisions files, connections listings and reports the database does not know, by their
 * modification time (the last write).
 */
export async function sweepOutbox(sweep: RetentionSweep): Promise<void> {
  const root = paths.outbox(sweep.config);
  for (const authority of await subfolders(sweep, 'outbox', root, root, (name) => authorityFolderName.test(name))) {
    await inFolder(
      sweep,
      'outbox',
      root,
      authority,
      (name) => reportName.test(name) || noteName.test(name),
      async (pinned, entries) => {
        const reports = await filesReportedAt(
          sweep.db,
          entries.filter((e) => reportName.test(e.name)).map((e) => path.join(authority, e.name)),
        );
        const purged: number[] = [];
        for (const entry of entries) {
          const record = reports.get(path.join(authority, entry.name));
          const since = record
            ? record.status === 'done' || record.status === 'failed'
              ? (record.finishedAt?.getTime() ?? entry.stats.mtimeMs)
              : null
            : entry.stats.mtimeMs;
          if (!sweep.isDue('outbox', since)) continue;
          if ((await sweep.remove('outbox', pinned, entry)) === 'removed' && record) purged.push(record.id);
        }
        if (!sweep.dryRun) await markReportsPurged(sweep.db, purged);
      },
    );
    for (const daily of filesOfADay) {
      await inFolder(
        sweep,
        'outbox',
        root,
        path.join(authority, daily.folder),
        (name) => daily.name.test(name),
        async (pinned, entries) => {
          for (const entry of entries)
            if (sweep.isDue('outbox', entry.stats.mtimeMs)) await sweep.remove('outbox', pinned, entry);
        },
      );
    }
  }
}

/** `.eml` files written when no SMTP server is configured, by their modification time (the last send). */
export async function sweepMail(sweep: RetentionSweep): Promise<void> {
  const root = paths.outbox(sweep.config);
  await inFolder(
    sweep,
    'mail',
    root,
    paths.mailOutbox(sweep.config),
    (name) => emlName.test(name),
    async (pinned, entries) => {
      for (const entry of entries)
        if (sweep.isDue('mail', entry.stats.mtimeMs)) await sweep.remove('mail', pinned, entry);
    },
  );
}

/** `<authority>/letters/[student-records/]<name>`: where Intake writes letters, and nowhere else. */
function isLetterPath(root: string, file: string): boolean {
  const parts = path.relative(root, file).split(path.sep);
  const [authority, letters, ...rest] = parts;
  return (
    !path.isAbsolute(path.relative(root, file)) &&
    authorityFolderName.test(authority ?? '') &&
    letters === 'letters' &&
    (rest.length === 1 || (rest.length === 2 && rest[0] === 'student-records')) &&
    /(\.pdf|\.tmp)$/.test(parts[parts.length - 1] ?? '')
  );
}

/** Removes one PDF of a batch: true when it is gone, false when something not Intake's is there. */
async function removeLetterFile(sweep: RetentionSweep, root: string, file: string): Promise<boolean> {
  if (!isLetterPath(root, file)) {
    sweep.leaveAlone('letters');
    return false;
  }
  const pinned = await pinFolder(root, path.dirname(file));
  if (pinned === 'absent') return true;
  if (pinned === 'unsafe') {
    sweep.leaveAlone('letters');
    return false;
  }
  try {
    return await removeNamed(sweep, pinned, path.basename(file));
  } finally {
    await pinned.close();
  }
}

async function removeNamed(sweep: RetentionSweep, pinned: PinnedFolder, name: string): Promise<boolean> {
  const stats = await lstat(path.join(pinned.handlePath, name)).catch(() => null);
  if (stats === null) return true;
  return (await sweep.remove('letters', pinned, { name, stats })) !== 'kept';
}

/**
 * Letter PDFs hold PINs in clear: a batch's PDFs (and any temporary copy a crash left) go once no
 * request in it is waiting any more and the last one settled before the cutoff. A batch one of
 * whose PDFs could not be removed safely is looked at again next time.
 */
export async function sweepLetters(sweep: RetentionSweep): Promise<void> {
  const root = paths.outbox(sweep.config);
  const done: LetterBatchFiles[] = [];
  for (const batch of await dueLetterBatches(sweep.db, sweep.cutoffs.letters)) {
    let all = true;
    for (const file of batch.paths) if (!(await removeLetterFile(sweep, root, file))) all = false;
    if (all) done.push(batch);
  }
  if (!sweep.dryRun) await markLetterBatchesPurged(sweep.db, done);
}
