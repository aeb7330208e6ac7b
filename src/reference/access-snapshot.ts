import type { Queryable } from '../db/database.ts';
import type { AccessView, ConnectionOwner, LiveConnection } from '../rules/access-row.ts';
import type { AuthorityFacts, RuleWindows, StudentFacts } from '../rules/facts.ts';
import { EnrolmentSnapshot } from './enrolment-snapshot.ts';

const connectionKey = (asn: string, email: string) => `${asn}|${email}`;

/**
 * What the database knows about the students and connections of one chunk of an access-code
 * file, in batched queries. The pipeline records what it changes, so later rows of the same
 * file see earlier ones.
 */
export class AccessSnapshot implements AccessView {
  private readonly students: EnrolmentSnapshot;
  private readonly birthDates = new Map<string, string | null>();
  private readonly connections = new Map<string, LiveConnection>();
  private readonly owners = new Map<string, ConnectionOwner>();

  constructor(
    readonly asOf: string,
    readonly authority: AuthorityFacts,
    readonly windows: RuleWindows,
    schools: Map<string, string>,
    readonly institutionDomains: ReadonlySet<string>,
  ) {
    this.students = new EnrolmentSnapshot(asOf, authority, windows, schools);
  }

  /** The chunk's students, by the ASNs as written, with their birth dates. */
  async loadStudents(db: Queryable, asns: string[]): Promise<void> {
    await this.students.load(db, [...new Set(asns)], []);
    const primaries = [...new Set(asns.flatMap((asn) => this.primaryOf(asn) ?? []))];
    const births = await db.query<{ asn: string; birth_date: string | null }>(
      'select asn, birth_date::text from student where asn = any($1::text[])',
      [primaries],
    );
    for (const b of births.rows) this.birthDates.set(b.asn, b.birth_date);
  }

  /** The primary ASN behind an ASN as written; null for an unknown student. */
  primaryOf(asn: string): string | null {
    const entry = this.students.studentByAsn(asn);
    return entry ? (entry.primaryAsn ?? entry.asn) : null;
  }

  /** The live connections of (primary ASN, email) pairs. */
  async loadConnections(db: Queryable, pairs: { asn: string; email: string }[]): Promise<void> {
    const live = await db.query<{
      asn: string;
      email: string;
      status: 'waiting' | 'activated';
      school_code: string;
      authority_code: string;
    }>(
      `select c.asn, c.email, c.status, c.school_code, c.authority_code from connection c
         join unnest($1::text[], $2::text[]) as wanted (asn, email) using (asn, email)
        where c.status in ('waiting', 'activated')`,
      [pairs.map((p) => p.asn), pairs.map((p) => p.email)],
    );
    for (const c of live.rows) {
      this.connections.set(connectionKey(c.asn, c.email), c.status);
      this.owners.set(connectionKey(c.asn, c.email), { schoolCode: c.school_code, authorityCode: c.authority_code });
    }
  }

  schoolAuthority(schoolCode: string): string | undefined {
    return this.students.schoolAuthority(schoolCode);
  }

  studentByAsn(asn: string): { asn: string; primaryAsn: string | null } | undefined {
    return this.students.studentByAsn(asn);
  }

  facts(primaryAsn: string): StudentFacts {
    return this.students.facts(primaryAsn);
  }

  birthDate(primaryAsn: string): string | null {
    return this.birthDates.get(primaryAsn) ?? null;
  }

  liveConnection(primaryAsn: string, email: string): LiveConnection {
    return this.connections.get(connectionKey(primaryAsn, email)) ?? 'none';
  }

  connectionOwner(primaryAsn: string, email: string): ConnectionOwner | undefined {
    return this.owners.get(connectionKey(primaryAsn, email));
  }

  /** What a row of the chunk did: `owner` holds the connection now (null once none is live). */
  recordConnection(primaryAsn: string, email: string, live: LiveConnection, owner: ConnectionOwner | null): void {
    this.connections.set(connectionKey(primaryAsn, email), live);
    if (owner === null) this.owners.delete(connectionKey(primaryAsn, email));
    else this.owners.set(connectionKey(primaryAsn, email), owner);
  }
}
