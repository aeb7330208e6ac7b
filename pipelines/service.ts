import { existsSync } from 'node:fs';
import type { Services } from '../src/app.ts';
import { paths } from '../src/config/config.ts';
import { provinceTimeZone } from '../src/config/province.ts';
import { expireConnections } from '../src/connections/connection-status.ts';
import { connectionSecret, keyFingerprint } from '../src/connections/secrets.ts';
import { queues } from '../src/db/queue.ts';
import { claimFile } from '../src/files/claim.ts';
import { createInboxFolders, makeHeldFoldersPrivate } from '../src/files/folders.ts';
import { fileKinds } from '../src/files/kinds.ts';
import { staleFiles } from '../src/files/registry.ts';
import { InboxWatcher } from '../src/files/watcher.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { assertConnectionKey } from '../src/persist/connection-key.ts';
import { writeUnreportedDecisions } from '../src/report/decisions-report.ts';
import { startMailWorker } from './activation-mail.ts';
import { startConsole } from './console.ts';
import { reopenFilesWrittenAfterReport } from './file-changes.ts';
import { runFile } from './file-runner.ts';
import { registerOrphans } from './ingest.ts';
import { kinds } from './kinds.ts';
import { issueMissingReferralLetters } from './student-records.ts';

/**
 * `intake start`: watch → claim → queue, and workers that run queued files. Any number of
 * these processes may share one database; file leases keep each file to one worker at a time.
 */
export async function startService(services: Services): Promise<{ consoleUrl: string | null; stop(): Promise<void> }> {
  const { config, db, boss, logger } = services;
  await createInboxFolders(config, db, fileKinds);
  await makeHeldFoldersPrivate(config);
  const orphans = await registerOrphans(services);
  if (orphans > 0) logger.info('registered files left claimed by an earlier stop', { orphans });

  // A machine whose PIN key differs from the one the database knows would issue dead PINs.
  await assertConnectionKey(db, keyFingerprint(connectionSecret(config)));
  // First, so that a port already taken stops the start before any work is taken on. A second
  // process on the same machine runs without it (`server.enabled` false).
  const webConsole = config.server.enabled ? await startConsole(services) : null;
  // pg-boss's offWork does not wait for a running handler: stop() waits for these instead, so
  // nothing is still using the database when the caller closes it.
  const running = new Set<Promise<unknown>>();
  // Aborted when the service stops: a file being processed ends after its chunk in hand.
  const stopping = new AbortController();
  const tracked = <T>(work: Promise<T>): Promise<T> => {
    running.add(work);
    void work.catch(() => {}).finally(() => running.delete(work));
    return work;
  };
  const run = (fileId: number) =>
    tracked(
      (async () => {
        try {
          const file = await runFile(services, fileId, kinds, stopping.signal);
          if (file) logger.debug('file run ended', { fileId, status: file.status });
        } catch (error) {
          // Its committed chunks stand; the file is taken up again after its lease (a link planted
          // in the outbox, say, once it is removed).
          logger.error('processing a file stopped; it is tried again', { fileId, error: (error as Error).message });
          throw error;
        }
      })(),
    );
  const workerIds: string[] = [];
  for (let worker = 0; worker < config.processing.workers; worker++) {
    workerIds.push(
      await boss.work<{ fileId: number }>(
        queues.files,
        { batchSize: 1, pollingIntervalSeconds: config.processing.pollingIntervalSeconds },
        async ([job]) => {
          if (job) await run(job.data.fileId);
        },
      ),
    );
  }

  // Waiting requests past their expiry: at start, then on the configured schedule (any one
  // process of the cluster runs each scheduled job).
  const expire = () =>
    tracked(
      (async () => {
        const expired = await expireConnections(db, config.connections.expiryDays);
        if (expired > 0) logger.info('connection requests expired', { expired });
      })(),
    );
  await expire();
  await boss.schedule(queues.connectionExpiry, config.connections.expirySchedule, {}, { tz: provinceTimeZone });
  await boss.work(
    queues.connectionExpiry,
    { pollingIntervalSeconds: config.processing.pollingIntervalSeconds },
    expire,
  );
  const mailSender = createMailSender(config);
  const mailWorker = startMailWorker(services, mailSender);

  // A worker that died leaves its file leased; once the lease runs out, whoever sweeps first resumes it.
  let sweeping = false;
  const sweep = setInterval(async () => {
    if (sweeping) return;
    sweeping = true;
    // Each step on its own: one that keeps failing (its error is logged) must not hold up the others.
    const step = async (what: string, work: () => Promise<unknown>) => {
      await work().catch((error: Error) =>
        logger.error(`${what} failed; it is tried again at the next sweep`, { error: error.message }),
      );
    };
    try {
      await step('registering orphaned files', () => registerOrphans(services));
      await step('resuming stale files', async () => {
        for (const fileId of await staleFiles(db, config.processing.leaseSeconds)) {
          await run(fileId).catch((error: Error) =>
            logger.error('resuming a file failed; it is tried again later', { fileId, error: error.message }),
          );
        }
      });
      // Decisions whose letters or decisions file a dead process did not finish.
      await step('issuing the letters of approved items', () => issueMissingReferralLetters(services));
      await step('writing decisions files', () => writeUnreportedDecisions(db, config));
    } finally {
      sweeping = false;
    }
  }, config.processing.leaseSeconds * 1000);

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
        // Local workers look now rather than at their next poll; other machines' at theirs.
        for (const id of workerIds) boss.notifyWorker(id);
      }
    },
    (error) =>
      logger.error('a file in the inbox could not be taken yet; it is offered again at the next walk of the inbox', {
        error: (error as Error).message,
      }),
  );
  await watcher.start();
  // Writers that went on after a file's report (shared volumes): as often as the inbox is walked.
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
    if (reopened > 0) for (const id of workerIds) boss.notifyWorker(id);
  }, config.watch.rescanSeconds * 1000);
  logger.info('intake started', {
    inbox: paths.inbox(config),
    workers: config.processing.workers,
    mail: mailSender.destination,
    console: webConsole?.url ?? 'off',
  });
  return {
    consoleUrl: webConsole?.url ?? null,
    async stop() {
      stopping.abort();
      // No new request starts work once stopping has begun.
      await webConsole?.stop();
      clearInterval(sweep);
      clearInterval(lateWrites);
      while (lookingForLateWrites) await new Promise((resolve) => setTimeout(resolve, 50));
      await watcher.stop();
      await boss.offWork(queues.files);
      await boss.offWork(queues.connectionExpiry);
      await mailWorker.stop();
      while (sweeping) await new Promise((resolve) => setTimeout(resolve, 50));
      // A file in hand finishes its chunk and is given back at once; nobody waits past shutdownSeconds.
      const settled = await Promise.race([
        Promise.allSettled([...running]).then(() => true),
        new Promise<false>((resolve) =>
          setTimeout(() => resolve(false), config.processing.shutdownSeconds * 1000).unref(),
        ),
      ]);
      if (!settled)
        logger.warn('stopping while a file is being processed; it resumes after its lease at the next start');
    },
  };
}
