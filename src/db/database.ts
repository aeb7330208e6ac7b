import pg from 'pg';

/** A pool or a client inside a transaction: what a query needs. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Rows as arrays (`rowMode: 'array'`): no object per row, for the lookups that return many. */
  query<R extends unknown[] = unknown[]>(config: pg.QueryArrayConfig): Promise<pg.QueryArrayResult<R>>;
}

/** One pool per process; every transaction goes through `transaction` so its shape is the same everywhere. */
export class Database {
  readonly pool: pg.Pool;

  constructor(
    readonly url: string,
    max = 10,
    onPoolError: (error: Error) => void = () => {},
  ) {
    this.pool = new pg.Pool({ connectionString: url, max });
    // An idle client losing its server must not crash the process (the next query reconnects),
    // but it is said: the log shows when the database went away.
    this.pool.on('error', onPoolError);
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  query<R extends unknown[] = unknown[]>(config: pg.QueryArrayConfig): Promise<pg.QueryArrayResult<R>>;
  query(textOrConfig: string | pg.QueryArrayConfig, values: unknown[] = []): Promise<unknown> {
    return typeof textOrConfig === 'string' ? this.pool.query(textOrConfig, values) : this.pool.query(textOrConfig);
  }

  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A client whose connection died, or whose rollback failed (it may still be inside the
    // transaction), is destroyed, never handed to the next caller. Its connection's death comes
    // as an 'error' event too, which unheard would end the process.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A destroyed client keeps its listener: whatever it says while closing is heard.
      if (broken === undefined) client.off('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Postgres error codes we decide on (never on message text). */
export const pgErrorCodes = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  duplicateDatabase: '42P04',
} as const;

export function hasPgCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
