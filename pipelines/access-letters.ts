import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { Services } from '../src/app.ts';
import { connectionSecret, keyFingerprint, newPin, pinHash } from '../src/connections/secrets.ts';
import { inTransaction, queues } from '../src/db/queue.ts';
import { folders } from '../src/files/folders.ts';
import { ensureFolder } from '../src/files/outbox.ts';
import type { IntakeFile } from '../src/files/registry.ts';
import { type Letter, LetterPdf } from '../src/letters/letter-pdf.ts';
import { assertConnectionKey } from '../src/persist/connection-key.ts';
import {
  closePendingLetters,
  type IssuedPin,
  type LetterPdfPaths,
  type LetterSource,
  letterBatch,
  lockLetterSource,
  lockPendingLetters,
  openPendingLetters,
  type PendingLetter,
  pendingLetterCounts,
  recordIssuedPins,
  recordLetterBatch,
} from '../src/persist/letter-queries.ts';
import { addDays, dateIn, todayIn } from '../src/validate/dates.ts';
import { peopleOf } from './letter-names.ts';

const fetchSize = 250;

function letterOf(pending: PendingLetter, pin: string, expiresOn: string): Letter {
  return {
    ...peopleOf(pending, pending.grade),
    schoolCode: pending.schoolCode,
    schoolName: pending.schoolName,
    email: pending.email,
    pin,
    expiresOn,
  };
}

/** One run of letters: a processed file's, or a queue item's that Student Records approved. */
export interface LetterRun {
  source: LetterSource;
  authorityCode: string;
  /** Under the authority's `letters/` folder: a folder of its own keeps names apart from files' letters. */
  subfolder: string | null;
  /** PDF names start with it: fixed by the source, so a run again writes the same names. */
  baseName: string;
  /** Printed on the cover: where the requests came from. */
  fileName: string;
}

function fileLetterRun(file: IntakeFile): LetterRun {
  const base = file.originalName.replace(/\.(csv|xml)$/i, '');
  return {
    source: { kind: 'file', id: file.id },
    authorityCode: file.authorityCode,
    subfolder: null,
    baseName: `${base}.${file.id}`,
    fileName: file.originalName,
  };
}

/** `outbox/<authority>/letters/[<subfolder>/]<base>.<school>[.partN].pdf`. */
function pdfPath(folder: string, run: LetterRun, schoolCode: string, part: number, parts: number): string {
  return path.join(folder, `${run.baseName}.${schoolCode}${parts > 1 ? `.part${part}` : ''}.pdf`);
}

/** Hidden, and named by source and attempt, so attempts never write into each other's PDFs. */
const temporaryPrefix = (run: LetterRun) => `.letters-${run.source.kind === 'file' ? '' : 'r'}${run.source.id}-`;

/** PDFs of attempts that never committed: their PINs were never stored, so no one may print them. */
async function removeAbandonedPdfs(folder: string, run: LetterRun): Promise<void> {
  const names = (await readdir(folder)).filter(
    (name) => name.startsWith(temporaryPrefix(run)) && name.endsWith('.tmp'),
  );
  await Promise.all(names.map((name) => rm(path.join(folder, name), { force: true })));
}

/** After the commit: each PDF gets its final name (again, if a crash came in between). */
async function moveIntoPlace(services: Services, run: LetterRun, pdfs: LetterPdfPaths[]): Promise<void> {
  for (const pdf of pdfs) {
    // Another run finishing the same batch may rename it first.
    await rename(pdf.temporary, pdf.final).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    if (!existsSync(pdf.final)) {
      services.logger.error('a letter PDF is missing: its PINs cannot be printed; reset those connections', {
        [run.source.kind]: run.source.id,
        pdf: path.basename(pdf.final),
      });
    }
  }
}

interface Rendering {
  letters: number;
  pdfs: LetterPdfPaths[];
}

/**
 * Draws a PIN per pending letter and renders the PDFs (one per school, in parts of at most the
 * configured pages), storing the hashes and queueing the emails as it goes, in the caller's
 * transaction. `written` learns each PDF before it is created, so a failure can remove it.
 */
async function renderLetters(
  services: Services,
  client: pg.PoolClient,
  run: LetterRun,
  folder: string,
  keepLease: () => Promise<void>,
  written: LetterPdfPaths[],
): Promise<Rendering> {
  const { config, boss } = services;
  const secret = connectionSecret(config);
  const attempt = randomBytes(4).toString('hex');
  // Valid through the printed day, in the province's time zone.
  const expiresOn = addDays(todayIn(), config.connections.expiryDays);
  const perPdf = config.letters.maxPagesPerPdf - 1; // the cover takes a page
  await lockPendingLetters(client, run.source);
  const plan = (await pendingLetterCounts(client, run.source)).flatMap(({ schoolCode, letters: count }) => {
    const parts = Math.ceil(count / perPdf);
    return Array.from({ length: parts }, (_, i) => ({
      schoolCode,
      part: i + 1,
      parts,
      count: Math.min(perPdf, count - i * perPdf),
    }));
  });
  const next = await openPendingLetters(client, run.source, 'pending_letters');
  let buffered: PendingLetter[] = [];
  const take = async (): Promise<PendingLetter | undefined> => {
    if (buffered.length === 0) buffered = await next(fetchSize);
    return buffered.shift();
  };
  let letters = 0;
  let issued: IssuedPin[] = [];
  const flush = async () => {
    const rows = await recordIssuedPins(client, run.source, issued, expiresOn);
    if (rows.length > 0) {
      await boss.insert(
        rows.map((r) => ({ name: queues.activationMail, data: { connectionId: r.id, issue: r.issue } })),
        inTransaction(client),
      );
    }
    issued = [];
    await keepLease();
  };
  for (const pdf of plan) {
    const paths = {
      final: pdfPath(folder, run, pdf.schoolCode, pdf.part, pdf.parts),
      // Unpredictable: an authority cannot plant a link under the name before it is created.
      temporary: path.join(
        folder,
        `${temporaryPrefix(run)}${attempt}-${written.length}-${randomBytes(8).toString('hex')}.tmp`,
      ),
    };
    written.push(paths);
    let document: LetterPdf | null = null;
    for (let n = 0; n < pdf.count; n++) {
      const pending = await take();
      if (!pending || pending.schoolCode !== pdf.schoolCode)
        throw new Error(`letters of ${run.source.kind} ${run.source.id} changed while being issued`);
      document ??= LetterPdf.open(paths.temporary, {
        authorityCode: run.authorityCode,
        schoolCode: pending.schoolCode,
        schoolName: pending.schoolName,
        fileName: run.fileName,
        part: pdf.part,
        parts: pdf.parts,
        letterCount: pdf.count,
        issuedOn: dateIn(new Date()),
      });
      const pin = newPin();
      await document.add(letterOf(pending, pin, expiresOn));
      issued.push({ id: pending.id, pinHash: pinHash(secret, pending.id, pin) });
      letters++;
      if (issued.length >= fetchSize) await flush();
    }
    await flush();
    await document?.close();
  }
  await closePendingLetters(client, 'pending_letters');
  return { letters, pdfs: written };
}

/**
 * Issues the PIN letters of a processed access-code file. Each PIN is drawn here, printed once
 * and stored only as a keyed hash; PIN hashes, email jobs and the record of the PDFs commit
 * together, and the PDFs get their final names only after that commit. One attempt at a time
 * per file (an advisory lock); an attempt that fails before its commit removes its PDFs, and
 * the next attempt finishes or cleans up one that crashed or lost its connection while committing.
 */
export async function issueLetters(
  services: Services,
  file: IntakeFile,
  keepLease: () => Promise<void>,
): Promise<void> {
  await issueLetterRun(services, fileLetterRun(file), keepLease);
}

/** `issueLetters` for any source of letters; safe to run again. */
export async function issueLetterRun(
  services: Services,
  run: LetterRun,
  keepLease: () => Promise<void>,
): Promise<void> {
  const { config, db, logger } = services;
  const folder = path.join(
    folders.outbox(config, run.authorityCode),
    'letters',
    ...(run.subfolder ? [run.subfolder] : []),
  );
  const started = Date.now();
  const written: LetterPdfPaths[] = [];
  let committing = false;
  let outcome: { rendering: Rendering; fresh: boolean };
  try {
    outcome = await db.transaction(async (client) => {
      await lockLetterSource(client, run.source);
      const earlier = await letterBatch(client, run.source);
      if (earlier) return { rendering: earlier, fresh: false };
      await assertConnectionKey(client, keyFingerprint(connectionSecret(config)));
      // Owner-only, and refused (logged by the caller) when a step of it is a link an authority planted.
      await ensureFolder(path.dirname(folders.outbox(config, run.authorityCode)), folder, 0o700);
      await removeAbandonedPdfs(folder, run);
      const rendering = await renderLetters(services, client, run, folder, keepLease, written);
      await recordLetterBatch(client, run.source, rendering.letters, rendering.pdfs);
      committing = true;
      return { rendering, fresh: true };
    });
  } catch (error) {
    // Failed before the commit: rolled back, so no one may print these PINs. Failed during it:
    // it may have gone through, so the PDFs stay for the next attempt, which decides under the
    // lock (it names them if the commit did go through, and removes them if not).
    if (!committing) await Promise.all(written.map((pdf) => rm(pdf.temporary, { force: true })));
    throw error;
  }
  await moveIntoPlace(services, run, outcome.rendering.pdfs);
  if (outcome.fresh && outcome.rendering.pdfs.length > 0) {
    logger.info('letters issued', {
      [run.source.kind === 'file' ? 'fileId' : 'itemId']: run.source.id,
      letters: outcome.rendering.letters,
      pdfs: outcome.rendering.pdfs.length,
      ms: Date.now() - started,
    });
  }
}
