import type { Queryable } from '../db/database.ts';

export interface AuditRecord {
  id: number;
  at: Date;
  actor: string;
  action: string;
  asn: string | null;
  fileId: number | null;
  line: number | null;
  itemId: number | null;
  detail: Record<string, unknown>;
}

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  asn: string | null;
  file_id: string | null;
  line: number | null;
  referral_id: string | null;
  detail: Record<string, unknown>;
}

const recordOf = (r: AuditRow): AuditRecord => ({
  id: Number(r.id),
  at: r.at,
  actor: r.actor,
  action: r.action,
  asn: r.asn,
  fileId: r.file_id === null ? null : Number(r.file_id),
  line: r.line,
  itemId: r.referral_id === null ? null : Number(r.referral_id),
  detail: r.detail,
});

const columns = 'a.id::text, a.at, a.actor, a.action, a.asn, a.file_id::text, a.line, a.referral_id::text, a.detail';

/** Who did what to a queue item, oldest first. */
export async function auditOfItem(db: Queryable, itemId: number): Promise<AuditRecord[]> {
  const result = await db.query<AuditRow>(
    `select ${columns} from audit_log a where a.referral_id = $1 order by a.at, a.id`,
    [itemId],
  );
  return result.rows.map(recordOf);
}

/**
 * Everything recorded about a student, newest first: under any of their ASNs (primary and
 * secondary), and the queue items submitted with one of them.
 */
export async function auditOfStudent(db: Queryable, asn: string, limit = 200): Promise<AuditRecord[]> {
  // Two index-driven selects joined by union: an OR across them would read the whole log.
  const result = await db.query<AuditRow>(
    `with primary_asn as (select coalesce((select coalesce(primary_asn, asn) from student where asn = $1), $1) as asn),
          asns as (
            select asn from primary_asn
            union select s.asn from student s, primary_asn p where s.primary_asn = p.asn
            union select $1
          )
     select ${columns} from (
       select * from audit_log where asn in (select asn from asns)
       union
       select * from audit_log where referral_id in (select r.id from referral r where r.asn in (select asn from asns))
     ) a
      order by a.at desc, a.id desc limit $2`,
    [asn, limit],
  );
  return result.rows.map(recordOf);
}
