import { expect } from 'chai';
import { decideEnrolmentRow, type EnrolmentView } from '../src/rules/enrolment-row.ts';
import type { AuthorityFacts, EnrolmentFact, StudentFacts } from '../src/rules/facts.ts';
import type { EnrolmentRow } from '../src/validate/enrolment-row.ts';
import { studentMatchKey } from '../src/validate/values.ts';

const windows = { lastEnrolmentMonths: 6, recentEnrolmentMonths: 12, creationAssociationMonths: 24 };
const authorities = {
  regular: {
    code: 'A.0001',
    nationallyContracted: false,
    international: false,
    active: true,
    usageAgreementSigned: true,
  },
  low: { code: 'A.0094', nationallyContracted: true, international: false, active: true, usageAgreementSigned: false },
  high: { code: 'A.0230', nationallyContracted: false, international: true, active: true, usageAgreementSigned: true },
} satisfies Record<string, AuthorityFacts>;
const schools = new Map([
  ['S.0001', 'A.0001'],
  ['S.0094', 'A.0094'],
  ['S.0230', 'A.0230'],
]);

/** A snapshot as the database would give it: students (primary and secondary) with their enrolments. */
function view(
  authority: AuthorityFacts,
  students: { asn: string; primaryAsn?: string; enrolments?: EnrolmentFact[]; matchKey?: string }[],
): EnrolmentView {
  const byAsn = new Map(students.map((s) => [s.asn, s]));
  return {
    asOf: '2026-09-15',
    authority,
    windows,
    schoolAuthority: (code) => schools.get(code),
    studentByAsn: (asn) => {
      const s = byAsn.get(asn);
      return s ? { asn: s.asn, primaryAsn: s.primaryAsn ?? null } : undefined;
    },
    facts: (asn): StudentFacts => ({
      asn,
      createdBy: null,
      createdOn: null,
      enrolments: byAsn.get(asn)?.enrolments ?? [],
    }),
    enrolmentExists: (asn, school, entry) =>
      (byAsn.get(asn)?.enrolments ?? []).some((e) => e.schoolCode === school && e.entryDate === entry),
    potentialDuplicates: (key) => students.filter((s) => s.matchKey === key).map((s) => s.asn),
  };
}
const at = (schoolCode: string, entryDate: string, exitDate: string | null = null): EnrolmentFact => ({
  schoolCode,
  authorityCode: schools.get(schoolCode) as string,
  entryDate,
  exitDate,
});
function row(change: Partial<EnrolmentRow>): EnrolmentRow {
  return {
    line: 2,
    action: 'upsert',
    asn: '100000001',
    schoolCode: 'S.0094',
    entryDate: '2026-09-02',
    exitDate: null,
    grade: '7',
    enrolmentType: 'Primary',
    lastName: null,
    firstName: null,
    middleName: null,
    birthDate: null,
    ...change,
  };
}

describe('enrolment rows (docs/rules.md §3, further rules)', () => {
  const elsewhere = { asn: '100000001', enrolments: [at('S.0001', '2025-09-01')] };

  it('a school of another authority is invalid SCHOOL_NOT_IN_AUTHORITY', () => {
    expect(decideEnrolmentRow(row({ schoolCode: 'S.0001' }), view(authorities.low, [elsewhere]))).to.include({
      status: 'invalid',
      code: 'SCHOOL_NOT_IN_AUTHORITY',
    });
  });

  it('privacy: unknown ASN and inaccessible student look the same to a limited-access authority', () => {
    const unknown = decideEnrolmentRow(row({ asn: '999999999' }), view(authorities.low, [elsewhere]));
    const hidden = decideEnrolmentRow(row({}), view(authorities.low, [elsewhere]));
    expect(unknown).to.include({ status: 'referred', code: 'NOT_ACCESSIBLE', reason: 'UNKNOWN_ASN' });
    expect(hidden).to.include({ status: 'referred', code: 'NOT_ACCESSIBLE', reason: 'NO_HISTORICAL_ENROLMENT' });
    if (unknown.status !== 'referred' || hidden.status !== 'referred') return;
    expect(unknown.message.replace('9999-9999-9', '#')).to.equal(hidden.message.replace('1000-0000-1', '#'));
    expect(hidden.message).to.equal(
      'The ASN provided (1000-0000-1) either does not exist or is not accessible to your authority. The row was ' +
        'referred to Student Records.',
    );
  });

  it('an unknown ASN is simply invalid for a regular authority', () => {
    expect(
      decideEnrolmentRow(row({ asn: '999999999', schoolCode: 'S.0001' }), view(authorities.regular, [])),
    ).to.include({ status: 'invalid', code: 'UNKNOWN_ASN' });
  });

  it('an update of an existing enrolment the authority owns is accepted, even with no association', () => {
    const student = {
      asn: '100000001',
      enrolments: [at('S.0230', '2010-09-01', '2011-06-30'), at('S.0001', '2012-09-01')],
    };
    expect(
      decideEnrolmentRow(row({ schoolCode: 'S.0230', entryDate: '2010-09-01' }), view(authorities.high, [student])),
    ).to.include({ status: 'accepted', code: 'ENROLMENT_UPDATED' });
  });

  it("a secondary ASN may update the primary's existing enrolment", () => {
    const students = [
      { asn: '100000001', enrolments: [at('S.0094', '2026-09-02')] },
      { asn: '100000002', primaryAsn: '100000001' },
    ];
    expect(decideEnrolmentRow(row({ asn: '100000002' }), view(authorities.low, students))).to.include({
      status: 'accepted',
      code: 'ENROLMENT_UPDATED',
      primaryAsn: '100000001',
    });
  });

  it('a secondary ASN on a new enrolment is invalid; the primary is named only with access', () => {
    const accessible = [
      { asn: '100000001', enrolments: [at('S.0094', '2025-09-01')] },
      { asn: '100000002', primaryAsn: '100000001' },
    ];
    const withAccess = decideEnrolmentRow(
      row({ asn: '100000002', entryDate: '2026-09-03' }),
      view(authorities.low, accessible),
    );
    expect(withAccess).to.include({ status: 'invalid', code: 'SECONDARY_ASN' });
    expect(withAccess.status === 'invalid' && withAccess.message).to.contain('1000-0000-1');

    const historicalOnlyHigh = [
      { asn: '100000001', enrolments: [at('S.0230', '2015-09-01', '2016-06-30'), at('S.0001', '2016-09-01')] },
      { asn: '100000002', primaryAsn: '100000001' },
    ];
    const without = decideEnrolmentRow(
      row({ asn: '100000002', schoolCode: 'S.0230' }),
      view(authorities.high, historicalOnlyHigh),
    );
    expect(without).to.include({ status: 'invalid', code: 'SECONDARY_ASN' });
    expect(without.status === 'invalid' && without.message).to.not.contain('1000-0000-1');
  });

  it('a secondary ASN of a student hidden from the authority falls under the privacy rule', () => {
    const hidden = [
      { asn: '100000001', enrolments: [at('S.0001', '2025-09-01')] },
      { asn: '100000002', primaryAsn: '100000001' },
    ];
    expect(decideEnrolmentRow(row({ asn: '100000002' }), view(authorities.low, hidden))).to.include({
      status: 'referred',
      code: 'NOT_ACCESSIBLE',
    });
  });

  describe('new students', () => {
    const newRow = row({ asn: null, lastName: 'Tremblay', firstName: 'Éloïse', birthDate: '2011-05-05' });
    const twin = { asn: '100000003', matchKey: studentMatchKey('ELOISE', 'tremblay', '2011-05-05') };
    it('are created when nobody matches', () =>
      expect(decideEnrolmentRow(newRow, view(authorities.low, []))).to.include({
        status: 'accepted',
        code: 'STUDENT_CREATED',
      }));
    it(
      'a potential duplicate (case- and accent-insensitive) is referred for a limited-access authority, ' +
        'disclosing nothing',
      () => {
        const decision = decideEnrolmentRow(newRow, view(authorities.low, [twin]));
        expect(decision).to.include({ status: 'referred', code: 'POTENTIAL_DUPLICATE' });
        expect(decision.status === 'referred' && decision.message).to.not.match(/\d{4}-\d{4}-\d/);
      },
    );
    it(
      'born after the as-of date, or before the earliest year: invalid INVALID_DATE, also when Student Records ' +
        'approves',
      () => {
        for (const birthDate of ['2026-09-16', '2031-01-01', '1899-12-31']) {
          const decision = decideEnrolmentRow({ ...newRow, birthDate }, view(authorities.low, []));
          expect(decision, birthDate).to.include({ status: 'invalid', code: 'INVALID_DATE' });
          expect(decision.status === 'invalid' && decision.message).to.contain(`birth_date ${birthDate}`);
          const approved = decideEnrolmentRow(
            { ...newRow, birthDate },
            view(authorities.low, []),
            'student_records_approval',
          );
          expect(approved, birthDate).to.include({ status: 'invalid', code: 'INVALID_DATE' });
        }
        expect(decideEnrolmentRow({ ...newRow, birthDate: '2026-09-15' }, view(authorities.low, []))).to.include({
          code: 'STUDENT_CREATED',
        });
      },
    );
    it('is invalid DUPLICATE_STUDENT listing the matches for other authorities', () => {
      const decision = decideEnrolmentRow({ ...newRow, schoolCode: 'S.0001' }, view(authorities.regular, [twin]));
      expect(decision).to.include({ status: 'invalid', code: 'DUPLICATE_STUDENT' });
      expect(decision.status === 'invalid' && decision.message).to.contain('1000-0000-3');
    });
  });

  it('a delete of an enrolment that does not exist is ENROLMENT_NOT_FOUND, whoever the student is', () => {
    expect(decideEnrolmentRow(row({ action: 'delete', asn: '999999999' }), view(authorities.low, []))).to.include({
      status: 'invalid',
      code: 'ENROLMENT_NOT_FOUND',
    });
    expect(decideEnrolmentRow(row({ action: 'delete' }), view(authorities.low, [elsewhere]))).to.include({
      status: 'invalid',
      code: 'ENROLMENT_NOT_FOUND',
    });
  });
});

describe(
  'enrolment rows approved by Student Records (docs/rules.md §7: limited-access rules bypassed, data ' + 'checks kept)',
  () => {
    const approve = (change: Partial<EnrolmentRow>, authority: AuthorityFacts, students: Parameters<typeof view>[1]) =>
      decideEnrolmentRow(row(change), view(authority, students), 'student_records_approval');
    const hiddenFromHigh = {
      asn: '100000001',
      enrolments: [at('S.0230', '2015-09-01', '2016-06-30'), at('S.0001', '2016-09-01')],
    };

    it('no association (HIGH_HISTORICAL_ONLY under the rules): the enrolment is created', () => {
      expect(decideEnrolmentRow(row({ schoolCode: 'S.0230' }), view(authorities.high, [hiddenFromHigh]))).to.include({
        status: 'referred',
      });
      expect(approve({ schoolCode: 'S.0230' }, authorities.high, [hiddenFromHigh])).to.include({
        status: 'accepted',
        code: 'ENROLMENT_CREATED',
        primaryAsn: '100000001',
      });
    });
    it('no historical enrolment (NOT_ACCESSIBLE under the rules): the enrolment is created', () => {
      expect(approve({}, authorities.low, [{ asn: '100000001', enrolments: [at('S.0001', '2025-09-01')] }])).to.include(
        {
          status: 'accepted',
          code: 'ENROLMENT_CREATED',
        },
      );
    });
    it('a possible duplicate: a new student is created (Student Records decided it is another person)', () => {
      const key = studentMatchKey('Ann', 'Lee', '2015-05-05');
      const change = { asn: null, schoolCode: 'S.0230', firstName: 'Ann', lastName: 'Lee', birthDate: '2015-05-05' };
      expect(approve(change, authorities.high, [{ asn: '100000009', matchKey: key }])).to.include({
        status: 'accepted',
        code: 'STUDENT_CREATED',
      });
    });
    it('a secondary ASN of a hidden student: enrolled under the primary', () => {
      const students = [hiddenFromHigh, { asn: '100000002', primaryAsn: '100000001' }];
      expect(approve({ asn: '100000002', schoolCode: 'S.0230' }, authorities.high, students)).to.include({
        status: 'accepted',
        primaryAsn: '100000001',
      });
    });
    it('an existing enrolment is updated', () => {
      const student = { asn: '100000001', enrolments: [at('S.0230', '2026-09-02')] };
      expect(approve({ schoolCode: 'S.0230' }, authorities.high, [student])).to.include({
        status: 'accepted',
        code: 'ENROLMENT_UPDATED',
      });
    });
    it(
      'data checks stay: an unknown ASN is UNKNOWN_ASN, an unknown school UNKNOWN_SCHOOL, a school of another ' +
        'authority SCHOOL_NOT_IN_AUTHORITY',
      () => {
        expect(approve({ asn: '999999999', schoolCode: 'S.0230' }, authorities.high, [])).to.include({
          status: 'invalid',
          code: 'UNKNOWN_ASN',
        });
        expect(approve({ schoolCode: 'S.9999' }, authorities.high, [hiddenFromHigh])).to.include({
          status: 'invalid',
          code: 'UNKNOWN_SCHOOL',
        });
        expect(approve({ schoolCode: 'S.0001' }, authorities.high, [hiddenFromHigh])).to.include({
          status: 'invalid',
          code: 'SCHOOL_NOT_IN_AUTHORITY',
        });
      },
    );
  },
);
