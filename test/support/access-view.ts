import type { AccessView, ConnectionOwner, LiveConnection } from '../../src/rules/access-row.ts';
import type { AuthorityFacts, EnrolmentFact, RuleWindows, StudentFacts } from '../../src/rules/facts.ts';
import type { AccessRow } from '../../src/validate/access-row.ts';

/** A pure view of the database for the access rules' tests (test/access-rules.test.ts): no database. */
const windows: RuleWindows = { lastEnrolmentMonths: 6, recentEnrolmentMonths: 12, creationAssociationMonths: 24 };
export const regular: AuthorityFacts = {
  code: 'A.0001',
  nationallyContracted: false,
  international: false,
  active: true,
  usageAgreementSigned: true,
};
export const low: AuthorityFacts = {
  code: 'A.0094',
  nationallyContracted: true,
  international: false,
  active: true,
  usageAgreementSigned: false,
};
export const high: AuthorityFacts = {
  code: 'A.0230',
  nationallyContracted: false,
  international: true,
  active: true,
  usageAgreementSigned: true,
};
const asOf = '2026-09-15';

const schools = new Map([
  ['S.0101', 'A.0001'],
  ['S.0941', 'A.0094'],
  ['S.2301', 'A.0230'],
  ['S.0201', 'A.0002'],
]);
export const enrolment = (schoolCode: string, entryDate: string, exitDate: string | null = null): EnrolmentFact => ({
  schoolCode,
  authorityCode: schools.get(schoolCode) as string,
  entryDate,
  exitDate,
});

export interface World {
  students: Record<
    string,
    {
      primaryAsn?: string;
      birthDate?: string | null;
      enrolments?: EnrolmentFact[];
      createdBy?: string;
      createdOn?: string;
    }
  >;
  live?: Record<string, LiveConnection>;
  /** Who set up each live connection; by default a school of the authority deciding. */
  owners?: Record<string, ConnectionOwner>;
}

export function view(authority: AuthorityFacts, world: World): AccessView {
  return {
    asOf,
    authority,
    windows,
    institutionDomains: new Set(['epsb.example.ca', 'tis.example.edu.mo']),
    schoolAuthority: (code) => schools.get(code),
    studentByAsn: (asn) =>
      world.students[asn] ? { asn, primaryAsn: world.students[asn]?.primaryAsn ?? null } : undefined,
    facts: (asn): StudentFacts => ({
      asn,
      createdBy: world.students[asn]?.createdBy ?? null,
      createdOn: world.students[asn]?.createdOn ?? null,
      enrolments: world.students[asn]?.enrolments ?? [],
    }),
    birthDate: (asn) => world.students[asn]?.birthDate ?? null,
    liveConnection: (asn, email) => world.live?.[`${asn}|${email}`] ?? 'none',
    connectionOwner: (asn, email) =>
      world.owners?.[`${asn}|${email}`] ??
      (world.live?.[`${asn}|${email}`] ? { schoolCode: 'S.0101', authorityCode: authority.code } : undefined),
  };
}

export function row(change: Partial<AccessRow> = {}): AccessRow {
  return {
    line: 2,
    action: 'create',
    asn: '111111111',
    schoolCode: 'S.0101',
    requester: 'parent_guardian',
    relationship: 'Mother',
    name: 'Ann Example',
    email: 'ann@example.com',
    language: 'en',
    replace: false,
    ...change,
  };
}
