import type pg from 'pg';
import type PgBoss from 'pg-boss';
import type { Services } from '../src/app.ts';
import type { Queryable } from '../src/db/database.ts';
import type { FileKind } from '../src/files/kinds.ts';
import type { IntakeFile } from '../src/files/registry.ts';
import type { ParsedItem, SourceRecord } from '../src/formats/records.ts';
import { statusOf } from '../src/outcomes.ts';
import { insertOutcomes, type RowOutcome } from '../src/persist/row-outcomes.ts';
import { type NewReferral, queueReferrals } from '../src/queue/referral-writes.ts';
import type { DecisionBasis } from '../src/rules/enrolment-row.ts';
import type { AuthorityFacts, RuleWindows } from '../src/rules/facts.ts';
import type { Checked } from '../src/validate/enrolment-row.ts';
import { parseAsn } from '../src/validate/values.ts';

/** What the rules of every kind need besides the database, fixed for a file's run. */
export interface ChunkSettings {
  authority: AuthorityFacts;
  schools: Map<string, string>;
  windows: RuleWindows;
  /** Every email domain of every authority and school. */
  institutionDomains: ReadonlySet<string>;
  /** Days a connection request waits for activation. */
  connectionExpiryDays: number;
  boss: PgBoss;
}

/** Whose rows are applied, and who is recorded as doing it. */
export interface RowTarget {
  /** The file the rows came from (kept as each write's source). */
  fileId: number;
  authorityCode: string;
  asOf: string;
  /** The authority itself, or the Student Records staff member who approved. */
  actor: string;
}

/** One row's fate: its outcome, the referral to queue when referred, the student it was applied to. */
export interface AppliedRow {
  outcome: RowOutcome;
  referral?: NewReferral;
  primaryAsn?: string;
}

/**
 * What a kind of file is: its columns, its check of one record, and its apply step (decide and
 * write checked rows, in the caller's transaction). Everything else is common (`defineKind`).
 */
export interface KindSpec<Row, Prepared = undefined> {
  kind: FileKind;
  columns: readonly string[];
  required: readonly string[];
  xml: { root: string; record: string };
  check(record: SourceRecord): Checked<Row>;
  /**
   * Work on a chunk's checked rows done on the pool before the chunk's transaction, while the
   * chunk before it commits (the file runner overlaps the two): lookups, and decisions where the
   * kind can check in `apply` that what they were made on still holds. What the lookups read may
   * miss that previous chunk's writes: the kind makes up for it.
   */
  prepare?(db: Queryable, target: RowTarget, rows: Row[], settings: ChunkSettings): Promise<Prepared>;
  apply(
    client: pg.PoolClient,
    target: RowTarget,
    rows: Row[],
    settings: ChunkSettings,
    basis: DecisionBasis,
    prepared?: Prepared,
  ): Promise<AppliedRow[]>;
  /**
   * Runs once every row is applied, before the report (access files: the PIN letters); must be
   * safe to run again. `keepLease` renews the file's lease and throws when it was lost.
   */
  afterRows?(services: Services, file: IntakeFile, keepLease: () => Promise<void>): Promise<void>;
}

/** A chunk checked and looked up, ready for its transaction. */
export interface PreparedChunk {
  /** How many records the chunk holds, and the line the last starts on (its records are not kept). */
  records: number;
  lastLine: number;
  /** Applies the chunk in the caller's transaction; returns one outcome per item, in file order. */
  apply(client: pg.PoolClient, firstRecord: number): Promise<RowOutcome[]>;
}

/** A kind as the file runner uses it: the spec, with its chunk steps made. */
export interface KindDefinition extends Omit<KindSpec<unknown>, 'check' | 'apply' | 'prepare'> {
  /**
   * Checks a chunk's records and does the kind's `prepare`, outside any transaction; the chunk
   * returned is applied in the caller's transaction.
   */
  prepareChunk(db: Queryable, file: IntakeFile, items: ParsedItem[], settings: ChunkSettings): Promise<PreparedChunk>;
}

/**
 * Milliseconds spent in each stage of the chunks this process applied, summed (what
 * `npm run bench` prints per chunk). A stage that waits on Postgres counts the wait.
 */
export const stageTimes = new Map<string, number>();

export function addStageTime(stage: string, started: number): void {
  stageTimes.set(stage, (stageTimes.get(stage) ?? 0) + performance.now() - started);
}

export async function timed<T>(stage: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    addStageTime(stage, started);
  }
}

/** Rows worked through between two turns of the event loop (about 2 ms of work). */
const yieldEvery = 500;

/** Lets the event loop run what is waiting (a statement's answer) before going on. */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function defineKind<Row, Prepared = undefined>(spec: KindSpec<Row, Prepared>): KindDefinition {
  const { check, apply, prepare, ...rest } = spec;
  return {
    ...rest,
    prepareChunk: (db, file, items, settings) => prepareRows({ check, apply, prepare }, db, file, items, settings),
  };
}

const targetOf = (file: IntakeFile): RowTarget => ({
  fileId: file.id,
  authorityCode: file.authorityCode,
  asOf: file.asOf,
  actor: file.authorityCode,
});

/**
 * One chunk: broken records and records that fail their check get their outcome at once, and the
 * kind's lookups are made; then (`apply`, in the caller's transaction) the rest are applied
 * together under the limited-access rules, and every outcome, in the chunk's order, is stored and
 * the referrals queued.
 */
async function prepareRows<Row, Prepared>(
  kind: Pick<KindSpec<Row, Prepared>, 'check' | 'apply' | 'prepare'>,
  db: Queryable,
  file: IntakeFile,
  items: ParsedItem[],
  settings: ChunkSettings,
): Promise<PreparedChunk> {
  // One outcome per item, at the item's position: the report keeps the file's order.
  const outcomes: RowOutcome[] = new Array(items.length);
  const rows: Row[] = [];
  const positions: number[] = [];
  const checkStarted = performance.now();
  for (let position = 0; position < items.length; position++) {
    // Now and then the event loop gets its turn: the chunk before this one is committing on
    // another connection, and each of its statements waits for Node to send the next.
    if (position > 0 && position % yieldEvery === 0) await turn();
    const item = items[position] as ParsedItem;
    if (item.kind === 'broken') {
      const { line, problem } = item.broken;
      outcomes[position] = { line, status: 'invalid', code: 'MALFORMED_ROW', message: problem, asn: null };
      continue;
    }
    const checked = kind.check(item.record);
    if (checked.ok) {
      rows.push(checked.row);
      positions.push(position);
      continue;
    }
    outcomes[position] = {
      line: item.record.line,
      status: statusOf(checked.problem.code),
      ...checked.problem,
      asn: parseAsn((item.record.fields.asn ?? '').trim()),
    };
  }
  addStageTime('check', checkStarted);
  const target = targetOf(file);
  const { prepare } = kind;
  const prepared = prepare ? await prepare(db, target, rows, settings) : undefined;
  const last = items.at(-1);
  return {
    records: items.length,
    lastLine: last?.kind === 'broken' ? last.broken.line : (last?.record.line ?? 0),
    apply: async (client, firstRecord) => {
      const applied = await kind.apply(client, target, rows, settings, 'limited_access_rules', prepared);
      return recordChunk(client, file, firstRecord, outcomes, positions, applied, settings);
    },
  };
}

/**
 * Puts each applied row's outcome at its place in the chunk, then stores the chunk's outcomes
 * and queues its referrals, in the caller's transaction.
 */
async function recordChunk(
  client: pg.PoolClient,
  file: IntakeFile,
  firstRecord: number,
  outcomes: RowOutcome[],
  positions: number[],
  applied: AppliedRow[],
  settings: ChunkSettings,
): Promise<RowOutcome[]> {
  const referrals: NewReferral[] = [];
  applied.forEach((result, i) => {
    outcomes[positions[i] as number] = result.outcome;
    if (result.referral) referrals.push(result.referral);
  });
  await timed('outcomes', () => insertOutcomes(client, file.id, firstRecord, outcomes));
  await timed('referrals', () => queueReferrals(client, settings.boss, file, referrals));
  return outcomes;
}
