import { expect } from 'chai';
import { Database } from '../src/db/database.ts';
import { dropDatabase, freshDatabaseUrl } from './support/database.ts';

describe('the database seam', () => {
  let url: string;
  before(async () => {
    url = await freshDatabaseUrl();
  });
  after(async () => dropDatabase(url));

  it(
    'a transaction whose connection died (its rollback fails) does not hand that connection to the next ' + 'caller',
    async () => {
      const lost: string[] = [];
      // One connection only: the next query must get a working one, not the dead one back.
      const db = new Database(url, 1, (error) => lost.push(error.message));
      try {
        const failed = await db
          .transaction(async (client) => {
            await client.query('select pg_terminate_backend(pg_backend_pid())');
          })
          .then(
            () => null,
            (error: Error) => error,
          );
        expect(failed, 'the transaction fails').to.be.instanceOf(Error);
        const after = await db.query<{ one: number }>('select 1 as one');
        expect(after.rows[0]?.one).to.equal(1);
        expect(await db.transaction(async (client) => (await client.query('select 2 as two')).rows[0]?.two)).to.equal(
          2,
        );
      } finally {
        await db.close();
      }
    },
  );
});
