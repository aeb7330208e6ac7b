import { expect } from 'chai';
import { Database } from '../src/db/database.ts';
import { listMigrations, migrate } from '../src/db/migrate.ts';
import { createBoss, queues } from '../src/db/queue.ts';
import { countOpenByReason, listOpenItems } from '../src/queue/queue-queries.ts';
import { dropDatabase, freshDatabaseUrl } from './support/database.ts';

describe('referrals queued before the queue had its own table', function () {
  this.timeout(60_000);
  let url: string;
  let db: Database;

  before(async () => {
    url = await freshDatabaseUrl();
    db = new Database(url);
  });
  after(async () => {
    await db.close();
    await dropDatabase(url);
  });

  it('become open items, with their counts, when the migration runs', async () => {
    // The database as the enrolment and access-code releases left it: migrations 1 to 3 and pg-boss.
    await db.query(
      'create table schema_migration (version integer primary key, name text not null, applied_at timestamptz ' +
        'not null default now())',
    );
    for (const migration of listMigrations().filter((m) => m.version <= 3)) {
      await db.query(migration.sql);
      await db.query('insert into schema_migration (version, name) values ($1, $2)', [
        migration.version,
        migration.name,
      ]);
    }
    const boss = createBoss(url, { supervise: false });
    await boss.start();
    await boss.createQueue(queues.studentRecords);
    await db.query(
      `insert into authority (code, name) values ('A.0230', 'Macau'); insert into school (code, authority_code, ` +
        `name) values ('S.2301', 'A.0230', 'One')`,
    );
    const file = await db.query<{ id: string }>(
      `insert into intake_file (authority_code, kind, original_name, format, sha256, size_bytes, stored_path, status,
        as_of)
       values ('A.0230', 'enrolment', 'old.csv', 'csv', 'x', 1, '/dev/null', 'done', '2026-09-15') returning id::text`,
    );
    const fileId = Number(file.rows[0]?.id);
    const row = { line: 4, action: 'upsert', asn: '419360275', schoolCode: 'S.2301', entryDate: '2026-08-17' };
    const saw = { restriction: 'high', associations: [], recentEnrolments: [] };
    await boss.insert(
      [4, 5].map((line) => ({
        name: queues.studentRecords,
        data: {
          kind: 'enrolment',
          authorityCode: 'A.0230',
          fileId,
          fileName: 'old.csv',
          line,
          reason: 'HIGH_HISTORICAL_ONLY',
          reportedCode: 'HIGH_HISTORICAL_ONLY',
          asOf: '2026-09-15',
          row: { ...row, line },
          saw,
        },
      })),
    );
    await boss.stop({ graceful: false });

    expect(await migrate(db)).to.include('004_referrals.sql');
    const items = (await listOpenItems(db, {}, 10)).items;
    expect(items.map((i) => [i.line, i.reason, i.asn, i.schoolCode, i.fileName])).to.deep.equal([
      [4, 'HIGH_HISTORICAL_ONLY', '419360275', 'S.2301', 'old.csv'],
      [5, 'HIGH_HISTORICAL_ONLY', '419360275', 'S.2301', 'old.csv'],
    ]);
    expect(Object.fromEntries(await countOpenByReason(db, {}))).to.deep.equal({ HIGH_HISTORICAL_ONLY: 2 });
    const jobs = await db.query<{ id: string }>(`select id::text from pgboss.job where name = $1`, [
      queues.studentRecords,
    ]);
    const linked = await db.query<{ job_id: string }>('select job_id::text from referral');
    expect(linked.rows.map((r) => r.job_id).sort()).to.deep.equal(jobs.rows.map((r) => r.id).sort());
  });
});
