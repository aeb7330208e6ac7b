import { sqlTimeZone } from '../config/province.ts';
import type { Queryable } from '../db/database.ts';

/** A connection waiting for its letter, with what the letter prints. */
export interface PendingLetter {
  id: string;
  schoolCode: string;
  schoolName: string;
  requester: 'student' | 'parent_guardian';
  relationship: string | null;
  personName: string | null;
  email: string;
  language: 'en' | 'fr';
  firstName: string;
  middleName: string | null;
  lastName: string;
  grade: string | null;
}

/** Whose letters: a processed file's, or one queue item's that Student Records approved. */
export type LetterSource = { kind: 'file'; id: number } | { kind: 'referral'; id: number };

const pendingWhereOf = {
  file: `c.letter_file_id = $1 and c.status = 'waiting' and c.pin_hash is null`,
  referral: `c.letter_referral_id = $1 and c.status = 'waiting' and c.pin_hash is null`,
} as const;
const batchColumn = { file: 'file_id', referral: 'referral_id' } as const;

export async function pendingLetterCounts(
  client: Queryable,
  source: LetterSource,
): Promise<{ schoolCode: string; letters: number }[]> {
  const result = await client.query<{ school_code: string; letters: string }>(
    `select c.school_code, count(*) as letters
       from connection c
      where ${pendingWhereOf[source.kind]}
      group by c.school_code
      order by c.school_code`,
    [source.id],
  );
  return result.rows.map((r) => ({ schoolCode: r.school_code, letters: Number(r.letters) }));
}

/** One run of a source's letters at a time, until the caller's transaction ends. */
export async function lockLetterSource(client: Queryable, source: LetterSource): Promise<void> {
  await client.query('select pg_advisory_xact_lock(hashtext($1), $2)', [
    source.kind === 'file' ? 'letters' : 'letters-referral',
    source.id,
  ]);
}

export async function closePendingLetters(client: Queryable, cursor: string): Promise<void> {
  await client.query(`close ${cursor}`);
}

/**
 * Opens a cursor over the file's pending letters, sorted by school, grade (K first, unknown
 * last) and student name, so they are read in batches and never held all at once.
 */
export async function openPendingLetters(
  client: Queryable,
  source: LetterSource,
  cursor: string,
): Promise<(count: number) => Promise<PendingLetter[]>> {
  await client.query(
    `declare ${cursor} no scroll cursor for
     select c.id::text, c.school_code, sc.name as school_name, c.requester, c.relationship, c.person_name, c.email,
            c.language, s.first_name, s.middle_name, s.last_name, e.grade
       from connection c
       join student s on s.asn = c.asn
       join school sc on sc.code = c.school_code
       left join lateral (
         select grade
           from enrolment
          where asn = c.asn and school_code = c.school_code and not deleted
          order by entry_date desc
          limit 1
       ) e on true
      where ${pendingWhereOf[source.kind]}
      order by c.school_code,
               case when e.grade = 'K' then 0 when e.grade ~ '^[0-9]{1,2}$' then e.grade::int else 99 end,
               lower(s.last_name), lower(s.first_name), c.id`,
    [source.id],
  );
  return async (count: number) => {
    const result = await client.query<{
      id: string;
      school_code: string;
      school_name: string;
      requester: 'student' | 'parent_guardian';
      relationship: string | null;
      person_name: string | null;
      email: string;
      language: 'en' | 'fr';
      first_name: string;
      middle_name: string | null;
      last_name: string;
      grade: string | null;
    }>(`fetch ${count} from ${cursor}`);
    return result.rows.map((r) => ({
      id: r.id,
      schoolCode: r.school_code,
      schoolName: r.school_name,
      requester: r.requester,
      relationship: r.relationship,
      personName: r.person_name,
      email: r.email,
      language: r.language,
      firstName: r.first_name,
      middleName: r.middle_name,
      lastName: r.last_name,
      grade: r.grade,
    }));
  };
}

/** What a waiting connection's letter will print about the people, before its PIN is drawn. */
export interface LetterPeopleOnRecord {
  asn: string;
  email: string;
  requester: 'student' | 'parent_guardian';
  relationship: string | null;
  personName: string | null;
  language: 'en' | 'fr';
  firstName: string;
  middleName: string | null;
  lastName: string;
}

/** The people of the connections (primary ASN, email) still waiting for their letter: one query. */
export async function waitingLetterPeople(
  client: Queryable,
  pairs: readonly { asn: string; email: string }[],
): Promise<LetterPeopleOnRecord[]> {
  const result = await client.query<{
    asn: string;
    email: string;
    requester: 'student' | 'parent_guardian';
    relationship: string | null;
    person_name: string | null;
    language: 'en' | 'fr';
    first_name: string;
    middle_name: string | null;
    last_name: string;
  }>(
    `select c.asn, c.email, c.requester, c.relationship, c.person_name, c.language, s.first_name, s.middle_name,
            s.last_name
       from connection c
       join unnest($1::text[], $2::text[]) as wanted (asn, email) using (asn, email)
       join student s on s.asn = c.asn
      where c.status = 'waiting' and c.pin_hash is null`,
    [pairs.map((p) => p.asn), pairs.map((p) => p.email)],
  );
  return result.rows.map((r) => ({
    asn: r.asn,
    email: r.email,
    requester: r.requester,
    relationship: r.relationship,
    personName: r.person_name,
    language: r.language,
    firstName: r.first_name,
    middleName: r.middle_name,
    lastName: r.last_name,
  }));
}

/** An issued PIN: the connection and the PIN's keyed hash. */
export interface IssuedPin {
  id: string;
  pinHash: Buffer;
}

/**
 * Row-locks the file's pending letters until the letters commit: a reset or revoke from another
 * file waits, so the counts, the cursor and the stored PINs all see the same connections.
 */
export async function lockPendingLetters(client: Queryable, source: LetterSource): Promise<void> {
  await client.query(`select c.id from connection c where ${pendingWhereOf[source.kind]} order by c.id for update`, [
    source.id,
  ]);
}

/**
 * Stores the PINs' keyed hashes and the expiry (the end of the printed day in
 * the province); returns each connection's issue number, which the email job carries.
 */
export async function recordIssuedPins(
  client: Queryable,
  source: LetterSource,
  pins: IssuedPin[],
  expiresOn: string,
): Promise<{ id: string; issue: number }[]> {
  if (pins.length === 0) return [];
  const result = await client.query<{ id: string; issue: number }>(
    `update connection c set pin_hash = issued.pin_hash,
            issue = c.issue + 1, issued_at = now(), expires_at = ($4::date + 1)::timestamp at time zone ${sqlTimeZone},
            failed_attempts = 0, locked_until = null, lockouts = 0
       from unnest($2::bigint[], $3::bytea[]) as issued (id, pin_hash)
      where c.id = issued.id and ${pendingWhereOf[source.kind]}
     returning c.id::text, c.issue`,
    [source.id, pins.map((p) => p.id), pins.map((p) => p.pinHash), expiresOn],
  );
  // The rows are locked for this transaction: a miss means the letters printed would not work.
  if (result.rows.length !== pins.length)
    throw new Error(`letters of ${source.kind} ${source.id} changed while being issued`);
  return result.rows;
}

/** A letter PDF: written under a temporary name, moved to its final name once the PINs are stored. */
export interface LetterPdfPaths {
  temporary: string;
  final: string;
}

export async function letterBatch(
  db: Queryable,
  source: LetterSource,
): Promise<{ letters: number; pdfs: LetterPdfPaths[] } | null> {
  const result = await db.query<{ letters: number; pdf_paths: string[]; temp_paths: string[] }>(
    `select letters, pdf_paths, temp_paths from letter_batch where ${batchColumn[source.kind]} = $1`,
    [source.id],
  );
  const row = result.rows[0];
  if (!row) return null;
  return {
    letters: row.letters,
    pdfs: row.pdf_paths.map((final, i) => ({ final, temporary: row.temp_paths[i] as string })),
  };
}

export async function recordLetterBatch(
  client: Queryable,
  source: LetterSource,
  letters: number,
  pdfs: LetterPdfPaths[],
): Promise<void> {
  await client.query(
    `insert into letter_batch (${batchColumn[source.kind]}, letters, pdf_paths, temp_paths) values ($1, $2, $3, $4)`,
    [source.id, letters, pdfs.map((p) => p.final), pdfs.map((p) => p.temporary)],
  );
}
