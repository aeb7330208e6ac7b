import { type RowCode, rowCodes } from '../outcomes.ts';
import type { RowOutcome } from '../persist/row-outcomes.ts';

/**
 * An approval a data check refused, told to Student Records. The check's own message is written
 * for the authority ("check the number, or leave asn empty and give names…"): only the
 * authority can do that, so staff are told what the check found and what they can do instead.
 */
export interface ApprovalRefusal {
  /** What the check found, in a sentence. */
  found: string;
  /** What staff can do about it now. */
  advice: string;
  /** The check's message for the authority; null when the message is already addressed to staff. */
  authorityMessage: string | null;
}

/** Where the code's meaning in the README is addressed to the authority, the words for staff. */
const foundForStaff: Partial<Record<RowCode, string>> = {
  UNKNOWN_ASN: 'No student has this ASN.',
  ALREADY_ACTIVATED: 'The person already has an activated connection to the student.',
  ALREADY_WAITING: 'The person already has a connection waiting for activation.',
  SECONDARY_ASN: 'The ASN is a secondary ASN of the student; a new enrolment needs the primary ASN.',
};

const rejectOrReturn =
  'Reject the item with a note saying why, or return it to the authority with a note saying what to correct and ' +
  'send again.';

export function approvalRefusal(problem: RowOutcome): ApprovalRefusal {
  const meaning = foundForStaff[problem.code] ?? rowCodes[problem.code].meaning;
  const found = `${meaning.replace(/\.$/, '')} (${problem.code}).`;
  // The one refusal an approval itself makes for staff (pipelines/student-records.ts): students
  // with the same names and birth date appeared since the item was looked at.
  if (problem.code === 'DUPLICATE_STUDENT')
    return {
      found: problem.message,
      advice:
        'If this is another person, approve again. If it is one of them, reject the item with a note saying so, ' +
        'or return it to the authority with a note saying which ASN to use.',
      authorityMessage: null,
    };
  return { found, advice: rejectOrReturn, authorityMessage: problem.message };
}
