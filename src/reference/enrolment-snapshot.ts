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

interface StudentRow {
  asn: string;
  pa: string | null;
  cb: string | null;
  co: string | null;
  pb: string | null;
  po: string | null;
}

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
    const found = await db.query<StudentRow>(studentsByAsn, [[...new Set(asns)].sort()]);
    const primaries = new Set<string>();
    for (const r of found.rows) {
      this.students.set(r.asn, { asn: r.asn, primaryAsn: r.pa, createdBy: r.cb, createdOn: r.co });
      // A secondary ASN's primary (whose creation facts the rules use) may not be in the chunk.
      if (r.pa !== null && !this.students.has(r.pa))
        this.students.set(r.pa, { asn: r.pa, primaryAsn: null, createdBy: r.pb, createdOn: r.po });
      primaries.add(r.pa ?? r.asn);
    }
    if (primaries.size === 0) return;
    const enrolments = await db.query<{ asn: string; s: string; e: string; x: string | null }>(enrolmentsOf, [
      [...primaries].sort(),
    ]);
    for (const asn of primaries) this.enrolments.set(asn, []);
    for (const e of enrolments.rows) {
      const authorityCode = this.schools.get(e.s) ?? '';
      this.enrolments
        .get(e.asn)
        ?.push({ schoolCode: e.s, authorityCode, entryDate: e.e, exitDate: e.x, deleted: false });
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
