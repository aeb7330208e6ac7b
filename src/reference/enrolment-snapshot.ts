import { arrayLiteral } from '../db/array-literal.ts';
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

/** Separates the fields of one enrolment, and the enrolments, in a student's history string. */
const fieldSeparator = '\u001f';
const enrolmentSeparator = '\u001e';

/**
 * The chunk's students, each with its primary's creation facts and its primary's enrolments as
 * one string (school, entry and exit dates; deleted ones are ignored by every rule, so not
 * fetched). Joined to the ASNs unnested: `asn = any($1)` with 5,000 ASNs was planned as a
 * parallel sequential scan of the 500,000 students; this is 5,000 index-only probes, and one
 * index-only scan of the enrolment key per student. One row and one string per student, where a
 * second query sent a row per enrolment (18,600 for 5,000 students): 60 ms against 70–80 ms on
 * the server, and 13 ms of Node's time against 46–60 ms to receive (per chunk of 5,000 rows).
 */
const studentsByAsn = `
  select s.asn, s.primary_asn, s.created_by, s.created_on::text, p.created_by, p.created_on::text,
         (select string_agg(e.school_code || chr(31) || e.entry_date::text || chr(31) ||
                            coalesce(e.exit_date::text, ''), chr(30))
            from enrolment e where e.asn = coalesce(s.primary_asn, s.asn) and not e.deleted)
    from unnest($1::text[]) as k (asn)
    join student s on s.asn = k.asn
    left join student p on p.asn = s.primary_asn`;

/**
 * A student, its primary, the creation facts of both, and the primary's enrolments
 * (`studentsByAsn`'s columns, in order).
 */
type StudentRow = [string, string | null, string | null, string | null, string | null, string | null, string | null];

/** Primary ASNs of the active students with each of these match keys. */
async function fetchMatches(db: Queryable, matchKeys: readonly string[]): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>();
  if (matchKeys.length === 0) return found;
  const matches = await db.query<[string, string]>({
    text: `select distinct k.match_key, coalesce(s.primary_asn, s.asn)
             from unnest($1::text[]) as k (match_key)
             join student s on s.match_key = k.match_key and not s.deactivated`,
    values: [arrayLiteral(matchKeys)],
    rowMode: 'array',
  });
  for (const [matchKey, asn] of matches.rows) {
    const asns = found.get(matchKey) ?? new Set<string>();
    asns.add(asn);
    found.set(matchKey, asns);
  }
  return found;
}

const signatureOf = (duplicates: ReadonlyMap<string, ReadonlySet<string>>, matchKeys: readonly string[]) =>
  matchKeys.map((key) => `${key}\u0000${[...(duplicates.get(key) ?? [])].sort().join(',')}`).join('\u0001');

/** The database's potential duplicates for these match keys now, as `matchSignature` writes them. */
export async function matchesNow(db: Queryable, matchKeys: readonly string[]): Promise<string> {
  return signatureOf(await fetchMatches(db, matchKeys), matchKeys);
}

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
  /**
   * By primary ASN, enrolments as fetched and not yet read: a list is made when a rule first asks
   * (objects made and dropped within the chunk's decisions, not held from the lookup on).
   */
  private readonly unread = new Map<string, string>();
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
      values: [arrayLiteral([...new Set(asns)].sort())],
      rowMode: 'array',
    });
    for (const [asn, primaryAsn, createdBy, createdOn, primaryCreatedBy, primaryCreatedOn, history] of found.rows) {
      this.students.set(asn, { asn, primaryAsn, createdBy, createdOn });
      // A secondary ASN's primary (whose creation facts the rules use) may not be in the chunk.
      if (primaryAsn !== null && !this.students.has(primaryAsn))
        this.students.set(primaryAsn, {
          asn: primaryAsn,
          primaryAsn: null,
          createdBy: primaryCreatedBy,
          createdOn: primaryCreatedOn,
        });
      const primary = primaryAsn ?? asn;
      if (!this.enrolments.has(primary) && !this.unread.has(primary)) this.unread.set(primary, history ?? '');
    }
  }

  /** The student's enrolments, read from the fetched history on first use; undefined when not looked up. */
  private listOf(primaryAsn: string): StoredEnrolment[] | undefined {
    const history = this.unread.get(primaryAsn);
    if (history === undefined) return this.enrolments.get(primaryAsn);
    this.unread.delete(primaryAsn);
    const list: StoredEnrolment[] = [];
    // Read by position (no array of parts per enrolment): school, entry date, exit date.
    for (let start = 0; start < history.length; ) {
      let end = history.indexOf(enrolmentSeparator, start);
      if (end < 0) end = history.length;
      const afterSchool = history.indexOf(fieldSeparator, start);
      const afterEntry = history.indexOf(fieldSeparator, afterSchool + 1);
      const schoolCode = history.slice(start, afterSchool);
      list.push({
        schoolCode,
        authorityCode: this.schools.get(schoolCode) ?? '',
        entryDate: history.slice(afterSchool + 1, afterEntry),
        exitDate: afterEntry + 1 < end ? history.slice(afterEntry + 1, end) : null,
        deleted: false,
      });
      start = end + 1;
    }
    this.enrolments.set(primaryAsn, list);
    return list;
  }

  async loadMatches(db: Queryable, matchKeys: string[]): Promise<void> {
    for (const [matchKey, asns] of await fetchMatches(db, matchKeys))
      for (const asn of asns) this.addPotentialDuplicate(matchKey, asn);
  }

  /**
   * The potential duplicates the snapshot knows for these match keys, written so that two
   * readings can be compared (`matchesNow` gives the database's).
   */
  matchSignature(matchKeys: readonly string[]): string {
    return signatureOf(this.duplicates, matchKeys);
  }

  private find(primaryAsn: string, schoolCode: string, entryDate: string): StoredEnrolment | undefined {
    const list = this.listOf(primaryAsn);
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
      enrolments: (this.listOf(primaryAsn) ?? []).filter((e) => !e.deleted),
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
    const list = this.listOf(asn);
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
    this.addPotentialDuplicate(matchKey, asn);
  }

  /** A student with these names and birth date, known to exist though not looked up. */
  addPotentialDuplicate(matchKey: string, asn: string): void {
    let set = this.duplicates.get(matchKey);
    if (!set) {
      set = new Set();
      this.duplicates.set(matchKey, set);
    }
    set.add(asn);
  }
}
