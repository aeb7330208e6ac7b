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

/**
 * The chunk's students, each with its primary's creation facts. Joined to the ASNs unnested:
 * `asn = any($1)` with 5,000 ASNs was planned as a parallel sequential scan of the 500,000
 * students (230 ms a chunk); this is 5,000 index-only probes (35–55 ms).
 */
const studentsByAsn = `
  select s.asn, s.primary_asn as pa, s.created_by as cb, s.created_on::text as co,
         p.created_by as pb, p.created_on::text as po
    from unnest($1::text[]) as k (asn)
    join student s on s.asn = k.asn
    left join student p on p.asn = s.primary_asn`;

/** A student, its primary, and the creation facts of both (`studentsByAsn`'s columns, in order). */
type StudentRow = [string, string | null, string | null, string | null, string | null, string | null];

/** Deleted enrolments are ignored by every rule, so they are not fetched. One index-only scan. */
const enrolmentsOf = `
  select asn, school_code as s, entry_date::text as e, exit_date::text as x
    from enrolment where asn = any($1::text[]) and not deleted`;

/**
 * What the database knows about the students of one chunk: one query for the students named by
 * ASN (`loadStudents`, which may run before the chunk's transaction) and one for the names of new
 * students (`loadMatches`, inside it, under the match keys' locks). The pipeline adds what it
 * accepts as it goes, so later rows of the same file see earlier ones.
 */
export class EnrolmentSnapshot implements EnrolmentView {
  private readonly students = new Map<string, StudentEntry>();
  /** By primary ASN; a student's few enrolments are searched in a list, not keyed (no key strings to build). */
  private readonly enrolments = new Map<string, StoredEnrolment[]>();
  private readonly duplicates = new Map<string, Set<string>>();

  constructor(
    readonly asOf: string,
    readonly authority: AuthorityFacts,
    readonly windows: RuleWindows,
    private readonly schools: Map<string, string>,
  ) {}

  async load(db: Queryable, asns: string[], matchKeys: string[]): Promise<void> {
    await this.loadStudents(db, asns);
    await this.loadMatches(db, matchKeys);
  }

  async loadStudents(db: Queryable, asns: string[]): Promise<void> {
    if (asns.length === 0) return;
    const found = await db.query<StudentRow>({
      text: studentsByAsn,
      values: [[...new Set(asns)].sort()],
      rowMode: 'array',
    });
    const primaries = new Set<string>();
    for (const [asn, primaryAsn, createdBy, createdOn, primaryCreatedBy, primaryCreatedOn] of found.rows) {
      this.students.set(asn, { asn, primaryAsn, createdBy, createdOn });
      // A secondary ASN's primary (whose creation facts the rules use) may not be in the chunk.
      if (primaryAsn !== null && !this.students.has(primaryAsn))
        this.students.set(primaryAsn, {
          asn: primaryAsn,
          primaryAsn: null,
          createdBy: primaryCreatedBy,
          createdOn: primaryCreatedOn,
        });
      primaries.add(primaryAsn ?? asn);
    }
    if (primaries.size === 0) return;
    // Four or more rows a student: as arrays, not an object each (less to make and collect).
    const enrolments = await db.query<[string, string, string, string | null]>({
      text: enrolmentsOf,
      values: [[...primaries].sort()],
      rowMode: 'array',
    });
    for (const asn of primaries) this.enrolments.set(asn, []);
    for (const [asn, schoolCode, entryDate, exitDate] of enrolments.rows) {
      const authorityCode = this.schools.get(schoolCode) ?? '';
      this.enrolments.get(asn)?.push({ schoolCode, authorityCode, entryDate, exitDate, deleted: false });
    }
  }

  async loadMatches(db: Queryable, matchKeys: string[]): Promise<void> {
    if (matchKeys.length === 0) return;
    const matches = await db.query<{ match_key: string; asn: string }>(
      `select distinct k.match_key, coalesce(s.primary_asn, s.asn) as asn
         from unnest($1::text[]) as k (match_key) join student s on s.match_key = k.match_key and not s.deactivated`,
      [matchKeys],
    );
    for (const m of matches.rows) this.addDuplicateCandidate(m.match_key, m.asn);
  }

  private find(primaryAsn: string, schoolCode: string, entryDate: string): StoredEnrolment | undefined {
    const list = this.enrolments.get(primaryAsn);
    if (list === undefined) return undefined;
    for (const e of list) if (e.entryDate === entryDate && e.schoolCode === schoolCode) return e;
    return undefined;
  }

  schoolAuthority(schoolCode: string): string | undefined {
    return this.schools.get(schoolCode);
  }

  /** Whether the snapshot holds this student (looked up, or added since). */
  knows(asn: string): boolean {
    return this.students.has(asn);
  }

  studentByAsn(asn: string): { asn: string; primaryAsn: string | null } | undefined {
    return this.students.get(asn);
  }

  facts(primaryAsn: string): StudentFacts {
    const student = this.students.get(primaryAsn);
    return {
      asn: primaryAsn,
      createdBy: student?.createdBy ?? null,
      createdOn: student?.createdOn ?? null,
      enrolments: (this.enrolments.get(primaryAsn) ?? []).filter((e) => !e.deleted),
    };
  }

  enrolmentExists(primaryAsn: string, schoolCode: string, entryDate: string): boolean {
    const enrolment = this.find(primaryAsn, schoolCode, entryDate);
    return enrolment !== undefined && !enrolment.deleted;
  }

  potentialDuplicates(matchKey: string): string[] {
    return [...(this.duplicates.get(matchKey) ?? [])].sort();
  }

  recordEnrolment(asn: string, schoolCode: string, entryDate: string, exitDate: string | null, deleted: boolean): void {
    const authorityCode = this.schools.get(schoolCode) ?? '';
    const stored = { schoolCode, authorityCode, entryDate, exitDate, deleted };
    const list = this.enrolments.get(asn);
    if (list === undefined) {
      this.enrolments.set(asn, [stored]);
      return;
    }
    const at = list.findIndex((e) => e.entryDate === entryDate && e.schoolCode === schoolCode);
    // Replaced in place: the list keeps the order the enrolments were first seen in.
    if (at >= 0) list[at] = stored;
    else list.push(stored);
  }

  markDeleted(asn: string, schoolCode: string, entryDate: string): void {
    const existing = this.find(asn, schoolCode, entryDate);
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
