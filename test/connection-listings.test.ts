import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { writeConnectionListings } from '../pipelines/connection-listings.ts';
import { ListingRefusedError } from '../src/connections/listing-queries.ts';
import { addDays } from '../src/validate/dates.ts';
import { intakeCommand } from './support/cli.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { ingestAccess, loadListingWorld, students, today } from './support/listing-world.ts';

type Row = Record<string, string>;
const read = (file: string): { header: string[]; rows: Row[] } => {
  const text = readFileSync(file, 'utf8');
  return {
    header: (text.split('\n')[0] ?? '').split(','),
    rows: parse(text, { columns: true }) as Row[],
  };
};

describe(
  'connections listings: every connection to the students an authority has an association with ' + 'today',
  function () {
    this.timeout(120_000);
    let app: TestApp;
    const listingFile = (authority: string, name: string) =>
      path.join(app.home, 'outbox', authority, 'connections', `${name}-${today}.csv`);

    before(async () => {
      app = await createTestApp();
      await loadListingWorld(app.db, path.join(app.home, 'reference'));
      await ingestAccess(
        app,
        'a1.csv',
        [
          `create,${students.zeller},S.0101,parent_guardian,Mother,Ann Zeller,ann@example.com,en,`,
          `create,${students.zeller},S.0101,student,,,alice@example.com,en,`,
          `create,${students.abbott},S.0102,parent_guardian,Father,Carl Abbott,carl@example.com,fr,`,
          `create,${students.evil},S.0101,parent_guardian,Guardian,=1+2 Doe,dora@example.com,en,`,
          `create,${students.shared},S.0101,parent_guardian,Mother,Sue Shared,sue@example.com,en,`,
          `create,${students.zeller},S.0102,parent_guardian,Father,Al Zeller,al@example.com,en,`,
        ],
        'A.0001',
      );
      await ingestAccess(
        app,
        'a2.csv',
        [
          `create,${students.hidden},S.0201,parent_guardian,Father,Hal Hidden,hal@example.com,en,`,
          `create,${students.former},S.0201,parent_guardian,Mother,Fern Former,fern@example.com,en,`,
          `create,${students.shared},S.0201,parent_guardian,Father,Stu Shared,stu@example.com,en,`,
        ],
        'A.0002',
      );
    });
    after(() => app.dispose());

    it(
      'lists them sorted by school, student and person, whoever set them up, with their status and ' + 'dates',
      async () => {
        const [listing] = await writeConnectionListings(app, { authority: 'A.0001' });
        expect(listing).to.include({ authority: 'A.0001', day: today, connections: 7, changes: 0 });
        const { header, rows } = read(listingFile('A.0001', 'connections'));
        expect(header).to.deep.equal([
          'school',
          'school_name',
          'asn',
          'student',
          'requester',
          'relationship',
          'person_name',
          'email',
          'language',
          'status',
          'requested_on',
          'letter_issued_on',
          'expires_on',
          'activated_on',
          'ended_on',
        ]);
        expect(rows.map((r) => `${r.school} ${r.student} ${r.email}`)).to.deep.equal([
          "S.0101 '=Evil, Eve dora@example.com",
          'S.0101 Shared, Sam sue@example.com',
          'S.0101 Zeller, Alice alice@example.com',
          'S.0101 Zeller, Alice ann@example.com',
          'S.0102 Abbott, Bob carl@example.com',
          'S.0102 Zeller, Alice al@example.com',
          // Set up by another authority's school, to a student A.0001 is enrolling too.
          'S.0201 Shared, Sam stu@example.com',
        ]);
        expect(rows[3]).to.deep.equal({
          school: 'S.0101',
          school_name: 'Strathcona High',
          asn: '1000-0000-1',
          student: 'Zeller, Alice',
          requester: 'parent_guardian',
          relationship: 'Mother',
          person_name: 'Ann Zeller',
          email: 'ann@example.com',
          language: 'en',
          status: 'Waiting for Activation',
          requested_on: today,
          letter_issued_on: today,
          expires_on: addDays(today, 30),
          activated_on: '',
          ended_on: '',
        });
        expect(statSync(listingFile('A.0001', 'connections')).mode & 0o777).to.equal(0o640);
      },
    );

    it('cells a spreadsheet would run as a formula start with an apostrophe', () => {
      const { rows } = read(listingFile('A.0001', 'connections'));
      const dora = rows.find((r) => r.email === 'dora@example.com');
      expect(dora).to.include({ student: "'=Evil, Eve", person_name: "'=1+2 Doe" });
    });

    it('a student the authority may not see is not listed, and nothing in its files says one exists', async () => {
      const files = ['connections', 'changes'].map((name) => readFileSync(listingFile('A.0001', name), 'utf8'));
      for (const text of files) {
        for (const trace of [
          '100000004',
          '1000-0000-4',
          '100000005',
          '1000-0000-5',
          'Hidden',
          'Former',
          'hal@',
          'fern@',
        ])
          expect(text).to.not.contain(trace);
      }
      const [a2] = await writeConnectionListings(app, { authority: 'A.0002' });
      expect(a2?.connections).to.equal(4);
      expect(read(listingFile('A.0002', 'connections')).rows.map((r) => r.email)).to.deep.equal([
        'sue@example.com',
        'fern@example.com',
        'hal@example.com',
        'stu@example.com',
      ]);
    });

    it('an authority with no association has files with their header only', async () => {
      const [listing] = await writeConnectionListings(app, { authority: 'A.0230' });
      expect(listing).to.include({ connections: 0, changes: 0 });
      expect(readFileSync(listingFile('A.0230', 'connections'), 'utf8').trim().split('\n')).to.have.length(1);
      expect(readFileSync(listingFile('A.0230', 'changes'), 'utf8').trim().split('\n')).to.deep.equal([
        'when,change,school,asn,student,requester,relationship,person_name,email,by,detail',
      ]);
    });

    it(
      'every authority at once, as the scheduler runs it; an unknown authority or a day to come is ' + 'refused',
      async () => {
        const all = await writeConnectionListings(app);
        expect(all.map((l) => `${l.authority} ${l.connections}`)).to.deep.equal(['A.0001 7', 'A.0002 4', 'A.0230 0']);
        for (const options of [{ authority: 'A.0999' }, { day: addDays(today, 1) }, { day: '2026-02-30' }]) {
          const refused = await writeConnectionListings(app, options).then(
            () => null,
            (error: Error) => error,
          );
          expect(refused, JSON.stringify(options)).to.be.instanceOf(ListingRefusedError);
        }
      },
    );

    it(
      'intake connections export --authority A writes them now; exit 1 for an unknown authority, 64 for bad ' + 'usage',
      () => {
        const intake = intakeCommand(() => ({ database: app.url, home: app.home }));
        const run = intake('connections', 'export', '--authority', 'A.0001', '--json');
        expect(run.status, run.stderr).to.equal(0);
        const printed = JSON.parse(run.stdout) as { connections: number; connectionsFile: string; changesFile: string };
        expect(printed.connections).to.equal(7);
        expect(existsSync(printed.connectionsFile) && existsSync(printed.changesFile)).to.equal(true);
        const plain = intake('connections', 'export', '--authority', 'a.0002');
        expect(plain.status, plain.stderr).to.equal(0);
        expect(plain.stdout).to.contain(`connections-${today}.csv: 4 connections`);
        const unknown = intake('connections', 'export', '--authority', 'A.0999');
        expect(unknown.status).to.equal(1);
        expect(unknown.stderr).to.contain('A.0999 is not an authority');
        expect(intake('connections', 'export', '--authority', 'Edmonton').status).to.equal(64);
        expect(intake('connections', 'export').status).to.equal(64);
      },
    );

    it('a listing longer than a page is read and decided page by page, and stays whole and in order', async () => {
      // 10,500 more students with a connection each; every 20th is enrolled at A.0002 only (hidden from A.0001).
      await app.db.query(
        `insert into student (asn, last_name, first_name, match_key)
       select (200000000 + g)::text, 'Bulk' || lpad(g::text, 5, '0'), 'Kid', 'bulk|' || g from generate_series(1,
         10500) g`,
      );
      await app.db.query(
        `insert into enrolment (asn, school_code, entry_date, grade, enrolment_type)
       select (200000000 + g)::text, case when g % 20 = 0 then 'S.0201' else 'S.0102' end, $1::date - 100, '5',
         'Primary'
         from generate_series(1, 10500) g`,
        [today],
      );
      await app.db.query(
        `insert into connection (asn, school_code, authority_code, requester, relationship, person_name, email,
                               language,
                               status, created_by, status_changed_by)
       select (200000000 + g)::text, case when g % 20 = 0 then 'S.0201' else 'S.0102' end,
              case when g % 20 = 0 then 'A.0002' else 'A.0001' end, 'parent_guardian', 'Mother', 'Parent ' || g,
              'parent' || g || '@example.com', 'en', 'waiting', 'test', 'test'
         from generate_series(1, 10500) g`,
      );
      const [listing] = await writeConnectionListings(app, { authority: 'A.0001' });
      expect(listing?.connections).to.equal(7 + 9975);
      const { rows } = read(listingFile('A.0001', 'connections'));
      expect(rows).to.have.length(7 + 9975);
      const bulk = rows.filter((r) => r.student?.startsWith('Bulk'));
      expect(bulk.every((r) => r.school === 'S.0102' && Number(r.asn?.replaceAll('-', '')) % 20 !== 0)).to.equal(true);
      const names = bulk.map((r) => r.student);
      expect(names).to.deep.equal([...names].sort());
    });
  },
);
