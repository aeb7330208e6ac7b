import type { FileKind } from '../files/kinds.ts';
import { referralReasons } from '../outcomes.ts';
import { auditOfItem } from '../queue/audit-trail.ts';
import { claimItem, recordItemViewed, releaseItem } from '../queue/claims.ts';
import { getItemDetail, type ItemDetail } from '../queue/item-detail.ts';
import { maxNoteLength, type Resolution, type ResolveItem, type ResolveResult } from '../queue/resolution.ts';
import { timeIn, todayIn } from '../validate/dates.ts';
import { formatAsn } from '../validate/values.ts';
import { auditTable } from './audit-page.ts';
import { html, type SafeHtml, staffPage } from './html.ts';
import { type RequestContext, type Route, requireStaff, type WebResponse } from './routes.ts';

/** Fixed words for the redirect after an action: the query string never carries free text onto the page. */
const done: Record<string, string> = {
  claimed: 'You hold this item now.',
  released: 'You gave the item back to the queue.',
  approved: 'Approved: the row was applied and the authority will find the decision in its outbox.',
  rejected: 'Rejected: the authority will find the decision and your note in its outbox.',
  returned: 'Returned to the authority, with your note.',
  pending:
    "Decided. Its letter or the authority's decisions file could not be written just now: the service writes it shortly.",
};

function facts(rows: [string, SafeHtml | string | null][]): SafeHtml {
  return html`<table class="facts">${rows.map(([name, value]) => html`<tr><th>${name}</th><td>${value ?? ''}</td></tr>`)}</table>`;
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

function rowTable(kind: FileKind, row: Record<string, unknown>): SafeHtml {
  const text = (field: string, value: unknown): string => {
    if (value === null || value === undefined) return '';
    if (typeof value === 'boolean') return value ? 'yes' : 'no';
    return field === 'asn' && typeof value === 'string' ? formatAsn(value) : String(value);
  };
  return facts(rowFields[kind].map(([column, field]) => [column, text(field, row[field])]));
}

function studentSection(detail: ItemDetail): SafeHtml {
  const { student, item } = detail;
  if (!student) return html`<p>${item.asn ? 'No student has this ASN.' : 'A new student was asked for.'}</p>`;
  const enrolments =
    detail.recentEnrolments.length === 0
      ? html`<p class="muted">No enrolments on record.</p>`
      : html`<table>
<thead><tr><th>School</th><th>Authority</th><th>Entry</th><th>Exit</th><th>Grade</th></tr></thead>
<tbody>${detail.recentEnrolments.map((e) => html`<tr><td>${e.schoolCode} <span class="muted">${e.schoolName}</span></td><td>${e.authorityCode}</td><td>${e.entryDate}</td><td>${e.exitDate ?? 'open'}</td><td>${e.grade}</td></tr>`)}</tbody></table>`;
  const connections =
    item.kind !== 'access'
      ? ''
      : detail.connections.length === 0
        ? html`<p class="muted">No connections to this student.</p>`
        : html`<table>
<thead><tr><th>Email</th><th>Requester</th><th>Status</th><th>School</th><th>Since</th></tr></thead>
<tbody>${detail.connections.map((c) => html`<tr><td>${c.email}</td><td>${c.requester}</td><td>${c.status}</td><td>${c.schoolCode}</td><td>${timeIn(c.statusChangedAt)}</td></tr>`)}</tbody></table>`;
  return html`${facts([
    ['Name', `${student.lastName}, ${student.firstName}${student.middleName ? ` ${student.middleName}` : ''}`],
    ['Birth date', student.birthDate ?? 'not on record'],
    ['Primary ASN', formatAsn(student.primaryAsn)],
    [`Associations of ${item.authorityCode} today`, detail.associationsNow.join(', ') || 'none'],
  ])}
<h3>Recent enrolments</h3>${enrolments}${connections === '' ? '' : html`<h3>Connections</h3>${connections}`}`;
}

function actions(ctx: RequestContext, detail: ItemDetail): SafeHtml {
  const { item } = detail;
  const me = requireStaff(ctx).username;
  if (item.state !== 'open') {
    return html`<p class="card">This item was <strong>${item.state}</strong> by ${item.resolvedBy ?? ''} at ${item.resolvedAt ? timeIn(item.resolvedAt) : ''}.${item.note ? html` Note: ${item.note}` : ''}${item.result ? html` Result: ${item.result}` : ''}</p>`;
  }
  const csrf = html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;
  if (item.claimedBy && item.claimedBy !== me) {
    return html`<p class="card">Claimed by <strong>${item.claimedBy}</strong> until ${timeIn(item.claimedUntil as Date)}. Only they can resolve it until then; an abandoned claim returns to the queue by itself.</p>`;
  }
  if (item.claimedBy !== me) {
    return html`<form method="post" action="/queue/${item.id}/claim" class="card">${csrf}<p>Nobody holds this item. Claim it to decide it.</p><button type="submit" id="claim">Claim</button></form>`;
  }
  const note = (
    required: boolean,
  ) => html`<label>Note ${required ? '(required: the authority reads it)' : '(optional: the authority reads it)'}
<textarea name="note" rows="2" maxlength="${maxNoteLength}"${required ? html` required` : ''}></textarea></label>`;
  const form = (
    resolution: Resolution,
    label: string,
    explanation: string,
  ) => html`<form method="post" action="/queue/${item.id}/${resolution}" class="card decision">${csrf}
<p>${explanation}</p>${note(resolution !== 'approve')}<button type="submit" id="${resolution}">${label}</button></form>`;
  return html`<p>You hold this item until ${timeIn(item.claimedUntil as Date)}.</p>
<p class="hint">The authority reads every note in its decisions file: write nothing it may not know (another ASN of the student, other authorities' enrolments, or whether a student it cannot see exists).</p>
<div class="decisions">
${form(
  'approve',
  'Approve',
  item.kind === 'access'
    ? "Set up the connection on Student Records' authority: the PIN letter goes to the school's outbox and the activation email is sent. Data checks still apply."
    : "Apply the enrolment on Student Records' authority (the limited-access rules are bypassed; the data checks are not).",
)}
${form('reject', 'Reject', 'Refuse the row.')}
${form('return', 'Return to the authority', 'Send the row back for the authority to correct and send again.')}
</div>
<form method="post" action="/queue/${item.id}/release">${csrf}<button type="submit" class="secondary">Give it back to the queue</button></form>`;
}

async function itemPage(
  ctx: RequestContext,
  id: number,
  status = 200,
  problem: string | null = null,
): Promise<WebResponse> {
  const { db, config } = ctx.services;
  const detail = await getItemDetail(db, id, config.rules, todayIn());
  if (!detail)
    return {
      status: 404,
      html: staffPage({
        title: 'No such item',
        staff: requireStaff(ctx),
        csrfToken: ctx.csrfToken,
        body: html`<p><a href="/queue">Back to the queue</a></p>`,
        active: 'queue',
      }),
    };
  const { item, saw } = detail;
  await recordItemViewed(db, requireStaff(ctx).username, item.id);
  const message = done[ctx.url.searchParams.get('message') ?? ''];
  const body = html`${problem ? html`<p class="error" role="alert">${problem}</p>` : message ? html`<p class="success" role="status">${message}</p>` : ''}
${facts([
  ['Reason', html`<strong>${item.reason}</strong>: ${referralReasons[item.reason]}`],
  ['The authority saw', item.reportedCode],
  [
    'From',
    html`${item.authorityCode}, school ${item.schoolCode ?? ''}: ${item.fileName} line ${item.line} <span class="muted">(file #${item.fileId}, as of ${item.asOf})</span>`,
  ],
  ['Referred', timeIn(item.createdAt)],
  [
    'ASN as submitted',
    item.asn
      ? html`${formatAsn(item.asn)} <a href="/audit?asn=${item.asn}">audit trail of this student</a>`
      : 'none (a new student)',
  ],
])}
${actions(ctx, detail)}
<h2>The row</h2>${rowTable(item.kind, detail.row)}
<h2>What the rules saw</h2>${facts([
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
            detail.matchingStudents
              .map((m) => `${formatAsn(m.asn)} ${m.lastName}, ${m.firstName} (${m.birthDate ?? ''})`)
              .join('; '),
          ] as [string, string],
        ]
      : []),
  ])}
<h2>The student now</h2>${studentSection(detail)}
<h2>Audit trail of this item</h2>${auditTable(await auditOfItem(db, id))}`;
  return {
    status,
    html: staffPage({
      title: `Item #${item.id}: ${item.kind} ${item.state}`,
      staff: requireStaff(ctx),
      csrfToken: ctx.csrfToken,
      body,
      active: 'queue',
    }),
  };
}

const itemId = (ctx: RequestContext): number | null =>
  /^\d{1,18}$/.test(ctx.params.id ?? '') ? Number(ctx.params.id) : null;

function resolutionProblem(result: Exclude<ResolveResult, { outcome: 'resolved' }>): { status: number; text: string } {
  switch (result.outcome) {
    case 'not_applicable':
      return {
        status: 422,
        text: `Not applied: ${result.problem.message} Nothing was changed; reject the item or return it to the authority.`,
      };
    case 'claimed_by_other':
      return {
        status: 409,
        text: `${result.claimedBy} holds this item until ${timeIn(result.until)}; only they can resolve it.`,
      };
    case 'already_resolved':
      return {
        status: 409,
        text: `Already ${result.item.state} by ${result.item.resolvedBy ?? ''}; nothing was done.`,
      };
    case 'note_required':
      return { status: 422, text: 'Write a note: the authority reads it with the decision.' };
    case 'not_found':
      return { status: 404, text: 'No such item.' };
  }
}

const resolveRoute = (resolution: Resolution, resolveItem: ResolveItem): Route => ({
  method: 'POST',
  pattern: `/queue/:id/${resolution}`,
  access: 'staff',
  async handle(ctx) {
    const id = itemId(ctx);
    if (id === null) return itemPage(ctx, 0);
    const result = await resolveItem(
      ctx.services,
      id,
      requireStaff(ctx).username,
      resolution,
      ctx.form.get('note') ?? undefined,
    );
    if (result.outcome === 'resolved')
      return { redirect: `/queue/${id}?message=${result.pending ? 'pending' : result.item.state}` };
    const problem = resolutionProblem(result);
    return itemPage(ctx, id, problem.status, problem.text);
  },
});

/** The item's page and its actions; the decision itself is carried out by `resolveItem`, handed in. */
export const queueItemRoutes = (resolveItem: ResolveItem): Route[] => [
  {
    method: 'GET',
    pattern: '/queue/:id',
    access: 'staff',
    handle: (ctx) => itemPage(ctx, itemId(ctx) ?? 0),
  },
  {
    method: 'POST',
    pattern: '/queue/:id/claim',
    access: 'staff',
    async handle(ctx) {
      const id = itemId(ctx) ?? 0;
      const result = await claimItem(
        ctx.services.db,
        id,
        requireStaff(ctx).username,
        ctx.services.config.queue.claimMinutes,
      );
      if (result.outcome === 'claimed') return { redirect: `/queue/${id}?message=claimed` };
      const text =
        result.outcome === 'claimed_by_other'
          ? `${result.claimedBy} claimed this item first; it is theirs until ${timeIn(result.until)}.`
          : 'This item is no longer open.';
      return itemPage(ctx, id, 409, text);
    },
  },
  {
    method: 'POST',
    pattern: '/queue/:id/release',
    access: 'staff',
    async handle(ctx) {
      const id = itemId(ctx) ?? 0;
      return (await releaseItem(ctx.services.db, id, requireStaff(ctx).username))
        ? { redirect: `/queue/${id}?message=released` }
        : itemPage(ctx, id, 409, 'You do not hold this item.');
    },
  },
  resolveRoute('approve', resolveItem),
  resolveRoute('reject', resolveItem),
  resolveRoute('return', resolveItem),
];
