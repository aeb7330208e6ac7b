import { expect } from 'chai';
import { checkAccessRecord } from '../src/validate/access-row.ts';
import { isInstitutionAddress, parseEmail } from '../src/validate/email.ts';

const record = (fields: Record<string, string>) => ({
  line: 7,
  fields: {
    action: '',
    asn: '123456789',
    school_code: 'S.0101',
    requester: 'parent_guardian',
    relationship: 'Father',
    name: 'Sam Example',
    email: 'sam@example.com',
    language: '',
    replace: '',
    ...fields,
  },
});

describe('access-code row checks', () => {
  it('fills the defaults: create, no replace, language left open (English for a create); lower-cases the email', () => {
    const checked = checkAccessRecord(
      record({ email: 'Sam.Example@Example.COM', asn: '1234-5678-9', school_code: '0101' }),
    );
    expect(checked.ok && checked.row).to.deep.include({
      action: 'create',
      language: null,
      replace: false,
      email: 'sam.example@example.com',
      asn: '123456789',
      schoolCode: 'S.0101',
    });
    const french = checkAccessRecord(record({ language: 'FR' }));
    expect(french.ok && french.row.language).to.equal('fr');
  });
  it('reset and revoke rows need only the ASN, school and email', () => {
    const checked = checkAccessRecord(record({ action: 'Revoke', requester: '', relationship: '', name: '' }));
    expect(checked.ok && checked.row.action).to.equal('revoke');
  });
  const cases: [string, Record<string, string>, string, string][] = [
    ['an unknown action', { action: 'update' }, 'INVALID_ACTION', 'use create'],
    ['an empty ASN', { asn: '' }, 'MISSING_FIELD', 'asn is empty'],
    ['a malformed ASN', { asn: '12345' }, 'INVALID_ASN', '9 digits'],
    ['a malformed school code', { school_code: 'X.1' }, 'INVALID_SCHOOL_CODE', 'S.0982'],
    ['a create without requester', { requester: '' }, 'MISSING_FIELD', 'student or parent_guardian'],
    ['an unknown requester', { requester: 'guardian' }, 'INVALID_FIELD', 'student or parent_guardian'],
    [
      'a parent row without name and relationship',
      { name: '', relationship: '' },
      'MISSING_FIELD',
      'name and relationship are empty',
    ],
    ['an empty email', { email: '' }, 'MISSING_FIELD', 'personal email'],
    ['an email without a domain', { email: 'sam@' }, 'INVALID_EMAIL', 'not a valid email'],
    ['an unknown language', { language: 'de' }, 'INVALID_FIELD', 'en or fr'],
    ['a replace that is not yes or no', { replace: 'true' }, 'INVALID_FIELD', 'yes or no'],
    ['a control character', { name: 'Sam\u0007' }, 'INVALID_FIELD', 'control characters'],
  ];
  for (const [name, fields, code, words] of cases) {
    it(`${name} is ${code}, with what to do`, () => {
      const checked = checkAccessRecord(record(fields));
      expect(checked.ok).to.equal(false);
      if (checked.ok) return;
      expect(checked.problem.code).to.equal(code);
      expect(checked.problem.message).to.contain(words);
    });
  }
  it("a student row ignores a stray name and relationship (the letter uses the student's own name)", () => {
    const checked = checkAccessRecord(record({ requester: 'student' }));
    expect(checked.ok && [checked.row.name, checked.row.relationship]).to.deep.equal([null, null]);
  });
});

describe('email addresses', () => {
  it('accepts ordinary addresses and refuses malformed ones', () => {
    expect(parseEmail('first.last+tag@mail.example.org')).to.equal('first.last+tag@mail.example.org');
    for (const bad of [
      'plain',
      'a@b',
      'a..b@example.com',
      '.a@example.com',
      'a b@example.com',
      'a@-example.com',
      'a@example.c0m',
    ]) {
      expect(parseEmail(bad), bad).to.equal(null);
    }
  });
  it('an institution domain covers its subdomains, not look-alikes', () => {
    const domains = new Set(['epsb.example.ca']);
    expect(isInstitutionAddress('a@epsb.example.ca', domains)).to.equal(true);
    expect(isInstitutionAddress('a@mail.epsb.example.ca', domains)).to.equal(true);
    expect(isInstitutionAddress('a@notepsb.example.ca', domains)).to.equal(false);
    expect(isInstitutionAddress('a@example.ca', domains)).to.equal(false);
  });
});
