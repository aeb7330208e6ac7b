import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
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

  it('replay: the file processed again as a run of its own, with its own report, audited with who and why', () => {
    const [low] = JSON.parse(intake('files', 'list', '--authority', 'A.0094', '--json').stdout) as { id: number }[];
    const withoutReason = intake('files', 'replay', String(low?.id));
    expect(withoutReason.status).to.equal(64);
    const run = intake(
      'files',
      'replay',
      String(low?.id),
      '--reason',
      'school S.0943 corrected',
      '--as-of',
      '2026-09-15',
      '--json',
    );
    expect(run.status, run.stderr).to.equal(0);
    const result = JSON.parse(run.stdout) as {
      outcome: string;
      file: { id: number; replayOf: number; reportPath: string; recordsDone: number };
    };
    expect(result.outcome).to.equal('processed');
    expect(result.file).to.include({ replayOf: low?.id, recordsDone: 17 });
    expect(result.file.reportPath).to.match(/outbox\/A\.0094\/september-low\.csv\.replay-2\.results\.csv$/);
    expect(existsSync(result.file.reportPath)).to.equal(true);
    const audit = JSON.parse(intake('files', 'show', String(result.file.id), '--json').stdout) as { name: string };
    expect(audit.name).to.equal('september-low.csv');
    const again = JSON.parse(
      intake('files', 'replay', String(low?.id), '--reason', 'once more', '--as-of', '2026-09-15', '--json').stdout,
    ) as { file: { reportPath: string } };
    expect(again.file.reportPath).to.match(/september-low\.csv\.replay-3\.results\.csv$/);
    expect(intake('files', 'replay', '999999', '--reason', 'x').status).to.equal(1);
  });

  it('replay: who asked and why are in the audit log; a file still running is not replayed', async () => {
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const audit = await db.query<{ actor: string; detail: Record<string, unknown> }>(
        "select actor, detail from audit_log where action = 'file_replayed' order by id limit 1",
      );
      expect(audit.rows[0]?.actor).to.match(/^operator:/);
      expect(audit.rows[0]?.detail).to.include({ reason: 'school S.0943 corrected', asOf: '2026-09-15' });
      const [access] = JSON.parse(intake('files', 'list', '--kind', 'access', '--json').stdout) as { id: number }[];
      await db.query("update intake_file set status = 'processing' where id = $1", [access?.id]);
      const busy = intake('files', 'replay', String(access?.id), '--reason', 'too soon');
      expect(busy.status).to.equal(3);
      expect(busy.stderr).to.contain('still being processed');
    } finally {
      await db.end();
    }
  });
});
