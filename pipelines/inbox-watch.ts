import { existsSync } from 'node:fs';
import type { Services } from '../src/app.ts';
import { paths } from '../src/config/config.ts';
import { claimFile } from '../src/files/claim.ts';
import { InboxWatcher } from '../src/files/watcher.ts';
import { reopenFilesWrittenAfterReport } from './file-changes.ts';

/**
 * Role `watcher`: watch → claim → queue. Events, and a walk of the whole inbox every
 * `watch.rescanSeconds` (a shared volume's writes from other machines raise no events); finished
 * files are looked at as often for a writer that went on after their report.
 * `queued` is told of each file queued, so local workers look at once.
 */
export async function startInboxWatch(services: Services, queued: () => void): Promise<{ stop(): Promise<void> }> {
  const { config, logger } = services;
  // A file left in the inbox is offered again at every rescan: its reason is logged once.
  const waitingReasons = new Map<string, string>();
  const watcher = new InboxWatcher(
    paths.inbox(config),
    config.watch,
    async (found) => {
      const result = await claimFile(services, {
        source: found.path,
        authorityFolder: found.authorityFolder,
        kindFolder: found.kindFolder,
        mode: 'move',
        inboxRoot: paths.inbox(config),
      });
      // Left in the inbox (an authority not yet loaded, a hard link…): offered again at every
      // walk of the inbox, and said once per file and reason.
      const leftReason =
        result.outcome === 'waiting' || (result.outcome === 'refused' && existsSync(found.path)) ? result.reason : null;
      if (leftReason !== null) {
        if (waitingReasons.get(found.path) !== leftReason)
          logger.warn('file left in the inbox until its reason is put right', {
            authority: found.authorityFolder,
            reason: leftReason,
          });
        waitingReasons.set(found.path, leftReason);
        return;
      }
      waitingReasons.delete(found.path);
      if (result.outcome === 'registered') {
        logger.info('file queued', { fileId: result.file.id });
        queued();
      }
    },
    (error) =>
      logger.error('a file in the inbox could not be taken yet; it is offered again at the next walk of the inbox', {
        error: (error as Error).message,
      }),
  );
  await watcher.start();
  let lookingForLateWrites = false;
  const lateWrites = setInterval(async () => {
    if (lookingForLateWrites) return;
    lookingForLateWrites = true;
    const reopened = await reopenFilesWrittenAfterReport(services).catch((error: Error) => {
      logger.error('looking for files written to after their report failed; it is tried again', {
        error: error.message,
      });
      return 0;
    });
    lookingForLateWrites = false;
    if (reopened > 0) queued();
  }, config.watch.rescanSeconds * 1000);
  return {
    async stop() {
      clearInterval(lateWrites);
      while (lookingForLateWrites) await new Promise((resolve) => setTimeout(resolve, 50));
      await watcher.stop();
    },
  };
}
