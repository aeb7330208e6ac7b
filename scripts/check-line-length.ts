/**
 * Fails when a tracked code file has a line longer than 120 characters. Biome's formatter wraps code at 120 but
 * leaves long strings, template literals (SQL, HTML) and comments alone, so this gate keeps them readable too.
 * Migrations are excluded: they are checksummed once applied and must never be edited.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const limit = 120;
const folders = ['src', 'pipelines', 'cli', 'bench', 'test', 'scripts', 'bin', 'config'];
const files = execFileSync('git', ['ls-files', '-z', '--', ...folders], { encoding: 'utf8' })
  .split('\0')
  .filter((file) => /\.(ts|js|cjs|mjs|json|sql|css)$/.test(file) && !file.endsWith('package-lock.json'));

let long = 0;
for (const file of files) {
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((line, index) => {
      const length = [...line].length;
      if (length > limit) {
        long++;
        console.log(`${file}:${index + 1}: ${length} characters`);
      }
    });
}
if (long > 0) {
  console.log(`${long} line(s) over ${limit} characters.`);
  process.exit(1);
}
