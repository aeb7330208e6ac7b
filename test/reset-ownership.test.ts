import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { resolveItem } from '../pipelines/student-records.ts';
import { listOpenItems } from '../src/queue/queue-queries.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { readReport } from './support/files.ts';
import { ingestAccess, loadListingWorld, students } from './support/listing-world.ts';

/**
 * A reset or replace by another authority must not take a family's connection from the school that set it up
 * (docs/rules.md §4).
 */
describe('who may reset or revoke a connection, through files and the queue (docs/rules.md §4)', function () {
  this.timeout(120_000);
  let app: TestApp;
  const sue = async () =>
    (
      await app.db.query<{ school_code: string; authority_code: string; issue: number; reset_at: Date | null }>(
        `select school_code, authority_code, issue, reset_at from connection where email = 'sue@example.com' ` +
          `and status = 'waiting'`,
      )
    ).rows;
  const lettersOf = (authority: string, fileId: number) => {
    const folder = path.join(app.home, 'outbox', authority, 'letters');
    return existsSync(folder) ? readdirSync(folder).filter((name) => name.includes(`.${fileId}.`)) : [];
  };

  before(async () => {
    app = await createTestApp();
    await loadListingWorld(app.db, path.join(app.home, 'reference'));
    await ingestAccess(
      app,
      'set-up.csv',
      [`create,${students.shared},S.0101,parent_guardian,Mother,Sue Shared,sue@example.com,en,`],
      'A.0001',
    );
  });
  after(() => app.dispose());

  it(
    "another authority's reset is referred CONNECTION_OF_ANOTHER_AUTHORITY: the connection, its PIN and its " +
      'letters stay',
    async () => {
      const file = await ingestAccess(
        app,
        'other-reset.csv',
        [`reset,${students.shared},S.0201,,,,sue@example.com,,`],
        'A.0002',
      );
      const [row] = readReport(file.reportPath as string);
      expect(row).to.include({ status: 'referred', code: 'CONNECTION_OF_ANOTHER_AUTHORITY', asn: '1000-0000-6' });
      expect(row?.message)
        .to.contain('set up by school S.0101 of another authority')
        .and.to.contain('nothing was changed');
      expect(await sue()).to.deep.equal([
        { school_code: 'S.0101', authority_code: 'A.0001', issue: 1, reset_at: null },
      ]);
      expect(lettersOf('A.0002', file.id)).to.deep.equal([]);
      const items = await listOpenItems(app.db, { reason: 'CONNECTION_OF_ANOTHER_AUTHORITY' }, 10);
      expect(items.items.map((i) => `${i.authorityCode} ${i.line}`)).to.deep.equal(['A.0002 2']);
    },
  );

  it("another authority's replace (create with replace=yes) is referred too: the connection stays", async () => {
    const file = await ingestAccess(
      app,
      'other-replace.csv',
      [`create,${students.shared},S.0201,parent_guardian,Mother,Sue Shared,sue@example.com,en,yes`],
      'A.0002',
    );
    const [row] = readReport(file.reportPath as string);
    expect(row).to.include({ status: 'referred', code: 'CONNECTION_OF_ANOTHER_AUTHORITY' });
    expect(row?.message).to.contain('Ask that school to replace it');
    expect(await sue()).to.deep.equal([{ school_code: 'S.0101', authority_code: 'A.0001', issue: 1, reset_at: null }]);
    expect(lettersOf('A.0002', file.id)).to.deep.equal([]);
  });

  // `issue` counts resets and letters alike: a reset and its letter take it two further.
  it('a reset from another school of the authority that set it up moves it there, with the new letter', async () => {
    const file = await ingestAccess(
      app,
      'own-reset.csv',
      [`reset,${students.shared},S.0102,,,,sue@example.com,,`],
      'A.0001',
    );
    expect(readReport(file.reportPath as string)[0]).to.include({ status: 'accepted', code: 'CONNECTION_RESET' });
    expect((await sue()).map((c) => `${c.school_code} ${c.authority_code} ${c.issue}`)).to.deep.equal([
      'S.0102 A.0001 3',
    ]);
    expect(lettersOf('A.0001', file.id)).to.deep.equal([`own-reset.${file.id}.S.0102.pdf`]);
  });

  it(
    "Student Records can reset anyone's: approving the referred reset moves the connection to the row's " + 'school',
    async () => {
      const [item] = (await listOpenItems(app.db, { reason: 'CONNECTION_OF_ANOTHER_AUTHORITY' }, 10)).items;
      const result = await resolveItem(
        app,
        item?.id as number,
        'ana',
        'approve',
        'The family moved; asked by both schools.',
      );
      expect(result.outcome).to.equal('resolved');
      expect((await sue()).map((c) => `${c.school_code} ${c.authority_code} ${c.issue}`)).to.deep.equal([
        'S.0201 A.0002 5',
      ]);
      expect(
        readdirSync(path.join(app.home, 'outbox', 'A.0002', 'letters', 'student-records')).filter((name) =>
          name.endsWith('.S.0201.pdf'),
        ),
      ).to.have.length(1);
    },
  );

  it('a revoke stays open to any authority with an association: A.0001 revokes what A.0002 now holds', async () => {
    const file = await ingestAccess(
      app,
      'revoke.csv',
      [`revoke,${students.shared},S.0101,,,,sue@example.com,,`],
      'A.0001',
    );
    expect(readReport(file.reportPath as string)[0]).to.include({ status: 'accepted', code: 'CONNECTION_REVOKED' });
    expect(await sue()).to.deep.equal([]);
  });
});
