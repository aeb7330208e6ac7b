import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { ChunkSettings, PreparedChunk } from '../pipelines/chunk.ts';
import { enrolmentKind } from '../pipelines/enrolment.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { Database } from '../src/db/database.ts';
import type { IntakeFile } from '../src/files/registry.ts';
import type { ParsedItem } from '../src/formats/records.ts';
import { loadReferenceCache } from '../src/reference/reference-cache.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count, csv, loadSmallReference, writeFiles } from './support/files.ts';

const columns = [
  'asn',
  'school_code',
  'entry_date',
  'grade',
  'enrolment_type',
  'last_name',
  'first_name',
  'birth_date',
];
const newStudent = (entryDate: string) =>
  ['', 'S.0094', entryDate, '4', 'Primary', 'Lopez', 'Ana', '2016-05-05'] as const;

/** A file to hang chunks on (its id), and the settings a run of it would have. */
async function hostFile(app: TestApp, name: string): Promise<{ file: IntakeFile; settings: ChunkSettings }> {
  const written = writeFiles(path.join(app.home, 'drop', name), { [`${name}.csv`]: csv([columns, [name]]) });
  const host = await ingestFile(app, path.join(written, `${name}.csv`), 'A.0094', 'enrolment', '2026-09-15');
  if (host.outcome !== 'processed') throw new Error(host.outcome);
  const reference = await loadReferenceCache(app.db);
  const authority = reference.authorities.get('A.0094');
  if (!authority) throw new Error('A.0094 is not loaded');
  return {
    file: host.file,
    settings: {
      authority,
      schools: reference.schoolAuthority,
      windows: app.config.rules,
      institutionDomains: reference.institutionDomains,
      connectionExpiryDays: app.config.connections.expiryDays,
      boss: app.boss,
    },
  };
}

const recordOf = (row: readonly string[]): ParsedItem => ({
  kind: 'record',
  record: { line: 2, fields: Object.fromEntries(columns.map((c, i) => [c, row[i] ?? ''])) },
});

/**
 * A chunk is decided ahead, while the chunk before it commits; its transaction takes the match
 * keys' locks and decides it again if what it was decided on changed meanwhile.
 */
describe('a chunk decided ahead of its transaction', () => {
  let app: TestApp;
  let drop: string;
  before(async () => {
    app = await createTestApp();
    drop = path.join(app.home, 'drop');
    await loadSmallReference(app.db, path.join(app.home, 'reference'));
  });
  after(() => app.dispose());

  it('is decided again when another file created the same new student after it was decided', async () => {
    const { file, settings } = await hostFile(app, 'first');
    const prepared = await enrolmentKind.prepareChunk(app.db, file, [recordOf(newStudent('2026-09-02'))], settings);

    // Meanwhile, another file asks for the same person and commits first.
    const other = path.join(
      writeFiles(path.join(drop, 'b'), { 'other.csv': csv([columns, [...newStudent('2026-09-03')]]) }),
      'other.csv',
    );
    expect((await ingestFile(app, other, 'A.0094', 'enrolment', '2026-09-15')).outcome).to.equal('processed');

    const outcomes = await app.db.transaction((client) => prepared.apply(client, 100));
    expect(outcomes.map((o) => [o.line, o.status, o.code])).to.deep.equal([[2, 'referred', 'POTENTIAL_DUPLICATE']]);
    expect(await count(app.db, "select count(*) n from student where last_name = 'Lopez'")).to.equal(1);
  });

  it('stands when nothing it was decided on changed', async () => {
    const { file, settings } = await hostFile(app, 'second');
    const row = ['', 'S.0094', '2026-09-04', '4', 'Primary', 'Haddad', 'Omar', '2016-06-06'];
    const prepared = await enrolmentKind.prepareChunk(app.db, file, [recordOf(row)], settings);
    const nextAsn = () => count(app.db, 'select next_value as n from asn_range');
    const takenAhead = await nextAsn();
    const outcomes = await app.db.transaction((client) => prepared.apply(client, 100));
    expect(outcomes.map((o) => [o.line, o.status, o.code])).to.deep.equal([[2, 'accepted', 'STUDENT_CREATED']]);
    // Not decided again: no second ASN was taken, and the student has the one taken ahead.
    expect(await nextAsn()).to.equal(takenAhead);
    expect(
      await count(app.db, "select count(*) n from student where last_name = 'Haddad' and asn::bigint < $1", [
        takenAhead,
      ]),
    ).to.equal(1);
    expect(await count(app.db, "select count(*) n from student where last_name = 'Haddad'")).to.equal(1);
  });

  it('is decided again when the chunk it was decided after was not written', async () => {
    const { file, settings } = await hostFile(app, 'third');
    const enrol = (grade: string) => ['100000003', 'S.0094', '2026-10-05', grade, 'Primary', '', '', ''];
    await enrolmentKind.prepareChunk(app.db, file, [recordOf(enrol('4'))], settings);
    // Decided on the first chunk's enrolment, which is then never written.
    const second = await enrolmentKind.prepareChunk(app.db, file, [recordOf(enrol('5'))], settings);
    const outcomes = await app.db.transaction((client) => second.apply(client, 200));
    expect(outcomes.map((o) => [o.line, o.status, o.code])).to.deep.equal([[2, 'accepted', 'ENROLMENT_CREATED']]);
  });

  it('a chunk decided while the one before it is decided again waits for that, and stands', async () => {
    const { file, settings } = await hostFile(app, 'fourth');
    const person = (entryDate: string) => ['', 'S.0094', entryDate, '4', 'Primary', 'Moreau', 'Lea', '2016-07-07'];
    const first = await enrolmentKind.prepareChunk(app.db, file, [recordOf(person('2026-09-02'))], settings);
    let second: PreparedChunk;
    const other = path.join(
      writeFiles(path.join(drop, 'd'), { 'rival.csv': csv([columns, person('2026-09-03')]) }),
      'rival.csv',
    );
    expect((await ingestFile(app, other, 'A.0094', 'enrolment', '2026-09-15')).outcome).to.equal('processed');

    // The first chunk's transaction waits for its name's lock (held here a moment), then is
    // decided again; the second chunk is decided ahead meanwhile.
    const holder = new Database(app.url, 1);
    const held = await holder.pool.connect();
    try {
      await held.query("select pg_advisory_lock(hashtext('lea|moreau|2016-07-07'))");
      const applyingFirst = app.db.transaction((client) => first.apply(client, 300));
      const row = ['', 'S.0094', '2026-09-05', '4', 'Primary', 'Kim', 'Min', '2016-08-08'];
      const deciding = enrolmentKind.prepareChunk(app.db, file, [recordOf(row)], settings);
      await sleep(300);
      await held.query("select pg_advisory_unlock(hashtext('lea|moreau|2016-07-07'))");
      second = await deciding;
      expect((await applyingFirst).map((o) => o.code)).to.deep.equal(['POTENTIAL_DUPLICATE']);
    } finally {
      held.release();
      await holder.close();
    }
    const nextAsn = () => count(app.db, 'select next_value as n from asn_range');
    const takenAhead = await nextAsn();
    const outcomes = await app.db.transaction((client) => second.apply(client, 301));
    expect(outcomes.map((o) => o.code)).to.deep.equal(['STUDENT_CREATED']);
    // It stood: decided on the first chunk's final changes, it took no second ASN.
    expect(await nextAsn()).to.equal(takenAhead);
  });
});
