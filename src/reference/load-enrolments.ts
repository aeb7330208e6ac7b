import type pg from 'pg';
import { copyInto, copyLine } from '../persist/copy-rows.ts';
import {
  createEnrolmentLoad,
  enrolmentLoadTable,
  unknownInEnrolmentLoad,
  upsertEnrolmentLoad,
} from '../persist/enrolment-load.ts';
import { parseAsn, parseDate, parseGrade, parseSchoolCode } from '../validate/values.ts';
import { batches, bool, type LoadContext } from './csv-batches.ts';

/**
 * `enrolments.csv`: copied into a staging table, written in one statement. Returns the rows
 * written; rows naming an unknown student or school are counted per batch of 5,000 as before,
 * each count told after the problems of its batch's rows.
 */
export async function loadEnrolments(client: pg.ClientBase, file: string, context: LoadContext): Promise<number> {
  const { problems, batchDone } = context;
  await createEnrolmentLoad(client);
  let ord = 0;
  let staged = 0;
  // Per batch, by its first line: where in `problems` its count of unknown rows goes.
  const placeOf = new Map<number, number>();
  async function* lines(): AsyncGenerator<string> {
    for await (const batch of batches(
      file,
      ['asn', 'school_code', 'entry_date', 'exit_date', 'grade', 'enrolment_type', 'deleted'],
      batchDone('load'),
    )) {
      const batchLine = batch[0]?.line ?? 0;
      let text = '';
      for (const { line, fields } of batch) {
        ord += 1;
        const [asnText, schoolText, entryText, exitText, gradeText, type, deleted] = fields as [
          string,
          string,
          string,
          string,
          string,
          string,
          string,
        ];
        const where = () => `enrolments.csv line ${line}`;
        const asn = parseAsn(asnText);
        const school = parseSchoolCode(schoolText);
        const entry = parseDate(entryText);
        const exit = exitText ? parseDate(exitText) : null;
        const grade = parseGrade(gradeText);
        if (!asn || !school || !entry || (exitText && !exit) || !grade) {
          problems.push(`${where()}: needs asn, school_code, entry_date, grade in their forms`);
          continue;
        }
        text += copyLine([ord, batchLine, asn, school, entry, exit, grade, type, bool(deleted, where, problems)]);
        staged += 1;
      }
      placeOf.set(batchLine, problems.length);
      if (text !== '') yield text;
    }
  }
  await copyInto(client, enrolmentLoadTable, lines());
  await upsertEnrolmentLoad(client);
  const unknown = await unknownInEnrolmentLoad(client);
  // From the last batch back, so the places of the earlier ones stay where they were.
  for (const { batchLine, rows } of unknown.reverse())
    problems.splice(
      placeOf.get(batchLine) ?? problems.length,
      0,
      `enrolments.csv: ${rows} row(s) near line ${batchLine} name an unknown ASN or school`,
    );
  return staged - unknown.reduce((sum, { rows }) => sum + rows, 0);
}
