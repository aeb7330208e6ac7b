import type { RulesSaw } from '../rules/enrolment-row.ts';
import type { Association, EnrolmentFact, RestrictionLevel } from '../rules/facts.ts';

export type CheckedSaw = { ok: true; saw: RulesSaw } | { ok: false; problem: string };

const restrictions: readonly RestrictionLevel[] = ['high', 'low', 'none'];
const associationNames: readonly Association[] = ['creation', 'current', 'last', 'recent'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function enrolmentFact(value: unknown): EnrolmentFact | null {
  if (!isObject(value)) return null;
  const { schoolCode, authorityCode, entryDate, exitDate } = value;
  if (typeof schoolCode !== 'string' || typeof authorityCode !== 'string' || typeof entryDate !== 'string') return null;
  if (exitDate !== null && typeof exitDate !== 'string') return null;
  return { schoolCode, authorityCode, entryDate, exitDate };
}

/**
 * What the rules saw (`referral.saw`), read back from the database: checked, never taken on
 * trust, so an item whose record is damaged or missing says so instead of showing nonsense.
 */
export function checkRulesSaw(data: unknown): CheckedSaw {
  const problem = (message: string): CheckedSaw => ({ ok: false, problem: `What the rules saw ${message}` });
  if (!isObject(data)) return problem('is not stored as a record.');
  if (Object.keys(data).length === 0) return problem('was not recorded for this item.');
  const { restriction, associations, recentEnrolments, matchingAsns } = data;
  if (!restrictions.some((level) => level === restriction))
    return problem('has no restriction level (high, low or none).');
  const isAssociation = (value: unknown): value is Association => associationNames.some((name) => name === value);
  if (!Array.isArray(associations) || !associations.every(isAssociation))
    return problem('has associations that are not a list of creation, current, last or recent.');
  if (!Array.isArray(recentEnrolments)) return problem('has last enrolments that are not a list.');
  const enrolments = recentEnrolments.map(enrolmentFact);
  if (enrolments.some((e) => e === null))
    return problem('has a last enrolment without its school, authority or dates.');
  if (
    matchingAsns !== undefined &&
    (!Array.isArray(matchingAsns) || !matchingAsns.every((asn) => typeof asn === 'string'))
  )
    return problem('has matching students that are not a list of ASNs.');
  return {
    ok: true,
    saw: {
      restriction: String(restriction),
      associations: associations.filter(isAssociation),
      recentEnrolments: enrolments.filter((e): e is EnrolmentFact => e !== null),
      ...(matchingAsns === undefined ? {} : { matchingAsns: matchingAsns.filter((a) => typeof a === 'string') }),
    },
  };
}
