import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { ingestFile } from '../pipelines/ingest.ts';
import { sampleFiles, samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { loadReference } from '../src/reference/load.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { readReport } from './support/files.ts';

describe('samples run end to end against their expected outcomes', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    const report = await loadReference(app.db, path.join(samplesFolder, 'reference'));
    expect(report.problems).to.deep.equal([]);
  });
  after(() => app.dispose());

  it('the sample reference data loads completely', async () => {
    const counts = await app.db.query<{ authorities: string; students: string; enrolments: string }>(
      'select (select count(*) from authority) authorities, (select count(*) from student) students, (select ' +
        'count(*) from enrolment) enrolments',
    );
    expect(Number(counts.rows[0]?.authorities)).to.be.at.least(4);
    expect(Number(counts.rows[0]?.students)).to.be.at.least(30);
  });

  for (const sample of sampleFiles()) {
    it(`${sample.authority}/${path.basename(sample.path)}`, async () => {
      const result = await ingestFile(app, sample.path, sample.authority, sample.kind, samplesAsOf);
      expect(result.outcome).to.equal('processed');
      if (result.outcome !== 'processed') return;
      const expected = parse(readFileSync(sample.expected), { columns: true }) as {
        line: string;
        status: string;
        code: string;
      }[];
      const actual = readReport(result.file.reportPath as string).filter((r) => r.status !== 'summary');
      expect(actual.map((r) => `${r.line} ${r.status} ${r.code}`)).to.deep.equal(
        expected.map((r) => `${r.line} ${r.status} ${r.code}`),
      );
    });
  }
});

describe('access samples do not depend on the enrolment samples', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    await loadReference(app.db, path.join(samplesFolder, 'reference'));
  });
  after(() => app.dispose());

  for (const sample of sampleFiles().filter((s) => s.kind === 'access')) {
    it(`${sample.authority}/${path.basename(sample.path)} on the reference data alone`, async () => {
      const result = await ingestFile(app, sample.path, sample.authority, sample.kind, samplesAsOf);
      if (result.outcome !== 'processed') throw new Error(result.outcome);
      const expected = parse(readFileSync(sample.expected), { columns: true }) as {
        line: string;
        status: string;
        code: string;
      }[];
      const actual = readReport(result.file.reportPath as string).filter((r) => r.status !== 'summary');
      expect(actual.map((r) => `${r.line} ${r.status} ${r.code}`)).to.deep.equal(
        expected.map((r) => `${r.line} ${r.status} ${r.code}`),
      );
    });
  }
});
