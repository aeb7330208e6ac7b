import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { intakeCommand, root } from './support/cli.ts';
import { dropDatabase, freshDatabaseUrl } from './support/database.ts';

describe('the intake command: files', function () {
  this.timeout(120_000);
  let url: string;
  let home: string;
  const intake = intakeCommand(() => ({ database: url, home }));

  before(async () => {
    url = await freshDatabaseUrl();
    home = mkdtempSync(path.join(tmpdir(), 'intake-cli-files-'));
    expect(intake('reference', 'load', path.join(root, 'samples/reference')).status).to.equal(0);
    for (const [file, authority, kind] of [
      ['samples/enrolment/A.0094/september-low.csv', 'A.0094', 'enrolment'],
      ['samples/access/A.0001/fall-access.csv', 'A.0001', 'access'],
    ] as const) {
      const run = intake(
        'ingest',
        path.join(root, file),
        '--authority',
        authority,
        '--kind',
        kind,
        '--as-of',
        '2026-09-15',
      );
      expect(run.status, run.stderr).to.equal(0);
    }
  });
  after(async () => {
    await dropDatabase(url);
    rmSync(home, { recursive: true, force: true });
  });

  it('list: newest first, filtered by authority, kind, status and day', () => {
    const all = JSON.parse(intake('files', 'list', '--json').stdout) as { id: number; name: string; status: string }[];
    expect(all.map((f) => f.name)).to.deep.equal(['fall-access.csv', 'september-low.csv']);
    const access = JSON.parse(intake('files', 'list', '--kind', 'access', '--json').stdout) as { name: string }[];
    expect(access.map((f) => f.name)).to.deep.equal(['fall-access.csv']);
    expect(JSON.parse(intake('files', 'list', '--authority', 'A.0230', '--json').stdout)).to.deep.equal([]);
    expect(JSON.parse(intake('files', 'list', '--status', 'failed', '--json').stdout)).to.deep.equal([]);
    expect(JSON.parse(intake('files', 'list', '--since', '2999-01-01', '--json').stdout)).to.deep.equal([]);
    const text = intake('files', 'list');
    expect(text.stdout).to.match(/#\d+\s+done\s+A\.0094 enrolment\s+september-low\.csv\s+\(17 rows:/);
  });

  it('show: the rows, the report and the file; an unknown file exits 1', () => {
    const [low] = JSON.parse(intake('files', 'list', '--authority', 'A.0094', '--json').stdout) as { id: number }[];
    const shown = JSON.parse(intake('files', 'show', String(low?.id), '--json').stdout) as Record<string, unknown>;
    expect(shown).to.include({ name: 'september-low.csv', status: 'done', recordsDone: 17, asOf: '2026-09-15' });
    expect(String(shown.reportPath)).to.match(/outbox\/A\.0094\/september-low\.csv\.results\.csv$/);
    expect(intake('files', 'show', String(low?.id)).stdout).to.contain('report: ');
    const missing = intake('files', 'show', '999999');
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.contain('no file #999999');
  });
});
