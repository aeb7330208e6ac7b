import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileKind } from '../src/files/kinds.ts';

export const samplesFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../samples');
/** The as-of date every sample's expected outcomes are worked out for. */
export const samplesAsOf = '2026-09-15';

export interface SampleFile {
  authority: string;
  kind: FileKind;
  path: string;
  expected: string;
}

/** Every data file under samples/<kind>/<authority>/, with its expected-outcome file: enrolments first. */
export function sampleFiles(): SampleFile[] {
  return (['enrolment', 'access'] as const).flatMap((kind) => filesOfKind(kind));
}

function filesOfKind(kind: SampleFile['kind']): SampleFile[] {
  const root = path.join(samplesFolder, kind);
  return readdirSync(root)
    .sort()
    .flatMap((authority) =>
      readdirSync(path.join(root, authority))
        .filter((name) => /\.(csv|xml)$/.test(name) && !name.endsWith('.expected.csv'))
        .sort()
        .map((name) => ({
          authority,
          kind,
          path: path.join(root, authority, name),
          expected: path.join(root, authority, `${name.replace(/\.(csv|xml)$/, '')}.expected.csv`),
        })),
    );
}
