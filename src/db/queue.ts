import PgBoss from 'pg-boss';
import type { Queryable } from './database.ts';

/** The pg-boss queues Intake uses. */
export const queues = {
  /** One job per received file: `{ fileId }`. */
  files: 'intake-file',
  /** One job per referred row, for Student Records (docs/rules.md §6). */
  studentRecords: 'student-records',
  /** One job per letter issued: `{ connectionId, issue }`; the email is composed when sent. */
  activationMail: 'activation-mail',
  /** Scheduled: moves Waiting connections past their expiry to Request Expired. */
  connectionExpiry: 'connection-expiry',
  /** Scheduled: writes each authority's connections listing and changes file. */
  connectionListings: 'connection-listings',
  /** Scheduled: removes what the retention settings say is due (docs/operations.md §4). */
  retention: 'retention',
} as const;

export function createBoss(
  url: string,
  options: { pollingIntervalSeconds?: number; supervise?: boolean } = {},
): PgBoss {
  return new PgBoss({
    connectionString: url,
    max: 4,
    supervise: options.supervise ?? true,
    // Only a running service turns schedules into jobs; one-shot commands leave that to it.
    schedule: options.supervise ?? true,
    ...(options.pollingIntervalSeconds !== undefined ? { pollingIntervalSeconds: options.pollingIntervalSeconds } : {}),
  });
}

/** Creates pg-boss's schema and our queues when missing. */
export async function installQueues(
  boss: PgBoss,
  mail: { retryDelaySeconds: number; expiryDays: number },
): Promise<void> {
  // Tried at a steady pace until the request itself expires: growing delays would push the
  // tries of a long outage past the expiry, and the person would never get the link.
  // A day beyond the expiry, and one more for a letters run over midnight or a clock change.
  const mailLifetimeSeconds = (mail.expiryDays + 2) * 86_400;
  const settings: Record<string, PgBoss.Queue> = {
    // A file job that outlives its expiry is retried; the file lease decides who really works it.
    [queues.files]: { name: queues.files, retryLimit: 10, retryDelay: 30, retryBackoff: true, expireInSeconds: 3600 },
    // Referrals wait for Student Records as long as it takes: never dropped by retention.
    // (pg-boss 10 keeps retentionMinutes for a queue, not retentionDays.)
    [queues.studentRecords]: { name: queues.studentRecords, retentionMinutes: 3650 * 24 * 60 },
    [queues.activationMail]: {
      name: queues.activationMail,
      retryLimit: Math.ceil(mailLifetimeSeconds / mail.retryDelaySeconds),
      retryDelay: mail.retryDelaySeconds,
      retryBackoff: false,
      expireInSeconds: 600,
      retentionMinutes: Math.ceil(mailLifetimeSeconds / 60),
    },
    [queues.connectionExpiry]: { name: queues.connectionExpiry, retryLimit: 3, expireInSeconds: 600 },
    [queues.retention]: { name: queues.retention, retryLimit: 3, expireInSeconds: 3600 },
    [queues.connectionListings]: { name: queues.connectionListings, retryLimit: 3, expireInSeconds: 3600 },
  };
  for (const options of Object.values(settings)) {
    if (await boss.getQueue(options.name)) await boss.updateQueue(options.name, options);
    else await boss.createQueue(options.name, options);
  }
}

/** Lets pg-boss write its jobs inside our transaction, so rows and queue items commit together. */
export function inTransaction(client: Queryable): PgBoss.ConnectionOptions {
  return {
    db: {
      executeSql: async (text: string, values: unknown[]) => {
        const result = await client.query(text, values);
        return { rows: result.rows };
      },
    },
  };
}
