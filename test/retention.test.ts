import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { type PurgeSummary, purgeDue, retentionLockKey } from '../pipelines/retention.ts';
import { startService } from '../pipelines/service.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { exclusively } from '../src/db/locks.ts';
import { queues } from '../src/db/queue.ts';
import type { FileKind } from '../src/files/kinds.ts';
import type { IntakeFile } from '../src/files/registry.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { loadReference } from '../src/reference/load.ts';
import { writeDecisionsFile } from '../src/report/decisions-report.ts';
import {
  ageFile,
  claimedDaysAgo,
  filesUnder,
  finishedDaysAgo,
  issuedDaysAgo,
  settledDaysAgo,
} from './support/aging.ts';
import { intakeCommand } from './support/cli.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count, writeFiles } from './support/files.ts';

const accessHeader = 'action,asn,school_code,requester,relationship,name,email,language,replace';

const dueOf = (summary: PurgeSummary) => new Set(Object.values(summary.due ?? {}).flat());

describe('retention: intake files purge and the nightly run', function () {
  this.timeout(180_000);
  let app: TestApp;
  let outside: string;
  const intake = intakeCommand(() => ({ database: app.url, home: app.home }));
  const files: Record<string, IntakeFile> = {};
  const pdfs: Record<string, string> = {};
  /** What the policy's run must remove, and nothing else. */
  const due = new Set<string>();
  let kept: Set<string>;

  async function ingest(key: string, source: string, authority: string, kind: FileKind): Promise<IntakeFile> {
    const result = await ingestFile(app, source, authority, kind, samplesAsOf);
    if (result.outcome !== 'processed' && !(result.outcome === 'refused' && result.file))
      throw new Error(`${key}: ${result.outcome}`);
    files[key] = result.file as IntakeFile;
    return result.file as IntakeFile;
  }
  const drop = (name: string, content: string) =>
    path.join(writeFiles(path.join(app.home, 'drop'), { [name]: content }), name);
  /** An access file of one or more requests at S.0101; its letter PDF (one school: one PDF). */
  async function letters(key: string, emails: string[], action = 'create'): Promise<string> {
    const rows = emails.map((email) => `${action},126597034,S.0101,parent_guardian,Father,Sam Roe,${email},en,`);
    const file = await ingest(key, drop(`${key}.csv`, `${accessHeader}\n${rows.join('\n')}\n`), 'A.0001', 'access');
    const batch = await app.db.query<{ pdf_paths: string[] }>('select pdf_paths from letter_batch where file_id = $1', [
      file.id,
    ]);
    const [pdf] = batch.rows[0]?.pdf_paths ?? [];
    expect(pdf && existsSync(pdf), `${key}: its letters`).to.equal(true);
    pdfs[key] = pdf as string;
    return pdf as string;
  }
  const settle = (emails: string[], status: 'expired' | 'activated' | 'deleted', days: number) =>
    settledDaysAgo(app.db, emails, status, days);
  const issued = (key: string, days: number) => issuedDaysAgo(app.db, files[key]?.id as number, days);
  const emlOf = async (email: string) => {
    const sql = `select 'connection-' || id || '-issue-' || issue || '.eml' as name from connection where email = $1`;
    const { rows } = await app.db.query<{ name: string }>(sql, [email]);
    return path.join(app.home, 'outbox/mail', rows[0]?.name ?? '');
  };

  before(async () => {
    // Info: the purge's counts are logged at that level.
    app = await createTestApp({ logLevel: 'info' });
    outside = mkdtempSync(path.join(tmpdir(), 'intake-retention-outside-'));
    await loadReference(app.db, path.join(samplesFolder, 'reference'));
    const sample = (file: string) => path.join(samplesFolder, 'enrolment', file);

    // Enrolment files: one finished 500 days ago (original and report due), one 100 days ago
    // (its report is due, its original is kept 400 days), one today.
    const old = await ingest('old', sample('A.0094/september-low.csv'), 'A.0094', 'enrolment');
    await finishedDaysAgo(app.db, old.id, 500);
    due.add(old.storedPath).add(old.reportPath as string);
    const mid = await ingest('mid', sample('A.0230/september-high.csv'), 'A.0230', 'enrolment');
    await finishedDaysAgo(app.db, mid.id, 100);
    due.add(mid.reportPath as string);
    await ingest('new', sample('A.0001/september-regular.csv'), 'A.0001', 'enrolment');

    // The same content again: a duplicate, not in the database. Its modification time set back
    // 500 days does not make it due (its claim, in its stored name, is today); its note is due.
    const duplicate = await ingestFile(
      app,
      drop('regular-again.csv', readFileSync(sample('A.0001/september-regular.csv'), 'utf8')),
      'A.0001',
      'enrolment',
      samplesAsOf,
    );
    expect(duplicate.outcome).to.equal('duplicate');
    const duplicates = path.join(app.home, 'archive/A.0001/enrolment/duplicates');
    for (const name of readdirSync(duplicates)) ageFile(path.join(duplicates, name), 500);
    const duplicateNote = path.join(app.home, 'outbox/A.0001/regular-again.csv.duplicate.txt');
    ageFile(duplicateNote, 100);
    due.add(duplicateNote);

    // Failed files: one finished 100 days ago (due with its notes), one today.
    const bad = await ingest('bad', drop('bad-old.csv', 'foo,bar\n1,2\n'), 'A.0001', 'enrolment');
    expect(bad.status).to.equal('failed');
    await finishedDaysAgo(app.db, bad.id, 100);
    const badNote = path.join(app.home, 'outbox/A.0001/bad-old.csv.error.txt');
    ageFile(badNote, 100);
    due.add(bad.storedPath).add(`${bad.storedPath}.error.txt`).add(badNote);
    await ingest('badNew', drop('bad-new.csv', 'foo,bar\n1,2\n'), 'A.0001', 'enrolment');
    // Refused before it was recorded (its name): not in the database, kept until its claim is old.
    expect((await ingestFile(app, drop('notes.txt', 'x\n'), 'A.0001', 'enrolment')).outcome).to.equal('refused');

    // Letters, and their activation emails (.eml files: no SMTP server), sent while all wait.
    await letters('waiting', ['wait.one@example.com', 'wait.two@example.com']);
    const settled = await letters('settled', ['gone.one@example.com', 'gone.two@example.com']);
    await letters('recent', ['recent@example.com']);
    const first = await letters('first', ['reset.me@example.com']);
    await letters('reset', ['reset.me@example.com'], 'reset');
    const linked = await letters('linked', ['linked@example.com']);
    const sender = createMailSender(app.config);
    await sendDueMail(app, sender);
    sender.close();
    // One of its two requests still waits: it stays, whatever its age.
    await settle(['wait.two@example.com'], 'expired', 500);
    await issued('waiting', 500);
    // Every request settled 10 days ago (expired, activated): past the 7-day grace.
    await settle(['gone.one@example.com'], 'expired', 10);
    await settle(['gone.two@example.com'], 'activated', 10);
    await issued('settled', 40);
    due.add(settled);
    // Settled 3 days ago: within the grace.
    await settle(['recent@example.com'], 'deleted', 3);
    await issued('recent', 40);
    // Reset onto another file's letters: the first PDF's PIN is dead; the second one waits.
    await issued('first', 10);
    due.add(first);
    // A due batch whose PDF an authority replaced with a link: the link's target is never touched.
    await settle(['linked@example.com'], 'expired', 10);
    await issued('linked', 40);
    unlinkSync(linked);
    writeFileSync(path.join(outside, 'decoy.pdf'), 'not a letter');
    symlinkSync(path.join(outside, 'decoy.pdf'), linked);
    // Emails: two 40 days old are due (mailDays 30), the rest are recent.
    for (const email of ['gone.one@example.com', 'gone.two@example.com']) {
      const eml = await emlOf(email);
      ageFile(eml, 40);
      due.add(eml);
    }

    // Decisions files: one 100 days old.
    const oldDecisions = await writeDecisionsFile(app.db, app.config, 'A.0001', '2025-01-02');
    ageFile(oldDecisions, 100);
    due.add(oldDecisions);
    await writeDecisionsFile(app.db, app.config, 'A.0001', samplesAsOf);
    // Connections listings, under the names the nightly listing writes: one 100 days old.
    const listings = writeFiles(path.join(app.home, 'outbox/A.0001/connections'), {
      'connections-2025-01-02.csv': 'asn\n',
      [`changes-${samplesAsOf}.csv`]: 'asn\n',
    });
    ageFile(path.join(listings, 'connections-2025-01-02.csv'), 100);
    due.add(path.join(listings, 'connections-2025-01-02.csv'));

    // Planted by an authority: links to old files elsewhere, a link for a folder, a file of its own.
    const target = path.join(outside, 'target.results.csv');
    writeFileSync(target, 'theirs');
    ageFile(target, 500);
    const planted = path.join(app.home, 'outbox/A.0001/planted.results.csv');
    symlinkSync(target, planted);
    ageFile(planted, 500, true);
    mkdirSync(path.join(outside, 'elsewhere'));
    writeFileSync(path.join(outside, 'elsewhere/decisions-2020-01-01.csv'), 'theirs');
    ageFile(path.join(outside, 'elsewhere/decisions-2020-01-01.csv'), 500);
    symlinkSync(path.join(outside, 'elsewhere'), path.join(app.home, 'outbox/A.0094/student-records'));
    writeFileSync(path.join(app.home, 'outbox/A.0001/our-own-notes.txt'), 'theirs');
    ageFile(path.join(app.home, 'outbox/A.0001/our-own-notes.txt'), 500);

    kept = filesUnder(app.home);
    for (const file of due) expect(kept.has(file), file).to.equal(true);
  });
  after(async () => {
    await app.dispose();
    rmSync(outside, { recursive: true, force: true });
  });

  it('a dry run lists exactly what is due, and removes nothing', async () => {
    const summary = await purgeDue(app, { dryRun: true });
    expect(summary.ran).to.equal(true);
    expect(dueOf(summary)).to.deep.equal(due);
    expect(summary.removed).to.deep.equal({ archive: 1, failed: 2, outbox: 6, mail: 2, letters: 2 });
    expect(filesUnder(app.home)).to.deep.equal(kept);
    expect(await count(app.db, 'select count(*) n from intake_file where stored_purged_at is not null')).to.equal(0);
  });

  it('removes exactly what is due and nothing else; links and their targets stay', async () => {
    const summary = await purgeDue(app, { dryRun: false });
    expect(summary.removed).to.deep.equal({ archive: 1, failed: 2, outbox: 6, mail: 2, letters: 2 });
    expect(summary).to.include({ errors: 0, dryRun: false });
    // The PDF replaced by a link, the link planted as a report, the link planted as a folder.
    expect(summary.leftAlone).to.equal(3);
    const after = filesUnder(app.home);
    expect(new Set([...kept].filter((file) => !after.has(file)))).to.deep.equal(due);
    expect(after.size).to.equal(kept.size - due.size);
    expect(readFileSync(path.join(outside, 'decoy.pdf'), 'utf8')).to.equal('not a letter');
    expect(readFileSync(path.join(outside, 'target.results.csv'), 'utf8')).to.equal('theirs');
    expect(readFileSync(path.join(outside, 'elsewhere/decisions-2020-01-01.csv'), 'utf8')).to.equal('theirs');
    expect(
      existsSync(pdfs.waiting as string) && existsSync(pdfs.recent as string) && existsSync(pdfs.reset as string),
    ).to.equal(true);
    // Nothing is due any more.
    expect(dueOf(await purgeDue(app, { dryRun: true }))).to.deep.equal(new Set());
  });

  it('records what was removed: files show says so, replay refuses it (exit 2), the audit log counts it', async () => {
    const marks = await app.db.query<{ id: string; original: boolean; report: boolean }>(
      `select id, stored_purged_at is not null as original, report_purged_at is not null as report
         from intake_file where stored_purged_at is not null or report_purged_at is not null order by id`,
    );
    expect(marks.rows.map((r) => [Number(r.id), r.original, r.report])).to.deep.equal([
      [files.old?.id, true, true],
      [files.mid?.id, false, true],
      [files.bad?.id, true, false],
    ]);
    const batches = await app.db.query<{ file_id: string }>(
      'select file_id from letter_batch where pdfs_purged_at is not null order by file_id',
    );
    expect(batches.rows.map((r) => Number(r.file_id))).to.deep.equal([files.settled?.id, files.first?.id]);

    const shown = intake('files', 'show', String(files.old?.id));
    expect(shown.stdout).to.match(/report: removed by retention .* \(was .*september-low\.csv\.results\.csv\)/);
    expect(shown.stdout).to.match(/file: removed by retention /);
    const json = JSON.parse(intake('files', 'show', String(files.old?.id), '--json').stdout) as Record<string, unknown>;
    expect(json.originalPurgedAt).to.be.a('string');
    const replay = intake('files', 'replay', String(files.old?.id), '--reason', 'wanted again');
    expect(replay.status).to.equal(2);
    expect(replay.stdout).to.contain('was removed by retention');

    const audit = await app.db.query<{ actor: string; detail: { removed: Record<string, number> } }>(
      "select actor, detail from audit_log where action = 'files_purged'",
    );
    expect(audit.rows).to.have.length(1);
    expect(audit.rows[0]?.actor).to.equal('retention');
    expect(audit.rows[0]?.detail.removed).to.deep.equal({ archive: 1, failed: 2, outbox: 6, mail: 2, letters: 2 });
    // Counts only: no name of a file, let alone of a student.
    const logged = readFileSync(path.join(app.home, 'log/intake.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('retention'));
    expect(logged.some((line) => line.includes('retention: files removed'))).to.equal(true);
    for (const line of logged) expect(line).to.not.match(/\.csv|\.pdf|\.eml|\.txt|Sam Roe|example\.com/);
  });

  it(
    'a file the database does not track is due by the claim in its stored name, not a modification time set ' + 'back',
    async () => {
      const inFolder = (folder: string, wanted: (name: string) => boolean) =>
        readdirSync(folder)
          .filter(wanted)
          .map((name) => path.join(folder, name));
      // The duplicate's modification time was set back 500 days already; now its claim too.
      const duplicates = inFolder(path.join(app.home, 'archive/A.0001/enrolment/duplicates'), () => true).map((file) =>
        claimedDaysAgo(file, 500),
      );
      // The file refused before it was recorded, and its note: claimed, and last changed, 100 days ago.
      const refused = inFolder(path.join(app.home, 'failed/A.0001/enrolment'), (name) => name.includes('__notes.txt'));
      expect(refused).to.have.length(2);
      const refusedNow = refused.map((file) => claimedDaysAgo(file, 100));
      for (const file of refusedNow) ageFile(file, 100);
      const summary = await purgeDue(app, { dryRun: false });
      expect(summary.removed).to.deep.equal({ archive: 1, failed: 2, outbox: 0, mail: 0, letters: 0 });
      for (const file of [...duplicates, ...refusedNow]) expect(existsSync(file), file).to.equal(false);
    },
  );

  it('--older-than replaces the ages of the policy for one run, but never removes letters whose requests wait', () => {
    const run = intake('files', 'purge', '--older-than', '2', '--dry-run', '--json');
    expect(run.status, run.stderr).to.equal(0);
    const summary = JSON.parse(run.stdout) as PurgeSummary;
    expect(summary).to.include({ ran: true, dryRun: true, olderThanDays: 2 });
    const listed = dueOf(summary);
    expect(listed.has(files.mid?.storedPath as string), 'archived 100 days ago').to.equal(true);
    expect(listed.has(pdfs.recent as string), 'settled 3 days ago').to.equal(true);
    expect(listed.has(pdfs.waiting as string), 'a request waits').to.equal(false);
    expect(listed.has(pdfs.reset as string), 'its request waits').to.equal(false);
    expect(listed.has(files.new?.storedPath as string), 'finished today').to.equal(false);
    expect(existsSync(files.mid?.storedPath as string), 'a dry run').to.equal(true);
    const text = intake('files', 'purge', '--older-than', '2', '--dry-run');
    expect(text.stdout).to.contain(`archive: ${files.mid?.storedPath}`);
    expect(text.stdout).to.match(/would remove: archive \d+, failed \d+, outbox \d+, mail \d+, letters \d+/);
    for (const bad of ['0', 'ten']) expect(intake('files', 'purge', '--older-than', bad).status).to.equal(64);
  });

  it('one purge at a time across the cluster', async () => {
    const inner = await exclusively(app.db, retentionLockKey, () => purgeDue(app, { dryRun: true }));
    expect(inner?.ran).to.equal(false);
  });

  it("the service's scheduler runs it from its queue", async () => {
    await finishedDaysAgo(app.db, files.new?.id as number, 100);
    const report = files.new?.reportPath as string;
    const service = await startService({ ...app, config: { ...app.config, roles: ['scheduler'] } });
    try {
      await app.boss.send(queues.retention, {});
      const until = Date.now() + 30_000;
      while (existsSync(report) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(existsSync(report), 'the report of a file finished 100 days ago').to.equal(false);
      expect(existsSync(files.new?.storedPath as string), 'its original, kept 400 days').to.equal(true);
    } finally {
      await service.stop();
    }
  });
});
