import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ingestFile } from '../pipelines/ingest.ts';
import { queues } from '../src/db/queue.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count, csv, loadSmallReference, readReport, writeFiles } from './support/files.ts';

const header = [
  'asn',
  'school_code',
  'entry_date',
  'exit_date',
  'grade',
  'enrolment_type',
  'last_name',
  'first_name',
  'middle_name',
  'birth_date',
  'action',
];

describe('enrolment pipeline, end to end', () => {
  let app: TestApp;
  let drop: string;
  before(async () => {
    app = await createTestApp();
    drop = path.join(app.home, 'drop');
    await loadSmallReference(app.db, path.join(app.home, 'reference'));
  });
  after(() => app.dispose());

  it('accepts, refers and rejects rows, writes accepted rows, and reports every line', async () => {
    const file = path.join(
      writeFiles(drop, {
        'september.csv': csv([
          header,
          ['100000003', 'S.0094', '2026-09-02', '', '9', 'Primary', '', '', '', '', ''],
          ['1000-0000-1', 'S.0094', '2026-09-02', '', '7', 'Primary', '', '', '', '', ''],
          ['', '0094', '2026-09-02', '', '07', 'Primary', 'Nguyễn', 'Minh', '', '2013-03-03', ''],
          ['999999999', 'S.0094', '2026-09-02', '', '7', 'Primary', '', '', '', '', ''],
          ['100000003', 'S.0001', '2026-09-02', '', '9', 'Primary', '', '', '', '', ''],
          ['100000003', 'S.0094', '2026-02-30', '', '14', 'Primary', '', '', '', '', ''],
        ]),
      }),
      'september.csv',
    );
    const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    expect(result.outcome).to.equal('processed');
    if (result.outcome !== 'processed') return;
    expect(result.file).to.include({ accepted: 2, referred: 2, invalid: 2 });

    const report = readReport(result.file.reportPath as string);
    expect(report.slice(0, 6).map((r) => [r.line, r.status, r.code])).to.deep.equal([
      ['2', 'accepted', 'ENROLMENT_CREATED'],
      ['3', 'referred', 'NOT_ACCESSIBLE'],
      ['4', 'accepted', 'STUDENT_CREATED'],
      ['5', 'referred', 'NOT_ACCESSIBLE'],
      ['6', 'invalid', 'SCHOOL_NOT_IN_AUTHORITY'],
      ['7', 'invalid', 'INVALID_DATE'],
    ]);
    // An existing inaccessible student and an unknown ASN read exactly alike.
    expect(report[1]?.message.replace('1000-0000-1', 'X')).to.equal(report[3]?.message.replace('9999-9999-9', 'X'));
    expect(report[6]).to.include({ status: 'summary', code: 'TOTAL', message: '6 rows' });
    expect(report[2]?.asn).to.match(/^2\d{3}-\d{4}-\d$/);
    // A row that fails its checks still shows the ASN it was sent with.
    expect(report[5]).to.include({ code: 'INVALID_DATE', asn: '1000-0000-3' });

    expect(
      await count(
        app.db,
        "select count(*) n from enrolment where school_code = 'S.0094' and entry_date = '2026-09-02'",
      ),
    ).to.equal(2);
    const created = await app.db.query("select created_by, first_name from student where last_name = 'Nguyễn'");
    expect(created.rows).to.deep.equal([{ created_by: 'A.0094', first_name: 'Minh' }]);
    expect(existsSync(path.join(app.home, 'archive/A.0094/enrolment'))).to.equal(true);
  });

  it('queues each referral for Student Records with its true reason and what the rules saw', async () => {
    const jobs = await app.db.query<{
      data: {
        reason: string;
        reportedCode: string;
        line: number;
        fileName: string;
        authorityCode: string;
        row: { asn: string };
        saw: { restriction: string };
      };
    }>(`select data from pgboss.job where name = $1 order by (data->>'line')::int`, [queues.studentRecords]);
    expect(jobs.rows.map((j) => [j.data.line, j.data.reason, j.data.reportedCode])).to.deep.equal([
      [3, 'NO_HISTORICAL_ENROLMENT', 'NOT_ACCESSIBLE'],
      [5, 'UNKNOWN_ASN', 'NOT_ACCESSIBLE'],
    ]);
    expect(jobs.rows[0]?.data).to.include({ fileName: 'september.csv', authorityCode: 'A.0094' });
    expect(jobs.rows[0]?.data.row.asn).to.equal('100000001');
    expect(jobs.rows[0]?.data.saw.restriction).to.equal('low');
  });

  it('processes the same content once: a repeat is reported as a duplicate and not applied', async () => {
    const again = path.join(
      writeFiles(drop, { 'september-again.csv': readFileSync(path.join(drop, 'september.csv')) }),
      'september-again.csv',
    );
    const before = await count(app.db, 'select count(*) n from row_outcome');
    const result = await ingestFile(app, again, 'A.0094', 'enrolment', '2026-09-15');
    expect(result.outcome).to.equal('duplicate');
    expect(await count(app.db, 'select count(*) n from row_outcome')).to.equal(before);
    expect(readFileSync(path.join(app.home, 'outbox/A.0094/september-again.csv.duplicate.txt'), 'utf8')).to.match(
      /same content as september\.csv/,
    );
  });

  it('a regular authority: external access is accepted and audited, an unknown ASN is invalid', async () => {
    const file = path.join(
      writeFiles(drop, {
        'regular.csv': csv([
          ['ASN', 'School_Code', 'Entry_Date', 'Grade', 'Enrolment_Type'],
          ['100000003', 'S.0001', '2026-09-03', '9', 'Primary'],
          ['999999998', 'S.0001', '2026-09-03', '9', 'Primary'],
        ]),
      }),
      'regular.csv',
    );
    const result = await ingestFile(app, file, 'A.0001', 'enrolment', '2026-09-15');
    if (result.outcome !== 'processed') throw new Error(result.outcome);
    expect(
      readReport(result.file.reportPath as string)
        .slice(0, 2)
        .map((r) => r.code),
    ).to.deep.equal(['ENROLMENT_CREATED', 'UNKNOWN_ASN']);
    expect(
      await count(
        app.db,
        "select count(*) n from audit_log where action = 'external_access' and asn = '100000003' and actor = 'A.0001'",
      ),
    ).to.equal(1);
  });

  it("a secondary ASN updates its primary's enrolment, and a delete marks it deleted", async () => {
    const file = path.join(
      writeFiles(drop, {
        'updates.csv': csv([
          ['asn', 'school_code', 'entry_date', 'exit_date', 'grade', 'enrolment_type', 'action'],
          ['100000002', 'S.0001', '2025-09-01', '2026-06-30', '6', 'Primary', ''],
          ['100000001', 'S.0001', '2025-09-01', '', '', '', 'delete'],
          ['100000001', 'S.0001', '2020-09-01', '', '', '', 'delete'],
        ]),
      }),
      'updates.csv',
    );
    const result = await ingestFile(app, file, 'A.0001', 'enrolment', '2026-09-15');
    if (result.outcome !== 'processed') throw new Error(result.outcome);
    expect(
      readReport(result.file.reportPath as string)
        .slice(0, 3)
        .map((r) => r.code),
    ).to.deep.equal(['ENROLMENT_UPDATED', 'ENROLMENT_DELETED', 'ENROLMENT_NOT_FOUND']);
    const row = await app.db.query(
      "select exit_date::text, deleted from enrolment where asn = '100000001' and school_code = 'S.0001'",
    );
    expect(row.rows).to.deep.equal([{ exit_date: '2026-06-30', deleted: true }]);
  });

  it('reads the XML format the same way', async () => {
    const file = path.join(
      writeFiles(drop, {
        'enrolments.xml': [
          '<?xml version="1.0" encoding="UTF-8"?>',
          '<enrolments>',
          '  <enrolment><asn>100000003</asn><school_code>S.0094</school_code><entry_date>2026-09-04</entry_date>' +
            '<grade>9</grade><enrolment_type>Primary</enrolment_type></enrolment>',
          '  <enrolment>',
          '    <asn/><school_code>S.0094</school_code><entry_date>2026-09-04</entry_date><grade>K</grade>' +
            '<enrolment_type>Primary</enrolment_type>',
          '    <last_name>O&apos;Brien &amp; ' +
            'Kanatsiak</last_name><first_name><![CDATA[Siqiniq]]></first_name><birth_date>2021-01-01</birth_date>',
          '  </enrolment>',
          '</enrolments>',
        ].join('\n'),
      }),
      'enrolments.xml',
    );
    const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    if (result.outcome !== 'processed') throw new Error(result.outcome);
    expect(
      readReport(result.file.reportPath as string)
        .slice(0, 2)
        .map((r) => [r.line, r.code]),
    ).to.deep.equal([
      ['3', 'ENROLMENT_CREATED'],
      ['4', 'STUDENT_CREATED'],
    ]);
    expect(
      await count(
        app.db,
        "select count(*) n from student where last_name = 'O''Brien & Kanatsiak' and first_name = 'Siqiniq'",
      ),
    ).to.equal(1);
  });

  it('refuses files that cannot be read, touching nothing, with a readable reason', async () => {
    const cases: Record<string, string | Buffer> = {
      'empty.csv': '',
      'junk.csv': Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0xff, 0xfe]),
      'latin1.csv': Buffer.concat([
        Buffer.from('asn,school_code,entry_date,last_name\n100000003,S.0094,2026-09-02,'),
        Buffer.from([0xe9, 0x0a]),
      ]),
      'missing-columns.csv': 'asn,grade\n100000003,9\n',
      'unknown-column.csv': 'asn,school_code,entry_date,shool\n100000003,S.0094,2026-09-02,x\n',
      'bomb.xml':
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 ' +
        '"&lol;&lol;&lol;&lol;">]>\n<enrolments><enrolment><asn>&lol2;</asn></enrolment></enrolments>\n',
      'truncated.xml':
        '<enrolments>\n<enrolment><asn>100000003</asn><school_code>S.0094</school_code>' +
        '<entry_date>2026-09-09</entry_date><grade>9</grade><enrolment_type>Primary</enrolment_type></enrolment>\n' +
        '<enrolment><asn>1000',
      'notes.txt': 'hello\n',
    };
    writeFiles(drop, cases);
    const before = await count(app.db, 'select count(*) n from enrolment');
    for (const name of Object.keys(cases)) {
      const result = await ingestFile(app, path.join(drop, name), 'A.0094', 'enrolment', '2026-09-15');
      expect(result.outcome, name).to.equal('refused');
      const error = readFileSync(path.join(app.home, 'outbox/A.0094', `${name}.error.txt`), 'utf8');
      expect(error, name).to.match(/no row of it was applied/);
    }
    expect(await count(app.db, 'select count(*) n from enrolment')).to.equal(before);
    const failed = readdirSync(path.join(app.home, 'failed/A.0094/enrolment'));
    expect(failed.filter((n) => n.endsWith('.error.txt'))).to.have.length(Object.keys(cases).length);
    expect(readFileSync(path.join(app.home, 'outbox/A.0094/missing-columns.csv.error.txt'), 'utf8')).to.match(
      /missing columns "school_code", "entry_date"/,
    );
    expect(readFileSync(path.join(app.home, 'outbox/A.0094/bomb.xml.error.txt'), 'utf8')).to.match(/DOCTYPE/);
  });

  it('one bad row never stops a file: stray quotes, wrong field counts and a BOM', async () => {
    const text =
      '\uFEFFasn,school_code,entry_date,grade,enrolment_type\n' +
      '100000003,S.0094,2026-09-05,9,Primary\n' +
      '"100000003,S.0094,2026-09-06,9,Primary\n' +
      '100000003,S.0094,2026-09-07,9\n' +
      '100000003,S.0094,2026-09-08,9,"Prim"ary"\n' +
      '100000003,S.0094,2026-09-09,9,Primary\n';
    const file = path.join(writeFiles(drop, { 'quotes.csv': text }), 'quotes.csv');
    const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    if (result.outcome !== 'processed') throw new Error(result.outcome);
    const report = readReport(result.file.reportPath as string);
    expect(report.slice(0, 5).map((r) => [r.line, r.status, r.code])).to.deep.equal([
      ['2', 'accepted', 'ENROLMENT_CREATED'],
      ['3', 'invalid', 'MALFORMED_ROW'],
      ['4', 'invalid', 'MALFORMED_ROW'],
      // Text after a closing quote: never read as a value ("Prim" + 'ary"').
      ['5', 'invalid', 'MALFORMED_ROW'],
      ['6', 'accepted', 'ENROLMENT_CREATED'],
    ]);
    expect(report[1]?.message).to.match(/line 3 .*double quote/);
    expect(report[3]?.message).to.match(/line 5 has a double quote inside a value/);
  });

  it('keeps report cells from being read as spreadsheet formulas', async () => {
    const file = path.join(
      writeFiles(drop, {
        'formula.csv':
          'asn,school_code,entry_date,grade,enrolment_type\n100000003,S.0094,2026-09-10,"=HYPERLINK(""x"")",Primary\n',
      }),
      'formula.csv',
    );
    const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    if (result.outcome !== 'processed') throw new Error(result.outcome);
    const content = readFileSync(result.file.reportPath as string, 'utf8');
    expect(content).to.not.match(/(^|,)"?=/m);
    expect(readReport(result.file.reportPath as string)[0]?.message).to.match(/^grade '=HYPERLINK/);
  });
});
