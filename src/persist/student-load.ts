import type { Queryable } from '../db/database.ts';

/**
 * Where `students.csv` is copied before it is written: every row with a readable ASN, in file
 * order (`ord`, its place among the file's records). `loadable` rows are written; the others
 * (no name, a bad date) are still linked to their primary, as each row with an ASN always was.
 */
export const studentLoadTable =
  'student_load (ord, asn, primary_asn, loadable, last_name, first_name, middle_name, birth_date, match_key, ' +
  'created_by, created_on, deactivated)';

export async function createStudentLoad(client: Queryable): Promise<void> {
  await client.query(
    `create temp table student_load (ord integer not null, asn text not null, primary_asn text,
       loadable boolean not null, last_name text, first_name text, middle_name text, birth_date date, match_key text,
       created_by text, created_on date, deactivated boolean) on commit drop`,
  );
}

/**
 * The file's students in one statement, sorted by ASN so the key's index is written in order;
 * an ASN given twice takes its last row, as it did when batches were written in turn.
 */
export async function upsertStudentLoad(client: Queryable): Promise<void> {
  await client.query(
    `insert into student (asn, last_name, first_name, middle_name, birth_date, match_key, created_by, created_on,
                         deactivated)
     select distinct on (asn) asn, last_name, first_name, middle_name, birth_date, match_key, created_by, created_on,
            deactivated
       from student_load where loadable order by asn, ord desc
     on conflict (asn) do update set last_name = excluded.last_name, first_name = excluded.first_name,
       middle_name = excluded.middle_name, birth_date = excluded.birth_date, match_key = excluded.match_key,
       created_by = excluded.created_by, created_on = excluded.created_on, deactivated = excluded.deactivated`,
  );
  // The link pass reads it in ranges of `ord`.
  await client.query('create index on student_load (ord)');
}

/**
 * Links the rows `ord` in (from, to] to their primaries (or unlinks them), as the file says:
 * the students whose primary changed, for moving what was kept under them.
 */
export async function linkStudentLoad(
  client: Queryable,
  from: number,
  to: number,
): Promise<{ secondary: string; primary: string | null }[]> {
  const changed = await client.query<{ secondary: string; primary: string | null }>(
    `update student s set primary_asn = t.primary_asn from student_load t
      where t.ord > $1 and t.ord <= $2 and s.asn = t.asn and s.primary_asn is distinct from t.primary_asn
     returning s.asn as secondary, t.primary_asn as primary`,
    [from, to],
  );
  return changed.rows;
}
