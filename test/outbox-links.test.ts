import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ingestFile } from '../pipelines/ingest.ts';
import { UnsafeOutboxPathError } from '../src/files/outbox.ts';
import { loadReference } from '../src/reference/load.ts';
import { root } from './support/cli.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { csv, writeFiles } from './support/files.ts';

describe('writes into the outbox never follow a link an authority planted there', function () {
  this.timeout(60_000);
  let app: TestApp;
  let outside: string;
  let victim: string;
  const enrolment = (day: string) =>
    csv([
      ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
      ['104827361', 'S.0101', `2026-10-${day}`, '10', 'Primary'],
    ]);
  const drop = (name: string, content: string) =>
    path.join(writeFiles(path.join(app.home, 'drop'), { [name]: content }), name);
  const failure = (work: Promise<unknown>) =>
    work.then(
      () => null,
      (error: Error) => error,
    );

  before(async () => {
    app = await createTestApp();
    await loadReference(app.db, path.join(root, 'samples/reference'));
    // What a link would reach: a file and a folder the authority must not be able to write.
    outside = mkdtempSync(path.join(tmpdir(), 'intake-outside-'));
    victim = path.join(outside, 'victim.txt');
    writeFileSync(victim, 'untouched\n');
    mkdirSync(path.join(app.home, 'outbox/A.0001'), { recursive: true });
  });
  after(async () => {
    await app.dispose();
    rmSync(outside, { recursive: true, force: true });
  });

  it("a link at the report's name is replaced by the report; what it pointed to is untouched", async () => {
    const report = path.join(app.home, 'outbox/A.0001/evil.csv.results.csv');
    symlinkSync(victim, report);
    symlinkSync(victim, `${report}.part`);
    const result = await ingestFile(app, drop('evil.csv', enrolment('01')), 'A.0001', 'enrolment', '2026-09-15');
    expect(result.outcome).to.equal('processed');
    expect(lstatSync(report).isFile()).to.equal(true);
    expect(readFileSync(report, 'utf8')).to.contain('ENROLMENT_CREATED');
    expect(readFileSync(victim, 'utf8')).to.equal('untouched\n');
  });

  it("a link at a note's name is left alone: the note takes the next name", async () => {
    const note = path.join(app.home, 'outbox/A.0001/empty.csv.error.txt');
    symlinkSync(victim, note);
    const result = await ingestFile(app, drop('empty.csv', ''), 'A.0001', 'enrolment', '2026-09-15');
    expect(result.outcome).to.equal('refused');
    expect(lstatSync(note).isSymbolicLink()).to.equal(true);
    expect(readFileSync(path.join(app.home, 'outbox/A.0001/empty.csv.2.error.txt'), 'utf8')).to.contain('empty');
    expect(readFileSync(victim, 'utf8')).to.equal('untouched\n');
  });

  it('a letters folder that is a link is refused: no PDF is written through it', async () => {
    const letters = path.join(app.home, 'outbox/A.0094/letters');
    mkdirSync(path.dirname(letters), { recursive: true });
    symlinkSync(outside, letters);
    const sample = path.join(root, 'samples/access/A.0094/access-low.csv');
    const error = await failure(ingestFile(app, sample, 'A.0094', 'access', '2026-09-15'));
    expect(error).to.be.instanceOf(UnsafeOutboxPathError);
    expect(error?.message).to.contain('letters is a symbolic link');
    expect(readdirSync(outside)).to.deep.equal(['victim.txt']);
  });

  it("an authority's outbox folder that is a link is refused: no report is written through it", async () => {
    rmSync(path.join(app.home, 'outbox/A.0002'), { recursive: true, force: true });
    symlinkSync(outside, path.join(app.home, 'outbox/A.0002'));
    const file = drop(
      'linked.csv',
      csv([
        ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
        ['104827361', 'S.0201', '2026-10-05', '10', 'Primary'],
      ]),
    );
    const error = await failure(ingestFile(app, file, 'A.0002', 'enrolment', '2026-09-15'));
    expect(error).to.be.instanceOf(UnsafeOutboxPathError);
    expect(readdirSync(outside)).to.deep.equal(['victim.txt']);
    expect(existsSync(path.join(outside, 'linked.csv.results.csv'))).to.equal(false);
  });
});
