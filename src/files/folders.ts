import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Config, paths } from '../config/config.ts';

/** Where a file of an authority lives at each stage. Names never leave these folders. */
export const folders = {
  inbox: (config: Config, authority: string, kind: string) => path.join(paths.inbox(config), authority, kind),
  claimed: (config: Config, authority: string, kind: string) => path.join(paths.claimed(config), authority, kind),
  archive: (config: Config, authority: string, kind: string) => path.join(paths.archive(config), authority, kind),
  failed: (config: Config, authority: string, kind: string) => path.join(paths.failed(config), authority, kind),
  outbox: (config: Config, authority: string) => path.join(paths.outbox(config), authority),
};

/** A base name safe to join under our folders (no separators, no leading dots). */
export function safeName(name: string): string {
  const base = path.basename(name).replace(/[^\p{L}\p{N}._ -]/gu, '_').replace(/^\.+/, '');
  return base === '' ? 'file' : base.slice(0, 180);
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

export async function moveFile(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await unlink(from);
  }
}

/** Writes a file whole or not at all: to a temporary name, then renamed. */
export async function writeFileAtomically(target: string, content: string, mode = 0o640): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.${randomBytes(4).toString('hex')}.part`;
  await writeFile(temporary, content, { mode });
  await rename(temporary, target);
}
