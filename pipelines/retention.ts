import type { Services } from '../src/app.ts';

/** What a purge removed (or, on a dry run, would remove), counted by kind of file. */
export interface PurgeSummary {
  removed: Record<string, number>;
}

/** Removes what the retention settings say is due (docs/operations.md §4). */
export async function purgeDue(
  _services: Services,
  _options: { dryRun: boolean; olderThanDays?: number },
): Promise<PurgeSummary> {
  return { removed: {} };
}
