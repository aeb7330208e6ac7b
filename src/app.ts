import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import { type Config, loadConfig } from './config/config.ts';
import { Database } from './db/database.ts';
import { startEmbeddedPostgres } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { createBoss, installQueues } from './db/queue.ts';
import { createLogger, type Logger } from './log.ts';
import { ensureAsnRange } from './persist/enrolment-writes.ts';

/** What every pipeline, page and command works with. */
export interface Services {
  config: Config;
  db: Database;
  boss: PgBoss;
  logger: Logger;
  /** Names this process in file leases. */
  workerId: string;
}

export interface App extends Services {
  close(): Promise<void>;
}

/**
 * Configuration → database (the configured one, or the embedded default) → migrations →
 * queues. Every command starts here, so all of them see the same checked configuration.
 */
export async function openApp(
  overrides: Record<string, unknown> = {},
  options: { supervise?: boolean } = {},
): Promise<App> {
  const config = loadConfig(overrides);
  const logger = createLogger(config);
  const embedded =
    config.databaseUrl === null ? await startEmbeddedPostgres(config, (message) => logger.debug(message.trim())) : null;
  const url = config.databaseUrl ?? (embedded as { url: string }).url;
  // Connections can still report their end after the app closed its log: that is not said.
  let closed = false;
  const db = new Database(url, Math.max(4, config.processing.workers * 2 + 2), (error) => {
    if (!closed)
      logger.error('a database connection was lost; the next query opens a new one', { error: error.message });
  });
  const boss = createBoss(url, {
    pollingIntervalSeconds: config.processing.pollingIntervalSeconds,
    supervise: options.supervise ?? false,
  });
  boss.on('error', (error: Error) => {
    if (!closed) logger.error('queue error', { error: error.message });
  });
  try {
    const applied = await migrate(db);
    if (applied.length > 0) logger.info('migrations applied', { applied });
    await boss.start();
    await installQueues(boss, {
      retryDelaySeconds: config.mail.retryDelaySeconds,
      expiryDays: config.connections.expiryDays,
    });
    await ensureAsnRange(db, config.asnRange.first, config.asnRange.last);
  } catch (error) {
    await db.close().catch(() => {});
    await embedded?.stop();
    throw error;
  }
  return {
    config,
    db,
    boss,
    logger,
    workerId: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    async close() {
      // A queue that cannot stop gracefully (its database went away) is stopped at once: no
      // timer of it may outlive the app.
      await boss
        .stop({ graceful: true, wait: true, timeout: 10_000 })
        .catch(() => boss.stop({ graceful: false, wait: true }))
        .catch(() => {});
      await db.close();
      closed = true;
      await embedded?.stop();
      await new Promise<void>((resolve) => {
        logger.on('finish', () => resolve());
        logger.end();
        setTimeout(resolve, 500).unref();
      });
    },
  };
}
