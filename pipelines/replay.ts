import type { Services } from '../src/app.ts';
import { fileState } from '../src/files/arrival.ts';
import { registerReplay } from '../src/files/file-revisions.ts';
import { copyIntoClaimed } from '../src/files/folders.ts';
import { hashOfFirstBytes } from '../src/files/inspect.ts';
import { getFile, type IntakeFile } from '../src/files/registry.ts';
import { purgedPartsOf } from '../src/files/retention-queries.ts';
import { insertAudit } from '../src/persist/row-outcomes.ts';
import { timeIn, todayIn } from '../src/validate/dates.ts';
import { runFile } from './file-runner.ts';
import { kinds } from './kinds.ts';

export type ReplayResult =
  | { outcome: 'processed'; file: IntakeFile }
  | { outcome: 'refused'; reason: string; file?: IntakeFile }
  | { outcome: 'busy'; file: IntakeFile }
  | { outcome: 'not_found' };

/**
 * `intake files replay`: the file as kept (archived, or failed) processed again now, as a run of
 * its own with its own report (`<name>.replay-2.results.csv`), after reference data was put right
 * say. Who asked and why go to the audit log. A file still queued or running is not replayed.
 */
export async function replayFile(
  services: Services,
  id: number,
  request: { reason: string; asOf?: string; by: string },
): Promise<ReplayResult> {
  const { config, db } = services;
  const original = await getFile(db, id);
  if (!original) return { outcome: 'not_found' };
  if (original.status === 'queued' || original.status === 'processing') return { outcome: 'busy', file: original };
  const purgedAt = (await purgedPartsOf(db, id))?.originalPurgedAt;
  if (purgedAt)
    return {
      outcome: 'refused',
      reason: `The file of #${id} was removed by retention on ${timeIn(purgedAt)}; it can no longer be replayed.`,
    };
  const kept = await fileState(original.storedPath);
  if (kept === null)
    return { outcome: 'refused', reason: `The file of #${id} is no longer kept (${original.storedPath}).` };
  const copy = await copyIntoClaimed(
    config,
    original.storedPath,
    original.authorityCode,
    original.kind,
    original.originalName,
  );
  const state = await fileState(copy);
  const asOf = request.asOf ?? todayIn();
  // The replay reads the file as it is kept now (a file taken again after a rewrite keeps the
  // rewritten bytes): its size and hash are the copy's, or its last pass would see a change.
  const sizeBytes = state?.size ?? kept.size;
  const replay = await registerReplay(db, original, {
    storedPath: copy,
    sizeBytes,
    readSha256: await hashOfFirstBytes(copy, sizeBytes),
    mtimeMs: state?.mtimeMs ?? kept.mtimeMs,
    asOf,
    reason: request.reason,
  });
  await insertAudit(db, [
    {
      actor: request.by,
      action: 'file_replayed',
      asn: null,
      fileId: replay.id,
      line: null,
      detail: { replayOf: original.id, reason: request.reason, asOf },
    },
  ]);
  const done = await runFile(services, replay.id, kinds);
  if (done === null) return { outcome: 'busy', file: replay };
  if (done.status === 'failed') return { outcome: 'refused', reason: done.error ?? 'refused', file: done };
  return { outcome: 'processed', file: done };
}
