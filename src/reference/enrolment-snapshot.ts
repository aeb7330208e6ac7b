import type { Queryable } from '../db/database.ts';
import type { EnrolmentView } from '../rules/enrolment-row.ts';
import type { AuthorityFacts, EnrolmentFact, RuleWindows, StudentFacts } from '../rules/facts.ts';

interface StoredEnrolment extends EnrolmentFact {
  deleted: boolean;
}

interface StudentEntry {
  asn: string;
  primaryAsn: string | null;
  createdBy: string | null;
  createdOn: string | null;
}

const enrolmentKey = (asn: string, schoolCode: string, entryDate: string) => `${asn}|${schoolCode}|${entryDate}`;

/**
 * What the database knows about the students of one chunk, fetched in three batched queries.
 * The pipeline adds what it accepts as it goes, so later rows of the same file see earlier ones.
 */
export class EnrolmentSnapshot implements EnrolmentView {
  private readonly students = new Map<string, StudentEntry>();
  private readonly enrolments = new Map<string, Map<string, StoredEnrolment>>();
  private readonly duplicates = new Map<string, Set<string>>();

  constructor(
    readonly asOf: string,
    readonly authority: AuthorityFacts,
    readonly windows: RuleWindows,
    private readonly schools: Map<string, string>,
  ) {}

  async load(db: Queryable, asns: string[], matchKeys: string[]): Promise<void> {
    const students = await db.query<{
      asn: string;
      primary_asn: string | null;
      created_by: string | null;
      created_on: string | null;
    }>('select asn, primary_asn, created_by, created_on::text from student where asn = any($1::text[])', [asns]);
    const primaries = new Set<string>();
    for (const s of students.rows) {
      this.students.set(s.asn, {
        asn: s.asn,
        primaryAsn: s.primary_asn,
        createdBy: s.created_by,
        createdOn: s.created_on,
      });
      primaries.add(s.primary_asn ?? s.asn);
    }
    // A secondary ASN's primary (whose creation facts the rules use) may not be in the chunk.
    const missingPrimaries = [...primaries].filter((asn) => !this.students.has(asn));
    if (missingPrimaries.length > 0) {
      const rows = await db.query<{ asn: string; created_by: string | null; created_on: string | null }>(
        'select asn, created_by, created_on::text from student where asn = any($1::text[])',
        [missingPrimaries],
      );
      for (const s of rows.rows)
        this.students.set(s.asn, { asn: s.asn, primaryAsn: null, createdBy: s.created_by, createdOn: s.created_on });
    }
    // Deleted enrolments are ignored by every rule, so they are not fetched.
    const enrolments = await db.query<{
      asn: string;
      school_code: string;
      entry_date: string;
      exit_date: string | null;
    }>(
      'select asn, school_code, entry_date::text, exit_date::text from enrolment where asn = any($1::text[]) and not deleted',
      [[...primaries]],
    );
    for (const e of enrolments.rows) this.recordEnrolment(e.asn, e.school_code, e.entry_date, e.exit_date, false);
    if (matchKeys.length > 0) {
      const matches = await db.query<{ match_key: string; asn: string }>(
        `select distinct match_key, coalesce(primary_asn, asn) as asn from student
          where match_key = any($1::text[]) and not deactivated`,
        [matchKeys],
      );
      for (const m of matches.rows) this.addDuplicateCandidate(m.match_key, m.asn);
    }
  }

  schoolAuthority(schoolCode: string): string | undefined {
    return this.schools.get(schoolCode);
  }

  studentByAsn(asn: string): { asn: string; primaryAsn: string | null } | undefined {
    return this.students.get(asn);
  }

  facts(primaryAsn: string): StudentFacts {
    const student = this.students.get(primaryAsn);
    const enrolments = [...(this.enrolments.get(primaryAsn)?.values() ?? [])].filter((e) => !e.deleted);
    return {
      asn: primaryAsn,
      createdBy: student?.createdBy ?? null,
      createdOn: student?.createdOn ?? null,
      enrolments,
    };
  }

  enrolmentExists(primaryAsn: string, schoolCode: string, entryDate: string): boolean {
    const enrolment = this.enrolments.get(primaryAsn)?.get(enrolmentKey(primaryAsn, schoolCode, entryDate));
    return enrolment !== undefined && !enrolment.deleted;
  }

  potentialDuplicates(matchKey: string): string[] {
    return [...(this.duplicates.get(matchKey) ?? [])].sort();
  }

  recordEnrolment(asn: string, schoolCode: string, entryDate: string, exitDate: string | null, deleted: boolean): void {
    let byKey = this.enrolments.get(asn);
    if (!byKey) {
      byKey = new Map();
      this.enrolments.set(asn, byKey);
    }
    const authorityCode = this.schools.get(schoolCode) ?? '';
    byKey.set(enrolmentKey(asn, schoolCode, entryDate), { schoolCode, authorityCode, entryDate, exitDate, deleted });
  }

  markDeleted(asn: string, schoolCode: string, entryDate: string): void {
    const existing = this.enrolments.get(asn)?.get(enrolmentKey(asn, schoolCode, entryDate));
    if (existing) existing.deleted = true;
  }

  addStudent(asn: string, matchKey: string, createdBy: string, createdOn: string): void {
    this.students.set(asn, { asn, primaryAsn: null, createdBy, createdOn });
    this.addDuplicateCandidate(matchKey, asn);
  }

  private addDuplicateCandidate(matchKey: string, asn: string): void {
    let set = this.duplicates.get(matchKey);
    if (!set) {
      set = new Set();
      this.duplicates.set(matchKey, set);
    }
    set.add(asn);
  }
}
