import type { Services } from '../src/app.ts';
import { newToken, tokenHash } from '../src/connections/secrets.ts';
import { queues } from '../src/db/queue.ts';
import { composeActivationEmail } from '../src/mail/activation-email.ts';
import type { MailSender } from '../src/mail/mail-sender.ts';
import {
  forgetTokenHashes,
  mailJobTargets,
  recordUndeliverable,
  storeTokenHashes,
  type UndeliverableEmail,
} from '../src/persist/mail-queries.ts';
import { dateEndingAt } from '../src/validate/dates.ts';

interface MailJobData {
  connectionId: string;
  issue: number;
}

export interface MailRound {
  sent: number;
  /** Jobs made moot by a reset, revoke or expiry since they were queued. */
  skipped: number;
  /** Not sent this time (the server was down, or refused them for now): tried again later. */
  failed: number;
  /** Refused for good by the recipient's server: not tried again; the school is told in its listing. */
  givenUp: number;
}

/** `https://…/activate?token=…&lang=fr` */
function activationLink(base: string, token: string, language: 'en' | 'fr'): string {
  const url = new URL(base);
  url.searchParams.set('token', token);
  if (language === 'fr') url.searchParams.set('lang', 'fr');
  return url.toString();
}

interface SendError {
  code?: string;
  originalCode?: string;
  syscall?: string;
  responseCode?: number;
  /** The SMTP command the server answered (nodemailer): RCPT TO, DATA, … */
  command?: string;
  response?: string;
}

/**
 * Tries after which an email the recipient's server refuses for good is given up: a mailbox that
 * does not exist will not appear within the 30 days of the request, and the school, told in its
 * changes file, can call the family instead of waiting for the request to expire.
 */
const refusedTriesBeforeGivingUp = 3;

/**
 * The recipient's server refused the recipient for good: a 5xx reply to RCPT TO that is about
 * the mailbox (enhanced code 5.1.x or 5.2.x; without one, 550 to 553). Anything else (a relay
 * or policy refusal, 5.7.x or 554, a refusal of the sender, the sign-in or the content) may be
 * Intake's own server turning every email away, a setting to put right: tried again like an outage.
 */
function refusedForGood(error: unknown, tries: number): Omit<UndeliverableEmail, 'connectionId' | 'issue'> | null {
  const { responseCode, command, response } = error as SendError;
  if (command !== 'RCPT TO' || responseCode === undefined || responseCode < 500) return null;
  // Only the codes are kept: the reply's text usually names the address.
  const enhanced = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(response ?? '')?.[1] ?? null;
  const mailbox = enhanced === null ? responseCode >= 550 && responseCode <= 553 : /^5\.[12]\./.test(enhanced);
  if (!mailbox || tries < refusedTriesBeforeGivingUp) return null;
  return { tries, responseCode, enhancedCode: enhanced, command };
}

/** The server's answer, without its message: it names no address or link. */
function failureReason(error: unknown): string {
  const { code, originalCode, responseCode } = error as SendError;
  return originalCode ?? code ?? String(responseCode ?? 'unknown');
}

/** The server said no, or could not be reached: the message is certainly not on its way. */
function certainlyNotTaken(error: unknown): boolean {
  const { originalCode, syscall, responseCode } = error as SendError;
  return (
    (responseCode !== undefined && responseCode >= 400) ||
    syscall === 'connect' ||
    ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH'].includes(originalCode ?? '')
  );
}

/**
 * Sends one batch of queued activation emails. Every job ends completed (sent, or no longer
 * due) or failed (the server was down or refused it), which pg-boss tries again later. Each
 * send carries a new token, stored (hashed) before it goes; the tokens of earlier sends of the
 * same PIN keep working, so a copy that did arrive despite an error is not spoilt by the retry.
 */
async function sendMailBatch(services: Services, sender: MailSender): Promise<MailRound | null> {
  const { config, db, boss, logger } = services;
  const jobs = await boss.fetch<MailJobData>(queues.activationMail, {
    batchSize: config.mail.batchSize,
    includeMetadata: true,
  });
  if (jobs.length === 0) return null;
  const { due: targets, expiredUnsent } = await mailJobTargets(
    db,
    jobs.map((j) => j.data),
  );
  if (expiredUnsent.length > 0) {
    logger.warn('activation emails never sent: their requests expired first; the school must reset those connections', {
      connections: expiredUnsent,
    });
  }
  const tokens = new Map([...targets.keys()].map((id) => [id, newToken()]));
  await storeTokenHashes(
    db,
    [...targets.values()].map((t) => ({
      connectionId: t.id,
      issue: t.issue,
      hash: tokenHash(tokens.get(t.id) as string),
    })),
  );

  const round: MailRound = { sent: 0, skipped: 0, failed: 0, givenUp: 0 };
  const delivered = new Set<string>();
  const notTaken = new Set<string>();
  const done: string[] = [];
  const failed: { id: string; reason: string }[] = [];
  const givenUp: (UndeliverableEmail & { jobId: string })[] = [];
  await Promise.all(
    jobs.map(async (job) => {
      const target = targets.get(job.data.connectionId);
      if (!target || target.issue !== job.data.issue) {
        round.skipped++;
        done.push(job.id);
        return;
      }
      const composed = composeActivationEmail({
        to: target.email,
        schoolName: target.schoolName,
        language: target.language,
        link: activationLink(config.mail.activationUrl, tokens.get(target.id) as string, target.language),
        expiresOn: dateEndingAt(target.expiresAt),
      });
      try {
        await sender.send({
          to: target.email,
          ...composed,
          reference: `connection-${target.id}-issue-${target.issue}`,
        });
        round.sent++;
        delivered.add(target.id);
        done.push(job.id);
      } catch (error) {
        if (certainlyNotTaken(error)) notTaken.add(target.id);
        const refused = refusedForGood(error, job.retryCount + 1);
        if (refused) {
          round.givenUp++;
          givenUp.push({ jobId: job.id, connectionId: target.id, issue: target.issue, ...refused });
        } else {
          round.failed++;
          failed.push({ id: job.id, reason: failureReason(error) });
        }
      }
    }),
  );
  // Sent mail is marked first: a failure to record a failure must not get sent mail sent again.
  if (done.length > 0) await boss.complete(queues.activationMail, done);
  // A long outage must not leave a token row behind for every try; a leftover row is harmless.
  const unused = [...notTaken].filter((id) => !delivered.has(id)).map((id) => tokenHash(tokens.get(id) as string));
  await forgetTokenHashes(db, unused).catch((error: Error) =>
    logger.warn('unused activation tokens not dropped', { error: error.message }),
  );
  const settled = await Promise.allSettled(
    failed.map((f) => boss.fail(queues.activationMail, f.id, { reason: f.reason })),
  );
  const unrecorded = settled.filter((s) => s.status === 'rejected').length;
  if (unrecorded > 0)
    logger.error('failed emails could not be marked for retry; they are retried when their jobs expire', {
      jobs: unrecorded,
    });
  // Recorded before the jobs end: a failure here leaves them to be tried (and given up on) again.
  if (givenUp.length > 0) {
    await recordUndeliverable(db, givenUp)
      .then(() =>
        boss.complete(
          queues.activationMail,
          givenUp.map((g) => g.jobId),
        ),
      )
      .then(() =>
        logger.warn('activation emails given up on: the recipient servers refused them; the schools are told', {
          connections: givenUp.map((g) => g.connectionId),
        }),
      )
      .catch((error: Error) =>
        logger.error('emails given up on could not be recorded; they are tried again', { error: error.message }),
      );
  }
  if (round.failed > 0)
    logger.warn('activation emails not sent; they are retried later', {
      failed: round.failed,
      destination: sender.destination,
    });
  logger.debug('activation emails', { ...round });
  return round;
}

/** Sends every email that is due now (the demo, tests and `intake mail send`); retries not yet due are left queued. */
export async function sendDueMail(services: Services, sender: MailSender): Promise<MailRound> {
  const total: MailRound = { sent: 0, skipped: 0, failed: 0, givenUp: 0 };
  for (;;) {
    const round = await sendMailBatch(services, sender);
    if (round === null) return total;
    total.sent += round.sent;
    total.skipped += round.skipped;
    total.failed += round.failed;
    total.givenUp += round.givenUp;
  }
}

/** The service's mail worker: sends while there is mail, else looks again after the polling interval. */
export function startMailWorker(services: Services, sender: MailSender): { stop(): Promise<void> } {
  let running = true;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    while (running) {
      const round = await sendMailBatch(services, sender).catch((error: Error) => {
        services.logger.error('sending activation emails failed; tried again later', { error: error.message });
        return null;
      });
      if (round !== null && running) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, services.config.processing.pollingIntervalSeconds * 1000).unref();
      });
    }
  })();
  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
      sender.close();
    },
  };
}
