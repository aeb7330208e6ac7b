import type { AuthorityFacts, RestrictionLevel } from './facts.ts';

/**
 * docs/rules.md §1. High: international, or inactive, or usage agreement unsigned and not nationally
 * contracted. Low: nationally contracted and active. High wins when both hold.
 */
export function restrictionLevel(authority: AuthorityFacts): RestrictionLevel {
  const high =
    authority.international ||
    !authority.active ||
    (!authority.usageAgreementSigned && !authority.nationallyContracted);
  if (high) return 'high';
  if (authority.nationallyContracted && authority.active) return 'low';
  return 'none';
}

export function isLimitedAccess(level: RestrictionLevel): boolean {
  return level !== 'none';
}
