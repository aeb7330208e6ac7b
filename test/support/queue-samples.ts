import path from 'node:path';
import { ingestFile } from '../../pipelines/ingest.ts';
import { samplesAsOf, samplesFolder } from '../../scripts/sample-files.ts';
import type { Services } from '../../src/app.ts';
import { loadReference } from '../../src/reference/load.ts';

/**
 * The samples' reference data, and the two sample files whose rows Student Records' queue tests
 * work: the High authority's enrolments (referred rows of each reason) and the Low authority's
 * access requests.
 */
export async function loadQueueSamples(services: Services): Promise<void> {
  await loadReference(services.db, path.join(samplesFolder, 'reference'));
  await ingestFile(
    services,
    path.join(samplesFolder, 'enrolment/A.0230/september-high.csv'),
    'A.0230',
    'enrolment',
    samplesAsOf,
  );
  await ingestFile(services, path.join(samplesFolder, 'access/A.0094/access-low.csv'), 'A.0094', 'access', samplesAsOf);
}
