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

/** A field trimmed; an absent one is empty. */
const trimmedField = (record: SourceRecord, name: (typeof enrolmentColumns)[number]): string =>
  (record.fields[name] ?? '').trim();

const fail = (problems: RowProblem[], code: RowCode, message: string) => {
  problems.push({ code, message });
};

/** A date field in its form, or null (a problem said when it is wrongly written, or empty and required). */
function checkedDate(
  problems: RowProblem[],
  name: 'entry_date' | 'exit_date' | 'birth_date',
  text: string,
  required: boolean,
): string | null {
  if (text === '') {
    if (required) fail(problems, 'MISSING_FIELD', `${name} is empty; give the date as YYYY-MM-DD.`);
    return null;
  }
  const parsed = parseDate(text);
  if (parsed === null)
    fail(
      problems,
      'INVALID_DATE',
      `${name} ${quoteValue(text)} is not a valid date; write it as YYYY-MM-DD (for example 2026-09-01).`,
    );
  return parsed;
}

/**
 * Data checks that need no reference data: forms, required fields, dates in order. Run on every
 * row of every file, so written without an object or closure per row beyond the row it returns.
 */
export function checkEnrolmentRecord(record: SourceRecord): Checked<EnrolmentRow> {
  const problems: RowProblem[] = [];
  // Each field trimmed once, in the columns' order (the order the form problems are said in).
  const asnText = trimmedField(record, 'asn');
  const schoolText = trimmedField(record, 'school_code');
  const entryText = trimmedField(record, 'entry_date');
  const exitText = trimmedField(record, 'exit_date');
  const gradeText = trimmedField(record, 'grade');
  const typeText = trimmedField(record, 'enrolment_type');
  const lastText = trimmedField(record, 'last_name');
  const firstText = trimmedField(record, 'first_name');
  const middleText = trimmedField(record, 'middle_name');
  const birthText = trimmedField(record, 'birth_date');
  const actionField = trimmedField(record, 'action');
  const values = [
    asnText,
    schoolText,
    entryText,
    exitText,
    gradeText,
    typeText,
    lastText,
    firstText,
    middleText,
    birthText,
    actionField,
  ];
  for (let i = 0; i < enrolmentColumns.length; i++) {
    const problem = fieldFormProblem(enrolmentColumns[i] as string, values[i] as string, maxFieldLength);
    if (problem !== null) fail(problems, 'INVALID_FIELD', problem);
  }

  const actionText = actionField.toLowerCase() || 'upsert';
  const action = actionText === 'upsert' || actionText === 'delete' ? actionText : null;
  if (action === null)
    fail(
      problems,
      'INVALID_ACTION',
      `action ${quoteValue(actionField)} is not valid; use upsert (or leave it empty) or delete.`,
    );

  const asn = asnText === '' ? null : parseAsn(asnText);
  if (asnText !== '' && asn === null)
    fail(
      problems,
      'INVALID_ASN',
      `asn ${quoteValue(asnText)} is not an ASN; write 9 digits, as 123456789 or 1234-5678-9.`,
    );

  const schoolCode = parseSchoolCode(schoolText);
  if (schoolText === '') fail(problems, 'MISSING_FIELD', 'school_code is empty; give the school code, as S.0982.');
  else if (schoolCode === null)
    fail(
      problems,
      'INVALID_SCHOOL_CODE',
      `school_code ${quoteValue(schoolText)} is not a school code; write it as S.0982.`,
    );

  const entryDate = checkedDate(problems, 'entry_date', entryText, true);
  const exitDate = checkedDate(problems, 'exit_date', exitText, false);
  if (entryDate !== null && exitDate !== null && exitDate < entryDate) {
    fail(
      problems,
      'EXIT_BEFORE_ENTRY',
      `exit_date ${exitDate} is before entry_date ${entryDate}; correct one of them.`,
    );
  }

  const upsert = action !== 'delete';
  const grade = gradeText === '' ? null : parseGrade(gradeText);
  if (gradeText === '' && upsert) fail(problems, 'MISSING_FIELD', 'grade is empty; give K or 1 to 12.');
  else if (gradeText !== '' && grade === null)
    fail(problems, 'INVALID_GRADE', `grade ${quoteValue(gradeText)} is not valid; use K or 1 to 12.`);
  const enrolmentType = typeText || null;
  if (enrolmentType === null && upsert)
    fail(problems, 'MISSING_FIELD', 'enrolment_type is empty; give the enrolment type.');

  const lastName = lastText || null;
  const firstName = firstText || null;
  const birthDate = checkedDate(problems, 'birth_date', birthText, false);
  if (asnText === '') {
    if (!upsert) fail(problems, 'MISSING_FIELD', 'asn is empty; a delete must name the student by ASN.');
    else {
      const missing = [
        lastName === null ? 'last_name' : null,
        firstName === null ? 'first_name' : null,
        birthText === '' ? 'birth_date' : null,
      ].filter((name) => name !== null);
      if (missing.length > 0) {
        fail(
          problems,
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
      middleName: middleText || null,
      birthDate,
    },
  };
}
