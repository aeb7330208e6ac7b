import type { ReferralReason, RowCode } from '../outcomes.ts';
import type { EnrolmentRow } from '../validate/enrolment-row.ts';
import { formatAsn, studentMatchKey } from '../validate/values.ts';
import { canAccessStudent, decideNewEnrolment, isHiddenFrom } from './enrolment-access.ts';
import type { Association, AuthorityFacts, EnrolmentFact, RuleWindows, StudentFacts } from './facts.ts';
import { isLimitedAccess, restrictionLevel } from './restriction.ts';

/** What the database knows about the rows of one chunk, as the rules need it. */
export interface EnrolmentView {
  asOf: string;
  authority: AuthorityFacts;
  windows: RuleWindows;
  schoolAuthority(schoolCode: string): string | undefined;
  /** Any ASN, primary or secondary. */
  studentByAsn(asn: string): { asn: string; primaryAsn: string | null } | undefined;
  facts(primaryAsn: string): StudentFacts;
  /** A deleted enrolment does not exist for any rule: writing it again is a new enrolment. */
  enrolmentExists(primaryAsn: string, schoolCode: string, entryDate: string): boolean;
  /** Primary ASNs of active students with the same names and birth date. */
  potentialDuplicates(matchKey: string): string[];
}

/** What the rules saw, kept with a referral for Student Records. */
export interface RulesSaw {
  restriction: string;
  associations: Association[];
  recentEnrolments: EnrolmentFact[];
  matchingAsns?: string[];
}

export type EnrolmentDecision =
  | {
      status: 'accepted';
      code: 'ENROLMENT_CREATED' | 'ENROLMENT_UPDATED' | 'ENROLMENT_DELETED';
      primaryAsn: string;
      externalAccess: boolean;
    }
  | { status: 'accepted'; code: 'STUDENT_CREATED' }
  | { status: 'referred'; code: RowCode; reason: ReferralReason; message: string; saw: RulesSaw }
  | { status: 'invalid'; code: RowCode; message: string };

export function notAccessibleMessage(asn: string): string {
  return (
    `The ASN provided (${formatAsn(asn)}) either does not exist or is not accessible to your authority. ` +
    `The row was referred to Student Records.`
  );
}

function recentEnrolments(facts: StudentFacts | undefined): EnrolmentFact[] {
  if (!facts) return [];
  return [...facts.enrolments].sort((a, b) => (a.entryDate < b.entryDate ? 1 : -1)).slice(0, 5);
}

/**
 * Who decides a row: the uploader under the limited-access rules, or Student Records approving
 * a referred row (docs/rules.md §7), which bypasses the limited-access rules but none of the data checks.
 */
export type DecisionBasis = 'limited_access_rules' | 'student_records_approval';

const defaultEarliestBirthYear = 1900;

/** A new student's birth date must be a day that has come, and not before the earliest year. */
function birthDateProblem(birthDate: string | null, asOf: string, earliestYear: number): string | null {
  if (birthDate === null) return null;
  if (birthDate > asOf)
    return (
      `birth_date ${birthDate} is after the as-of date ${asOf}: a student cannot be born in the future. ` +
      `Check the date (YYYY-MM-DD).`
    );
  if (Number(birthDate.slice(0, 4)) < earliestYear)
    return (
      `birth_date ${birthDate} is before ${earliestYear}, ` +
      `the earliest year accepted. ` +
      `Check the date (YYYY-MM-DD).`
    );
  return null;
}

/**
 * Decides one checked enrolment row (docs/rules.md §3). Pure: the view is a snapshot. On Student
 * Records' approval: a possible duplicate becomes a new student, a secondary ASN is enrolled
 * under its primary, and an existing student is enrolled whatever the associations; an unknown
 * ASN or school stays invalid.
 */
export function decideEnrolmentRow(
  row: EnrolmentRow,
  view: EnrolmentView,
  basis: DecisionBasis = 'limited_access_rules',
): EnrolmentDecision {
  const { authority, asOf, windows } = view;
  const level = restrictionLevel(authority);
  const limited = isLimitedAccess(level);
  const approved = basis === 'student_records_approval';
  const saw = (associations: Association[], facts?: StudentFacts, extra: Partial<RulesSaw> = {}): RulesSaw => ({
    restriction: level,
    associations,
    recentEnrolments: recentEnrolments(facts),
    ...extra,
  });

  const schoolAuthority = view.schoolAuthority(row.schoolCode);
  if (schoolAuthority === undefined) {
    return {
      status: 'invalid',
      code: 'UNKNOWN_SCHOOL',
      message: `school_code ${row.schoolCode} is not a known school; check the code.`,
    };
  }
  if (schoolAuthority !== authority.code) {
    return {
      status: 'invalid',
      code: 'SCHOOL_NOT_IN_AUTHORITY',
      message:
        `school_code ${row.schoolCode} does not belong to authority ${authority.code}; ` +
        `submit rows only for your own schools.`,
    };
  }

  if (row.asn === null) {
    const birthProblem = birthDateProblem(row.birthDate, asOf, windows.earliestBirthYear ?? defaultEarliestBirthYear);
    if (birthProblem !== null) return { status: 'invalid', code: 'INVALID_DATE', message: birthProblem };
    const key = studentMatchKey(row.firstName ?? '', row.lastName ?? '', row.birthDate ?? '');
    const matches = view.potentialDuplicates(key);
    if (matches.length === 0 || approved) return { status: 'accepted', code: 'STUDENT_CREATED' };
    if (limited) {
      return {
        status: 'referred',
        code: 'POTENTIAL_DUPLICATE',
        reason: 'POTENTIAL_DUPLICATE',
        message:
          'A new student was requested, but the student may already exist. The row was referred to Student Records.',
        saw: saw([], undefined, { matchingAsns: matches }),
      };
    }
    return {
      status: 'invalid',
      code: 'DUPLICATE_STUDENT',
      message:
        `Students with the same names and birth date already exist (ASN ${matches.map(formatAsn).join(', ')}); ` +
        `enrol the existing student by ASN, or contact Student Records if this is a different person.`,
    };
  }

  const entry = view.studentByAsn(row.asn);
  const primaryAsn = entry ? (entry.primaryAsn ?? entry.asn) : null;
  if (row.action === 'delete') {
    // Decided before student existence, so a delete tells a limited-access authority nothing new.
    if (primaryAsn !== null && view.enrolmentExists(primaryAsn, row.schoolCode, row.entryDate)) {
      return { status: 'accepted', code: 'ENROLMENT_DELETED', primaryAsn, externalAccess: false };
    }
    return {
      status: 'invalid',
      code: 'ENROLMENT_NOT_FOUND',
      message:
        `No enrolment of ASN ${formatAsn(row.asn)} at ${row.schoolCode} with entry_date ${row.entryDate} exists; ` +
        `check the ASN, school and entry date.`,
    };
  }

  if (entry === undefined || primaryAsn === null) {
    if (limited && !approved) {
      return {
        status: 'referred',
        code: 'NOT_ACCESSIBLE',
        reason: 'UNKNOWN_ASN',
        message: notAccessibleMessage(row.asn),
        saw: saw([]),
      };
    }
    return {
      status: 'invalid',
      code: 'UNKNOWN_ASN',
      message:
        `No student has ASN ${formatAsn(row.asn)}; check the number, or leave asn empty and give names and ` +
        `birth date to create a new student.`,
    };
  }

  if (view.enrolmentExists(primaryAsn, row.schoolCode, row.entryDate)) {
    return { status: 'accepted', code: 'ENROLMENT_UPDATED', primaryAsn, externalAccess: false };
  }

  if (approved) return { status: 'accepted', code: 'ENROLMENT_CREATED', primaryAsn, externalAccess: false };
  const facts = view.facts(primaryAsn);
  if (entry.primaryAsn !== null) {
    if (isHiddenFrom(facts, authority, asOf, windows)) {
      return {
        status: 'referred',
        code: 'NOT_ACCESSIBLE',
        reason: 'NO_HISTORICAL_ENROLMENT',
        message: notAccessibleMessage(row.asn),
        saw: saw([], facts),
      };
    }
    const named = canAccessStudent(facts, authority, asOf, windows)
      ? `; use the primary ASN ${formatAsn(primaryAsn)}`
      : "; use the student's primary ASN";
    return {
      status: 'invalid',
      code: 'SECONDARY_ASN',
      message: `ASN ${formatAsn(row.asn)} is a secondary ASN and cannot start a new enrolment${named}.`,
    };
  }

  const decision = decideNewEnrolment(facts, authority, asOf, windows);
  if (decision.outcome === 'accept') {
    return {
      status: 'accepted',
      code: 'ENROLMENT_CREATED',
      primaryAsn,
      externalAccess: decision.basis === 'not_limited',
    };
  }
  if (decision.reason === 'NO_HISTORICAL_ENROLMENT') {
    return {
      status: 'referred',
      code: 'NOT_ACCESSIBLE',
      reason: decision.reason,
      message: notAccessibleMessage(row.asn),
      saw: saw(decision.associations, facts),
    };
  }
  return {
    status: 'referred',
    code: decision.reason,
    reason: decision.reason,
    message:
      `Your authority may not enrol this student without Student Records (${decision.reason}). ` +
      `The row was referred to Student Records.`,
    saw: saw(decision.associations, facts),
  };
}
