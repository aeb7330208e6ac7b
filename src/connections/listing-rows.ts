import { spreadsheetSafe } from '../report/spreadsheet-safe.ts';
import { formatAsn } from '../validate/values.ts';
import { statusNames } from './connection-status.ts';
import type { ChangeKind, ConnectionChange, ListedConnection } from './listing-queries.ts';
import { refusalInWords } from './mail-answers.ts';

/** `connections-<day>.csv`: one row per connection (README "Connections listings"). */
export const connectionColumns = [
  'school',
  'school_name',
  'asn',
  'student',
  'requester',
  'relationship',
  'person_name',
  'email',
  'language',
  'status',
  'requested_on',
  'letter_issued_on',
  'expires_on',
  'activated_on',
  'ended_on',
] as const;

/** `changes-<day>.csv`: one row per change since the last listing. */
export const changeColumns = [
  'when',
  'change',
  'school',
  'asn',
  'student',
  'requester',
  'relationship',
  'person_name',
  'email',
  'by',
  'detail',
] as const;

/** `Gagnon, Éloïse Marie`: sorted and read by family name. */
function studentName(c: ListedConnection): string {
  return `${c.lastName}, ${[c.firstName, c.middleName].filter((n) => n).join(' ')}`;
}

export function connectionCells(c: ListedConnection): string[] {
  return [
    c.schoolCode,
    c.schoolName,
    formatAsn(c.asn),
    studentName(c),
    c.requester,
    c.relationship,
    c.personName,
    c.email,
    c.language,
    statusNames[c.status],
    c.requestedOn,
    c.letterIssuedOn,
    c.expiresOn,
    c.activatedOn,
    c.endedOn,
  ].map(spreadsheetSafe);
}

/**
 * Who made a change, as an authority may read it: another authority by its code, Intake's own
 * jobs as Intake, and Student Records' staff (approvals, linked records) never by name.
 */
function actorInWords(change: ConnectionChange): string {
  if (change.change === 'activated' || change.change === 'email_undeliverable') return '';
  const actor = change.actor ?? '';
  if (/^A\.\d{4}$/.test(actor)) return actor;
  if (actor === 'expiry') return 'Intake';
  return 'Student Records';
}

const details: Record<ChangeKind, (c: ConnectionChange) => string> = {
  activated: () => "The person activated the connection with the letter's PIN and can now see the student's record.",
  expired: () =>
    'The request expired unused: the PIN was never entered. Send a create row if the person still wants access.',
  revoked: (c) =>
    c.actor === 'reference load'
      ? "Deleted as a duplicate when two of the student's records were linked; the person's other connection to " +
        'the record stays.'
      : "The connection was deleted: the person can no longer see the student's record, and any pending PIN no " +
        'longer works.',
  replaced: () => 'The waiting request was deleted and a new one set up in its place (replace=yes).',
  reset: () =>
    'A new PIN letter was issued to the school and a new activation email sent; the old PIN and link stopped working.',
  email_undeliverable: (c) =>
    `The activation email could not be delivered after ${c.tries ?? 'several'} ` +
    `tries: ${refusalInWords(c.responseCode, c.enhancedCode)}. ` +
    'Call the family to check the address; a create row with the right address sets up a new connection, and a ' +
    'revoke row ends this one.',
};

export function changeCells(c: ConnectionChange): string[] {
  return [
    c.when,
    c.change,
    c.schoolCode,
    formatAsn(c.asn),
    studentName(c),
    c.requester,
    c.relationship,
    c.personName,
    c.email,
    actorInWords(c),
    details[c.change](c),
  ].map(spreadsheetSafe);
}
