import type { ReferralReason } from '../outcomes.ts';
import { addMonths } from '../validate/dates.ts';
import { associations, hasEnded, hasHistoricalEnrolment, lastEnrolledWith } from './associations.ts';
import type { Association, AuthorityFacts, EnrolmentFact, RuleWindows, StudentFacts } from './facts.ts';
import { restrictionLevel } from './restriction.ts';

/**
 * How recent an enrolment is: by its end (an open enrolment is the most recent), then by its
 * start; comparable as text.
 */
function recency(enrolment: EnrolmentFact): string {
  return `${enrolment.exitDate ?? '9999-12-31'}|${enrolment.entryDate}`;
}

export type AccessDecision =
  | { outcome: 'accept'; basis: Association | 'historical' | 'not_limited'; associations: Association[] }
  | { outcome: 'refer'; reason: ReferralReason; associations: Association[] };

/**
 * docs/rules.md §3: may this authority create a NEW enrolment of this existing student?
 *
 * | level    | assoc. | hist. | other facts                                   | outcome                            |
 * |----------|--------|-------|-----------------------------------------------|------------------------------------|
 * | none     | any    | any   |                                               | accept (external access if none)   |
 * | Low/High | yes    | any   |                                               | accept                             |
 * | Low/High | no     | no    |                                               | refer NO_HISTORICAL_ENROLMENT      |
 * | Low      | no     | yes   |                                               | accept                             |
 * | High     | no     | yes   | last enrolled here, exit past the Last window | refer HIGH_LAST_EXIT_OVER_6_MONTHS |
 * | High     | no     | yes   | more recent elsewhere (see below)             | refer HIGH_MORE_RECENT_ELSEWHERE   |
 * | High     | no     | yes   | none of the above                             | refer HIGH_HISTORICAL_ONLY         |
 *
 * assoc.: a current association; hist.: a historical enrolment. More recent elsewhere: an enrolment
 * here ended within the Recent window, and one at another authority ends later (or is open).
 */
export function decideNewEnrolment(
  student: StudentFacts,
  authority: AuthorityFacts,
  asOf: string,
  windows: RuleWindows,
): AccessDecision {
  const level = restrictionLevel(authority);
  const held = associations(student, authority.code, level, asOf, windows);
  if (level === 'none') return { outcome: 'accept', basis: held[0] ?? 'not_limited', associations: held };
  if (held[0] !== undefined) return { outcome: 'accept', basis: held[0], associations: held };
  if (!hasHistoricalEnrolment(student, authority.code))
    return { outcome: 'refer', reason: 'NO_HISTORICAL_ENROLMENT', associations: held };
  if (level === 'low') return { outcome: 'accept', basis: 'historical', associations: held };

  if (lastEnrolledWith(student, authority.code, asOf) !== null) {
    return { outcome: 'refer', reason: 'HIGH_LAST_EXIT_OVER_6_MONTHS', associations: held };
  }
  // Enrolments not yet started on the as-of date (a replay of an old file) are not "more recent".
  const started = student.enrolments.filter((e) => e.entryDate <= asOf);
  const own = started.filter((e) => e.authorityCode === authority.code);
  const endedRecently = own.some(
    (e) => hasEnded(e, asOf) && asOf <= addMonths(e.exitDate, windows.recentEnrolmentMonths),
  );
  // biome-ignore lint/complexity/useMathMinMax: ISO dates compared as text; Math.max would turn them into NaN.
  const latestOwn = own.reduce((latest, e) => (recency(e) > latest ? recency(e) : latest), '');
  const newerElsewhere = started.some((e) => e.authorityCode !== authority.code && recency(e) > latestOwn);
  if (endedRecently && newerElsewhere)
    return { outcome: 'refer', reason: 'HIGH_MORE_RECENT_ELSEWHERE', associations: held };
  return { outcome: 'refer', reason: 'HIGH_HISTORICAL_ONLY', associations: held };
}

/**
 * Whether the authority may recognise the student at all (docs/rules.md §3, `canAccessStudent`):
 * always when not limited; with an association; Low also with a historical enrolment.
 */
export function canAccessStudent(
  student: StudentFacts,
  authority: AuthorityFacts,
  asOf: string,
  windows: RuleWindows,
): boolean {
  const level = restrictionLevel(authority);
  if (level === 'none') return true;
  if (associations(student, authority.code, level, asOf, windows).length > 0) return true;
  return level === 'low' && hasHistoricalEnrolment(student, authority.code);
}

/** The privacy rule applies: a limited-access authority with no association and no historical enrolment. */
export function isHiddenFrom(
  student: StudentFacts,
  authority: AuthorityFacts,
  asOf: string,
  windows: RuleWindows,
): boolean {
  const level = restrictionLevel(authority);
  if (level === 'none') return false;
  return (
    associations(student, authority.code, level, asOf, windows).length === 0 &&
    !hasHistoricalEnrolment(student, authority.code)
  );
}
