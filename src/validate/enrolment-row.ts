import type { SourceRecord } from '../formats/records.ts';
import type { RowCode } from '../outcomes.ts';
import { fieldFormProblem, parseAsn, parseDate, parseGrade, parseSchoolCode, quoteValue } from './values.ts';

export const enrolmentColumns = [
  'asn',
  'school_code',
  'entry_date',
  'exit_date',
  'grade',
  'enrolment_type',
  'last_name',
  'first_name',
  'middle_name',
  'birth_date',
  'action',
] as const;

/** Columns a file must have in its header (the others may be left out). */
export const requiredEnrolmentColumns = ['asn', 'school_code', 'entry_date'] as const;

export interface EnrolmentRow {
  line: number;
  action: 'upsert' | 'delete';
  /** Nine digits; null asks for a new student. */
  asn: string | null;
  schoolCode: string;
  entryDate: string;
  exitDate: string | null;
  grade: string | null;
  enrolmentType: string | null;
  lastName: string | null;
  firstName: string | null;
  middleName: string | null;
  birthDate: string | null;
}

export interface RowProblem {
  code: RowCode;
  message: string;
}

export type Checked<T> = { ok: true; row: T } | { ok: false; problem: RowProblem };

const maxFieldLength = 100;

/** Data checks that need no reference data: forms, required fields, dates in order. */
export function checkEnrolmentRecord(record: SourceRecord): Checked<EnrolmentRow> {
  const problems: RowProblem[] = [];
  // Each field trimmed once (the checks below read most of them more than once).
  const trimmed: Record<string, string> = {};
  for (const name of enrolmentColumns) trimmed[name] = (record.fields[name] ?? '').trim();
  const field = (name: (typeof enrolmentColumns)[number]): string => trimmed[name] as string;
  const fail = (code: RowCode, message: string) => problems.push({ code, message });

  for (const name of enrolmentColumns) {
    const problem = fieldFormProblem(name, field(name), maxFieldLength);
    if (problem !== null) fail('INVALID_FIELD', problem);
  }

  const actionText = field('action').toLowerCase() || 'upsert';
  const action = actionText === 'upsert' || actionText === 'delete' ? actionText : null;
  if (action === null)
    fail(
      'INVALID_ACTION',
      `action ${quoteValue(field('action'))} is not valid; use upsert (or leave it empty) or delete.`,
    );

  const asnText = field('asn');
  const asn = asnText === '' ? null : parseAsn(asnText);
  if (asnText !== '' && asn === null)
    fail('INVALID_ASN', `asn ${quoteValue(asnText)} is not an ASN; write 9 digits, as 123456789 or 1234-5678-9.`);

  const schoolText = field('school_code');
  const schoolCode = parseSchoolCode(schoolText);
  if (schoolText === '') fail('MISSING_FIELD', 'school_code is empty; give the school code, as S.0982.');
  else if (schoolCode === null)
    fail('INVALID_SCHOOL_CODE', `school_code ${quoteValue(schoolText)} is not a school code; write it as S.0982.`);

  const date = (name: 'entry_date' | 'exit_date' | 'birth_date', required: boolean): string | null => {
    const text = field(name);
    if (text === '') {
      if (required) fail('MISSING_FIELD', `${name} is empty; give the date as YYYY-MM-DD.`);
      return null;
    }
    const parsed = parseDate(text);
    if (parsed === null)
      fail(
        'INVALID_DATE',
        `${name} ${quoteValue(text)} is not a valid date; write it as YYYY-MM-DD (for example 2026-09-01).`,
      );
    return parsed;
  };
  const entryDate = date('entry_date', true);
  const exitDate = date('exit_date', false);
  if (entryDate !== null && exitDate !== null && exitDate < entryDate) {
    fail('EXIT_BEFORE_ENTRY', `exit_date ${exitDate} is before entry_date ${entryDate}; correct one of them.`);
  }

  const upsert = action !== 'delete';
  const gradeText = field('grade');
  const grade = gradeText === '' ? null : parseGrade(gradeText);
  if (gradeText === '' && upsert) fail('MISSING_FIELD', 'grade is empty; give K or 1 to 12.');
  else if (gradeText !== '' && grade === null)
    fail('INVALID_GRADE', `grade ${quoteValue(gradeText)} is not valid; use K or 1 to 12.`);
  const enrolmentType = field('enrolment_type') || null;
  if (enrolmentType === null && upsert) fail('MISSING_FIELD', 'enrolment_type is empty; give the enrolment type.');

  const lastName = field('last_name') || null;
  const firstName = field('first_name') || null;
  const birthDate = date('birth_date', false);
  if (asnText === '') {
    if (!upsert) fail('MISSING_FIELD', 'asn is empty; a delete must name the student by ASN.');
    else {
      const missing = [
        lastName === null ? 'last_name' : null,
        firstName === null ? 'first_name' : null,
        field('birth_date') === '' ? 'birth_date' : null,
      ].filter((name) => name !== null);
      if (missing.length > 0) {
        fail(
          'MISSING_FIELD',
          `asn is empty and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} empty; give the ` +
            `student's ASN, or last_name, first_name and birth_date to create a new student.`,
        );
      }
    }
  }

  const [first] = problems;
  if (first !== undefined)
    return { ok: false, problem: { code: first.code, message: problems.map((p) => p.message).join(' ') } };
  return {
    ok: true,
    row: {
      line: record.line,
      action: action as 'upsert' | 'delete',
      asn,
      schoolCode: schoolCode as string,
      entryDate: entryDate as string,
      exitDate,
      grade,
      enrolmentType,
      lastName,
      firstName,
      middleName: field('middle_name') || null,
      birthDate,
    },
  };
}
