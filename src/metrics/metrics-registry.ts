import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config/config.ts';
import type { Queryable } from '../db/database.ts';
import { fileStatuses } from '../files/file-listing.ts';
import { fileKinds } from '../files/kinds.ts';
import { referralReasons } from '../outcomes.ts';
import { inboxBacklog, inboxWalkLimit } from './inbox-backlog.ts';
import {
  activationEmailsByState,
  connectionEvents,
  filesByStatus,
  finishedEmailsKeptHours,
  lettersIssued,
  oldestOpenItemSeconds,
  openItemsByReason,
  processingWindowMinutes,
  rateWindowMinutes,
  recentlyFinished,
  rowsByOutcome,
} from './metric-queries.ts';

/** Upper bounds of the processing-time histogram: a small file in seconds to a large one in hours. */
const processingBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200];

/**
 * One load for the metrics of a scrape that share it: prom-client runs every collect() of a
 * scrape in the same tick, so they all get the load under way; the next scrape loads anew.
 */
function shared<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= load().finally(() => {
      pending = null;
    });
    return pending;
  };
}

/**
 * The metrics of `GET /metrics`, in a registry of their own (not prom-client's global one, and
 * no process metrics: what is said is the cluster's, the same from any machine). Every value is
 * read at scrape time, from the database or the inbox; nothing is counted in this process, so a
 * restart resets nothing. Labels are kinds, statuses, codes and reasons: never a person, a
 * name, an address or a file name.
 */
export function intakeMetrics(config: Config, db: Queryable): Registry {
  const registry = new Registry();
  const registers = [registry];
  const recent = shared(() => recentlyFinished(db));
  const inbox = shared(() => inboxBacklog(config));
  const events = shared(() => connectionEvents(db));

  new Gauge({
    name: 'intake_files',
    help: 'Files recorded, by kind and status (queued, processing, done, failed).',
    labelNames: ['kind', 'status'],
    registers,
    async collect() {
      const rows = await filesByStatus(db);
      this.reset();
      for (const kind of fileKinds) for (const status of fileStatuses) this.set({ kind, status }, 0);
      for (const row of rows) this.set({ kind: row.kind, status: row.status }, row.files);
    },
  });
  new Counter({
    name: 'intake_rows_total',
    help: 'Rows of files processed, by kind, status (accepted, referred, invalid) and outcome code.',
    labelNames: ['kind', 'status', 'code'],
    registers,
    async collect() {
      const rows = await rowsByOutcome(db);
      this.reset();
      for (const row of rows) this.inc({ kind: row.kind, status: row.status, code: row.code }, row.rows);
    },
  });
  new Histogram({
    name: 'intake_file_processing_seconds',
    help:
      `Seconds from a run first taking a file to its end (waiting for a worker left out), files processed ` +
      `to the end in the last ${processingWindowMinutes} minutes, by kind. A window, not a running total: read ` +
      `it as it is, without rate().`,
    labelNames: ['kind'],
    buckets: processingBuckets,
    registers,
    async collect() {
      const files = await recent();
      this.reset();
      for (const kind of fileKinds) this.zero({ kind });
      for (const file of files) this.observe({ kind: file.kind }, file.seconds);
    },
  });
  new Gauge({
    name: 'intake_rows_per_second',
    help:
      `Rows per second of processing, over the files processed to the end in the last ${rateWindowMinutes} ` +
      `minutes, by kind (0 when none). The whole pipeline's pace is rate(intake_rows_total[5m]).`,
    labelNames: ['kind'],
    registers,
    async collect() {
      const files = (await recent()).filter((file) => file.inRateWindow);
      this.reset();
      for (const kind of fileKinds) {
        const ofKind = files.filter((file) => file.kind === kind);
        const seconds = ofKind.reduce((sum, file) => sum + file.seconds, 0);
        const records = ofKind.reduce((sum, file) => sum + file.records, 0);
        this.set({ kind }, seconds > 0 ? records / seconds : 0);
      }
    },
  });
  new Gauge({
    name: 'intake_queue_open_items',
    help: "Open items of Student Records' queue, by reason.",
    labelNames: ['reason'],
    registers,
    async collect() {
      const rows = await openItemsByReason(db);
      this.reset();
      for (const reason of Object.keys(referralReasons)) this.set({ reason }, 0);
      for (const row of rows) this.set({ reason: row.reason }, row.items);
    },
  });
  new Gauge({
    name: 'intake_queue_oldest_open_item_age_seconds',
    help: "Seconds the oldest open item of Student Records' queue has waited (0 when none is open).",
    registers,
    async collect() {
      this.set((await oldestOpenItemSeconds(db)) ?? 0);
    },
  });
  new Gauge({
    name: 'intake_activation_emails',
    help:
      `Activation email jobs by state: queued, retrying (after a failed send), sending, completed (sent, or ` +
      `no longer due) and failed (given up), as pg-boss holds them: those waiting, and those finished in the ` +
      `last ${finishedEmailsKeptHours} hours.`,
    labelNames: ['state'],
    registers,
    async collect() {
      const byState = await activationEmailsByState(db);
      this.reset();
      for (const [state, jobs] of Object.entries(byState)) this.set({ state }, jobs);
    },
  });
  new Counter({
    name: 'intake_letters_issued_total',
    help: 'PIN letters issued.',
    registers,
    async collect() {
      this.reset();
      this.inc(await lettersIssued(db));
    },
  });
  new Counter({
    name: 'intake_connection_activations_total',
    help: 'Connections activated by their recipients.',
    registers,
    async collect() {
      this.reset();
      this.inc((await events()).activations);
    },
  });
  new Counter({
    name: 'intake_connection_lockouts_total',
    help: 'Connections locked after too many wrong PINs.',
    registers,
    async collect() {
      this.reset();
      this.inc((await events()).lockouts);
    },
  });
  new Gauge({
    name: 'intake_inbox_files',
    help:
      `Files waiting in the inbox for the watcher to claim, by kind (temporary names and done markers left ` +
      `out). At most ${inboxWalkLimit} entries are looked at: see intake_inbox_walk_capped.`,
    labelNames: ['kind'],
    registers,
    async collect() {
      const { waiting } = await inbox();
      for (const [kind, files] of Object.entries(waiting)) this.set({ kind }, files);
    },
  });
  new Gauge({
    name: 'intake_inbox_oldest_file_age_seconds',
    help: 'Seconds since the oldest file waiting in the inbox was last written (0 when none waits).',
    registers,
    async collect() {
      const { oldestMtimeMs } = await inbox();
      this.set(oldestMtimeMs === null ? 0 : Math.max(0, (Date.now() - oldestMtimeMs) / 1000));
    },
  });
  new Gauge({
    name: 'intake_inbox_walk_capped',
    help:
      `1 when the walk of the inbox stopped after ${inboxWalkLimit} entries: the inbox figures are then at ` +
      `least what they say.`,
    registers,
    async collect() {
      this.set((await inbox()).capped ? 1 : 0);
    },
  });
  return registry;
}
