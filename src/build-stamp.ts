import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from './project-root.ts';

/**
 * What a build under `dist/` is made from (`src`, `pipelines`, `cli`) and what it reads beside it
 * as it runs (`migrations`, `config`, the stylesheet in `src`). A build older than these would
 * apply migrations its code does not know, or run code older than its configuration.
 */
const stampedFolders = ['src', 'pipelines', 'cli', 'migrations', 'config'];
const stampFile = path.join(projectRoot, 'dist', 'build-stamp.json');

/** One hash of every file of the stamped folders, names and contents, in a fixed order. */
function sourceStamp(): string {
  const hash = createHash('sha256');
  for (const folder of stampedFolders) {
    const top = path.join(projectRoot, folder);
    if (!existsSync(top)) continue;
    const files = readdirSync(top, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.join(entry.parentPath, entry.name))
      .sort();
    for (const file of files) hash.update(path.relative(projectRoot, file)).update('\0').update(readFileSync(file));
  }
  return hash.digest('hex');
}

/** Written by `npm run build` once `dist/` is compiled. */
export function writeBuildStamp(): void {
  writeFileSync(stampFile, `${JSON.stringify({ sources: sourceStamp() })}\n`);
}

/**
 * When this code runs from `dist/`: refuses a build that is not of the sources beside it (changed
 * since, as after an upgrade without `npm run build`). From the sources themselves, nothing to check.
 */
export function assertBuildCurrent(): void {
  if (!fileURLToPath(import.meta.url).startsWith(path.join(projectRoot, 'dist') + path.sep)) return;
  const stamp = existsSync(stampFile) ? (JSON.parse(readFileSync(stampFile, 'utf8')) as { sources?: string }) : {};
  if (stamp.sources !== sourceStamp())
    throw new Error(
      `the build under ${path.join(projectRoot, 'dist')} is not of the sources beside it (they changed ` +
        'since it was made, or it was not made by npm run build): run npm run build, then start again.',
    );
}
