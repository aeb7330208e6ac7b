import type { Queryable } from '../db/database.ts';

export interface MailTarget {
  id: string;
  issue: number;
  email: string;
  language: 'en' | 'fr';
  tokenSeed: Buffer;
  schoolName: string;
  expiresAt: Date;
}

/**
 * The connections whose email is still due: waiting, with a PIN issued, not expired, and not
 * reset since the job was queued (the issue number moved on: a newer email replaces this one).
 */
export async function dueMailTargets(db: Queryable, jobs: { connectionId: string; issue: number }[]): Promise<Map<string, MailTarget>> {
  const result = await db.query<{
    id: string; issue: number; email: string; language: 'en' | 'fr'; token_seed: Buffer; school_name: string; expires_at: Date;
  }>(
    `select c.id::text, c.issue, c.email, c.language, c.token_seed, sc.name as school_name, c.expires_at
       from connection c
       join unnest($1::bigint[], $2::int[]) as job (id, issue) on job.id = c.id and job.issue = c.issue
       join school sc on sc.code = c.school_code
      where c.status = 'waiting' and c.pin_hash is not null and c.token_seed is not null and c.expires_at > now()`,
    [jobs.map((j) => j.connectionId), jobs.map((j) => j.issue)],
  );
  return new Map(result.rows.map((r) => [r.id, {
    id: r.id, issue: r.issue, email: r.email, language: r.language, schoolName: r.school_name, expiresAt: r.expires_at,
    tokenSeed: r.token_seed,
  }]));
}
