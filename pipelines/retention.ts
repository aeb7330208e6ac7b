import type { Services } from '../src/app.ts';
import { exclusively } from '../src/db/locks.ts';
import { sweepLetters, sweepMail, sweepOutbox } from '../src/files/retention-outbox.ts';
import { type RetentionKind, RetentionSweep, retentionKinds, sweepHeldFiles } from '../src/files/retention-sweep.ts';
import { insertAudit } from '../src/persist/row-outcomes.ts';

export interface PurgeOptions {
  /** Only say what is due; nothing is removed or recorded. */
  dryRun: boolean;
  /**
   * Replaces every age of the policy for this run (letters: their grace period); letters whose requests wait are
   * still kept.
   */
  olderThanDays?: number;
  /** Who asked, for the audit log: an operator's command, or the scheduler. */
  by?: string;
}

/** What a purge removed (or, on a dry run, would remove), counted by kind of file. */
export interface PurgeSummary {
  /** False when another process of the cluster was purging at that moment: nothing was done here. */
  ran: boolean;
  dryRun: boolean;
  olderThanDays: number | null;
  removed: Record<RetentionKind, number>;
  /** Links and other files that were not Intake's where its files were expected: never touched. */
  leftAlone: number;
  /** Due, but the system refused to remove them (permissions, say): tried again next time. */
  errors: number;
  /** On a dry run: what would be removed, by kind. */
  due?: Record<RetentionKind, string[]>;
}

/** One purge at a time across the cluster: two would count, and record, the same removals. */
export const retentionLockKey = 'intake:retention';

const dayMs = 86_400_000;

const byKind = <T>(value: (kind: RetentionKind) => T) =>
  Object.fromEntries(retentionKinds.map((kind) => [kind, value(kind)])) as Record<RetentionKind, T>;

/** When each kind's clock must have started for a file to be due now. */
function cutoffsOf(services: Services, olderThanDays: number | undefined): Record<RetentionKind, Date> {
  const { retention, watch } = services.config;
  const now = Date.now();
  const ago = (days: number) => new Date(now - (olderThanDays ?? days) * dayMs);
  // An original finished within lateWriteMinutes is still watched for a writer that went on.
  const watched = now - watch.lateWriteMinutes * 60_000;
  const archive = ago(retention.archiveDays);
  return {
    archive: archive.getTime() < watched ? archive : new Date(watched),
    failed: ago(retention.failedDays),
    outbox: ago(retention.outboxDays),
    mail: ago(retention.mailDays),
    letters: ago(retention.letterGraceDays),
  };
}

/**
 * Removes what the retention policy says is due (docs/operations.md §4): archived originals,
 * failed files, the outbox's reports and notes, `.eml` files and letter PDFs. The database
 * decides where it knows (a file's finish, a letter's requests); modification times only where
 * it does not. What was removed is logged and audited as counts per kind, never names or content.
 */
export async function purgeDue(services: Services, options: PurgeOptions): Promise<PurgeSummary> {
  const { config, db, logger } = services;
  const started = Date.now();
  const sweep = new RetentionSweep(config, db, options.dryRun, cutoffsOf(services, options.olderThanDays));
  const ran = await exclusively(db, retentionLockKey, async () => {
    await sweepHeldFiles(sweep, 'archive');
    await sweepHeldFiles(sweep, 'failed');
    await sweepOutbox(sweep);
    await sweepMail(sweep);
    await sweepLetters(sweep);
    return true;
  });
  const { tally } = sweep;
  const summary: PurgeSummary = {
    ran: ran === true,
    dryRun: options.dryRun,
    olderThanDays: options.olderThanDays ?? null,
    removed: byKind((kind) => tally[kind].removed.length),
    leftAlone: retentionKinds.reduce((sum, kind) => sum + tally[kind].leftAlone, 0),
    errors: retentionKinds.reduce((sum, kind) => sum + tally[kind].errors, 0),
    ...(options.dryRun ? { due: byKind((kind) => tally[kind].removed) } : {}),
  };
  if (!summary.ran) {
    logger.info('retention: another process is purging now; this run did nothing');
    return summary;
  }
  const counts = { ...summary.removed, leftAlone: summary.leftAlone, errors: summary.errors };
  if (options.dryRun) logger.info('retention dry run: files due', counts);
  else logger.info('retention: files removed', { ...counts, ms: Date.now() - started });
  if (summary.leftAlone > 0)
    logger.warn("retention left alone links, or files not Intake's, where its files were expected", {
      leftAlone: summary.leftAlone,
    });
  if (summary.errors > 0) logger.error('retention could not remove some files; tried again next time', counts);
  const total = retentionKinds.reduce((sum, kind) => sum + summary.removed[kind], 0);
  if (!options.dryRun && total > 0) {
    await insertAudit(db, [
      {
        actor: options.by ?? 'retention',
        action: 'files_purged',
        asn: null,
        fileId: null,
        line: null,
        detail: { removed: summary.removed, olderThanDays: summary.olderThanDays },
      },
    ]);
  }
  return summary;
}
