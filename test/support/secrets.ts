import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../../src/db/database.ts';

/**
 * How often a PIN appears as a number of its own in a text, leaving out what is certainly not
 * a PIN: dates and times (ISO and mail headers), organisation codes, formatted ASNs, hex digests and keys, UUIDs, URLs,
 * log timings, and file sizes and counts named as such.
 */
export function pinOccurrences(text: string, pin: string): number {
  return pinContexts(text, pin).length;
}

/**
 * Where a PIN appears in a text (as `pinOccurrences` counts), with 40 characters either side: what a failing test
 * shows.
 */
export function pinContexts(text: string, pin: string): string[] {
  const cleaned = text
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?/g, ' ')
    .replace(/\b\d{2}:\d{2}(?::\d{2})?\b/g, ' ')
    .replace(/\b[AS]\.\d{4}\b/g, ' ')
    .replace(/\b\d{4}-\d{4}-\d\b/g, ' ')
    .replace(/\\\\?x[0-9a-f]+/gi, ' ')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ' ')
    .replace(/\b[0-9a-f]{32,}\b/gi, ' ')
    .replace(/\b\d{1,2} [A-Z][a-z]{2} \d{4}\b|[+-]\d{4}\b/g, ' ')
    .replace(/"ms":\d+|ms=\d+/g, ' ')
    // Sizes and counts: a file of 1,710 bytes is not a leak of PIN 1710.
    .replace(
      /"(?:size_bytes|bytes|records_done|accepted|referred|invalid|letters|pdfs)":\d+|\b(?:bytes|letters|pdfs)=\d+/g,
      ' ',
    );
  return [...cleaned.matchAll(new RegExp(`(?<![0-9])${pin}(?![0-9])`, 'g'))].map((m) =>
    cleaned.slice(Math.max(0, m.index - 40), m.index + 44),
  );
}

/** Every row of every table of the database (ours and the queue's), as text. */
export async function databaseText(db: Queryable): Promise<string> {
  const tables = await db.query<{ name: string }>(
    `select format('%I.%I', table_schema, table_name) as name from information_schema.tables
      where table_schema in ('public', 'pgboss') and table_type = 'BASE TABLE'`,
  );
  const parts: string[] = [];
  for (const { name } of tables.rows) {
    // As JSON, so each value is named (sizes and counts can be told from secrets).
    const rows = await db.query<{ row: string }>(`select row_to_json(t)::text as row from ${name} t`);
    parts.push(...rows.rows.map((r) => r.row));
  }
  return parts.join('\n');
}

/** The text of every file under a folder, PDFs left out (they are where PINs belong). */
export function folderText(folder: string): string {
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (!name.endsWith('.pdf') && !file.includes(`${path.sep}pgdata${path.sep}`))
        parts.push(readFileSync(file, 'utf8'));
    }
  };
  walk(folder);
  return parts.join('\n');
}
