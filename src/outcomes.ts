/**
 * Every code a row can end with, as the uploader sees it in the result report. The README's
 * table of codes is generated from this one (`npm run docs:codes`); `rule` is the section of
 * docs/rules.md that decides the code.
 */
export const rowCodes = {
  ENROLMENT_CREATED: {
    rule: '§3',
    status: 'accepted',
    meaning: 'A new enrolment was recorded.',
  },
  ENROLMENT_UPDATED: {
    rule: '§3',
    status: 'accepted',
    meaning: 'An existing enrolment (same student, school and entry date) was updated.',
  },
  ENROLMENT_DELETED: {
    rule: '§3',
    status: 'accepted',
    meaning: 'The enrolment was marked deleted.',
  },
  STUDENT_CREATED: {
    rule: '§3',
    status: 'accepted',
    meaning: 'A new student was created with the ASN in the report, and enrolled.',
  },
  CONNECTION_CREATED: {
    rule: '§4',
    status: 'accepted',
    meaning: 'A connection was set up: its PIN letter is in the outbox and its activation email is on its way.',
  },
  CONNECTION_REPLACED: {
    rule: '§4',
    status: 'accepted',
    meaning:
      "The person's waiting connection was deleted (replace=yes) and a new one set up, with a new PIN letter " +
      'and email.',
  },
  CONNECTION_RESET: {
    rule: '§4',
    status: 'accepted',
    meaning: 'A waiting connection got a new PIN letter and email; the old PIN and link stopped working at once.',
  },
  CONNECTION_REVOKED: {
    rule: '§4',
    status: 'accepted',
    meaning: 'The connection was deleted: its access ended and any pending PIN stopped working.',
  },
  NOT_ACCESSIBLE: {
    rule: '§3, §4',
    status: 'referred',
    meaning:
      'The ASN does not exist or is not accessible to the authority (the two are never told apart); Student ' +
      'Records decides.',
  },
  HIGH_LAST_EXIT_OVER_6_MONTHS: {
    rule: '§3',
    status: 'referred',
    meaning:
      'High restriction: the student was last enrolled with the authority, but left more than the Last School ' +
      'Enrolment window ago.',
  },
  HIGH_MORE_RECENT_ELSEWHERE: {
    rule: '§3',
    status: 'referred',
    meaning:
      'High restriction: the student was recently enrolled with the authority but has a more recent enrolment ' +
      'elsewhere.',
  },
  HIGH_HISTORICAL_ONLY: {
    rule: '§3',
    status: 'referred',
    meaning: 'High restriction: the authority has only a historical enrolment of the student.',
  },
  NO_ASSOCIATION_FOR_ACCESS: {
    rule: '§4',
    status: 'referred',
    meaning:
      'The authority has no current association with the student, which access requests need; Student Records decides.',
  },
  CONNECTION_OF_ANOTHER_AUTHORITY: {
    rule: '§4',
    status: 'referred',
    meaning:
      'A reset or a replace (replace=yes) named a connection set up by a school of another authority, which ' +
      'keeps it: nothing was changed; Student Records decides.',
  },
  POTENTIAL_DUPLICATE: {
    rule: '§3',
    status: 'referred',
    meaning: 'A limited-access authority asked for a new student who may already exist; Student Records decides.',
  },
  MALFORMED_ROW: {
    rule: '§3, §4',
    status: 'invalid',
    meaning: 'The row could not be read (stray quote, wrong number of fields, too long).',
  },
  MISSING_FIELD: {
    rule: '§3, §4',
    status: 'invalid',
    meaning: 'A required field is empty.',
  },
  INVALID_FIELD: {
    rule: '§3, §4',
    status: 'invalid',
    meaning: 'A field is too long, holds control characters, or is not one of its allowed values.',
  },
  INVALID_ACTION: {
    rule: '§3, §4',
    status: 'invalid',
    meaning: 'The action is not one this file kind accepts.',
  },
  INVALID_ASN: {
    rule: '§3, §4',
    status: 'invalid',
    meaning: 'The ASN is not 9 digits (123456789 or 1234-5678-9).',
  },
  INVALID_SCHOOL_CODE: {
    rule: '§3, §4',
    status: 'invalid',
    meaning: 'The school code is not S.NNNN (or 4 digits).',
  },
  UNKNOWN_SCHOOL: {
    rule: '§3, §4',
    status: 'invalid',
    meaning: 'No school has this code.',
  },
  SCHOOL_NOT_IN_AUTHORITY: {
    rule: '§3, §4',
    status: 'invalid',
    meaning: 'The school does not belong to the submitting authority.',
  },
  INVALID_DATE: {
    rule: '§3, §4',
    status: 'invalid',
    meaning: 'A date is not a real YYYY-MM-DD date.',
  },
  EXIT_BEFORE_ENTRY: {
    rule: '§3',
    status: 'invalid',
    meaning: 'The exit date is before the entry date.',
  },
  INVALID_GRADE: {
    rule: '§3',
    status: 'invalid',
    meaning: 'The grade is not K or 1 to 12.',
  },
  UNKNOWN_ASN: {
    rule: '§3, §4',
    status: 'invalid',
    meaning: 'No student has this ASN (authorities that are not limited access only).',
  },
  SECONDARY_ASN: {
    rule: '§3',
    status: 'invalid',
    meaning: 'A secondary ASN was used for a new enrolment; use the primary ASN.',
  },
  DUPLICATE_STUDENT: {
    rule: '§3',
    status: 'invalid',
    meaning:
      'A new student was asked for, but students with the same names and birth date exist (their ASNs are listed).',
  },
  ENROLMENT_NOT_FOUND: {
    rule: '§3',
    status: 'invalid',
    meaning: 'A delete named an enrolment that does not exist.',
  },
  INVALID_EMAIL: {
    rule: '§4',
    status: 'invalid',
    meaning: 'The email is not a valid address.',
  },
  EMAIL_NOT_PERSONAL: {
    rule: '§4',
    status: 'invalid',
    meaning: 'The email is on a domain of an authority or school; a personal address is needed.',
  },
  STUDENT_TOO_YOUNG: {
    rule: '§4',
    status: 'invalid',
    meaning:
      'A student asks for their own access but is under 13 on the as-of date (or the birth date is not on record).',
  },
  ALREADY_ACTIVATED: {
    rule: '§4',
    status: 'invalid',
    meaning:
      'The person already has an activated connection to the student (for a forgotten password: reset the ' +
      'password of the account used to activate it: Education Account, Google or Microsoft).',
  },
  ALREADY_WAITING: {
    rule: '§4',
    status: 'invalid',
    meaning:
      'The person already has a connection waiting for activation; send replace=yes to delete it and set up a new one.',
  },
  CONNECTION_NOT_FOUND: {
    rule: '§4',
    status: 'invalid',
    meaning: 'A reset or revoke named no waiting (reset) or live (revoke) connection of that person to the student.',
  },
} as const;

export type RowCode = keyof typeof rowCodes;
export type RowStatus = (typeof rowCodes)[RowCode]['status'];

/** The true reasons Student Records sees on a referral (the uploader may see NOT_ACCESSIBLE instead). */
export const referralReasons = {
  UNKNOWN_ASN: 'No student has this ASN.',
  NO_HISTORICAL_ENROLMENT: 'The student exists, but the authority has no association and no historical enrolment.',
  HIGH_LAST_EXIT_OVER_6_MONTHS: rowCodes.HIGH_LAST_EXIT_OVER_6_MONTHS.meaning,
  HIGH_MORE_RECENT_ELSEWHERE: rowCodes.HIGH_MORE_RECENT_ELSEWHERE.meaning,
  HIGH_HISTORICAL_ONLY: rowCodes.HIGH_HISTORICAL_ONLY.meaning,
  POTENTIAL_DUPLICATE: 'Students with the same names and birth date exist.',
  NO_ASSOCIATION_FOR_ACCESS: rowCodes.NO_ASSOCIATION_FOR_ACCESS.meaning,
  CONNECTION_OF_ANOTHER_AUTHORITY: rowCodes.CONNECTION_OF_ANOTHER_AUTHORITY.meaning,
} as const;

export type ReferralReason = keyof typeof referralReasons;

export function statusOf(code: RowCode): RowStatus {
  return rowCodes[code].status;
}
