import type { FileKind } from '../files/kinds.ts';
import type { SourceRecord } from '../formats/records.ts';
import { type AccessRow, accessColumns, checkAccessRecord } from './access-row.ts';
import {
  type Checked,
  checkEnrolmentRecord,
  type EnrolmentRow,
  enrolmentColumns,
  type RowProblem,
} from './enrolment-row.ts';

export type StoredRow = { kind: 'enrolment'; row: EnrolmentRow } | { kind: 'access'; row: AccessRow };

const camel = (column: string) => column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** A checked row as stored (`referral.row_data`), written back as the fields of a file's row. */
function asRecord(data: Record<string, unknown>, columns: readonly string[]): SourceRecord {
  const fields: Record<string, string> = {};
  for (const column of columns) {
    const value = data[camel(column)];
    fields[column] =
      value === null || value === undefined ? '' : typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
  }
  return { line: typeof data.line === 'number' ? data.line : 0, fields };
}

/**
 * A row read back from the database is checked again by the same checker as a file's row, never
 * taken on trust: what a release stored is what this release can apply, or the problem is said.
 */
export function checkStoredRow(kind: FileKind, data: unknown): Checked<StoredRow> {
  const problem = (message: string): { ok: false; problem: RowProblem } => ({
    ok: false,
    problem: { code: 'MALFORMED_ROW', message },
  });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return problem('The stored row is not a row.');
  const record = data as Record<string, unknown>;
  if (kind === 'enrolment') {
    const checked = checkEnrolmentRecord(asRecord(record, enrolmentColumns));
    return checked.ok ? { ok: true, row: { kind, row: checked.row } } : checked;
  }
  const checked = checkAccessRecord(asRecord(record, accessColumns));
  return checked.ok ? { ok: true, row: { kind, row: checked.row } } : checked;
}
