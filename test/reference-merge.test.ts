import path from 'node:path';
import { expect } from 'chai';
import { ingestFile } from '../pipelines/ingest.ts';
import { loadReference } from '../src/reference/load.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count, csv, loadSmallReference, referenceHeaders, writeFiles } from './support/files.ts';

describe('linking an ASN to a primary moves what was kept under it', function () {
  this.timeout(60_000);
  let app: TestApp;
  const students = (primaryOfFour: string) =>
    csv([
      referenceHeaders.students,
      ['100000004', primaryOfFour, 'Tremblay', 'Eloise', '', '2011-05-05', '', '', 'false'],
    ]);

  before(async () => {
    app = await createTestApp();
    await loadSmallReference(app.db, path.join(app.home, 'reference'));
    // A second record of the same child (100000003), with a life of its own.
    const report = await loadReference(
      app.db,
      writeFiles(path.join(app.home, 'more'), { 'students.csv': students('') }),
    );
    expect(report.problems).to.deep.equal([]);
    await app.db.query(`insert into enrolment (asn, school_code, entry_date, exit_date, grade, enrolment_type,
      updated_at) values
      ('100000004', 'S.0001', '2025-01-06', null, '8', 'Primary', now()),
      ('100000004', 'S.0094', '2024-09-01', '2025-06-30', '8', 'Primary', now() + interval '1 minute')`);
    await app.db.query(`insert into connection (asn, school_code, authority_code, requester, relationship,
      person_name, email, language, status, created_by, status_changed_by, status_changed_at) values
      ('100000004', 'S.0094', 'A.0094', 'parent_guardian', 'Mother', 'Ani', 'ani@example.ca', 'en', 'waiting',
        'A.0094', 'A.0094', now() + interval '1 minute'),
      ('100000003', 'S.0094', 'A.0094', 'parent_guardian', 'Mother', 'Ani', 'ani@example.ca', 'en', 'waiting',
        'A.0094', 'A.0094', now()),
      ('100000004', 'S.0094', 'A.0094', 'parent_guardian', 'Father', 'Jo', 'jo@example.ca', 'en', 'activated',
        'A.0094', 'A.0094', now())`);
    // A limited-access authority with no history of 100000004: its row is referred, under that ASN.
    const file = writeFiles(path.join(app.home, 'drop'), {
      'four.csv': csv([
        ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
        ['100000004', 'S.0230', '2026-09-02', '9', 'Primary'],
      ]),
    });
    const referred = await ingestFile(app, path.join(file, 'four.csv'), 'A.0230', 'enrolment', '2026-09-15');
    expect(referred.outcome === 'processed' && referred.file.referred).to.equal(1);
  });
  after(() => app.dispose());

  it(
    'enrolments, connections and open queue items move to the primary; conflicts go to the later change and ' +
      'are listed',
    async () => {
      const report = await loadReference(
        app.db,
        writeFiles(path.join(app.home, 'linked'), { 'students.csv': students('100000003') }),
      );
      expect(report.problems).to.deep.equal([]);
      expect(await count(app.db, "select count(*) n from enrolment where asn = '100000004'")).to.equal(0);
      expect(await count(app.db, "select count(*) n from connection where asn = '100000004'")).to.equal(0);
      expect(
        await count(app.db, "select count(*) n from referral where asn = '100000004' and state = 'open'"),
      ).to.equal(0);
      expect(
        await count(app.db, "select count(*) n from referral where asn = '100000003' and state = 'open'"),
      ).to.equal(1);
      // The enrolment both held: the secondary's, changed later, stands.
      const shared = await app.db.query<{ grade: string }>(
        "select grade from enrolment where asn = '100000003' and school_code = 'S.0094' and entry_date = '2024-09-01'",
      );
      expect(shared.rows).to.deep.equal([{ grade: '8' }]);
      expect(
        await count(app.db, "select count(*) n from enrolment where asn = '100000003' and school_code = 'S.0001'"),
      ).to.equal(1);
      // One live connection per person and student: the one changed last.
      const live = await app.db.query<{ email: string; relationship: string }>(
        "select email, relationship from connection where asn = '100000003' and status in ('waiting', " +
          "'activated') order by email",
      );
      expect(live.rows).to.deep.equal([
        { email: 'ani@example.ca', relationship: 'Mother' },
        { email: 'jo@example.ca', relationship: 'Father' },
      ]);
      expect(
        await count(app.db, "select count(*) n from connection where asn = '100000003' and status = 'deleted'"),
      ).to.equal(1);
      expect(report.merges).to.have.length(2);
      expect(report.merges[0]).to.match(
        /1000-0000-4 is now a secondary ASN of 1000-0000-3: both held the enrolment at S\.0094 from 2024-09-01/,
      );
      expect(report.merges[1]).to.match(/both had a live connection for ani@example\.ca/);
      const audit = await app.db.query<{ detail: Record<string, unknown> }>(
        "select detail from audit_log where action = 'student_linked' and asn = '100000003'",
      );
      expect(audit.rows[0]?.detail).to.include({
        secondary: '100000004',
        enrolmentsMoved: 1,
        connectionsMoved: 2,
        queueItemsMoved: 1,
      });
    },
  );

  it(
    'two ASNs linked to one primary at once, both holding the same enrolment and connection: the load goes ' +
      'through',
    async () => {
      const twins = csv([
        referenceHeaders.students,
        ['100000005', '', 'Doe', 'Jane', '', '2012-01-01', '', '', 'false'],
        ['100000006', '', 'Doe', 'Jane', '', '2012-01-01', '', '', 'false'],
      ]);
      expect(
        (await loadReference(app.db, writeFiles(path.join(app.home, 'twins'), { 'students.csv': twins }))).problems,
      ).to.deep.equal([]);
      await app.db.query(`insert into enrolment (asn, school_code, entry_date, grade, enrolment_type, updated_at) values
      ('100000005', 'S.0001', '2025-02-03', '6', 'Primary', now()),
      ('100000006', 'S.0001', '2025-02-03', '7', 'Primary', now() + interval '1 minute')`);
      await app.db.query(`insert into connection (asn, school_code, authority_code, requester, relationship,
      person_name, email, language, status, created_by, status_changed_by) values
      ('100000005', 'S.0001', 'A.0001', 'parent_guardian', 'Mother', 'Kim', 'kim@example.ca', 'en', 'waiting',
        'A.0001', 'A.0001'),
      ('100000006', 'S.0001', 'A.0001', 'parent_guardian', 'Mother', 'Kim', 'kim@example.ca', 'en', 'waiting',
        'A.0001', 'A.0001')`);
      const linked = twins
        .replace('100000005,,', '100000005,100000001,')
        .replace('100000006,,', '100000006,100000001,');
      const report = await loadReference(
        app.db,
        writeFiles(path.join(app.home, 'twins-linked'), { 'students.csv': linked }),
      );
      expect(report.problems).to.deep.equal([]);
      const enrolment = await app.db.query<{ grade: string }>(
        "select grade from enrolment where asn = '100000001' and school_code = 'S.0001' and entry_date = '2025-02-03'",
      );
      expect(enrolment.rows).to.deep.equal([{ grade: '7' }]);
      expect(
        await count(
          app.db,
          "select count(*) n from connection where asn = '100000001' and email = 'kim@example.ca' and status = " +
            "'waiting'",
        ),
      ).to.equal(1);
      expect(report.merges).to.have.length(2);
    },
  );
});

describe('reference load: enrolments of an unknown student or school', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    await loadSmallReference(app.db, path.join(app.home, 'reference'));
  });
  after(() => app.dispose());

  it('are left out and counted, near the line of their batch; the others are written', async () => {
    const report = await loadReference(
      app.db,
      writeFiles(path.join(app.home, 'unknown'), {
        'enrolments.csv': csv([
          referenceHeaders.enrolments,
          ['100000003', 'S.0230', '2023-09-01', '2024-06-30', '7', 'Primary', 'false'],
          ['199999999', 'S.0001', '2023-09-01', '', '7', 'Primary', 'false'],
          ['100000001', 'S.9999', '2023-09-01', '', '7', 'Primary', 'false'],
          ['199999998', 'S.9998', '2023-09-01', '', '7', 'Primary', 'false'],
        ]),
      }),
    );
    expect(report.problems).to.deep.equal(['enrolments.csv: 3 row(s) near line 2 name an unknown ASN or school']);
    expect(report.counts.enrolments).to.equal(1);
    expect(await count(app.db, "select count(*) n from enrolment where entry_date = '2023-09-01'")).to.equal(1);
  });
});
