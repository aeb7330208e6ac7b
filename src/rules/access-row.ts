import type { ReferralReason, RowCode } from '../outcomes.ts';
import type { AccessAction, AccessRow } from '../validate/access-row.ts';
import { addMonths } from '../validate/dates.ts';
import { isInstitutionAddress } from '../validate/email.ts';
import { formatAsn } from '../validate/values.ts';
import { associations, hasHistoricalEnrolment } from './associations.ts';
import { isHiddenFrom } from './enrolment-access.ts';
import { type DecisionBasis, notAccessibleMessage, type RulesSaw } from './enrolment-row.ts';
import type { AuthorityFacts, EnrolmentFact, RuleWindows, StudentFacts } from './facts.ts';
import { isLimitedAccess, restrictionLevel } from './restriction.ts';

/** Deleted and Request Expired connections are ignored by every rule (docs/rules.md §4). */
export type LiveConnection = 'waiting' | 'activated' | 'none';

/** The school that set up a live connection, and its authority: the one that keeps it. */
export interface ConnectionOwner {
  schoolCode: string;
  authorityCode: string;
}

/** What the database knows about the rows of one chunk of an access-code file. */
export interface AccessView {
  asOf: string;
  authority: AuthorityFacts;
  windows: RuleWindows;
  /** Every email domain of every authority and school. */
  institutionDomains: ReadonlySet<string>;
  schoolAuthority(schoolCode: string): string | undefined;
  studentByAsn(asn: string): { asn: string; primaryAsn: string | null } | undefined;
  facts(primaryAsn: string): StudentFacts;
  birthDate(primaryAsn: string): string | null;
  liveConnection(primaryAsn: string, email: string): LiveConnection;
  /** Who holds the person's live connection; undefined when there is none. */
  connectionOwner(primaryAsn: string, email: string): ConnectionOwner | undefined;
}

export type AccessCode = 'CONNECTION_CREATED' | 'CONNECTION_REPLACED' | 'CONNECTION_RESET' | 'CONNECTION_REVOKED';

export type AccessDecision =
  | { status: 'accepted'; code: AccessCode; primaryAsn: string }
  | { status: 'referred'; code: RowCode; reason: ReferralReason; message: string; saw: RulesSaw }
  | { status: 'invalid'; code: RowCode; message: string };

/** myPass lets students see their own record from this age. */
const minimumStudentAge = 13;

type ConnectionOutcome =
  | { status: 'accepted'; code: AccessCode }
  | { status: 'invalid'; code: RowCode; message: string };

const alreadyActivated = (row: AccessRow): ConnectionOutcome => ({
  status: 'invalid',
  code: 'ALREADY_ACTIVATED',
  message:
    `${row.email} already has an activated connection to ASN ${formatAsn(row.asn)}; nothing was changed. ` +
    `If they cannot sign in, direct them to reset the password of the account they activated it with ` +
    `(Education Account, Google or Microsoft).`,
});
const notFound = (row: AccessRow, what: string): ConnectionOutcome => ({
  status: 'invalid',
  code: 'CONNECTION_NOT_FOUND',
  message:
    `${row.email} has no ${what} connection to ASN ${formatAsn(row.asn)}; check the ASN and email` +
    `${row.action === 'reset' ? ', or send a create row for a new connection' : ''}.`,
});

/**
 * docs/rules.md §4 and §5: what an action does given the person's live connection.
 *
 * | action | live connection | replace | outcome                                        |
 * |--------|-----------------|---------|------------------------------------------------|
 * | create | none            | any     | CONNECTION_CREATED                             |
 * | create | waiting         | no      | invalid ALREADY_WAITING                        |
 * | create | waiting         | yes     | CONNECTION_REPLACED (the waiting one deleted)  |
 * | create | activated       | any     | invalid ALREADY_ACTIVATED                      |
 * | reset  | waiting         | any     | CONNECTION_RESET (old PIN and link stop)       |
 * | reset  | activated       | any     | invalid ALREADY_ACTIVATED (access unaffected)  |
 * | reset  | none            | any     | invalid CONNECTION_NOT_FOUND                   |
 * | revoke | waiting         | any     | CONNECTION_REVOKED                             |
 * | revoke | activated       | any     | CONNECTION_REVOKED (access ends)               |
 * | revoke | none            | any     | invalid CONNECTION_NOT_FOUND                   |
 */
export function decideConnectionAction(row: AccessRow, live: LiveConnection): ConnectionOutcome {
  const table: Record<AccessAction, Record<LiveConnection, () => ConnectionOutcome>> = {
    create: {
      none: () => ({ status: 'accepted', code: 'CONNECTION_CREATED' }),
      waiting: () =>
        row.replace
          ? { status: 'accepted', code: 'CONNECTION_REPLACED' }
          : {
              status: 'invalid',
              code: 'ALREADY_WAITING',
              message:
                `${row.email} already has a connection to ASN ${formatAsn(row.asn)} waiting for activation; ` +
                `with their permission, send the row again with replace=yes to delete it and set up a new one, ` +
                `or use action reset for a new PIN.`,
            },
      activated: () => alreadyActivated(row),
    },
    reset: {
      none: () => notFound(row, 'waiting'),
      waiting: () => ({ status: 'accepted', code: 'CONNECTION_RESET' }),
      activated: () => alreadyActivated(row),
    },
    revoke: {
      none: () => notFound(row, 'live'),
      waiting: () => ({ status: 'accepted', code: 'CONNECTION_REVOKED' }),
      activated: () => ({ status: 'accepted', code: 'CONNECTION_REVOKED' }),
    },
  };
  return table[row.action][live]();
}

/**
 * docs/rules.md §4: who may reset a waiting connection, or replace it (`create` with
 * `replace=yes`, which deletes it). Neither takes a family's connection away from the authority
 * whose school set it up; a revoke stays open to any authority with an association (custody
 * changes are urgent), so it is not decided here.
 *
 * | connection set up by       | decided under             | outcome                                              |
 * |----------------------------|---------------------------|------------------------------------------------------|
 * | this authority's school    | any                       | accepted: it moves to the row's school               |
 * | another authority's school | the limited-access rules  | referred CONNECTION_OF_ANOTHER_AUTHORITY (no change) |
 * | another authority's school | Student Records' approval | accepted: it moves to the row's school               |
 */
export function decideResetOwnership(
  row: AccessRow,
  authorityCode: string,
  owner: ConnectionOwner,
  basis: DecisionBasis,
): { status: 'accepted' } | { status: 'referred'; message: string } {
  if (owner.authorityCode === authorityCode || basis === 'student_records_approval') return { status: 'accepted' };
  const act = row.action === 'reset' ? 'reset' : 'replace';
  return {
    status: 'referred',
    message:
      `The connection of ${row.email} to ASN ${formatAsn(row.asn)} was set up by school ${owner.schoolCode} ` +
      `of another authority, which keeps it: nothing was changed. Ask that school to ${act} it (it gets the new ` +
      `letter); the row was referred to Student Records, who can ${act} it for you.`,
  };
}

/** Whether someone born on `birthDate` has had their `age`th birthday by `asOf` (29 February counts on the 28th). */
export function isAtLeast(birthDate: string, age: number, asOf: string): boolean {
  return addMonths(birthDate, age * 12) <= asOf;
}

function recentEnrolments(facts: StudentFacts): EnrolmentFact[] {
  return [...facts.enrolments].sort((a, b) => (a.entryDate < b.entryDate ? 1 : -1)).slice(0, 5);
}

/**
 * Decides one checked access-code row (docs/rules.md §4). Pure: the view is a snapshot.
 *
 * | check (in this order)                                  | outcome                                                  |
 * |--------------------------------------------------------|----------------------------------------------------------|
 * | school unknown / of another authority                  | invalid UNKNOWN_SCHOOL / SCHOOL_NOT_IN_AUTHORITY         |
 * | email on an authority's or school's domain             | invalid EMAIL_NOT_PERSONAL                               |
 * | ASN unknown, limited-access authority                  | referred NOT_ACCESSIBLE (reason UNKNOWN_ASN)             |
 * | ASN unknown, other authority                           | invalid UNKNOWN_ASN                                      |
 * | limited access, no association or historical enrolment | referred NOT_ACCESSIBLE (reason NO_HISTORICAL_ENROLMENT) |
 * | no association (any authority)                         | referred NO_ASSOCIATION_FOR_ACCESS                       |
 * | create for the student, under 13 or birth date unknown | invalid STUDENT_TOO_YOUNG                                |
 * | otherwise                                              | decideConnectionAction                                   |
 * | a reset or replace it accepts                          | decideResetOwnership                                     |
 *
 * On Student Records' approval the two association rows and the reset's ownership are skipped
 * (an unknown ASN stays invalid); every other check applies.
 */
export function decideAccessRow(
  row: AccessRow,
  view: AccessView,
  basis: DecisionBasis = 'limited_access_rules',
): AccessDecision {
  const { authority, asOf, windows } = view;
  const level = restrictionLevel(authority);
  const approved = basis === 'student_records_approval';

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
  if (isInstitutionAddress(row.email, view.institutionDomains)) {
    return {
      status: 'invalid',
      code: 'EMAIL_NOT_PERSONAL',
      message:
        `${row.email} is an authority or school address; access needs the person's own personal email address, ` +
        `not one tied to a school or authority.`,
    };
  }

  const entry = view.studentByAsn(row.asn);
  if (entry === undefined) {
    if (isLimitedAccess(level) && !approved) {
      return {
        status: 'referred',
        code: 'NOT_ACCESSIBLE',
        reason: 'UNKNOWN_ASN',
        message: notAccessibleMessage(row.asn),
        saw: { restriction: level, associations: [], recentEnrolments: [] },
      };
    }
    return {
      status: 'invalid',
      code: 'UNKNOWN_ASN',
      message: `No student has ASN ${formatAsn(row.asn)}; check the number.`,
    };
  }
  const primaryAsn = entry.primaryAsn ?? entry.asn;
  const facts = view.facts(primaryAsn);
  const held = associations(facts, authority.code, level, asOf, windows);
  const saw: RulesSaw = { restriction: level, associations: held, recentEnrolments: recentEnrolments(facts) };
  // On Student Records' own authority no association is needed.
  if (!approved && isHiddenFrom(facts, authority, asOf, windows)) {
    return {
      status: 'referred',
      code: 'NOT_ACCESSIBLE',
      reason: 'NO_HISTORICAL_ENROLMENT',
      message: notAccessibleMessage(row.asn),
      saw,
    };
  }
  if (!approved && held.length === 0) {
    const history = hasHistoricalEnrolment(facts, authority.code) ? ' (a past enrolment is not enough)' : '';
    return {
      status: 'referred',
      code: 'NO_ASSOCIATION_FOR_ACCESS',
      reason: 'NO_ASSOCIATION_FOR_ACCESS',
      message:
        `Your authority has no current association with ASN ${formatAsn(row.asn)}${history}, ` +
        `which access requests need. The row was referred to Student Records.`,
      saw,
    };
  }

  if (row.action === 'create' && row.requester === 'student') {
    const birthDate = view.birthDate(primaryAsn);
    if (birthDate === null || !isAtLeast(birthDate, minimumStudentAge, asOf)) {
      const why =
        birthDate === null ? "the student's birth date is not on record" : `the student is under ${minimumStudentAge}`;
      return {
        status: 'invalid',
        code: 'STUDENT_TOO_YOUNG',
        message:
          `Students get their own access from age ${minimumStudentAge}, and ${why}; ` +
          `set up access for a parent or guardian instead` +
          `${birthDate === null ? ', or ask Student Records to record the birth date' : ''}.`,
      };
    }
  }

  const outcome = decideConnectionAction(row, view.liveConnection(primaryAsn, row.email));
  if (outcome.status !== 'accepted') return outcome;
  const owner = view.connectionOwner(primaryAsn, row.email);
  // A reset, or a replace (which deletes the waiting connection), of another authority's connection.
  if ((outcome.code === 'CONNECTION_RESET' || outcome.code === 'CONNECTION_REPLACED') && owner !== undefined) {
    const ownership = decideResetOwnership(row, authority.code, owner, basis);
    if (ownership.status === 'referred') {
      const { message } = ownership;
      return {
        status: 'referred',
        code: 'CONNECTION_OF_ANOTHER_AUTHORITY',
        reason: 'CONNECTION_OF_ANOTHER_AUTHORITY',
        message,
        saw,
      };
    }
  }
  return { ...outcome, primaryAsn };
}
