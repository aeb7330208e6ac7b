import path from 'node:path';
import type { Queryable } from '../db/database.ts';

/** Where a waiting connection's current PIN was printed, and which of its emails carries the link that goes with it. */
export interface CurrentLetter {
  /** The issue of the PIN: its email is `connection-<id>-issue-<issue>`. */
  issue: number;
  /** The PDF (or, for a school with many letters, its parts) that holds the letter, as recorded when it was issued. */
  pdfs: string[];
}

/**
 * The letters that carry the current PIN of each of `ids` still waiting for activation: its
 * school's PDF of the run that issued it (a file's letters, or a queue item's). Nothing for a
 * connection that is activated, expired or deleted (its PIN is gone), whose letter is not drawn
 * yet, or whose PDFs retention removed. Only paths: the PIN is on the paper and nowhere else.
 */
export async function currentLetters(db: Queryable, ids: readonly string[]): Promise<Map<string, CurrentLetter>> {
  if (ids.length === 0) return new Map();
  const result = await db.query<{ id: string; issue: number; school_code: string; pdf_paths: string[] | null }>(
    `select c.id::text, c.issue, c.school_code, b.pdf_paths
       from connection c
       left join letter_batch b
         on b.pdfs_purged_at is null and (b.file_id = c.letter_file_id or b.referral_id = c.letter_referral_id)
      where c.id = any($1::bigint[]) and c.status = 'waiting' and c.pin_hash is not null`,
    [ids],
  );
  return new Map(
    result.rows.map((row) => {
      // `<base>.<school>.pdf`, or `<base>.<school>.partN.pdf` for a school of many letters.
      const ofSchool = (file: string) => {
        const name = path.basename(file);
        const tail = name.slice(name.lastIndexOf(`.${row.school_code}.`) + row.school_code.length + 2);
        return name.includes(`.${row.school_code}.`) && /^(part\d+\.)?pdf$/.test(tail);
      };
      return [row.id, { issue: row.issue, pdfs: (row.pdf_paths ?? []).filter(ofSchool) }];
    }),
  );
}
