import { expect } from 'chai';
import { checkAccessRecord } from '../src/validate/access-row.ts';
import { checkEnrolmentRecord } from '../src/validate/enrolment-row.ts';
import { checkRulesSaw } from '../src/validate/rules-saw.ts';
import { checkStoredRow } from '../src/validate/stored-row.ts';

/** What a chunk stores for a referred row: the checked row, as JSON. */
const stored = (row: unknown) => JSON.parse(JSON.stringify(row)) as unknown;

describe('rows read back from the queue are checked again, by the checker of a file row', () => {
  const enrolment = checkEnrolmentRecord({
    line: 4,
    fields: {
      asn: '',
      school_code: '0941',
      entry_date: '2026-09-08',
      grade: '09',
      enrolment_type: 'Primary',
      last_name: 'Akavak',
      first_name: 'Jeela',
      birth_date: '2012-01-15',
    },
  });
  const access = checkAccessRecord({
    line: 7,
    fields: {
      action: 'create',
      asn: '1628-3509-7',
      school_code: 'S.0941',
      requester: 'parent_guardian',
      relationship: 'Grandmother',
      name: 'Siasi',
      email: 'Siasi@Example.ca',
      language: 'fr',
      replace: 'yes',
    },
  });

  it('an enrolment row comes back as it was stored', () => {
    if (!enrolment.ok) throw new Error(enrolment.problem.message);
    expect(checkStoredRow('enrolment', stored(enrolment.row))).to.deep.equal({
      ok: true,
      row: { kind: 'enrolment', row: enrolment.row },
    });
  });

  it('an access row comes back as it was stored, replace and language included', () => {
    if (!access.ok) throw new Error(access.problem.message);
    expect(checkStoredRow('access', stored(access.row))).to.deep.equal({
      ok: true,
      row: { kind: 'access', row: access.row },
    });
  });

  it('a stored row its checks refuse says why, with the code a file row would get', () => {
    if (!enrolment.ok) throw new Error(enrolment.problem.message);
    const changed = checkStoredRow('enrolment', { ...(stored(enrolment.row) as object), grade: 'Z' });
    expect(changed.ok).to.equal(false);
    if (!changed.ok) expect(changed.problem.code).to.equal('INVALID_GRADE');
  });

  it('what is not a row at all is refused', () => {
    for (const data of [null, 'text', [1, 2]]) {
      const checked = checkStoredRow('access', data);
      expect(checked.ok).to.equal(false);
    }
  });
});

describe('what the rules saw, read back from the queue, is checked before it is shown', () => {
  const saw = {
    restriction: 'high',
    associations: ['last'],
    recentEnrolments: [{ schoolCode: 'S.2301', authorityCode: 'A.0230', entryDate: '2025-09-02', exitDate: null }],
  };

  it('comes back as it was stored, matching students included', () => {
    expect(checkRulesSaw(stored(saw))).to.deep.equal({ ok: true, saw });
    const matching = { ...saw, matchingAsns: ['419360275'] };
    expect(checkRulesSaw(stored(matching))).to.deep.equal({ ok: true, saw: matching });
  });

  it('a damaged or missing record says what is wrong', () => {
    const problem = (data: unknown) => {
      const checked = checkRulesSaw(data);
      return checked.ok ? null : checked.problem;
    };
    expect(problem({})).to.equal('What the rules saw was not recorded for this item.');
    expect(problem([saw])).to.equal('What the rules saw is not stored as a record.');
    expect(problem({ ...saw, restriction: 'severe' })).to.contain('restriction level');
    expect(problem({ ...saw, associations: 'last' })).to.contain('associations');
    expect(problem({ ...saw, recentEnrolments: [{ schoolCode: 'S.2301' }] })).to.contain('last enrolment');
    expect(problem({ ...saw, matchingAsns: [419360275] })).to.contain('matching students');
  });
});
