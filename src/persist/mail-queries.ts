import type { Queryable } from '../db/database.ts';

export interface MailTarget {
  id: string;
  issue: number;
  email: string;
  language: 'en' | 'fr';
  recipientName: string;
  schoolName: string;
  expiresAt: Date;
}

/**
 * The connections whose email is still due: waiting, with a PIN issued, not expired, and not
 * reset since the job was queued (the issue number moved on: a newer email replaces this one).
 */
export async function dueMailTargets(db: Queryable, jobs: { connectionId: string; issue: number }[]): Promise<Map<string, MailTarget>> {
  const result = await db.query<{
    id: string; issue: number; email: string; language: 'en' | 'fr'; requester: string; person_name: string | null;
    first_name: string; last_name: string; school_name: string; expires_at: Date;
  }>(
    `select c.id::text, c.issue, c.email, c.language, c.requester, c.person_name, s.first_name, s.last_name, sc.name as school_name, c.expires_at
       from connection c
       join unnest($1::bigint[], $2::int[]) as job (id, issue) on job.id = c.id and job.issue = c.issue
       join student s on s.asn = c.asn
       join school sc on sc.code = c.school_code
      where c.status = 'waiting' and c.pin_hash is not null and c.expires_at > now()`,
    [jobs.map((j) => j.connectionId), jobs.map((j) => j.issue)],
  );
  return new Map(result.rows.map((r) => [r.id, {
    id: r.id, issue: r.issue, email: r.email, language: r.language, schoolName: r.school_name, expiresAt: r.expires_at,
    recipientName: r.requester === 'student' ? `${r.first_name} ${r.last_name}` : (r.person_name ?? ''),
  }]));
}

/** Each email carries a new token; only its hash is kept, and the one before stops working. */
export async function storeTokenHashes(db: Queryable, tokens: { id: string; issue: number; hash: Buffer }[]): Promise<void> {
  if (tokens.length === 0) return;
  await db.query(
    `update connection c set token_hash = t.hash
       from unnest($1::bigint[], $2::int[], $3::bytea[]) as t (id, issue, hash)
      where c.id = t.id and c.issue = t.issue and c.status = 'waiting'`,
    [tokens.map((t) => t.id), tokens.map((t) => t.issue), tokens.map((t) => t.hash)],
  );
}
