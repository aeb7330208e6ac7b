import type pg from 'pg';
import { copyInto, copyLine } from '../persist/copy-rows.ts';
import { createStudentLoad, linkStudentLoad, studentLoadTable, upsertStudentLoad } from '../persist/student-load.ts';
import { parseAsn, parseAuthorityCode, parseDate, studentMatchKey } from '../validate/values.ts';
import { batches, bool, type LoadContext } from './csv-batches.ts';
import { mergeLinkedStudents } from './merge-students.ts';

const studentColumns = [
  'asn',
  'primary_asn',
  'last_name',
  'first_name',
  'middle_name',
  'birth_date',
  'created_by',
  'created_on',
  'deactivated',
];

/**
 * `students.csv`: read once and copied into a staging table, written in one statement, then
 * linked to primaries in the batches it was read in (what moves onto a primary is moved, and
 * told, batch by batch as before). Returns the rows loaded.
 */
export async function loadStudents(client: pg.ClientBase, file: string, context: LoadContext): Promise<number> {
  const { problems, merges, batchDone } = context;
  await createStudentLoad(client);
  let count = 0;
  let ord = 0;
  // Where each batch ended (rows read, last line): the link pass tells its progress by them.
  const ends: [number, number][] = [];
  const done = batchDone('load');
  const told = (rowsDone: number, line: number) => {
    ends.push([rowsDone, line]);
    done(rowsDone, line);
  };
  async function* lines(): AsyncGenerator<string> {
    for await (const batch of batches(file, studentColumns, told)) {
      let text = '';
      for (const { line, fields } of batch) {
        ord += 1;
        const [asnText, primaryText, last, first, middle, birthText, createdBy, createdOnText, deactivated] =
          fields as [string, string, string, string, string, string, string, string, string];
        const where = () => `students.csv line ${line}`;
        const asn = parseAsn(asnText);
        const primary = primaryText ? parseAsn(primaryText) : null;
        const birth = birthText ? parseDate(birthText) : null;
        const createdOn = createdOnText ? parseDate(createdOnText) : null;
        if (!asn || !last || !first) {
          problems.push(`${where()}: needs a valid asn, last_name and first_name`);
          if (asn) text += copyLine([ord, asn, primary, false, null, null, null, null, null, null, null, null]);
          continue;
        }
        if ((birthText && !birth) || (createdOnText && !createdOn)) {
          problems.push(`${where()}: a date is not YYYY-MM-DD`);
          text += copyLine([ord, asn, primary, false, null, null, null, null, null, null, null, null]);
          continue;
        }
        const values = [last, first, middle || null, birth, studentMatchKey(first, last, birth ?? '')];
        const rest = [parseAuthorityCode(createdBy), createdOn, bool(deactivated, where, problems)];
        text += copyLine([ord, asn, primary, true, ...values, ...rest]);
        count += 1;
      }
      if (text !== '') yield text;
    }
  }
  await copyInto(client, studentLoadTable, lines());
  await upsertStudentLoad(client);
  // Second pass: secondary ASNs point at primaries that are all present now.
  const link = batchDone('link');
  let from = 0;
  for (const [rowsDone, line] of ends) {
    const changed = await linkStudentLoad(client, from, rowsDone);
    from = rowsDone;
    // What was kept under an ASN that is now secondary moves onto its primary, where the rules look.
    const linked = changed.flatMap((r) => (r.primary === null ? [] : [{ secondary: r.secondary, primary: r.primary }]));
    merges.push(...(await mergeLinkedStudents(client, linked)));
    link(rowsDone, line);
  }
  return count;
}
