import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { runFile } from '../pipelines/file-runner.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { kinds } from '../pipelines/kinds.ts';
import { startService } from '../pipelines/service.ts';
import { queues } from '../src/db/queue.ts';
import { registerClaimed } from '../src/files/claim.ts';
import { writeResultReport } from '../src/report/result-report.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count, csv, loadSmallReference, readReport, writeFiles } from './support/files.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('robustness: restarts, races, privacy, isolation', () => {
  let app: TestApp;
  let drop: string;
  before(async () => {
    app = await createTestApp({ 'processing.chunkRows': 2, 'processing.leaseSeconds': 1 });
    drop = path.join(app.home, 'drop');
    await loadSmallReference(app.db, path.join(app.home, 'reference'));
  });
  after(() => app.dispose());

  it('a file with a very long name is processed, its name shortened in the stem, never in the extension', async () => {
    const enrolment = (day: string) =>
      csv([
        ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
        ['100000003', 'S.0094', `2026-11-${day}`, '9', 'Primary'],
      ]);
    for (const [name, day] of [
      [`${'x'.repeat(240)}.csv`, '01'],
      [`${'注册'.repeat(40)}.csv`, '02'],
    ] as const) {
      const file = path.join(writeFiles(drop, { [name]: enrolment(day) }), name);
      const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
      expect(result.outcome, name).to.equal('processed');
      if (result.outcome !== 'processed') continue;
      expect(result.file.originalName.endsWith('.csv')).to.equal(true);
      expect(Buffer.byteLength(result.file.originalName)).to.be.at.most(150);
      expect(readReport(result.file.reportPath as string)[0]?.code).to.equal('ENROLMENT_CREATED');
    }
  });

  it('XML records sharing one line are each applied once, across chunk boundaries', async () => {
    const record = (day: string) =>
      '<enrolment><asn>100000003</asn><school_code>S.0094</school_code>' +
      `<entry_date>2026-10-${day}</entry_date><grade>9</grade><enrolment_type>Primary</enrolment_type></enrolment>`;
    const file = path.join(
      writeFiles(drop, {
        'one-line.xml': `<enrolments>${['01', '02', '03', '04', '05'].map(record).join('')}</enrolments>`,
      }),
      'one-line.xml',
    );
    const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    if (result.outcome !== 'processed') throw new Error(result.outcome);
    expect(result.file).to.include({ accepted: 5, invalid: 0 });
    expect(
      await count(app.db, "select count(*) n from enrolment where entry_date between '2026-10-01' and '2026-10-05'"),
    ).to.equal(5);
    expect(
      readReport(result.file.reportPath as string)
        .filter((r) => r.status !== 'summary')
        .map((r) => r.line),
    ).to.deep.equal(['1', '1', '1', '1', '1']);
  });

  it('keeps Student Records referrals for years, not the queue default of 14 days', async () => {
    const file = path.join(
      writeFiles(drop, {
        'refer.csv': csv([
          ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
          ['100000001', 'S.0094', '2026-10-10', '7', 'Primary'],
        ]),
      }),
      'refer.csv',
    );
    await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    const kept = await app.db.query<{ years: number }>(
      `select extract(year from age(keep_until, now()))::int years from pgboss.job where name = $1`,
      [queues.studentRecords],
    );
    expect(kept.rows).to.have.length(1);
    expect(kept.rows[0]?.years).to.be.at.least(9);
  });

  it(
    'a run that stopped after moving the file to the archive is finished by the next run, applying nothing ' + 'twice',
    async () => {
      const file = path.join(
        writeFiles(drop, {
          'moved.csv': csv([
            ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
            ['100000003', 'S.0094', '2026-10-20', '9', 'Primary'],
          ]),
        }),
        'moved.csv',
      );
      const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
      if (result.outcome !== 'processed') throw new Error(result.outcome);
      const claimedPath = path.join(app.home, 'claimed/A.0094/enrolment', path.basename(result.file.storedPath));
      // The state a crash between the move and its record leaves: still "processing", path in claimed/.
      await app.db.query(
        "update intake_file set status = 'processing', stored_path = $2, lease_owner = 'dead', lease_until = " +
          "now() - interval '1 minute' where id = $1",
        [result.file.id, claimedPath],
      );
      const again = await runFile(app, result.file.id, kinds);
      expect(again).to.include({ status: 'done', accepted: 1, storedPath: result.file.storedPath });
      expect(await count(app.db, "select count(*) n from enrolment where entry_date = '2026-10-20'")).to.equal(1);
      expect(await count(app.db, 'select count(*) n from row_outcome where file_id = $1', [result.file.id])).to.equal(
        1,
      );
    },
  );

  it('two sweeps recording the same orphan leave it recorded once and in place', async () => {
    const claimed = path.join(
      writeFiles(path.join(app.home, 'claimed/A.0094/enrolment'), {
        '20261124T000001-0000aaaa__orphan2.csv':
          'asn,school_code,entry_date,grade,enrolment_type\n100000003,S.0094,2026-10-21,9,Primary\n',
      }),
      '20261124T000001-0000aaaa__orphan2.csv',
    );
    const results = await Promise.all(
      [1, 2].map(() =>
        registerClaimed({ ...app, boss: null }, claimed, 'A.0094', 'enrolment', 'orphan2.csv', '2026-09-15'),
      ),
    );
    expect(results.map((r) => r.outcome).sort()).to.deep.equal(['duplicate', 'registered']);
    expect(existsSync(claimed)).to.equal(true);
    expect(existsSync(path.join(app.home, 'outbox/A.0094/orphan2.csv.duplicate.txt'))).to.equal(false);
  });

  it("reports the ASN as submitted: a secondary ASN's primary is never revealed", async () => {
    const file = path.join(
      writeFiles(drop, {
        'secondary.csv': csv([
          ['asn', 'school_code', 'entry_date', 'exit_date', 'grade', 'enrolment_type'],
          ['100000002', 'S.0001', '2025-09-01', '2026-06-30', '6', 'Primary'],
        ]),
      }),
      'secondary.csv',
    );
    const result = await ingestFile(app, file, 'A.0001', 'enrolment', '2026-09-15');
    if (result.outcome !== 'processed') throw new Error(result.outcome);
    const [row] = readReport(result.file.reportPath as string);
    expect(row).to.include({ code: 'ENROLMENT_UPDATED', asn: '1000-0000-2' });
  });

  it("a file refused for its header keeps the header's content out of the log", async () => {
    const file = path.join(
      writeFiles(drop, { 'no-header.csv': '100000003,S.0094,2026-10-22,9,Primary,Tremblay,Éloïse\n' }),
      'no-header.csv',
    );
    const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    expect(result.outcome).to.equal('refused');
    expect(readFileSync(path.join(app.home, 'outbox/A.0094/no-header.csv.error.txt'), 'utf8')).to.contain('tremblay');
    const logFile = path.join(app.home, 'log/intake.log');
    for (let i = 0; i < 50 && !readFileSync(logFile, 'utf8').includes('file refused'); i++) await sleep(50);
    const log = readFileSync(logFile, 'utf8');
    expect(log).to.contain('file refused');
    expect(log.toLowerCase()).to.not.contain('tremblay').and.not.contain('100000003');
  });

  it('a run that stopped while refusing a file finishes the refusal with its first reason', async () => {
    const file = path.join(
      writeFiles(drop, { 'colour.csv': 'asn,school_code,entry_date,colour\n100000003,S.0094,2026-10-26,blue\n' }),
      'colour.csv',
    );
    const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    if (result.outcome !== 'refused' || !result.file) throw new Error(result.outcome);
    const claimedPath = path.join(app.home, 'claimed/A.0094/enrolment', path.basename(result.file.storedPath));
    await app.db.query(
      "update intake_file set status = 'processing', stored_path = $2, lease_owner = 'dead', lease_until = " +
        "now() - interval '1 minute' where id = $1",
      [result.file.id, claimedPath],
    );
    const again = await runFile(app, result.file.id, kinds);
    expect(again).to.include({ status: 'failed', storedPath: result.file.storedPath });
    expect(again?.error).to.match(/unknown column "colour"/);
  });

  it('a refused file does not hold its content: sent again to the right place, it is processed', async () => {
    const content = csv([
      ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
      ['100000003', 'S.0094', '2026-10-27', '9', 'Primary'],
    ]);
    const file = path.join(writeFiles(drop, { 'resend.csv': content }), 'resend.csv');
    expect((await ingestFile(app, file, 'A.0094', 'access', '2026-09-15')).outcome).to.equal('refused');
    const again = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    expect(again.outcome).to.equal('processed');
  });

  it('the same new student asked for by two files at once is created once', async () => {
    const person = (day: string) =>
      csv([
        ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type', 'last_name', 'first_name', 'birth_date'],
        ['', 'S.0001', `2026-10-${day}`, '2', 'Primary', 'Okafor', 'Adaeze', '2019-04-04'],
      ]);
    const files = [
      path.join(writeFiles(path.join(drop, 'x'), { 'twin-a.csv': person('28') }), 'twin-a.csv'),
      path.join(writeFiles(path.join(drop, 'y'), { 'twin-b.csv': person('29') }), 'twin-b.csv'),
    ];
    const results = await Promise.all(files.map((f) => ingestFile(app, f, 'A.0001', 'enrolment', '2026-09-15')));
    const codes = results
      .map((r) => (r.outcome === 'processed' ? readReport(r.file.reportPath as string)[0]?.code : r.outcome))
      .sort();
    expect(codes).to.deep.equal(['DUPLICATE_STUDENT', 'STUDENT_CREATED']);
    expect(await count(app.db, "select count(*) n from student where last_name = 'Okafor'")).to.equal(1);
  });

  it('two runs of one file in one process: one works it, the other stands back', async () => {
    const claimed = path.join(
      writeFiles(path.join(app.home, 'claimed/A.0094/enrolment'), {
        '20261124T000002-0000bbbb__twice.csv':
          'asn,school_code,entry_date,grade,enrolment_type\n100000003,S.0094,2026-10-30,9,Primary\n',
      }),
      '20261124T000002-0000bbbb__twice.csv',
    );
    const registered = await registerClaimed(
      { ...app, boss: null },
      claimed,
      'A.0094',
      'enrolment',
      'twice.csv',
      '2026-09-15',
    );
    if (registered.outcome !== 'registered') throw new Error(registered.outcome);
    const runs = await Promise.all([runFile(app, registered.file.id, kinds), runFile(app, registered.file.id, kinds)]);
    expect(runs.filter((r) => r === null)).to.have.length(1);
    expect(await count(app.db, "select count(*) n from enrolment where entry_date = '2026-10-30'")).to.equal(1);
    expect(await count(app.db, 'select count(*) n from row_outcome where file_id = $1', [registered.file.id])).to.equal(
      1,
    );
  });

  it('gives two files of the same name two reports', async () => {
    const first = path.join(
      writeFiles(path.join(drop, 'a'), {
        'daily.csv': csv([
          ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
          ['100000003', 'S.0094', '2026-10-23', '9', 'Primary'],
        ]),
      }),
      'daily.csv',
    );
    const second = path.join(
      writeFiles(path.join(drop, 'b'), {
        'daily.csv': csv([
          ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
          ['100000003', 'S.0094', '2026-10-24', '9', 'Primary'],
        ]),
      }),
      'daily.csv',
    );
    const results = await Promise.all(
      [first, second].map((f) => ingestFile(app, f, 'A.0094', 'enrolment', '2026-09-15')),
    );
    const paths = results
      .map((r) => (r.outcome === 'processed' ? path.basename(r.file.reportPath as string) : r.outcome))
      .sort();
    expect(paths).to.deep.equal(['daily.csv.2.results.csv', 'daily.csv.results.csv']);
  });

  it('writes report cells that cannot run as spreadsheet formulas', async () => {
    const file = await app.db.query<{ id: string }>(
      'insert into intake_file (authority_code, kind, original_name, format, sha256, size_bytes, stored_path, ' +
        "as_of) values ('A.0094', 'enrolment', 'f.csv', 'csv', 'x', 1, '/nowhere', '2026-09-15') returning id",
    );
    await app.db.query("update intake_file set status = 'done' where id = $1", [file.rows[0]?.id]);
    const id = Number(file.rows[0]?.id);
    await app.db.query(
      'insert into row_outcome_chunk (file_id, first_record, lines, statuses, codes, messages, asns) values ' +
        '($1, 0, $2, $3, $4, $5, $6)',
      [id, [2], ['invalid'], ['INVALID_FIELD'], ['=HYPERLINK("http://x")'], [null]],
    );
    const target = path.join(app.home, 'outbox/A.0094/formula.results.csv');
    await writeResultReport(app.db, id, path.join(app.home, 'outbox'), target);
    expect(readReport(target)[0]?.message).to.equal(`'=HYPERLINK("http://x")`);
  });

  it("never takes a file through an authority folder that links to another authority's folder", async () => {
    const service = await startService(app);
    try {
      const realFolder = path.join(app.home, 'inbox/A.0001/enrolment');
      const linked = path.join(app.home, 'inbox/A.0230/enrolment');
      // A.0230's enrolment folder replaced by a link to A.0001's.
      await import('node:fs/promises').then((fs) => fs.rm(linked, { recursive: true, force: true }));
      mkdirSync(path.dirname(linked), { recursive: true });
      symlinkSync(realFolder, linked);
      writeFileSync(
        path.join(realFolder, 'mine.csv'),
        csv([
          ['asn', 'school_code', 'entry_date', 'grade', 'enrolment_type'],
          ['100000003', 'S.0001', '2026-10-25', '9', 'Primary'],
        ]),
      );
      const outbox = path.join(app.home, 'outbox');
      for (let i = 0; i < 100 && !existsSync(path.join(outbox, 'A.0001/mine.csv.results.csv')); i++) await sleep(100);
      expect(existsSync(path.join(outbox, 'A.0001/mine.csv.results.csv'))).to.equal(true);
      expect(
        existsSync(path.join(outbox, 'A.0230')) &&
          readdirSync(path.join(outbox, 'A.0230')).some((n) => n.startsWith('mine')),
      ).to.equal(false);
    } finally {
      await service.stop();
    }
  });
});

describe('chunks see what earlier chunks of the same file wrote (one row per chunk)', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ 'processing.chunkRows': 1 });
    await loadSmallReference(app.db, path.join(app.home, 'reference'));
  });
  after(() => app.dispose());

  it('creates, refuses a second copy, updates, deletes and then finds nothing to delete', async () => {
    const file = path.join(
      writeFiles(path.join(app.home, 'drop'), {
        'sequence.csv': csv([
          [
            'asn',
            'school_code',
            'entry_date',
            'exit_date',
            'grade',
            'enrolment_type',
            'last_name',
            'first_name',
            'birth_date',
            'action',
          ],
          ['', 'S.0094', '2026-11-01', '', '3', 'Primary', 'Tremblay', 'Zoé', '2018-01-01', ''],
          ['', 'S.0094', '2026-11-01', '', '3', 'Primary', 'TREMBLAY', 'Zoe', '2018-01-01', ''],
          ['100000003', 'S.0094', '2026-11-02', '', '9', 'Primary', '', '', '', ''],
          ['100000003', 'S.0094', '2026-11-02', '2026-11-30', '9', 'Primary', '', '', '', ''],
          ['100000003', 'S.0094', '2026-11-02', '', '', '', '', '', '', 'delete'],
          ['100000003', 'S.0094', '2026-11-02', '', '', '', '', '', '', 'delete'],
        ]),
      }),
      'sequence.csv',
    );
    const result = await ingestFile(app, file, 'A.0094', 'enrolment', '2026-09-15');
    if (result.outcome !== 'processed') throw new Error(result.outcome);
    expect(
      readReport(result.file.reportPath as string)
        .filter((r) => r.status !== 'summary')
        .map((r) => r.code),
    ).to.deep.equal([
      'STUDENT_CREATED',
      'POTENTIAL_DUPLICATE',
      'ENROLMENT_CREATED',
      'ENROLMENT_UPDATED',
      'ENROLMENT_DELETED',
      'ENROLMENT_NOT_FOUND',
    ]);
    const row = await app.db.query(
      "select exit_date::text, deleted from enrolment where asn = '100000003' and entry_date = '2026-11-02'",
    );
    expect(row.rows).to.deep.equal([{ exit_date: '2026-11-30', deleted: true }]);
  });
});
