import type { FileKind } from '../files/kinds.ts';
import { referralReasons } from '../outcomes.ts';
import type { ItemDetail } from '../queue/item-detail.ts';
import type { QueueItem } from '../queue/queue-queries.ts';
import { timeIn } from '../validate/dates.ts';
import { formatAsn } from '../validate/values.ts';
import { html, type SafeHtml, scrollArea } from './html.ts';
import { reasonLabel, wordsOfReason } from './reason-words.ts';

/** The parts of an item's page that show what is known (queue-item-page.ts has its actions). */

function facts(rows: [string, SafeHtml | string | null][]): SafeHtml {
  return html`<table class="facts">${rows.map(
    ([name, value]) => html`<tr><th scope="row">${name}</th><td>${value ?? ''}</td></tr>`,
  )}</table>`;
}

const kindNames: Record<FileKind, string> = { enrolment: 'enrolment row', access: 'access-code request' };

/**
 * What the item is, for its title: the kind of row and where it came from. Its state is said
 * apart, in words ("Open: waiting for a decision"), never run into the title, where "enrolment
 * open" read as if enrolment were open.
 */
export function itemTitle(item: QueueItem): string {
  return `Item #${item.id}: ${kindNames[item.kind]}, ${item.fileName} line ${item.line} (${item.authorityCode})`;
}

function stateText(item: QueueItem): SafeHtml {
  if (item.state === 'open') return html`<strong>Open</strong>: waiting for a decision`;
  const when = item.resolvedAt ? ` at ${timeIn(item.resolvedAt)}` : '';
  const state = `${item.state.charAt(0).toUpperCase()}${item.state.slice(1)}`;
  return html`<strong>${state}</strong> by ${item.resolvedBy ?? ''}${when}`;
}

/** The reason's words and code, then its full meaning when that says more than the words. */
function reasonWithMeaning(reason: QueueItem['reason']): SafeHtml {
  const meaning = referralReasons[reason];
  return meaning.replace(/\.$/, '') === wordsOfReason(reason)
    ? reasonLabel(reason)
    : html`${reasonLabel(reason)}<br><span class="muted">${meaning}</span>`;
}

/** The item's facts: why it was referred, from where, and its state. */
export function itemFacts(item: QueueItem): SafeHtml {
  const fileNote = html`<span class="muted">(file #${item.fileId}, as of ${item.asOf})</span>`;
  return facts([
    ['State', stateText(item)],
    ['Reason', reasonWithMeaning(item.reason)],
    ['The authority saw', item.reportedCode],
    [
      'From',
      html`${item.authorityCode}, school ${item.schoolCode ?? ''}: ${item.fileName} line ${item.line} ${fileNote}`,
    ],
    ['Referred', timeIn(item.createdAt)],
    [
      'ASN as submitted',
      item.asn
        ? html`${formatAsn(item.asn)} <a href="/audit?asn=${item.asn}">audit trail of this student</a>`
        : 'none (a new student)',
    ],
  ]);
}

/** The row's fields under the file's column names, in the file's order (the stored row is keyed by field). */
const rowFields: Record<FileKind, [column: string, field: string][]> = {
  enrolment: [
    ['action', 'action'],
    ['asn', 'asn'],
    ['school_code', 'schoolCode'],
    ['entry_date', 'entryDate'],
    ['exit_date', 'exitDate'],
    ['grade', 'grade'],
    ['enrolment_type', 'enrolmentType'],
    ['last_name', 'lastName'],
    ['first_name', 'firstName'],
    ['middle_name', 'middleName'],
    ['birth_date', 'birthDate'],
  ],
  access: [
    ['action', 'action'],
    ['asn', 'asn'],
    ['school_code', 'schoolCode'],
    ['requester', 'requester'],
    ['relationship', 'relationship'],
    ['name', 'name'],
    ['email', 'email'],
    ['language', 'language'],
    ['replace', 'replace'],
  ],
};

/** What is stored for the item is damaged: said as such, not shown as if it were the row or what the rules saw. */
const damaged = (problem: string | null): SafeHtml => html`<p class="error">${problem ?? ''}</p>`;

export function rowTable({ item, row, rowProblem }: ItemDetail): SafeHtml {
  if (row === null) return damaged(rowProblem);
  const values = new Map<string, unknown>(Object.entries(row));
  const text = (field: string, value: unknown): string => {
    if (value === null || value === undefined) return '';
    if (typeof value === 'boolean') return value ? 'yes' : 'no';
    return field === 'asn' && typeof value === 'string' ? formatAsn(value) : String(value);
  };
  return facts(rowFields[item.kind].map(([column, field]) => [column, text(field, values.get(field))]));
}

export function sawSection({ saw, sawProblem, matchingStudents }: ItemDetail): SafeHtml {
  if (saw === null) return damaged(sawProblem);
  return facts([
    ['Restriction of the authority', saw.restriction],
    ['Associations', saw.associations.join(', ') || 'none'],
    [
      'Last enrolments',
      saw.recentEnrolments
        .map((e) => `${e.schoolCode} (${e.authorityCode}) ${e.entryDate} – ${e.exitDate ?? 'open'}`)
        .join('; ') || 'none',
    ],
    ...(saw.matchingAsns
      ? [
          [
            'Students with the same names and birth date',
            matchingStudents
              .map((m) => `${formatAsn(m.asn)} ${m.lastName}, ${m.firstName} (${m.birthDate ?? ''})`)
              .join('; '),
          ] as [string, string],
        ]
      : []),
  ]);
}

export function studentSection(detail: ItemDetail): SafeHtml {
  const { student, item } = detail;
  if (!student) return html`<p>${item.asn ? 'No student has this ASN.' : 'A new student was asked for.'}</p>`;
  const enrolments =
    detail.recentEnrolments.length === 0
      ? html`<p class="muted">No enrolments on record.</p>`
      : scrollArea(
          'Recent enrolments',
          html`<table>
<thead><tr><th scope="col">School</th><th scope="col">Authority</th><th scope="col">Entry</th>
<th scope="col">Exit</th><th scope="col">Grade</th></tr></thead>
<tbody>${detail.recentEnrolments.map(
            (e) => html`<tr><td>${e.schoolCode} <span class="muted">${e.schoolName}</span></td>
<td>${e.authorityCode}</td><td>${e.entryDate}</td><td>${e.exitDate ?? 'open'}</td><td>${e.grade}</td></tr>`,
          )}</tbody></table>`,
        );
  const connections =
    item.kind !== 'access'
      ? ''
      : detail.connections.length === 0
        ? html`<p class="muted">No connections to this student.</p>`
        : scrollArea(
            'Connections',
            html`<table>
<thead><tr><th scope="col">Email</th><th scope="col">Requester</th><th scope="col">Status</th>
<th scope="col">School</th><th scope="col">Since</th></tr></thead>
<tbody>${detail.connections.map(
              (c) => html`<tr><td>${c.email}</td><td>${c.requester}</td><td>${c.status}</td><td>${c.schoolCode}</td>
<td>${timeIn(c.statusChangedAt)}</td></tr>`,
            )}</tbody></table>`,
          );
  return html`${facts([
    ['Name', `${student.lastName}, ${student.firstName}${student.middleName ? ` ${student.middleName}` : ''}`],
    ['Birth date', student.birthDate ?? 'not on record'],
    ['Primary ASN', formatAsn(student.primaryAsn)],
    [`Associations of ${item.authorityCode} today`, detail.associationsNow.join(', ') || 'none'],
  ])}
<h3>Recent enrolments</h3>${enrolments}${connections === '' ? '' : html`<h3>Connections</h3>${connections}`}`;
}
