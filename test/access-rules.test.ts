import { expect } from 'chai';
import {
  type ConnectionOwner,
  decideAccessRow,
  decideConnectionAction,
  decideResetOwnership,
  isAtLeast,
  type LiveConnection,
} from '../src/rules/access-row.ts';
import type { AuthorityFacts } from '../src/rules/facts.ts';
import type { AccessRow } from '../src/validate/access-row.ts';
import { enrolment, high, low, regular, row, view, type World } from './support/access-view.ts';

const enrolledHere = { '111111111': { birthDate: '2010-01-01', enrolments: [enrolment('S.0101', '2025-09-02')] } };

describe('access-code rows (docs/rules.md §4)', () => {
  it('a school of another authority is SCHOOL_NOT_IN_AUTHORITY', () => {
    expect(decideAccessRow(row({ schoolCode: 'S.0201' }), view(regular, { students: enrolledHere })).code).to.equal(
      'SCHOOL_NOT_IN_AUTHORITY',
    );
  });
  it('an unknown school is UNKNOWN_SCHOOL', () => {
    expect(decideAccessRow(row({ schoolCode: 'S.9999' }), view(regular, { students: enrolledHere })).code).to.equal(
      'UNKNOWN_SCHOOL',
    );
  });
  it('an address on an authority or school domain, or a subdomain of one, is EMAIL_NOT_PERSONAL', () => {
    for (const email of ['a@epsb.example.ca', 'a@staff.epsb.example.ca', 'a@TIS.example.edu.mo'.toLowerCase()]) {
      expect(decideAccessRow(row({ email }), view(regular, { students: enrolledHere })).code).to.equal(
        'EMAIL_NOT_PERSONAL',
      );
    }
  });
  it('an address that merely ends like a domain is personal', () => {
    expect(
      decideAccessRow(row({ email: 'a@notepsb.example.ca' }), view(regular, { students: enrolledHere })).status,
    ).to.equal('accepted');
  });
  it('an unknown ASN is invalid UNKNOWN_ASN for an authority that is not limited', () => {
    expect(decideAccessRow(row({ asn: '999999999' }), view(regular, { students: {} })).code).to.equal('UNKNOWN_ASN');
  });
  it('an unknown ASN is referred NOT_ACCESSIBLE (true reason UNKNOWN_ASN) for a limited-access authority', () => {
    const decision = decideAccessRow(row({ asn: '999999999', schoolCode: 'S.2301' }), view(high, { students: {} }));
    expect(decision).to.include({ status: 'referred', code: 'NOT_ACCESSIBLE', reason: 'UNKNOWN_ASN' });
  });
  it(
    'limited access, no association and no historical enrolment: NOT_ACCESSIBLE with the same words as an ' +
      'unknown ASN',
    () => {
      const hidden = decideAccessRow(
        row({ schoolCode: 'S.2301' }),
        view(high, { students: { '111111111': { enrolments: [enrolment('S.0101', '2020-09-01')] } } }),
      );
      const unknown = decideAccessRow(row({ schoolCode: 'S.2301' }), view(high, { students: {} }));
      expect(hidden).to.include({ status: 'referred', code: 'NOT_ACCESSIBLE', reason: 'NO_HISTORICAL_ENROLMENT' });
      expect(
        hidden.status === 'referred' && unknown.status === 'referred' && hidden.message === unknown.message,
      ).to.equal(true);
    },
  );
  it('a regular authority without an association is referred NO_ASSOCIATION_FOR_ACCESS', () => {
    const decision = decideAccessRow(
      row(),
      view(regular, { students: { '111111111': { enrolments: [enrolment('S.0201', '2020-09-01')] } } }),
    );
    expect(decision).to.include({ status: 'referred', code: 'NO_ASSOCIATION_FOR_ACCESS' });
  });
  it(
    'a Low authority with a historical enrolment only is referred NO_ASSOCIATION_FOR_ACCESS (access needs an ' +
      'association)',
    () => {
      const students = {
        '111111111': {
          enrolments: [enrolment('S.0941', '2015-09-01', '2018-06-15'), enrolment('S.0201', '2018-09-01')],
        },
      };
      expect(decideAccessRow(row({ schoolCode: 'S.0941' }), view(low, { students })).code).to.equal(
        'NO_ASSOCIATION_FOR_ACCESS',
      );
    },
  );
  it('a High authority with a Recent enrolment only has no association (Recent never counts for High)', () => {
    const students = {
      '111111111': { enrolments: [enrolment('S.2301', '2024-09-01', '2026-01-30'), enrolment('S.0201', '2026-02-09')] },
    };
    expect(decideAccessRow(row({ schoolCode: 'S.2301' }), view(high, { students })).code).to.equal(
      'NO_ASSOCIATION_FOR_ACCESS',
    );
  });
  it('By Student Creation is an association for access', () => {
    const students = { '111111111': { createdBy: 'A.0230', createdOn: '2026-01-10' } };
    expect(decideAccessRow(row({ schoolCode: 'S.2301' }), view(high, { students }))).to.include({
      status: 'accepted',
      code: 'CONNECTION_CREATED',
    });
  });
  it('a secondary ASN is resolved to its primary, where the connection is kept', () => {
    const students = { '222222222': { primaryAsn: '111111111' }, ...enrolledHere };
    expect(decideAccessRow(row({ asn: '222222222' }), view(regular, { students }))).to.include({
      status: 'accepted',
      primaryAsn: '111111111',
    });
  });
  it('a student may ask for their own access from their 13th birthday, not the day before', () => {
    const on = (birthDate: string) =>
      decideAccessRow(
        row({ requester: 'student' }),
        view(regular, { students: { '111111111': { birthDate, enrolments: enrolledHere['111111111'].enrolments } } }),
      );
    expect(on('2013-09-15').status).to.equal('accepted');
    expect(on('2013-09-16').code).to.equal('STUDENT_TOO_YOUNG');
  });
  it('a student whose birth date is not on record is STUDENT_TOO_YOUNG, saying why', () => {
    const decision = decideAccessRow(
      row({ requester: 'student' }),
      view(regular, {
        students: { '111111111': { birthDate: null, enrolments: enrolledHere['111111111'].enrolments } },
      }),
    );
    expect(decision.code).to.equal('STUDENT_TOO_YOUNG');
    expect(decision.status === 'invalid' && decision.message).to.contain('birth date is not on record');
  });
  it('a parent of a young student is not held to the age rule', () => {
    const students = { '111111111': { birthDate: '2020-01-01', enrolments: enrolledHere['111111111'].enrolments } };
    expect(decideAccessRow(row(), view(regular, { students })).status).to.equal('accepted');
  });
  it('29 February birthdays come of age on 28 February', () => {
    expect(isAtLeast('2012-02-29', 13, '2025-02-28')).to.equal(true);
    expect(isAtLeast('2012-02-29', 13, '2025-02-27')).to.equal(false);
  });
  it('the existing connection is looked up under the primary ASN and the email', () => {
    const students = { '222222222': { primaryAsn: '111111111' }, ...enrolledHere };
    const decision = decideAccessRow(
      row({ asn: '222222222' }),
      view(regular, { students, live: { '111111111|ann@example.com': 'activated' } }),
    );
    expect(decision.code).to.equal('ALREADY_ACTIVATED');
  });
});

describe('existing connections of the same person (docs/rules.md §4)', () => {
  const table: [AccessRow['action'], LiveConnection, boolean, string][] = [
    ['create', 'none', false, 'CONNECTION_CREATED'],
    ['create', 'waiting', false, 'ALREADY_WAITING'],
    ['create', 'waiting', true, 'CONNECTION_REPLACED'],
    ['create', 'activated', false, 'ALREADY_ACTIVATED'],
    ['create', 'activated', true, 'ALREADY_ACTIVATED'],
    ['reset', 'waiting', false, 'CONNECTION_RESET'],
    ['reset', 'activated', false, 'ALREADY_ACTIVATED'],
    ['reset', 'none', false, 'CONNECTION_NOT_FOUND'],
    ['revoke', 'waiting', false, 'CONNECTION_REVOKED'],
    ['revoke', 'activated', false, 'CONNECTION_REVOKED'],
    ['revoke', 'none', false, 'CONNECTION_NOT_FOUND'],
  ];
  for (const [action, live, replace, code] of table) {
    it(`${action}, ${live} connection${replace ? ', replace=yes' : ''}: ${code}`, () => {
      expect(decideConnectionAction(row({ action, replace }), live).code).to.equal(code);
    });
  }
  it('ALREADY_ACTIVATED tells the school to direct the person to a password reset', () => {
    const outcome = decideConnectionAction(row(), 'activated');
    expect(outcome.status === 'invalid' && outcome.message).to.contain(
      'reset the password of the account they activated it with (Education Account, Google or Microsoft)',
    );
  });
});

describe(
  'access rows approved by Student Records (docs/rules.md §7: association rules bypassed, every other ' + 'check kept)',
  () => {
    const approve = (change: Partial<AccessRow>, authority: AuthorityFacts, world: World) =>
      decideAccessRow(row(change), view(authority, world), 'student_records_approval');
    const elsewhereOnly = { '111111111': { birthDate: '2010-01-01', enrolments: [enrolment('S.0101', '2020-09-01')] } };

    it('no association (NO_ASSOCIATION_FOR_ACCESS under the rules): the connection is created', () => {
      expect(decideAccessRow(row({ schoolCode: 'S.0941' }), view(low, { students: elsewhereOnly })).status).to.equal(
        'referred',
      );
      expect(approve({ schoolCode: 'S.0941' }, low, { students: elsewhereOnly })).to.include({
        status: 'accepted',
        code: 'CONNECTION_CREATED',
        primaryAsn: '111111111',
      });
    });
    it('hidden from a limited-access authority (NOT_ACCESSIBLE under the rules): the connection is created', () => {
      expect(approve({ schoolCode: 'S.2301' }, high, { students: elsewhereOnly })).to.include({
        status: 'accepted',
        code: 'CONNECTION_CREATED',
      });
    });
    it('an unknown ASN stays invalid UNKNOWN_ASN', () => {
      expect(approve({ asn: '999999999', schoolCode: 'S.2301' }, high, { students: {} })).to.include({
        status: 'invalid',
        code: 'UNKNOWN_ASN',
      });
    });
    it('a personal email, the age of a student asking for themselves and the existing connection still decide', () => {
      expect(
        approve({ schoolCode: 'S.2301', email: 'a@tis.example.edu.mo' }, high, { students: elsewhereOnly }).code,
      ).to.equal('EMAIL_NOT_PERSONAL');
      const young = { '111111111': { birthDate: '2016-01-01', enrolments: [enrolment('S.0101', '2025-09-01')] } };
      expect(
        approve({ schoolCode: 'S.2301', requester: 'student', name: null, relationship: null }, high, {
          students: young,
        }).code,
      ).to.equal('STUDENT_TOO_YOUNG');
      const live = { '111111111|ann@example.com': 'activated' as const };
      expect(approve({ schoolCode: 'S.2301' }, high, { students: elsewhereOnly, live }).code).to.equal(
        'ALREADY_ACTIVATED',
      );
    });
  },
);

describe('who may reset a connection (docs/rules.md §4)', () => {
  const key = '111111111|ann@example.com';
  const ownSchool: ConnectionOwner = { schoolCode: 'S.0102', authorityCode: 'A.0001' };
  const otherAuthority: ConnectionOwner = { schoolCode: 'S.0201', authorityCode: 'A.0002' };
  const table: [string, ConnectionOwner, 'limited_access_rules' | 'student_records_approval', string][] = [
    ['a school of this authority', ownSchool, 'limited_access_rules', 'accepted'],
    ['a school of another authority', otherAuthority, 'limited_access_rules', 'referred'],
    [
      'a school of another authority, on Student Records approval',
      otherAuthority,
      'student_records_approval',
      'accepted',
    ],
  ];
  for (const [who, owner, basis, status] of table) {
    it(`set up by ${who}: ${status}`, () => {
      expect(decideResetOwnership(row({ action: 'reset' }), 'A.0001', owner, basis).status).to.equal(status);
    });
  }

  const world = (owner: ConnectionOwner, live: LiveConnection = 'waiting'): World => ({
    students: enrolledHere,
    live: { [key]: live },
    owners: { [key]: owner },
  });
  it('a reset of a connection another school of the authority set up is CONNECTION_RESET', () => {
    expect(decideAccessRow(row({ action: 'reset' }), view(regular, world(ownSchool)))).to.include({
      status: 'accepted',
      code: 'CONNECTION_RESET',
    });
  });
  it(
    "a reset of another authority's connection is referred CONNECTION_OF_ANOTHER_AUTHORITY, naming the school " +
      'that keeps it',
    () => {
      const decision = decideAccessRow(row({ action: 'reset' }), view(regular, world(otherAuthority)));
      expect(decision).to.include({
        status: 'referred',
        code: 'CONNECTION_OF_ANOTHER_AUTHORITY',
        reason: 'CONNECTION_OF_ANOTHER_AUTHORITY',
      });
      expect(decision.status === 'referred' && decision.message)
        .to.contain('set up by school S.0201 of another authority')
        .and.to.contain('nothing was changed');
    },
  );
  it("Student Records' approval resets another authority's connection", () => {
    expect(
      decideAccessRow(row({ action: 'reset' }), view(regular, world(otherAuthority)), 'student_records_approval'),
    ).to.include({ status: 'accepted', code: 'CONNECTION_RESET' });
  });
  it('a revoke stays open to any authority with an association, whoever set the connection up', () => {
    for (const live of ['waiting', 'activated'] as const) {
      expect(decideAccessRow(row({ action: 'revoke' }), view(regular, world(otherAuthority, live)))).to.include({
        status: 'accepted',
        code: 'CONNECTION_REVOKED',
      });
    }
  });
  it("a replace (create with replace=yes) of another authority's waiting connection is referred, as a reset is", () => {
    const replace = row({ action: 'create', replace: true });
    const decision = decideAccessRow(replace, view(regular, world(otherAuthority)));
    expect(decision).to.include({ status: 'referred', code: 'CONNECTION_OF_ANOTHER_AUTHORITY' });
    expect(decision.status === 'referred' && decision.message)
      .to.contain('Ask that school to replace it')
      .and.to.contain('nothing was changed');
    expect(decideAccessRow(replace, view(regular, world(ownSchool)))).to.include({
      status: 'accepted',
      code: 'CONNECTION_REPLACED',
    });
    expect(decideAccessRow(replace, view(regular, world(otherAuthority)), 'student_records_approval')).to.include({
      status: 'accepted',
      code: 'CONNECTION_REPLACED',
    });
  });
  it("a reset of another authority's activated connection is still ALREADY_ACTIVATED (nothing to reset)", () => {
    expect(decideAccessRow(row({ action: 'reset' }), view(regular, world(otherAuthority, 'activated'))).code).to.equal(
      'ALREADY_ACTIVATED',
    );
  });
});
