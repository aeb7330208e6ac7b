import type pg from 'pg';
import type { Queryable } from '../src/db/database.ts';
import { lockKeys } from '../src/db/locks.ts';
import { allocateAsns, deleteEnrolments, insertStudents, upsertEnrolments } from '../src/persist/enrolment-writes.ts';
import { insertAudit } from '../src/persist/row-outcomes.ts';
import { EnrolmentSnapshot, matchesNow } from '../src/reference/enrolment-snapshot.ts';
import type { DecisionBasis } from '../src/rules/enrolment-row.ts';
import {
  checkEnrolmentRecord,
  type EnrolmentRow,
  enrolmentColumns,
  requiredEnrolmentColumns,
} from '../src/validate/enrolment-row.ts';
import { type AppliedRow, addStageTime, type ChunkSettings, defineKind, type RowTarget, timed } from './chunk.ts';
import { type Change, catchUp, type DecidedChunk, decideRows, matchKeysOf } from './enrolment-decisions.ts';

/** What the rules need besides the database: the authority's facts and the schools. */
export type RuleSettings = Pick<ChunkSettings, 'authority' | 'windows' | 'schools'>;

/**
 * A file run's chunks are decided one after another, each on the changes of the one before
 * (a run's settings are made once for it). A chunk is decided ahead, while the chunk before it
 * is written; its transaction checks that what it was decided on still holds.
 */
interface DecisionChain {
  /** The changes of the last chunk decided, ahead or again in its transaction. */
  decided: readonly Change[];
  /** The changes of the last chunk written (its transaction committed or under way). */
  written: readonly Change[];
  /**
   * Settles once the last chunk decided ahead is known to stand, or has been decided again: the
   * next chunk decides on its final changes, or it would be decided again too, and so every
   * chunk after it.
   */
  final: Promise<void>;
}

const chains = new WeakMap<RuleSettings, DecisionChain>();

function chainOf(rules: RuleSettings): DecisionChain {
  let chain = chains.get(rules);
  if (!chain) {
    const none: Change[] = [];
    chain = { decided: none, written: none, final: Promise.resolve() };
    chains.set(rules, chain);
  }
  return chain;
}

/**
 * How long a chunk waits for the one before it to be final. That chunk's transaction settles it
 * within milliseconds of starting; a transaction that never starts (the run is failing) must not
 * hold the run up: the chunk then decides on what it has, and its own check decides it again.
 */
const finalWaitMs = 2000;

async function finalOrLater(final: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([final, new Promise<void>((resolve) => (timer = setTimeout(resolve, finalWaitMs)))]);
  clearTimeout(timer);
}

/** A chunk decided ahead of its transaction (the enrolment kind's `prepare`). */
interface DecidedAhead {
  decided: DecidedChunk;
  /** The previous chunk's changes it was decided on. */
  basedOn: readonly Change[];
  /** Its new-student rows' match keys, and the potential duplicates it saw for them. */
  matchKeys: string[];
  matchesSeen: string;
  /** Says the chunk's decisions are final (`DecisionChain.final`). */
  settle: () => void;
}

/** Looks up the chunk's students and its match keys' students. */
async function snapshotOf(
  db: Queryable,
  target: RowTarget,
  rows: EnrolmentRow[],
  rules: RuleSettings,
): Promise<{ snapshot: EnrolmentSnapshot; asns: Set<string>; matchKeys: string[] }> {
  const snapshot = new EnrolmentSnapshot(target.asOf, rules.authority, rules.windows, rules.schools);
  const asns = new Set<string>();
  for (const row of rows) if (row.asn !== null) asns.add(row.asn);
  const matchKeys = matchKeysOf(rows);
  await snapshot.loadStudents(db, [...asns]);
  await snapshot.loadMatches(db, matchKeys);
  return { snapshot, asns, matchKeys };
}

/**
 * Decides a chunk before its transaction, on the pool, while the chunk before it commits: its
 * lookups may miss that chunk's writes, which that chunk's changes make up for. New ASNs are
 * taken here, each in a statement of its own (docs/architecture.md, "How a chunk commits").
 */
async function decideAhead(
  db: Queryable,
  target: RowTarget,
  rows: EnrolmentRow[],
  rules: RuleSettings,
): Promise<DecidedAhead> {
  const chain = chainOf(rules);
  const { snapshot, asns, matchKeys } = await timed('lookups', () => snapshotOf(db, target, rows, rules));
  await finalOrLater(chain.final);
  const basedOn = chain.decided;
  catchUp(snapshot, asns, new Set(matchKeys), basedOn);
  const matchesSeen = snapshot.matchSignature(matchKeys);
  let settle = () => {};
  chain.final = new Promise<void>((resolve) => {
    settle = resolve;
  });
  try {
    const started = performance.now();
    const decided = await decideRows(snapshot, rows, target, 'limited_access_rules', (count) =>
      allocateAsns(db, count),
    );
    addStageTime('decide', started);
    chain.decided = decided.changes;
    return { decided, basedOn, matchKeys, matchesSeen, settle };
  } catch (error) {
    settle();
    throw error;
  }
}

/**
 * Decides checked enrolment rows and writes the accepted ones in bulk, in the caller's
 * transaction: a file's chunk under the limited-access rules (decided ahead by `decideAhead`,
 * and decided again here if what that saw has changed since), or a row Student Records approved.
 */
export async function applyEnrolmentRows(
  client: pg.PoolClient,
  target: RowTarget,
  rows: EnrolmentRow[],
  rules: RuleSettings,
  basis: DecisionBasis,
  ahead?: DecidedAhead,
): Promise<AppliedRow[]> {
  let decided: DecidedChunk;
  const chain = chainOf(rules);
  try {
    // Two files creating the same person at once: the second waits, then sees the first's student.
    const matchKeys = ahead?.matchKeys ?? matchKeysOf(rows);
    const stillHolds = await timed('match keys', async () => {
      await lockKeys(client, matchKeys);
      if (!ahead || ahead.basedOn !== chain.written) return false;
      return matchKeys.length === 0 || (await matchesNow(client, matchKeys)) === ahead.matchesSeen;
    });
    if (ahead && stillHolds) decided = ahead.decided;
    else {
      // Decided here, under the locks, on what the database holds now: the chunk before has
      // committed, so its changes are in what is looked up (and are not added again).
      const { snapshot } = await snapshotOf(client, target, rows, rules);
      decided = await decideRows(snapshot, rows, target, basis, (count) => allocateAsns(client, count));
      chain.decided = decided.changes;
    }
  } finally {
    ahead?.settle();
  }
  chain.written = decided.changes;
  await timed('writes', async () => {
    await insertStudents(client, decided.students);
    await deleteEnrolments(client, target.fileId, decided.deletes);
    await upsertEnrolments(client, target.fileId, decided.writes);
    await insertAudit(client, decided.audit);
  });
  return decided.results;
}

export const enrolmentKind = defineKind({
  kind: 'enrolment',
  columns: enrolmentColumns,
  required: requiredEnrolmentColumns,
  xml: { root: 'enrolments', record: 'enrolment' },
  check: checkEnrolmentRecord,
  prepare: decideAhead,
  apply: applyEnrolmentRows,
});
