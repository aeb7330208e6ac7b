import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { ingestFile } from '../pipelines/ingest.ts';
import { issueMissingReferralLetters, resolveItem } from '../pipelines/student-records.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { queues } from '../src/db/queue.ts';
import { auditOfItem, auditOfStudent } from '../src/queue/audit-trail.ts';
import { claimItem, claimNextItem, releaseItem } from '../src/queue/claims.ts';
import { getItemDetail } from '../src/queue/item-detail.ts';
import { countOpenByReason, listOpenItems } from '../src/queue/queue-queries.ts';
import { decisionsPath, writeUnreportedDecisions } from '../src/report/decisions-report.ts';
import { todayIn } from '../src/validate/dates.ts';
import { formatAsn } from '../src/validate/values.ts';
import { rowTable, sawSection } from '../src/web/queue-item-parts.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count } from './support/files.ts';
import { pdfPages } from './support/pdf.ts';
import { loadQueueSamples } from './support/queue-samples.ts';

describe('Student Records works the queue of referred rows', function () {
  this.timeout(120_000);
  let app: TestApp;

  before(async () => {
    app = await createTestApp();
    await loadQueueSamples(app);
  });
  after(async () => app.dispose());

  const itemAt = async (authority: string, line: number) => {
    const page = await listOpenItems(app.db, { authority }, 100);
    const item = page.items.find((i) => i.line === line);
    if (!item) throw new Error(`no open item for ${authority} line ${line}`);
    return item;
  };
  const decisions = (authority: string) => {
    const file = decisionsPath(app.config, authority, todayIn());
    return parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
  };

  it('each referred row is an open item, oldest first, with a pg-boss job while it is open', async () => {
    const page = await listOpenItems(app.db, {}, 100);
    expect(page.items.map((i) => `${i.authorityCode}:${i.line}`)).to.deep.equal([
      ...[4, 5, 9, 10, 11, 12, 14, 15, 16, 18].map((l) => `A.0230:${l}`),
      'A.0094:3',
      'A.0094:4',
    ]);
    expect(await app.boss.getQueueSize(queues.studentRecords)).to.equal(12);
    const counts = await countOpenByReason(app.db, { authority: 'A.0230' });
    expect(counts.get('HIGH_MORE_RECENT_ELSEWHERE')).to.equal(2);
    expect(counts.get('POTENTIAL_DUPLICATE')).to.equal(1);
  });

  it('filters by authority, school, reason, kind and age, and pages by the last item shown', async () => {
    expect((await listOpenItems(app.db, { kind: 'access' }, 100)).items.map((i) => i.line)).to.deep.equal([3, 4]);
    expect(
      (await listOpenItems(app.db, { reason: 'HIGH_HISTORICAL_ONLY' }, 100)).items.map((i) => i.line),
    ).to.deep.equal([12]);
    expect((await listOpenItems(app.db, { minAgeDays: 1 }, 100)).items).to.have.length(0);
    const first = await listOpenItems(app.db, { authority: 'A.0230' }, 4);
    expect(first.next).to.not.equal(null);
    const second = await listOpenItems(app.db, { authority: 'A.0230' }, 4, first.next);
    expect(second.items.map((i) => i.line)).to.deep.equal([11, 12, 14, 15]);
    const school = first.items[0]?.schoolCode as string;
    expect((await listOpenItems(app.db, { school }, 100)).items.every((i) => i.schoolCode === school)).to.equal(true);
  });

  it('shows an item with the row, what the rules saw and the student as now', async () => {
    const item = await itemAt('A.0230', 10);
    const detail = await getItemDetail(app.db, item.id, app.config.rules, samplesAsOf);
    expect(detail?.row?.schoolCode).to.equal(item.schoolCode);
    expect(detail?.saw?.restriction).to.equal('high');
    expect(detail?.student?.asn).to.equal(item.asn);
    expect(detail?.recentEnrolments.length).to.be.greaterThan(0);
    expect(detail?.item.fileName).to.equal('september-high.csv');
  });

  it('a row or what the rules saw, damaged in the database, is shown as damaged, not as the row', async () => {
    const item = await itemAt('A.0230', 5);
    const kept = await app.db.query<{ row_data: unknown; saw: unknown }>(
      'select row_data, saw from referral where id = $1',
      [item.id],
    );
    const show = async () => {
      const detail = await getItemDetail(app.db, item.id, app.config.rules, samplesAsOf);
      if (!detail) throw new Error('the item is gone');
      return { detail, page: `${rowTable(detail)}${sawSection(detail)}` };
    };
    try {
      await app.db.query(
        `update referral set row_data = '"not a row"', saw = '{"restriction": "high", "associations": 7}' where ` +
          `id = $1`,
        [item.id],
      );
      const garbage = await show();
      expect(garbage.detail).to.include({ row: null, saw: null });
      expect(garbage.detail.rowProblem).to.equal(
        'The row stored for this item is damaged (MALFORMED_ROW): The stored row is not a row.',
      );
      expect(garbage.detail.sawProblem).to.match(/^What the rules saw has associations that are not a list/);
      expect(garbage.page)
        .to.contain('The stored row is not a row.')
        .and.contain('What the rules saw has ' + 'associations');
      expect(garbage.detail.student?.asn).to.equal(item.asn);

      // A row whose fields no longer pass the checks, and an item queued before what the rules saw was kept.
      await app.db.query(`update referral set row_data = $2::jsonb || '{"grade": "Z"}', saw = '{}' where id = $1`, [
        item.id,
        JSON.stringify(kept.rows[0]?.row_data),
      ]);
      const changed = await show();
      expect(changed.detail.rowProblem).to.match(
        /^The row stored for this item is damaged \(INVALID_GRADE\): grade 'Z'/,
      );
      expect(changed.detail.sawProblem).to.equal('What the rules saw was not recorded for this item.');
      expect(changed.page).to.contain('INVALID_GRADE').and.not.contain('<table');
    } finally {
      await app.db.query('update referral set row_data = $2, saw = $3 where id = $1', [
        item.id,
        JSON.stringify(kept.rows[0]?.row_data),
        JSON.stringify(kept.rows[0]?.saw),
      ]);
    }
    const restored = await show();
    expect(restored.detail.row?.line).to.equal(5);
    expect(restored.detail.saw?.restriction).to.equal('high');
  });

  it('a claim keeps others off until it lapses; then anyone may take the item', async () => {
    const item = await itemAt('A.0230', 9);
    expect((await claimItem(app.db, item.id, 'ana', 30)).outcome).to.equal('claimed');
    expect(await claimItem(app.db, item.id, 'bo', 30)).to.include({ outcome: 'claimed_by_other', claimedBy: 'ana' });
    expect(await resolveItem(app, item.id, 'bo', 'reject', 'not ours')).to.include({ outcome: 'claimed_by_other' });
    const next = await claimNextItem(app.db, { authority: 'A.0230' }, 'bo', 30);
    expect(next?.line).to.equal(4);
    // Abandoned: the claim runs out.
    await app.db.query(`update referral set claimed_until = now() - interval '1 second' where id = $1`, [item.id]);
    expect(
      (await listOpenItems(app.db, { authority: 'A.0230' }, 100)).items.find((i) => i.id === item.id)?.claimedBy,
    ).to.equal(null);
    expect((await claimItem(app.db, item.id, 'bo', 30)).outcome).to.equal('claimed');
    expect(await releaseItem(app.db, item.id, 'bo')).to.equal(true);
  });

  it('approving an enrolment referral enrols the student and tells the authority', async () => {
    const item = await itemAt('A.0230', 10);
    const result = await resolveItem(app, item.id, 'ana', 'approve', 'Confirmed with the family.');
    expect(result.outcome).to.equal('resolved');
    expect(
      await count(
        app.db,
        `select count(*) n from enrolment e join student s on s.asn = $1 where e.asn = coalesce(s.primary_asn, ` +
          `s.asn) and e.school_code = $2`,
        [item.asn, item.schoolCode],
      ),
    ).to.be.greaterThan(0);
    const row = decisions('A.0230').find((r) => r.line === '10');
    expect(row).to.include({ file: 'september-high.csv', decision: 'approved', note: 'Confirmed with the family.' });
    expect(row?.result).to.equal('Enrolment created.');
    expect(await app.boss.getQueueSize(queues.studentRecords)).to.equal(11);
    expect((await auditOfItem(app.db, item.id)).map((a) => a.action)).to.include('item_approved');
    expect((await auditOfStudent(app.db, item.asn as string)).map((a) => a.action)).to.include('item_approved');
  });

  it('approving a possible duplicate creates a new student, whose ASN the authority learns', async () => {
    // The same child asked for again in another file, referred before either item is decided.
    const folder = mkdtempSync(path.join(tmpdir(), 'intake-again-'));
    const source = readFileSync(path.join(samplesFolder, 'enrolment/A.0230/september-high.csv'), 'utf8').split('\n');
    writeFileSync(path.join(folder, 'again.csv'), `${source[0]}\n${source[17]}\n`);
    await ingestFile(app, path.join(folder, 'again.csv'), 'A.0230', 'enrolment', samplesAsOf);
    const again = (await listOpenItems(app.db, { reason: 'POTENTIAL_DUPLICATE' }, 10)).items.find(
      (i) => i.fileName === 'again.csv',
    );

    const item = await itemAt('A.0230', 18);
    expect((await resolveItem(app, item.id, 'ana', 'approve')).outcome).to.equal('resolved');
    const row = decisions('A.0230').find((r) => r.line === '18');
    expect(row?.asn).to.match(/^\d{4}-\d{4}-\d$/);
    expect(row?.result).to.match(/^Student created with ASN/);

    // The other item's approval would make a second record of the child: refused once, naming the new student.
    const refused = await resolveItem(app, again?.id as number, 'ana', 'approve');
    expect(refused.outcome === 'not_applicable' && refused.problem.code).to.equal('DUPLICATE_STUDENT');
    expect(refused.outcome === 'not_applicable' && refused.problem.message).to.contain(row?.asn as string);
    const detail = await getItemDetail(app.db, again?.id as number, app.config.rules, samplesAsOf);
    expect(detail?.matchingStudents.map((m) => formatAsn(m.asn))).to.include(row?.asn);
    // Seen, and still another person: the next approval goes through.
    expect((await resolveItem(app, again?.id as number, 'ana', 'approve')).outcome).to.equal('resolved');
    rmSync(folder, { recursive: true, force: true });
  });

  it('an approval that fails a data check changes nothing and leaves the item open', async () => {
    // Line 16 names an ASN no student has: Student Records cannot enrol a student who does not exist.
    const item = await itemAt('A.0230', 16);
    const result = await resolveItem(app, item.id, 'bo', 'approve');
    expect(result.outcome === 'not_applicable' && result.problem.code).to.equal('UNKNOWN_ASN');
    expect((await itemAt('A.0230', 16)).state).to.equal('open');
    expect(await count(app.db, `select count(*) n from enrolment where asn = '812345670'`)).to.equal(0);
  });

  it('reject and return need a note, and reach the authority with it', async () => {
    const item = await itemAt('A.0230', 11);
    expect((await resolveItem(app, item.id, 'ana', 'reject', '   ')).outcome).to.equal('note_required');
    expect((await resolveItem(app, item.id, 'ana', 'reject', '=HYPERLINK("x")')).outcome).to.equal('resolved');
    const other = await itemAt('A.0230', 12);
    expect(
      (await resolveItem(app, other.id, 'ana', 'return', 'Send the exit date of the last enrolment.')).outcome,
    ).to.equal('resolved');
    const rows = decisions('A.0230');
    expect(rows.find((r) => r.line === '11')).to.include({ decision: 'rejected', note: '\'=HYPERLINK("x")' });
    expect(rows.find((r) => r.line === '12')).to.include({
      decision: 'returned',
      note: 'Send the exit date of the last enrolment.',
    });
  });

  it('two staff approving one item at once resolve it once', async () => {
    const item = await itemAt('A.0230', 14);
    const [a, b] = await Promise.all([
      resolveItem(app, item.id, 'ana', 'reject', 'dup'),
      resolveItem(app, item.id, 'bo', 'return', 'dup'),
    ]);
    expect([a.outcome, b.outcome].sort()).to.deep.equal(['already_resolved', 'resolved']);
    expect(
      await count(
        app.db,
        `select count(*) n from audit_log where referral_id = $1 and action in ('item_rejected', 'item_returned')`,
        [item.id],
      ),
    ).to.equal(1);
  });

  it('the counts per reason follow every item opened and resolved', async () => {
    const counted = await countOpenByReason(app.db, {});
    const actual = await app.db.query<{ reason: string; n: string }>(
      `select reason, count(*) n from referral where state = 'open' group by reason`,
    );
    expect(Object.fromEntries(counted)).to.deep.equal(
      Object.fromEntries(actual.rows.map((r) => [r.reason, Number(r.n)])),
    );
    expect(await count(app.db, 'select count(*) n from referral_open_count where items = 0')).to.equal(0);
    // Everything was referred today: nothing is a day old, in the list or in the counts.
    expect(Object.fromEntries(await countOpenByReason(app.db, { minAgeDays: 1 }))).to.deep.equal({});
  });

  it('approving an access referral issues the connection, its letter to the school and its email', async () => {
    const item = await itemAt('A.0094', 3);
    const result = await resolveItem(app, item.id, 'ana', 'approve');
    expect(result.outcome).to.equal('resolved');
    const connection = await app.db.query<{ id: string; letter_referral_id: string; pin_hash: Buffer | null }>(
      `select id::text, letter_referral_id::text, pin_hash from connection where letter_referral_id = $1`,
      [item.id],
    );
    expect(connection.rows).to.have.length(1);
    expect(connection.rows[0]?.pin_hash).to.not.equal(null);
    const letters = readdirSync(path.join(app.home, 'outbox/A.0094/letters/student-records')).filter((n) =>
      n.startsWith(`item-${item.id}.`),
    );
    expect(letters).to.deep.equal([`item-${item.id}.${item.schoolCode}.pdf`]);
    const pages = await pdfPages(path.join(app.home, 'outbox/A.0094/letters/student-records', letters[0] as string));
    expect(pages).to.have.length(2);
    expect(
      await count(app.db, `select count(*) n from pgboss.job where name = $1 and (data->>'connectionId') = $2`, [
        queues.activationMail,
        connection.rows[0]?.id,
      ]),
    ).to.equal(1);
    expect(decisions('A.0094').find((r) => r.line === '3')).to.include({ decision: 'approved' });
    expect(existsSync(decisionsPath(app.config, 'A.0094', todayIn()))).to.equal(true);
  });

  it('a decision whose letter or decisions file a dead process left unwritten is finished by the sweep', async () => {
    const item = await itemAt('A.0094', 4);
    expect((await resolveItem(app, item.id, 'ana', 'approve')).outcome).to.equal('resolved');
    // As the process would have left it, dying right after the decision committed.
    const letters = path.join(app.home, 'outbox/A.0094/letters/student-records');
    for (const name of readdirSync(letters).filter((n) => n.startsWith(`item-${item.id}.`)))
      rmSync(path.join(letters, name));
    await app.db.query('delete from letter_batch where referral_id = $1', [item.id]);
    await app.db.query(
      `update connection set pin_hash = null, issued_at = null, expires_at = null where letter_referral_id = $1`,
      [item.id],
    );
    await app.db.query('update referral set reported_at = null');
    rmSync(decisionsPath(app.config, 'A.0094', todayIn()));

    expect(await issueMissingReferralLetters(app)).to.equal(1);
    expect(readdirSync(letters).filter((n) => n.startsWith(`item-${item.id}.`))).to.have.length(1);
    expect(
      await count(app.db, 'select count(*) n from connection where letter_referral_id = $1 and pin_hash is not null', [
        item.id,
      ]),
    ).to.equal(1);
    expect(await writeUnreportedDecisions(app.db, app.config)).to.equal(2);
    expect(decisions('A.0094').map((r) => r.line)).to.deep.equal(['3', '4']);
    expect(await writeUnreportedDecisions(app.db, app.config)).to.equal(0);
  });

  it('a decision stands when its decisions file cannot be written; the sweep writes it later', async () => {
    const item = await itemAt('A.0230', 15);
    const folder = path.dirname(decisionsPath(app.config, 'A.0230', todayIn()));
    rmSync(folder, { recursive: true, force: true });
    writeFileSync(folder, 'in the way');
    const result = await resolveItem(app, item.id, 'ana', 'reject', 'Not ours.');
    expect(result).to.deep.include({ outcome: 'resolved', pending: true });
    expect((await resolveItem(app, item.id, 'bo', 'reject', 'again')).outcome).to.equal('already_resolved');
    rmSync(folder);
    expect(await writeUnreportedDecisions(app.db, app.config)).to.equal(1);
    expect(decisions('A.0230').find((r) => r.line === '15')).to.include({ decision: 'rejected', note: 'Not ours.' });
  });
});
