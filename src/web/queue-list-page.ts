import { fileKinds } from '../files/kinds.ts';
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
import { formatAsn } from '../validate/values.ts';
import { html, type SafeHtml, scrollArea, staffPage } from './html.ts';
import { claimNextForm, filterFrom, filterQuery } from './queue-filters.ts';
import { reasonLabel, wordsOfReason } from './reason-words.ts';
import { type Route, requireStaff } from './routes.ts';

function filterForm(filter: QueueFilter): SafeHtml {
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="/queue" class="filters card">
<label>Authority <input type="text" name="authority" value="${
    filter.authority ?? ''
  }" placeholder="A.0094" size="8"></label>
<label>School <input type="text" name="school" value="${filter.school ?? ''}" placeholder="S.0982" size="8"></label>
<label>Reason <select name="reason">${option('', 'any', !filter.reason)}${Object.keys(referralReasons).map((r) =>
    option(r, `${wordsOfReason(r)} (${r})`, filter.reason === r),
  )}</select></label>
<label>Kind <select name="kind">${option('', 'any', !filter.kind)}${fileKinds.map((kind) =>
    option(kind, kind, filter.kind === kind),
  )}</select></label>
<label>Waiting at least <input type="text" name="older_than" value="${
    filter.minAgeDays ?? ''
  }" size="4" inputmode="numeric"> days</label>
<button type="submit">Filter</button> <a href="/queue">Clear</a>
</form>`;
}

function countsList(filter: QueueFilter, counts: Map<string, number>): SafeHtml {
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const entries = [...counts].filter(([, n]) => n > 0);
  return html`<div class="counts" id="counts"><p>${total.toLocaleString('en-CA')} open ${
    total === 1 ? 'item' : 'items'
  }${entries.length > 0 ? ', by reason:' : '.'}</p>
${
  entries.length === 0
    ? ''
    : html`<ul>${entries.map(
        ([reason, n]) =>
          html`<li><a href="/queue${filterQuery({ ...filter, reason })}"${
            filter.reason === reason ? html` aria-current="true"` : ''
          }>${reasonLabel(reason)}</a> <span class="number">${n.toLocaleString('en-CA')}</span></li>`,
      )}</ul>`
}</div>`;
}

function itemRow(filter: QueueFilter, item: QueueItem): SafeHtml {
  const held = item.claimedBy
    ? html`${item.claimedBy} <span class="muted">until ${timeIn(item.claimedUntil as Date).slice(11)}</span>`
    : '';
  return html`<tr data-item="${item.id}"><td><a href="/queue/${item.id}${filterQuery(filter)}">#${item.id}</a></td>
<td class="when">${timeIn(item.createdAt)}</td><td>${item.authorityCode}</td><td>${item.schoolCode ?? ''}</td>
<td>${item.kind}</td><td class="reason">${reasonLabel(item.reason)}</td>
<td class="asn">${item.asn ? formatAsn(item.asn) : html`<span class="muted">new student</span>`}</td>
<td class="file">${item.fileName}:${item.line}</td><td>${held}</td></tr>\n`;
}

/** Fixed words for a redirect's `message`: the query string never carries free text onto the page. */
const messages: Record<string, string> = {
  nothing: 'Nothing to claim: every open item under these filters is held by someone, or there is none.',
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
    // Not an error: a state of the queue, said plainly (no alert, no red).
    const body = html`${message ? html`<p class="notice" role="status">${message}</p>` : ''}
${filterForm(filter)}
${countsList(filter, counts)}
${claimNextForm(ctx.csrfToken, filter)}
${
  page.items.length === 0
    ? html`<p class="muted">No open items${after ? ' after this page' : ''}.</p>`
    : scrollArea(
        'Open items',
        html`<table id="items">
<thead><tr><th scope="col">Item</th><th scope="col">Referred</th><th scope="col">Authority</th>
<th scope="col">School</th>
<th scope="col">Kind</th><th scope="col">Reason</th><th scope="col">ASN</th><th scope="col">File:line</th>
<th scope="col">Claimed by</th></tr></thead>
<tbody>
${page.items.map((item) => itemRow(filter, item))}</tbody>
</table>`,
      )
}
<p>${after ? html`<a href="/queue${filterQuery(filter)}">First page</a> ` : ''}${
      page.next
        ? html`<a href="/queue${filterQuery(filter, { after: cursorText(page.next) })}" rel="next">Next page</a>`
        : ''
    }</p>`;
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
      redirect: `${item ? `/queue/${item.id}` : '/queue'}${filterQuery(filter, {
        message: item ? 'claimed' : 'nothing',
      })}`,
    };
  },
};

export const queueListRoutes: Route[] = [queuePage, claimNext];
