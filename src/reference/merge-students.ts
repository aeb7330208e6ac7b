import type { Queryable } from '../db/database.ts';
import { insertAudit } from '../persist/row-outcomes.ts';
import { formatAsn } from '../validate/values.ts';

/** An ASN the reference data has just made secondary, and its primary. */
export interface StudentLink {
  secondary: string;
  primary: string;
}

/**
 * Moves what Intake keeps under a student's ASN onto its primary once the reference data links
 * them: the rules look only at primary ASNs, so enrolments, connections and open queue items left
 * under the secondary would be out of their sight. Runs in the load's transaction, audited per
 * student. Where both ASNs hold the same enrolment (school and entry date), the one changed last
 * stands; where both have a live connection for the same email, the one changed last stays live
 * and the other is deleted. Returns one line per conflict, for the load's output.
 */
export async function mergeLinkedStudents(client: Queryable, links: StudentLink[]): Promise<string[]> {
  // Rounds of at most one secondary per primary: two secondaries of one primary holding the same
  // enrolment (or a live connection for the same email) meet as secondary and primary in turn.
  const rounds: StudentLink[][] = [];
  const seen = new Map<string, number>();
  for (const link of links) {
    const round = seen.get(link.primary) ?? 0;
    seen.set(link.primary, round + 1);
    const members = rounds[round] ?? [];
    members.push(link);
    rounds[round] = members;
  }
  const said: string[] = [];
  for (const round of rounds) said.push(...(await mergeRound(client, round)));
  return said;
}

async function mergeRound(client: Queryable, links: StudentLink[]): Promise<string[]> {
  if (links.length === 0) return [];
  const pairs = [links.map((l) => l.secondary), links.map((l) => l.primary)];
  const linked = 'select * from unnest($1::text[], $2::text[]) as l (s, p)';

  const enrolmentConflicts = await client.query<{
    s: string;
    p: string;
    school_code: string;
    entry_date: string;
    secondary_later: boolean;
  }>(
    `select l.s, l.p, e2.school_code, e2.entry_date::text, e2.updated_at > e1.updated_at as secondary_later
       from (${linked}) l
       join enrolment e2 on e2.asn = l.s
       join enrolment e1 on e1.asn = l.p and e1.school_code = e2.school_code and e1.entry_date = e2.entry_date
      order by l.s, e2.school_code, e2.entry_date`,
    pairs,
  );
  // The later of the two stands: the secondary's values onto the primary's row when it is later.
  await client.query(
    `update enrolment e1 set exit_date = e2.exit_date, grade = e2.grade, enrolment_type = e2.enrolment_type,
            deleted = e2.deleted, source_file_id = e2.source_file_id, updated_at = e2.updated_at
       from (${linked}) l, enrolment e2
      where e2.asn = l.s and e1.asn = l.p and e1.school_code = e2.school_code and e1.entry_date = e2.entry_date
        and e2.updated_at > e1.updated_at`,
    pairs,
  );
  await client.query(
    `delete from enrolment e2 using (${linked}) l, enrolment e1
      where e2.asn = l.s and e1.asn = l.p and e1.school_code = e2.school_code and e1.entry_date = e2.entry_date`,
    pairs,
  );
  const enrolments = await client.query<{ s: string }>(
    `update enrolment e set asn = l.p from (${linked}) l where e.asn = l.s returning l.s`,
    pairs,
  );

  const connectionConflicts = await client.query<{
    s: string;
    p: string;
    email: string;
    kept: string;
    deleted: string;
  }>(
    `with pair as (
       select l.s, l.p, c2.email, c2.id as secondary_id, c1.id as primary_id,
              c2.status_changed_at > c1.status_changed_at as secondary_later
         from (${linked}) l
         join connection c2 on c2.asn = l.s and c2.status in ('waiting', 'activated')
         join connection c1 on c1.asn = l.p and c1.email = c2.email and c1.status in ('waiting', 'activated'))
     update connection c set status = 'deleted', pin_hash = null, status_changed_at = now(), status_changed_by =
       'reference load'
       from pair
      where c.id = case when pair.secondary_later then pair.primary_id else pair.secondary_id end
     returning pair.s, pair.p, pair.email,
               (case when pair.secondary_later then pair.secondary_id else pair.primary_id end)::text as kept,
                 c.id::text as deleted`,
    pairs,
  );
  const connections = await client.query<{ s: string }>(
    `update connection c set asn = l.p from (${linked}) l where c.asn = l.s returning l.s`,
    pairs,
  );
  const items = await client.query<{ s: string }>(
    `update referral r set asn = l.p from (${linked}) l where r.asn = l.s and r.state = 'open' returning l.s`,
    pairs,
  );

  const countsOf = (rows: { s: string }[]) => {
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.s, (counts.get(row.s) ?? 0) + 1);
    return counts;
  };
  const moved = {
    enrolments: countsOf(enrolments.rows),
    connections: countsOf(connections.rows),
    items: countsOf(items.rows),
  };
  await insertAudit(
    client,
    links.map(({ secondary, primary }) => ({
      actor: 'reference load',
      action: 'student_linked',
      asn: primary,
      fileId: null,
      line: null,
      detail: {
        secondary,
        enrolmentsMoved: moved.enrolments.get(secondary) ?? 0,
        connectionsMoved: moved.connections.get(secondary) ?? 0,
        queueItemsMoved: moved.items.get(secondary) ?? 0,
        enrolmentConflicts: enrolmentConflicts.rows.filter((c) => c.s === secondary).length,
        connectionConflicts: connectionConflicts.rows.filter((c) => c.s === secondary).length,
      },
    })),
  );
  return [
    ...enrolmentConflicts.rows.map(
      (c) =>
        `${formatAsn(c.s)} is now a secondary ASN of ${formatAsn(c.p)}: both held the enrolment ` +
        `at ${c.school_code} from ${c.entry_date}; the one changed last ` +
        `(${c.secondary_later ? formatAsn(c.s) : formatAsn(c.p)}'s) stands.`,
    ),
    ...connectionConflicts.rows.map(
      (c) =>
        `${formatAsn(c.s)} is now a secondary ASN of ${formatAsn(c.p)}: both had a live connection ` +
        `for ${c.email}; connection ${c.kept} (changed last) stays, connection ${c.deleted} was deleted.`,
    ),
  ];
}
