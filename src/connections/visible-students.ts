import type { Queryable } from '../db/database.ts';
import { EnrolmentSnapshot } from '../reference/enrolment-snapshot.ts';
import { associations } from '../rules/associations.ts';
import type { AuthorityFacts, RuleWindows } from '../rules/facts.ts';
import { restrictionLevel } from '../rules/restriction.ts';

/** Whose students a listing is of, and on which day. */
export interface ListingScope {
  authority: AuthorityFacts;
  /** The listing's day: associations are those of that day. */
  asOf: string;
  windows: RuleWindows;
  /** School code → authority code, every school. */
  schools: Map<string, string>;
}

/**
 * The students (primary ASNs) of a batch the authority has an association with on the listing's
 * day, decided by the rules themselves (docs/rules.md §2) over one snapshot of the batch: three
 * queries whatever the batch's size, never one per student.
 */
export async function studentsWithAssociation(
  db: Queryable,
  asns: readonly string[],
  scope: ListingScope,
): Promise<Set<string>> {
  const unique = [...new Set(asns)];
  if (unique.length === 0) return new Set();
  const { authority, asOf, windows } = scope;
  const snapshot = new EnrolmentSnapshot(asOf, authority, windows, scope.schools);
  await snapshot.load(db, unique, []);
  const level = restrictionLevel(authority);
  return new Set(
    unique.filter((asn) => associations(snapshot.facts(asn), authority.code, level, asOf, windows).length > 0),
  );
}
