import type { Queryable } from '../db/database.ts';

interface MailTarget {
  id: string;
  issue: number;
  email: string;
  language: 'en' | 'fr';
  schoolName: string;
  expiresAt: Date;
}

export interface MailJobs {
  /** Still waiting for activation, with the PIN of the job's issue: to send. */
  due: Map<string, MailTarget>;
  /** Expired before their email could go out: a person holds a letter and never got the link. */
  expiredUnsent: string[];
}

/**
 * Sorts an email batch's jobs: due (waiting, PIN issued, not expired, and not reset since the
 * job was queued), expired before it could be sent, or moot (reset, revoked, activated).
 */
export async function mailJobTargets(
  db: Queryable,
  jobs: { connectionId: string; issue: number }[],
): Promise<MailJobs> {
  const result = await db.query<{
    id: string;
    issue: number;
    email: string;
    language: 'en' | 'fr';
    school_name: string;
    expires_at: Date | null;
    state: 'due' | 'expired' | 'moot';
  }>(
    `select c.id::text, c.issue, c.email, c.language, sc.name as school_name, c.expires_at,
            case when c.status = 'waiting' and c.pin_hash is not null and c.expires_at > now() then 'due'
                 when c.status = 'expired' or (c.status = 'waiting' and c.expires_at <= now()) then 'expired'
                 else 'moot' end as state
       from connection c
       join unnest($1::bigint[], $2::int[]) as job (id, issue) on job.id = c.id and job.issue = c.issue
       join school sc on sc.code = c.school_code`,
    [jobs.map((j) => j.connectionId), jobs.map((j) => j.issue)],
  );
  const due = new Map<string, MailTarget>();
  const expiredUnsent: string[] = [];
  for (const r of result.rows) {
    if (r.state === 'due') {
      due.set(r.id, {
        id: r.id,
        issue: r.issue,
        email: r.email,
        language: r.language,
        schoolName: r.school_name,
        expiresAt: r.expires_at as Date,
      });
    } else if (r.state === 'expired') expiredUnsent.push(r.id);
  }
  return { due, expiredUnsent };
}

/** Drops the hashes of tokens whose emails the server certainly did not take: no one holds their link. */
export async function forgetTokenHashes(db: Queryable, hashes: Buffer[]): Promise<void> {
  if (hashes.length === 0) return;
  await db.query('delete from connection_token where token_hash = any($1::bytea[])', [hashes]);
}

/**
 * Stores the hashes of the tokens about to be sent, before sending: a link that arrives must
 * already work. Earlier tokens of the same issue keep working.
 */
export async function storeTokenHashes(
  db: Queryable,
  tokens: { connectionId: string; issue: number; hash: Buffer }[],
): Promise<void> {
  if (tokens.length === 0) return;
  await db.query(
    `insert into connection_token (token_hash, connection_id, issue)
     select * from unnest($1::bytea[], $2::bigint[], $3::int[])`,
    [tokens.map((t) => t.hash), tokens.map((t) => t.connectionId), tokens.map((t) => t.issue)],
  );
}

/** An activation email given up on: the recipient's server refused its mailbox for good, on a third try or later. */
export interface UndeliverableEmail {
  connectionId: string;
  issue: number;
  tries: number;
  responseCode: number | null;
  enhancedCode: string | null;
  command: string | null;
}

/** Records emails given up on, for the authority's changes file; a job run again records nothing twice. */
export async function recordUndeliverable(db: Queryable, emails: UndeliverableEmail[]): Promise<void> {
  if (emails.length === 0) return;
  await db.query(
    `insert into undeliverable_email (connection_id, issue, tries, response_code, enhanced_code, command)
     select * from unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[])
     on conflict (connection_id, issue) do nothing`,
    [
      emails.map((e) => e.connectionId),
      emails.map((e) => e.issue),
      emails.map((e) => e.tries),
      emails.map((e) => e.responseCode),
      emails.map((e) => e.enhancedCode),
      emails.map((e) => e.command),
    ],
  );
}
