import type pg from 'pg';
import type { LetterField, LetterPeople } from '../src/letters/letter-text.ts';
import { namesToWriteByHand } from '../src/letters/line-runs.ts';
import { type PendingLetter, waitingLetterPeople } from '../src/persist/letter-queries.ts';
import type { AccessRow } from '../src/validate/access-row.ts';
import type { AppliedRow } from './chunk.ts';

type OnRecord = Pick<
  PendingLetter,
  'requester' | 'relationship' | 'personName' | 'language' | 'firstName' | 'middleName' | 'lastName'
>;

/** What a letter prints about the people, from what the connection and the student record hold. */
export function peopleOf(record: OnRecord, grade: string | null): LetterPeople {
  const studentName = [record.firstName, record.middleName, record.lastName].filter((n) => n).join(' ');
  return {
    requester: record.requester,
    recipientName: record.requester === 'student' ? studentName : (record.personName ?? ''),
    relationship: record.requester === 'student' ? null : record.relationship,
    studentName,
    grade,
    language: record.language,
  };
}

const fieldWords: Record<LetterField, string> = {
  name: 'the name',
  relationship: 'the relationship',
  'student name': "the student's name",
};

function handwritingWarning(fields: readonly LetterField[]): string {
  const words = fields.map((field) => fieldWords[field]);
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : words[0];
  return (
    `Warning: the letter's fonts cannot print ${list} (a writing system they do not cover), so the letter ` +
    `leaves a blank line: write ${words.length > 1 ? 'them' : 'it'} in by hand before handing the letter over.`
  );
}

/**
 * Adds a warning to the result of each accepted row whose letter will leave a name blank because
 * no bundled font can draw it; the connection is made all the same. Runs once the chunk's
 * connections are written, so it checks what the letter will print (a reset keeps the name on
 * record), with the letter's own fonts and lines.
 */
export async function noteNamesToWriteByHand(
  client: pg.PoolClient,
  rows: readonly AccessRow[],
  results: AppliedRow[],
): Promise<void> {
  const emailOf = new Map(rows.map((row) => [row.line, row.email]));
  const letters = results.flatMap((result) => {
    const { status, code, line } = result.outcome;
    const email = emailOf.get(line);
    if (status !== 'accepted' || code === 'CONNECTION_REVOKED' || !result.primaryAsn || !email) return [];
    return [{ result, asn: result.primaryAsn, email }];
  });
  if (letters.length === 0) return;
  const onRecord = new Map((await waitingLetterPeople(client, letters)).map((p) => [`${p.asn}|${p.email}`, p]));
  for (const { result, asn, email } of letters) {
    const record = onRecord.get(`${asn}|${email}`);
    // None: a later row of the chunk revoked it, and no letter is drawn.
    const fields = record ? namesToWriteByHand(peopleOf(record, null)) : [];
    if (fields.length > 0)
      result.outcome = { ...result.outcome, message: `${result.outcome.message} ${handwritingWarning(fields)}` };
  }
}
