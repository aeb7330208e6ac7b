import { fileKinds, parseFileKind } from '../files/kinds.ts';
import { referralReasons } from '../outcomes.ts';
import { claimNextItem } from '../queue/claims.ts';
import {
  countOpenByReason,
  cursorText,
  listOpenItems,
  parseCursor,
  type QueueFilter,
  type QueueItem,
} from '../queue/queue-queries.ts';
import { timeIn } from '../validate/dates.ts';
import { formatAsn, parseAuthorityCode, parseSchoolCode } from '../validate/values.ts';
import { html, type SafeHtml, staffPage } from './html.ts';
import { type Route, requireStaff } from './routes.ts';

/** The filters of the queue page, from its query string (or a form's fields); unknown values are dropped. */
function filterFrom(fields: URLSearchParams): QueueFilter {
  const reason = fields.get('reason') ?? '';
  const kind = fields.get('kind') ?? '';
  const age = fields.get('older_than') ?? '';
  return {
    authority: parseAuthorityCode(fields.get('authority') ?? '') ?? undefined,
    school: parseSchoolCode(fields.get('school') ?? '') ?? undefined,
    reason: reason in referralReasons ? reason : undefined,
    kind: parseFileKind(kind),
    minAgeDays: /^\d{1,4}$/.test(age) && Number(age) > 0 ? Number(age) : undefined,
  };
}

function filterQuery(filter: QueueFilter, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  if (filter.authority) query.set('authority', filter.authority);
  if (filter.school) query.set('school', filter.school);
  if (filter.reason) query.set('reason', filter.reason);
  if (filter.kind) query.set('kind', filter.kind);
  if (filter.minAgeDays) query.set('older_than', String(filter.minAgeDays));
  for (const [name, value] of Object.entries(extra)) query.set(name, value);
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

/** Hidden fields carrying the filters through a POST form. */
function filterFields(filter: QueueFilter): SafeHtml {
  const fields = new URLSearchParams(filterQuery(filter).slice(1));
  return html`${[...fields].map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}

function filterForm(filter: QueueFilter): SafeHtml {
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="/queue" class="filters card">
<label>Authority <input type="text" name="authority" value="${filter.authority ?? ''}" placeholder="A.0094" size="8"></label>
<label>School <input type="text" name="school" value="${filter.school ?? ''}" placeholder="S.0982" size="8"></label>
<label>Reason <select name="reason">${option('', 'any', !filter.reason)}${Object.keys(referralReasons).map((r) => option(r, r, filter.reason === r))}</select></label>
<label>Kind <select name="kind">${option('', 'any', !filter.kind)}${fileKinds.map((kind) => option(kind, kind, filter.kind === kind))}</select></label>
<label>Waiting at least <input type="text" name="older_than" value="${filter.minAgeDays ?? ''}" size="4" inputmode="numeric"> days</label>
<button type="submit">Filter</button> <a href="/queue">Clear</a>
</form>`;
}

function countsList(filter: QueueFilter, counts: Map<string, number>): SafeHtml {
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const entries = [...counts].filter(([, n]) => n > 0);
  return html`<p class="counts" id="counts">${total.toLocaleString('en-CA')} open items.
${entries.map(([reason, n]) => html` <a href="/queue${filterQuery({ ...filter, reason })}" title="${referralReasons[reason as keyof typeof referralReasons] ?? ''}"${filter.reason === reason ? html` aria-current="true"` : ''}>${reason}</a> <span class="number">${n.toLocaleString('en-CA')}</span>`)}</p>`;
}

function itemRow(item: QueueItem): SafeHtml {
  const held = item.claimedBy
    ? html`${item.claimedBy} <span class="muted">until ${timeIn(item.claimedUntil as Date).slice(11)}</span>`
    : '';
  return html`<tr data-item="${item.id}"><td><a href="/queue/${item.id}">#${item.id}</a></td><td>${timeIn(item.createdAt)}</td><td>${item.authorityCode}</td><td>${item.schoolCode ?? ''}</td>
<td>${item.kind}</td><td>${item.reason}</td><td>${item.asn ? formatAsn(item.asn) : html`<span class="muted">new student</span>`}</td><td>${item.fileName}:${item.line}</td><td>${held}</td></tr>\n`;
}

const messages: Record<string, string> = {
  nothing: 'No open item that nobody holds matches these filters.',
};

const queuePage: Route = {
  method: 'GET',
  pattern: '/queue',
  access: 'staff',
  async handle(ctx) {
    const { db, config } = ctx.services;
    const filter = filterFrom(ctx.url.searchParams);
    const after = parseCursor(ctx.url.searchParams.get('after') ?? '');
    const [page, counts] = await Promise.all([
      listOpenItems(db, filter, config.queue.pageSize, after),
      countOpenByReason(db, filter),
    ]);
    const message = messages[ctx.url.searchParams.get('message') ?? ''];
    const body = html`${message ? html`<p class="error" role="status">${message}</p>` : ''}
${filterForm(filter)}
${countsList(filter, counts)}
<form method="post" action="/queue/claim-next" class="inline">
<input type="hidden" name="_csrf" value="${ctx.csrfToken}">${filterFields(filter)}
<button type="submit">Claim the next item</button>
</form>
${
  page.items.length === 0
    ? html`<p class="muted">No open items${after ? ' after this page' : ''}.</p>`
    : html`<table id="items">
<thead><tr><th>Item</th><th>Referred</th><th>Authority</th><th>School</th><th>Kind</th><th>Reason</th><th>ASN</th><th>File:line</th><th>Claimed by</th></tr></thead>
<tbody>
${page.items.map(itemRow)}</tbody>
</table>`
}
<p>${after ? html`<a href="/queue${filterQuery(filter)}">First page</a> ` : ''}${page.next ? html`<a href="/queue${filterQuery(filter, { after: cursorText(page.next) })}" rel="next">Next page</a>` : ''}</p>`;
    return {
      html: staffPage({
        title: 'Student Records queue',
        staff: requireStaff(ctx),
        csrfToken: ctx.csrfToken,
        body,
        active: 'queue',
      }),
    };
  },
};

const claimNext: Route = {
  method: 'POST',
  pattern: '/queue/claim-next',
  access: 'staff',
  async handle(ctx) {
    const { db, config } = ctx.services;
    const filter = filterFrom(ctx.form);
    const item = await claimNextItem(db, filter, requireStaff(ctx).username, config.queue.claimMinutes);
    return {
      redirect: item ? `/queue/${item.id}?message=claimed` : `/queue${filterQuery(filter, { message: 'nothing' })}`,
    };
  },
};

export const queueListRoutes: Route[] = [queuePage, claimNext];
