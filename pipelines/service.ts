import type { Services } from '../src/app.ts';
import { paths } from '../src/config/config.ts';
import { provinceTimeZone } from '../src/config/province.ts';
import type { Role } from '../src/config/roles.ts';
import { expireConnections } from '../src/connections/connection-status.ts';
import { connectionSecret, keyFingerprint } from '../src/connections/secrets.ts';
import { exclusively } from '../src/db/locks.ts';
import { queues } from '../src/db/queue.ts';
import { createInboxFolders, makeHeldFoldersPrivate } from '../src/files/folders.ts';
import { fileKinds } from '../src/files/kinds.ts';
import { staleFiles } from '../src/files/registry.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { assertConnectionKey } from '../src/persist/connection-key.ts';
import { writeUnreportedDecisions } from '../src/report/decisions-report.ts';
import type { WebServer } from '../src/web/server.ts';
import { startMailWorker } from './activation-mail.ts';
import { writeConnectionListings } from './connection-listings.ts';
import { startActivationSite, startConsole, startOperatorSite } from './console.ts';
import { runFile } from './file-runner.ts';
import { startInboxWatch } from './inbox-watch.ts';
import { registerOrphans } from './ingest.ts';
import { kinds } from './kinds.ts';
import { purgeDue } from './retention.ts';
import { issueMissingReferralLetters } from './student-records.ts';

export interface RunningService {
  /** Where each listener this process runs answers; null: not run here. */
  consoleUrl: string | null;
  activationUrl: string | null;
  operatorUrl: string | null;
  stop(): Promise<void>;
}

/**
 * `intake start`: the roles of `config.roles` (docs/operations.md). Any number of these processes,
 * on any number of machines sharing one home and one database, may run any roles: files are held
 * by leases, emails and scheduled jobs go through pg-boss, so each is done once.
 */
export async function startService(services: Services): Promise<RunningService> {
  const { config, db, boss, logger } = services;
  const runs = (role: Role) => config.roles.includes(role);
  // A machine whose PIN key differs from the one the database knows would issue dead PINs.
  await assertConnectionKey(db, keyFingerprint(connectionSecret(config)));
  if (runs('watcher') || runs('worker')) {
    await createInboxFolders(config, db, fileKinds);
    await makeHeldFoldersPrivate(config);
  }
  // Listeners first, so that a port already taken stops the start before any work is taken on.
  const listeners: WebServer[] = [];
  const listen = async (start: (s: Services) => Promise<WebServer>) => {
    const server = await start(services).catch(async (error: unknown) => {
      for (const started of listeners) await started.stop();
      throw error;
    });
    listeners.push(server);
    return server.url;
  };
  const consoleUrl = runs('console') ? await listen(startConsole) : null;
  const activationUrl = runs('activation') ? await listen(startActivationSite) : null;
  const operatorUrl = config.operatorServer.enabled ? await listen(startOperatorSite) : null;

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
  const workedQueues: string[] = [];
  if (runs('worker')) {
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
    workedQueues.push(queues.files);
  }

  if (runs('scheduler')) {
    // Scheduled jobs: pg-boss makes one job per schedule and time across the cluster, and one
    // scheduler takes it. Waiting requests past their expiry are also looked at on start.
    const expire = () =>
      tracked(
        (async () => {
          const expired = await expireConnections(db, config.connections.expiryDays);
          if (expired > 0) logger.info('connection requests expired', { expired });
        })(),
      );
    await expire();
    const every = { pollingIntervalSeconds: config.processing.pollingIntervalSeconds };
    await boss.schedule(queues.connectionExpiry, config.connections.expirySchedule, {}, { tz: provinceTimeZone });
    await boss.work(queues.connectionExpiry, every, expire);
    await boss.schedule(queues.retention, config.retention.schedule, {}, { tz: provinceTimeZone });
    await boss.work(queues.retention, every, () => tracked(purgeDue(services, { dryRun: false })));
    await boss.schedule(queues.connectionListings, config.connections.listingSchedule, {}, { tz: provinceTimeZone });
    await boss.work(queues.connectionListings, every, () =>
      tracked(exclusively(db, 'intake:connection-listings', () => writeConnectionListings(services))),
    );
    workedQueues.push(queues.connectionExpiry, queues.retention, queues.connectionListings);
  }
  const mailSender = runs('mail') ? createMailSender(config) : null;
  const mailWorker = mailSender ? startMailWorker(services, mailSender) : null;

  // A worker that died leaves its file leased; once the lease runs out, whoever sweeps first
  // resumes it. A process that died between claim and registration left an orphan in claimed/.
  let sweeping = false;
  const sweepOnce = async () => {
    if (sweeping) return;
    sweeping = true;
    // Each step on its own: one that keeps failing (its error is logged) must not hold up the others.
    const step = async (what: string, work: () => Promise<unknown>) => {
      await work().catch((error: Error) =>
        logger.error(`${what} failed; it is tried again at the next sweep`, { error: error.message }),
      );
    };
    try {
      await step('registering orphaned files', async () => {
        const orphans = await registerOrphans(services);
        if (orphans > 0) logger.info('registered files left claimed by an earlier stop', { orphans });
      });
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
  };
  const sweep = runs('worker') ? setInterval(sweepOnce, config.processing.leaseSeconds * 1000) : null;
  if (runs('worker')) await sweepOnce();

  const watch = runs('watcher')
    ? await startInboxWatch(services, () => {
        // Local workers look now rather than at their next poll; other machines' at theirs.
        for (const id of workerIds) boss.notifyWorker(id);
      })
    : null;
  logger.info('intake started', {
    roles: config.roles.join(','),
    inbox: paths.inbox(config),
    workers: runs('worker') ? config.processing.workers : 0,
    mail: mailSender?.destination ?? 'off',
    console: consoleUrl ?? 'off',
    activation:
      activationUrl ??
      (config.activationServer.providers.length === 0
        ? 'off (no sign-in provider: set INTAKE_OIDC_PROVIDERS_FILE, see docs/operations.md)'
        : 'off'),
    operator: operatorUrl ?? 'off',
  });
  return {
    consoleUrl,
    activationUrl,
    operatorUrl,
    async stop() {
      stopping.abort();
      // No new request starts work once stopping has begun.
      for (const listener of listeners) await listener.stop();
      if (sweep) clearInterval(sweep);
      await watch?.stop();
      for (const queue of workedQueues) await boss.offWork(queue);
      await mailWorker?.stop();
      while (sweeping) await new Promise((resolve) => setTimeout(resolve, 50));
      // A file in hand finishes its chunk and is given back at once; nobody waits past shutdownSeconds.
      const inHand = running.size;
      const settled = await Promise.race([
        Promise.allSettled([...running]).then(() => true),
        new Promise<false>((resolve) =>
          setTimeout(() => resolve(false), config.processing.shutdownSeconds * 1000).unref(),
        ),
      ]);
      if (!settled)
        logger.warn('stopped while work was in hand; a file in it resumes after its lease at the next start', {
          inHand,
        });
    },
  };
}
