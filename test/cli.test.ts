import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Database } from '../src/db/database.ts';
import { intakeCommand, root } from './support/cli.ts';
import { dropDatabase, freshDatabaseUrl } from './support/database.ts';

describe('the intake command', () => {
  let url: string;
  let home: string;
  const intake = intakeCommand(() => ({ database: url, home }));

  before(async () => {
    url = await freshDatabaseUrl();
    home = mkdtempSync(path.join(tmpdir(), 'intake-cli-'));
  });
  after(async () => {
    await dropDatabase(url);
    rmSync(home, { recursive: true, force: true });
  });

  it('loads reference data', () => {
    const run = intake('reference', 'load', path.join(root, 'samples/reference'));
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/students: 38 rows loaded/);
    // Authorities can drop files before the service first starts.
    expect(existsSync(path.join(home, 'inbox/A.0094/enrolment'))).to.equal(true);
  });

  it('ingests a file, printing a JSON summary on stdout, and exits 0', () => {
    const run = intake(
      'ingest',
      path.join(root, 'samples/enrolment/A.0094/september-low.csv'),
      '--authority',
      'A.0094',
      '--as-of',
      '2026-09-15',
      '--json',
    );
    expect(run.status, run.stderr).to.equal(0);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(summary).to.include({ outcome: 'processed', accepted: 9, referred: 6, invalid: 2 });
    expect(String(summary.report)).to.match(/outbox\/A\.0094\/september-low\.csv\.results\.csv$/);
  });

  it('exits 3 for content it has processed before', () => {
    const run = intake(
      'ingest',
      path.join(root, 'samples/enrolment/A.0094/september-low.csv'),
      '--authority',
      'A.0094',
    );
    expect(run.status).to.equal(3);
    expect(run.stdout).to.match(/^duplicate: /);
  });

  it('exits 2 for a file it refuses', () => {
    const empty = path.join(home, 'empty.csv');
    writeFileSync(empty, '');
    const run = intake('ingest', empty, '--authority', 'A.0094');
    expect(run.status).to.equal(2);
    expect(run.stdout).to.match(/refused: The file is empty/);
  });

  it('ends a usage error (bad authority, date, kind, unknown command) with 64', () => {
    const badAuthority = intake('ingest', 'x.csv', '--authority', '94');
    expect(badAuthority.status).to.equal(64);
    expect(badAuthority.stderr).to.match(/expected an authority code such as A\.0094/);
    const badDate = intake('ingest', 'x.csv', '--authority', 'A.0094', '--as-of', '2026-02-30');
    expect(badDate.status).to.equal(64);
    expect(badDate.stderr).to.match(/expected a date YYYY-MM-DD/);
    expect(intake('ingest', 'x.csv', '--authority', 'A.0094', '--kind', 'marks').status).to.equal(64);
    expect(intake('frobnicate').status).to.equal(64);
  });

  it('prints everything it has to say through a pipe, past 64 KB', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'intake-bad-reference-'));
    try {
      const bad = Array.from({ length: 3000 }, (_, i) => `not-an-asn-${i},,Doe,Jane,,2012-01-01,,,false`);
      writeFileSync(
        path.join(folder, 'students.csv'),
        'asn,primary_asn,last_name,first_name,middle_name,birth_date,created_by,created_on,deactivated\n' +
          `${bad.join('\n')}\n`,
      );
      const run = intake('reference', 'load', folder);
      expect(run.status).to.equal(1);
      expect(Buffer.byteLength(run.stderr)).to.be.greaterThan(64 * 1024);
      expect(run.stderr.match(/^problem: /gm)).to.have.length(3000);
      expect(run.stderr).to.contain('line 3001');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('prints a --json listing past 64 KB on standard output through a pipe, whole: it parses', async () => {
    const db = new Database(url, 1);
    try {
      // Many files received (as by a busy inbox), each with a long name: the listing is far past a pipe's 64 KB.
      await db.query(
        `insert into intake_file
                (authority_code, kind, original_name, format, sha256, size_bytes, stored_path, status, as_of)
         select 'A.0094', 'enrolment', 'listing-' || i || '-' || repeat('x', 200) || '.csv', 'csv', 'listing-' || i,
                1, '/dev/null', 'done', '2026-09-15'
           from generate_series(1, 600) i`,
      );
    } finally {
      await db.close();
    }
    // spawnSync reads the command's standard output through a pipe, as `intake … | jq` would.
    const run = intake('files', 'list', '--limit', '1000', '--json');
    expect(run.status, run.stderr).to.equal(0);
    expect(Buffer.byteLength(run.stdout)).to.be.greaterThan(4 * 64 * 1024);
    const files = JSON.parse(run.stdout) as { name: string }[];
    expect(files.filter((f) => f.name.startsWith('listing-'))).to.have.length(600);
    expect(files.at(-1)?.name).to.equal('september-low.csv');
  });

  it('names at most 20 unknown columns of a header, and how many more', () => {
    const columns = Array.from({ length: 10_000 }, (_, i) => `c${i}`);
    const file = path.join(home, 'wide.csv');
    writeFileSync(file, `asn,school_code,entry_date,${columns.join(',')}\n`);
    const run = intake('ingest', file, '--authority', 'A.0094', '--json');
    expect(run.status).to.equal(2);
    const reason = (JSON.parse(run.stdout) as { reason: string }).reason;
    expect(reason).to.contain(`"c19"`).and.contain('and 9980 more').and.not.contain(`"c20"`);
    expect(reason.length).to.be.lessThan(2000);
  });
});
