import type { SourceRecord } from '../formats/records.ts';
import type { RowCode } from '../outcomes.ts';
import { parseEmail } from './email.ts';
import type { Checked, RowProblem } from './enrolment-row.ts';
import { fieldFormProblem, parseAsn, parseSchoolCode, quoteValue } from './values.ts';

export const accessColumns = [
  'action',
  'asn',
  'school_code',
  'requester',
  'relationship',
  'name',
  'email',
  'language',
  'replace',
] as const;

/** Columns a file must have in its header (the others may be left out). */
export const requiredAccessColumns = ['asn', 'school_code', 'email'] as const;

export type AccessAction = 'create' | 'reset' | 'revoke';
type Requester = 'student' | 'parent_guardian';
type Language = 'en' | 'fr';

export interface AccessRow {
  line: number;
  action: AccessAction;
  asn: string;
  schoolCode: string;
  /** Null on reset and revoke rows that leave it empty: they name the person by email. */
  requester: Requester | null;
  relationship: string | null;
  name: string | null;
  /** Lower case: the same address in any case is the same person. */
  email: string;
  /** Null when empty: a create is then in English, and a reset keeps the connection's language. */
  language: Language | null;
  replace: boolean;
}

const maxFieldLength = 100;

function choose<T extends string>(text: string, choices: readonly T[], fallback: T): T | null {
  if (text === '') return fallback;
  const lower = text.toLowerCase();
  return choices.find((choice) => choice === lower) ?? null;
}

/** Data checks that need no reference data: forms, required fields, choices. */
export function checkAccessRecord(record: SourceRecord): Checked<AccessRow> {
  const problems: RowProblem[] = [];
  const field = (name: string): string => (record.fields[name] ?? '').trim();
  const fail = (code: RowCode, message: string) => problems.push({ code, message });

  for (const name of accessColumns) {
    const problem = fieldFormProblem(name, field(name), name === 'email' ? null : maxFieldLength);
    if (problem !== null) fail('INVALID_FIELD', problem);
  }

  const action = choose(field('action'), ['create', 'reset', 'revoke'] as const, 'create');
  if (action === null)
    fail(
      'INVALID_ACTION',
      `action ${quoteValue(field('action'))} is not valid; use create (or leave it empty), reset or revoke.`,
    );

  const asnText = field('asn');
  const asn = parseAsn(asnText);
  if (asnText === '') fail('MISSING_FIELD', "asn is empty; give the student's ASN, as 123456789 or 1234-5678-9.");
  else if (asn === null)
    fail('INVALID_ASN', `asn ${quoteValue(asnText)} is not an ASN; write 9 digits, as 123456789 or 1234-5678-9.`);

  const schoolText = field('school_code');
  const schoolCode = parseSchoolCode(schoolText);
  if (schoolText === '') fail('MISSING_FIELD', 'school_code is empty; give the school code, as S.0982.');
  else if (schoolCode === null)
    fail('INVALID_SCHOOL_CODE', `school_code ${quoteValue(schoolText)} is not a school code; write it as S.0982.`);

  const creating = action === 'create';
  const requesterText = field('requester');
  const requester =
    requesterText === '' ? null : choose(requesterText, ['student', 'parent_guardian'] as const, 'student');
  if (requesterText === '' && creating) fail('MISSING_FIELD', 'requester is empty; write student or parent_guardian.');
  else if (requesterText !== '' && requester === null)
    fail('INVALID_FIELD', `requester ${quoteValue(requesterText)} is not valid; write student or parent_guardian.`);

  const relationship = field('relationship') || null;
  const name = field('name') || null;
  if (creating && requester === 'parent_guardian') {
    const missing = [name === null ? 'name' : null, relationship === null ? 'relationship' : null].filter(
      (n) => n !== null,
    );
    if (missing.length > 0)
      fail(
        'MISSING_FIELD',
        `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} empty; a parent or guardian row needs ` +
          `the person's name and relationship to the student.`,
      );
  }

  const emailText = field('email');
  const email = parseEmail(emailText);
  if (emailText === '') fail('MISSING_FIELD', "email is empty; give the person's personal email address.");
  else if (email === null)
    fail('INVALID_EMAIL', `email ${quoteValue(emailText)} is not a valid email address; check it.`);

  const languageText = field('language');
  const language = languageText === '' ? null : choose(languageText, ['en', 'fr'] as const, 'en');
  if (languageText !== '' && language === null)
    fail(
      'INVALID_FIELD',
      `language ${quoteValue(languageText)} is not valid; write en or fr, or leave it empty (English for a new ` +
        `connection; a reset keeps the connection's language).`,
    );
  const replace = choose(field('replace'), ['yes', 'no'] as const, 'no');
  if (replace === null)
    fail(
      'INVALID_FIELD',
      `replace ${quoteValue(field('replace'))} is not valid; write yes or no (or leave it empty for no).`,
    );

  const [first] = problems;
  if (first !== undefined)
    return { ok: false, problem: { code: first.code, message: problems.map((p) => p.message).join(' ') } };
  return {
    ok: true,
    row: {
      line: record.line,
      action: action as AccessAction,
      asn: asn as string,
      schoolCode: schoolCode as string,
      requester,
      relationship: requester === 'student' ? null : relationship,
      name: requester === 'student' ? null : name,
      email: email as string,
      language,
      replace: replace === 'yes',
    },
  };
}
