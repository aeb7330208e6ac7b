import { expect } from 'chai';
import { stringify } from 'csv-stringify/sync';
import { arrayLiteral, columnLiteral } from '../src/db/array-literal.ts';
import { Database } from '../src/db/database.ts';
import { csvLine } from '../src/report/csv-line.ts';
import { dropDatabase, freshDatabaseUrl } from './support/database.ts';

/** Values that a naive literal or CSV line would get wrong. */
const awkward = [
  'plain',
  '',
  ' ',
  'NULL',
  'null',
  'a,b',
  '{braces}',
  'say "hi"',
  'back\\slash',
  '\\"',
  'two\nlines',
  'carriage\rreturn',
  'tab\there',
  "O'Brien",
  'Zoë 李',
  '=cmd',
];

describe('array parameters written as literals, and report lines written by hand', () => {
  let url: string;
  let db: Database;
  before(async () => {
    url = await freshDatabaseUrl();
    db = new Database(url, 1);
  });
  after(async () => {
    await db.close();
    await dropDatabase(url);
  });

  it('Postgres reads back every text value as sent, and null as null', async () => {
    const values = [...awkward, null];
    const found = await db.query<{ values: (string | null)[] }>('select $1::text[] as values', [arrayLiteral(values)]);
    expect(found.rows[0]?.values).to.deep.equal(values);
  });

  it('dates, numbers and booleans read back as their types', async () => {
    const rows = [
      { day: '2026-09-01', line: 2, deleted: false },
      { day: null, line: 70000, deleted: true },
    ];
    const found = await db.query<{ days: string | null; lines: number; deleted: boolean }>(
      `select d::text as days, l as lines, x as deleted
         from unnest($1::date[], $2::int[], $3::boolean[]) as t (d, l, x)`,
      [columnLiteral(rows, (r) => r.day), columnLiteral(rows, (r) => r.line), columnLiteral(rows, (r) => r.deleted)],
    );
    expect(found.rows).to.deep.equal([
      { days: '2026-09-01', lines: 2, deleted: false },
      { days: null, lines: 70000, deleted: true },
    ]);
  });

  it('an empty list is an empty array', async () => {
    const found = await db.query<{ n: number }>('select cardinality($1::text[]) as n', [arrayLiteral([])]);
    expect(found.rows[0]?.n).to.equal(0);
  });

  it('a report line is what csv-stringify wrote for the same fields', () => {
    for (const value of awkward) {
      const fields = ['12', 'accepted', value, `${value} again`, ''];
      expect(csvLine(fields), JSON.stringify(value)).to.equal(stringify([fields]));
    }
  });
});
