import type { Services } from '../app.ts';
import type { RowOutcome } from '../persist/row-outcomes.ts';
import type { QueueItem } from './queue-queries.ts';

/** What Student Records decides about a queue item (pipelines/student-records.ts carries it out). */
export type Resolution = 'approve' | 'reject' | 'return';

export type ResolveResult =
  /** `pending`: the decision stands, but its letter or decisions file failed; the service's sweep writes it. */
  | { outcome: 'resolved'; item: QueueItem; pending?: true }
  /** Approval refused by a data check (the student does not exist, the school left the authority…): nothing changed. */
  | { outcome: 'not_applicable'; problem: RowOutcome }
  | { outcome: 'claimed_by_other'; claimedBy: string; until: Date }
  | { outcome: 'already_resolved'; item: QueueItem }
  | { outcome: 'note_required' }
  | { outcome: 'not_found' };

export const maxNoteLength = 1000;

/** Carries out a decision: handed to the console and the command line by their composition. */
export type ResolveItem = (
  services: Services,
  id: number,
  staff: string,
  resolution: Resolution,
  noteText?: string,
) => Promise<ResolveResult>;
