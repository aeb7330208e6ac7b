import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { type Config, paths } from '../config/config.ts';
import type { Queryable } from '../db/database.ts';
import { createNewFile } from './outbox.ts';

/** Where a file of an authority lives at each stage. Names never leave these folders. */
export const folders = {
  inbox: (config: Config, authority: string, kind: string) => path.join(paths.inbox(config), authority, kind),
  claimed: (config: Config, authority: string, kind: string) => path.join(paths.claimed(config), authority, kind),
  archive: (config: Config, authority: string, kind: string) => path.join(paths.archive(config), authority, kind),
  failed: (config: Config, authority: string, kind: string) => path.join(paths.failed(config), authority, kind),
  outbox: (config: Config, authority: string) => path.join(paths.outbox(config), authority),
};

/** Longest base name kept, in UTF-8 bytes: room for the stored prefix and a note's suffix within 255. */
const maxNameBytes = 150;

/**
 * A base name safe to join under our folders (no separators, no leading dots). A name too long
 * is shortened in its stem, never in its extension: `….csv` stays a CSV file.
 */
export function safeName(name: string): string {
  const base = path
    .basename(name)
    .replace(/[^\p{L}\p{N}._ -]/gu, '_')
    .replace(/^\.+/, '');
  if (base === '') return 'file';
  if (Buffer.byteLength(base) <= maxNameBytes) return base;
  const extension = path.extname(base);
  const kept = Buffer.byteLength(extension) <= 16 ? extension : '';
  let stem = Array.from(base.slice(0, base.length - kept.length));
  while (Buffer.byteLength(stem.join('') + kept) > maxNameBytes) stem = stem.slice(0, -1);
  return stem.join('') + kept;
}

/** Stored names carry a unique prefix so two files of the same name never collide. */
export function storedName(originalName: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${stamp}-${randomBytes(4).toString('hex')}__${safeName(originalName)}`;
}

export function originalNameOf(stored: string): string {
  const separator = stored.indexOf('__');
  return separator >= 0 ? stored.slice(separator + 2) : stored;
}

/**
 * Moves a file Intake holds (claimed, archived, failed) into a folder of its own: the file ends
 * up readable by Intake's account only (0600, in 0700 folders), whatever mode its uploader gave it.
 */
export async function moveFile(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await unlink(from);
  }
  await chmod(to, 0o600);
}

/**
 * A copy of a file Intake holds (archived, failed, claimed), as a new claimed file of the same
 * authority and kind, under a stored name of its own: owner-only, never over another file.
 */
export async function copyIntoClaimed(
  config: Config,
  source: string,
  authority: string,
  kind: string,
  name: string,
): Promise<string> {
  const folder = folders.claimed(config, authority, kind);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const copy = path.join(folder, storedName(name));
  await copyFile(source, copy, constants.COPYFILE_EXCL);
  await chmod(copy, 0o600);
  return copy;
}

/** The folders of files Intake holds, owner-only, also when an earlier release made them readable. */
export async function makeHeldFoldersPrivate(config: Config): Promise<void> {
  for (const folder of [paths.claimed(config), paths.archive(config), paths.failed(config)]) {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await chmod(folder, 0o700);
  }
}

/**
 * Writes a note in an authority's outbox under a name no earlier note (nor a link) has:
 * `<base><suffix>`, else `<base>.2<suffix>` and so on. Never through a link (src/files/outbox.ts).
 */
export async function writeNewNote(
  config: Config,
  authority: string,
  base: string,
  suffix: string,
  content: string,
): Promise<string> {
  const folder = folders.outbox(config, authority);
  for (let n = 1; ; n++) {
    const target = path.join(folder, n === 1 ? `${base}${suffix}` : `${base}.${n}${suffix}`);
    if (await createNewFile(paths.outbox(config), target, content, 0o640)) return target;
  }
}

/** One drop folder per authority and kind, so an authority can drop files before the first start. */
export async function createInboxFolders(config: Config, db: Queryable, kinds: readonly string[]): Promise<void> {
  await mkdir(paths.inbox(config), { recursive: true });
  const authorities = await db.query<{ code: string }>('select code from authority order by code');
  for (const { code } of authorities.rows)
    for (const kind of kinds) await mkdir(folders.inbox(config, code, kind), { recursive: true });
}
