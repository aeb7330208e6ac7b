import type { Queryable } from '../db/database.ts';

/** The first name the activation page greets the person with, once the PIN was right. */
export async function studentFirstName(db: Queryable, asn: string): Promise<string | null> {
  const found = await db.query<{ first_name: string }>('select first_name from student where asn = $1', [asn]);
  return found.rows[0]?.first_name ?? null;
}
