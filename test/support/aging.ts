import { lutimesSync, readdirSync, renameSync, utimesSync } from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../../src/db/database.ts';

/*
 * Moving time back for retention's tests: the dates the database keeps, a file's modification
 * time, and the claim time Intake writes into a stored name.
 */

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

/** Every file and link under `folder` (links are listed, never followed), but the log. */
export function filesUnder(folder: string): Set<string> {
  const found = new Set<string>();
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const where = path.join(folder, entry.name);
    if (!entry.isDirectory()) found.add(where);
    else if (entry.name !== 'log') for (const file of filesUnder(where)) found.add(file);
  }
  return found;
}

/** Sets a file's modification time `days` back (a link's own, not its target's, with `link`). */
export function ageFile(file: string, days: number, link = false): void {
  (link ? lutimesSync : utimesSync)(file, daysAgo(days), daysAgo(days));
}

/** Renames a stored file as if it had been claimed `days` ago (`20250102T030405-…__name`); its new path. */
export function claimedDaysAgo(file: string, days: number): string {
  const stamp = daysAgo(days).toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const renamed = path.join(path.dirname(file), path.basename(file).replace(/^\d{8}T\d{6}/, stamp));
  renameSync(file, renamed);
  return renamed;
}

export async function finishedDaysAgo(db: Queryable, fileId: number, days: number): Promise<void> {
  await db.query('update intake_file set finished_at = now() - make_interval(days => $2) where id = $1', [
    fileId,
    days,
  ]);
}

/** The requests of these people settled (`status`) `days` ago. */
export async function settledDaysAgo(
  db: Queryable,
  emails: string[],
  status: 'expired' | 'activated' | 'deleted',
  days: number,
): Promise<void> {
  await db.query(
    `update connection set status = $2, status_changed_at = now() - make_interval(days => $3),
            activated_at = case when $2 = 'activated' then now() - make_interval(days => $3) end
      where email = any($1::text[])`,
    [emails, status, days],
  );
}

/** The letters of a file issued `days` ago. */
export async function issuedDaysAgo(db: Queryable, fileId: number, days: number): Promise<void> {
  await db.query('update letter_batch set issued_at = now() - make_interval(days => $2) where file_id = $1', [
    fileId,
    days,
  ]);
}
