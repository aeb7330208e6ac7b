import { expect } from 'chai';
import { checkEnrolmentRecord } from '../src/validate/enrolment-row.ts';

const good = {
  asn: '1234-5678-9',
  school_code: '0982',
  entry_date: '2026-09-02',
  grade: '07',
  enrolment_type: 'Primary',
};
const check = (fields: Record<string, string>) => checkEnrolmentRecord({ line: 7, fields });

describe('enrolment row checks', () => {
  it('normalises the forms the spec allows', () => {
    const result = check(good);
    expect(result.ok && result.row).to.deep.include({
      asn: '123456789',
      schoolCode: 'S.0982',
      grade: '7',
      action: 'upsert',
      exitDate: null,
    });
  });

  const cases: [string, Record<string, string>, string, RegExp][] = [
    [
      'a date that does not exist',
      { entry_date: '2026-02-30' },
      'INVALID_DATE',
      /entry_date '2026-02-30' is not a valid date; write it as YYYY-MM-DD/,
    ],
    ['a date in another form', { exit_date: '02/09/2026' }, 'INVALID_DATE', /exit_date/],
    [
      'an exit before the entry',
      { exit_date: '2026-09-01' },
      'EXIT_BEFORE_ENTRY',
      /exit_date 2026-09-01 is before entry_date 2026-09-02/,
    ],
    ['a grade out of range', { grade: '13' }, 'INVALID_GRADE', /use K or 1 to 12/],
    ['an ASN of the wrong form', { asn: '12345678' }, 'INVALID_ASN', /9 digits/],
    ['a school code of the wrong form', { school_code: 'X.0982' }, 'INVALID_SCHOOL_CODE', /S\.0982/],
    ['an empty school', { school_code: '' }, 'MISSING_FIELD', /school_code is empty/],
    ['an unknown action', { action: 'merge' }, 'INVALID_ACTION', /upsert .* or delete/],
    ['control characters', { enrolment_type: 'Pri\u0007mary' }, 'INVALID_FIELD', /control characters/],
    [
      'a new student without a birth date',
      { asn: '', last_name: 'Roy', first_name: 'Léa' },
      'MISSING_FIELD',
      /birth_date is empty/,
    ],
    [
      'a delete without an ASN',
      { asn: '', action: 'delete' },
      'MISSING_FIELD',
      /a delete must name the student by ASN/,
    ],
  ];
  for (const [name, change, code, message] of cases) {
    it(`rejects ${name} (${code})`, () => {
      const result = check({ ...good, ...change });
      expect(result.ok).to.equal(false);
      if (result.ok) return;
      expect(result.problem.code).to.equal(code);
      expect(result.problem.message).to.match(message);
    });
  }

  it('names every problem of a row at once', () => {
    const result = check({ ...good, entry_date: 'soon', grade: 'X' });
    expect(result.ok === false && result.problem.message).to.match(/entry_date.*grade/);
  });

  it('a delete needs no grade or enrolment type', () => {
    expect(check({ asn: '123456789', school_code: 'S.0982', entry_date: '2026-09-02', action: 'DELETE' }).ok).to.equal(
      true,
    );
  });
});
