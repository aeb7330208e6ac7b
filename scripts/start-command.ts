/**
 * How `npm start` (and the service's unit) runs Intake: the build under `dist/`, with the heap
 * flag of the `start` script. The two-machine test and the bench run it the same way.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');

/** `node`'s arguments before Intake's own: the `start` script's heap flag, and the build's entry. */
export function startCommand(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const heap = /--max-old-space-size=\d+/.exec(manifest.scripts.start ?? '')?.[0];
  return [...(heap ? [heap] : []), path.join(root, 'dist/cli/main.js')];
}

/** Compiles the sources into `dist/` (`npm run build`, about 2 s), so the build run is this code. */
export function build(): void {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
}
