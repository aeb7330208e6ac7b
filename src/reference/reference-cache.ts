import type { Queryable } from '../db/database.ts';
import type { AuthorityFacts } from '../rules/facts.ts';

/** Authorities and schools: small, read once per file. */
export interface ReferenceCache {
  authorities: Map<string, AuthorityFacts & { name: string; emailDomains: string[] }>;
  schoolAuthority: Map<string, string>;
  /** Every email domain of every authority and school, lower case: addresses there are not personal. */
  institutionDomains: Set<string>;
}

export async function loadReferenceCache(db: Queryable): Promise<ReferenceCache> {
  const authorities = await db.query<{
    code: string;
    name: string;
    nationally_contracted: boolean;
    international: boolean;
    active: boolean;
    usage_agreement_signed: boolean;
    email_domains: string[];
  }>('select * from authority');
  const schools = await db.query<{ code: string; authority_code: string; email_domains: string[] }>(
    'select code, authority_code, email_domains from school',
  );
  const domains = [...authorities.rows, ...schools.rows].flatMap((row) =>
    row.email_domains.map((d) => d.trim().toLowerCase().replace(/^@/, '')),
  );
  return {
    authorities: new Map(
      authorities.rows.map((a) => [
        a.code,
        {
          code: a.code,
          name: a.name,
          nationallyContracted: a.nationally_contracted,
          international: a.international,
          active: a.active,
          usageAgreementSigned: a.usage_agreement_signed,
          emailDomains: a.email_domains,
        },
      ]),
    ),
    schoolAuthority: new Map(schools.rows.map((s) => [s.code, s.authority_code])),
    institutionDomains: new Set(domains.filter((d) => d !== '')),
  };
}
