import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';

/** `<home>/secrets/<name>`: a secret generated once for this home, readable by its owner only. */
export function secretFile(config: Config, name: string): string {
  return path.join(config.home, 'secrets', name);
}

/**
 * The secret in `file`, made (32 random bytes, hex) when there is none yet. Written whole under
 * another name, then linked into place: a process starting at the same moment sees no file or a
 * complete one, never a half-written one, and both use the same secret.
 */
export function readOrCreateSecret(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(draft, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(draft, file);
    } catch (error) {
      // Another process made it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  return readFileSync(file, 'utf8').trim();
}
