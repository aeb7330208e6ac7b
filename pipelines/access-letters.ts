import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { connectionSecret, newPin, pinHash } from '../src/connections/secrets.ts';
import { inTransaction, queues } from '../src/db/queue.ts';
import { folders } from '../src/files/folders.ts';
import type { IntakeFile } from '../src/files/registry.ts';
import { type Letter, LetterPdf } from '../src/letters/letter-pdf.ts';
import {
  lettersIssued, openPendingLetters, pendingLetterCounts, type PendingLetter, recordIssuedPins, recordLetterBatch,
} from '../src/persist/letter-queries.ts';
import { dateIn } from '../src/validate/dates.ts';
import type { Services } from './file-runner.ts';

const fetchSize = 250;

function letterOf(pending: PendingLetter, pin: string, expiresOn: string): Letter {
  const studentName = [pending.firstName, pending.middleName, pending.lastName].filter((n) => n).join(' ');
  return {
    schoolCode: pending.schoolCode, schoolName: pending.schoolName, requester: pending.requester,
    recipientName: pending.requester === 'student' ? studentName : (pending.personName ?? ''),
    relationship: pending.requester === 'student' ? null : pending.relationship,
    studentName, grade: pending.grade, email: pending.email, pin, expiresOn, language: pending.language,
  };
}

/** `outbox/<authority>/letters/<file>.<id>.<school>[.partN].pdf`: fixed by the file, so a rerun overwrites its own. */
function pdfPath(folder: string, file: IntakeFile, schoolCode: string, part: number, parts: number): string {
  const base = file.originalName.replace(/\.(csv|xml)$/i, '');
  return path.join(folder, `${base}.${file.id}.${schoolCode}${parts > 1 ? `.part${part}` : ''}.pdf`);
}

/**
 * Issues the PIN letters of a processed access-code file: one PDF per school (in parts of at
 * most the configured pages), one letter per page. Each PIN is drawn here, printed once and
 * stored only as a keyed hash; the PDFs, the hashes and the email jobs commit together. A
 * failure removes this attempt's PDFs; a crash before the commit leaves PDFs whose PINs were
 * never stored, and the rerun issues every letter again, with new PINs, over the same names.
 */
export async function issueLetters(services: Services, file: IntakeFile): Promise<void> {
  const { config, db, boss, logger } = services;
  const secret = connectionSecret(config);
  const folder = path.join(folders.outbox(config, file.authorityCode), 'letters');
  const written: string[] = [];
  const finals: string[] = [];
  const renamed: string[] = [];
  const started = Date.now();
  let letters = 0;
  try {
    await db.transaction(async (client) => {
      if (await lettersIssued(client, file.id)) return;
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const expiresAt = new Date(Date.now() + config.connections.expiryDays * 86_400_000);
      const expiresOn = dateIn(expiresAt);
      const perPdf = config.letters.maxPagesPerPdf - 1; // the cover takes a page
      const plan = (await pendingLetterCounts(client, file.id)).flatMap(({ schoolCode, letters: count }) => {
        const parts = Math.ceil(count / perPdf);
        return Array.from({ length: parts }, (_, i) => ({ schoolCode, part: i + 1, parts, count: Math.min(perPdf, count - i * perPdf) }));
      });
      const next = await openPendingLetters(client, file.id, 'pending_letters');
      let buffered: PendingLetter[] = [];
      const take = async (): Promise<PendingLetter | undefined> => {
        if (buffered.length === 0) buffered = await next(fetchSize);
        return buffered.shift();
      };
      for (const pdf of plan) {
        const target = pdfPath(folder, file, pdf.schoolCode, pdf.part, pdf.parts);
        const temporary = `${target}.tmp`;
        written.push(temporary);
        // Created afresh, so it gets owner-only permissions even where an earlier attempt left one.
        await rm(temporary, { force: true });
        let document: LetterPdf | null = null;
        let issued: { id: string; hash: Buffer }[] = [];
        const flush = async () => {
          const rows = await recordIssuedPins(client, issued, expiresAt);
          if (rows.length > 0) {
            await boss.insert(rows.map((r) => ({ name: queues.activationMail, data: { connectionId: r.id, issue: r.issue } })), inTransaction(client));
          }
          issued = [];
        };
        for (let n = 0; n < pdf.count; n++) {
          const pending = await take();
          if (!pending) throw new Error(`letters of file ${file.id} changed while being issued`);
          document ??= LetterPdf.open(temporary, {
            authorityCode: file.authorityCode, schoolCode: pending.schoolCode, schoolName: pending.schoolName, fileName: file.originalName,
            part: pdf.part, parts: pdf.parts, letterCount: pdf.count, issuedOn: dateIn(new Date()),
          });
          const pin = newPin();
          await document.add(letterOf(pending, pin, expiresOn));
          issued.push({ id: pending.id, hash: pinHash(secret, pending.id, pin) });
          letters++;
          if (issued.length >= fetchSize) await flush();
        }
        await flush();
        await document?.close();
        finals.push(target);
      }
      await client.query('close pending_letters');
      // Renamed before the commit: a crash in between leaves PDFs that the rerun overwrites.
      for (const [i, target] of finals.entries()) {
        await rename(written[i] as string, target);
        renamed.push(target);
      }
      await recordLetterBatch(client, file.id, letters, finals);
    });
  } catch (error) {
    // Their PINs were never stored: a school must not print them.
    await Promise.all([...written, ...renamed].map((pdf) => rm(pdf, { force: true })));
    throw error;
  }
  if (finals.length > 0) logger.info('letters issued', { fileId: file.id, letters, pdfs: finals.length, ms: Date.now() - started });
}
