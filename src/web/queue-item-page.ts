import { approvalRefusal } from '../queue/approval-refusal.ts';
import { auditOfItem } from '../queue/audit-trail.ts';
import { claimItem, recordItemViewed, releaseItem } from '../queue/claims.ts';
import { getItemDetail, type ItemDetail } from '../queue/item-detail.ts';
import type { QueueFilter } from '../queue/queue-queries.ts';
import { maxNoteLength, type Resolution, type ResolveItem, type ResolveResult } from '../queue/resolution.ts';
import { timeIn, todayIn } from '../validate/dates.ts';
import { auditTable } from './audit-page.ts';
import { html, type SafeHtml, staffPage } from './html.ts';
import { claimNextForm, filterFields, filterFrom, filterQuery } from './queue-filters.ts';
import { itemFacts, itemTitle, rowTable, sawSection, studentSection } from './queue-item-parts.ts';
import { type RequestContext, type Route, requireStaff, type WebResponse } from './routes.ts';

/** Fixed words for the redirect after an action: the query string never carries free text onto the page. */
const done: Record<string, string> = {
  claimed: 'You hold this item now.',
  released: 'You gave the item back to the queue.',
  approved: 'Approved: the row was applied and the authority will find the decision in its outbox.',
  rejected: 'Rejected: the authority will find the decision and your note in its outbox.',
  returned: 'Returned to the authority, with your note.',
  pending:
    "Decided. Its letter or the authority's decisions file could not be written just now: the service writes it " +
    'shortly.',
};

/** The page's filters, from the list it came from: in the address (GET) or the form's hidden fields (POST). */
function filterOf(ctx: RequestContext): QueueFilter {
  return filterFrom(ctx.request.method === 'POST' ? ctx.form : ctx.url.searchParams);
}

function actions(ctx: RequestContext, detail: ItemDetail, filter: QueueFilter): SafeHtml {
  const { item } = detail;
  const me = requireStaff(ctx).username;
  if (item.state !== 'open') {
    return html`<p class="card">This item was <strong>${item.state}</strong> by ${item.resolvedBy ?? ''} at ${
      item.resolvedAt ? timeIn(item.resolvedAt) : ''
    }.${item.note ? html` Note: ${item.note}` : ''}${item.result ? html` Result: ${item.result}` : ''}</p>`;
  }
  const hidden = html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">${filterFields(filter)}`;
  if (item.claimedBy && item.claimedBy !== me) {
    return html`<p class="card">Claimed by <strong>${item.claimedBy}</strong> until ${timeIn(
      item.claimedUntil as Date,
    )}. Only they can resolve it until then; an abandoned claim returns to the queue by itself.</p>`;
  }
  if (item.claimedBy !== me) {
    return html`<form method="post" action="/queue/${item.id}/claim" class="card">${hidden}
<p>Nobody holds this item. Claim it to decide it.</p><button type="submit" id="claim">Claim</button></form>`;
  }
  const note = (resolution: Resolution, required: boolean) => html`<label for="note-${resolution}">Note</label>
<span class="hint">${required ? 'Required: the authority reads it.' : 'Optional: the authority reads it.'}</span>
<textarea id="note-${resolution}" name="note" rows="2" maxlength="${maxNoteLength}"${
    required ? html` required` : ''
  }></textarea>`;
  const form = (
    resolution: Resolution,
    label: string,
    explanation: string,
  ) => html`<form method="post" action="/queue/${item.id}/${resolution}" class="card decision">${hidden}
<h3>${label}</h3>
<p>${explanation}</p>
${note(resolution, resolution !== 'approve')}<button type="submit" id="${resolution}">${label}</button></form>`;
  return html`<p>You hold this item until ${timeIn(item.claimedUntil as Date)}.</p>
<p class="hint">The authority reads every note in its decisions file: write nothing it may not know
(another ASN of the student, other authorities' enrolments, or whether a student it cannot see exists).</p>
<div class="decisions">
${form(
  'approve',
  'Approve',
  item.kind === 'access'
    ? "Set up the connection on Student Records' authority: the PIN letter goes to the school's outbox and the " +
        'activation email is sent. Data checks still apply.'
    : "Apply the enrolment on Student Records' authority " +
        '(the limited-access rules are bypassed; the data checks are not).',
)}
${form('reject', 'Reject', 'Refuse the row.')}
${form('return', 'Return to the authority', 'Send the row back for the authority to correct and send again.')}
</div>
<form method="post" action="/queue/${item.id}/release">${hidden}
<button type="submit" class="secondary">Give it back to the queue</button></form>`;
}

/** A refused approval, told to staff: what the check found and what they can do (not what the authority can). */
function refusalText(problem: Parameters<typeof approvalRefusal>[0]): SafeHtml {
  const refusal = approvalRefusal(problem);
  return html`<p><strong>Not applied:</strong> ${refusal.found} Nothing was changed.</p>
<p><strong>What you can do:</strong> ${refusal.advice} The forms are <a href="#decide">below</a>.</p>
${
  refusal.authorityMessage === null
    ? ''
    : html`<p>The check's words, written for the authority: “${refusal.authorityMessage}”</p>`
}`;
}

/** After a decision (or a give-back): the next item under the same filters, and the way back to them. */
function whatNext(ctx: RequestContext, filter: QueueFilter): SafeHtml {
  return html`<div class="card next" id="next"><h2>Next</h2>
${claimNextForm(ctx.csrfToken, filter, 'Claim the next item')}
<p><a href="/queue${filterQuery(filter)}">Back to the queue</a>${
    filterQuery(filter) === '' ? '' : ' (with your filters)'
  }</p></div>`;
}

const decided = new Set(['approved', 'rejected', 'returned', 'pending', 'released']);

async function itemPage(
  ctx: RequestContext,
  id: number,
  status = 200,
  problem: SafeHtml | string | null = null,
): Promise<WebResponse> {
  const { db, config } = ctx.services;
  const filter = filterOf(ctx);
  const detail = await getItemDetail(db, id, config.rules, todayIn());
  if (!detail)
    return {
      status: 404,
      html: staffPage({
        title: 'No such item',
        staff: requireStaff(ctx),
        csrfToken: ctx.csrfToken,
        body: html`<p><a href="/queue${filterQuery(filter)}">Back to the queue</a></p>`,
        active: 'queue',
      }),
    };
  const { item } = detail;
  await recordItemViewed(db, requireStaff(ctx).username, item.id);
  const messageKey = ctx.request.method === 'GET' ? (ctx.url.searchParams.get('message') ?? '') : '';
  const message = done[messageKey];
  const body = html`<p class="back"><a href="/queue${filterQuery(filter)}">Back to the queue</a></p>
${
  problem
    ? html`<div class="error" role="alert">${typeof problem === 'string' ? html`<p>${problem}</p>` : problem}</div>`
    : message
      ? html`<p class="success" role="status">${message}</p>`
      : ''
}
${!problem && decided.has(messageKey) ? whatNext(ctx, filter) : ''}
${itemFacts(item)}
<h2 id="decide">Decision</h2>
${actions(ctx, detail, filter)}
<h2>The row</h2>${rowTable(detail)}
<h2>What the rules saw</h2>${sawSection(detail)}
<h2>The student now</h2>${studentSection(detail)}
<h2>Audit trail of this item</h2>${auditTable(await auditOfItem(db, id), 'Audit trail of this item')}`;
  return {
    status,
    html: staffPage({
      title: itemTitle(item),
      staff: requireStaff(ctx),
      csrfToken: ctx.csrfToken,
      body,
      active: 'queue',
    }),
  };
}

const itemId = (ctx: RequestContext): number | null =>
  /^\d{1,18}$/.test(ctx.params.id ?? '') ? Number(ctx.params.id) : null;

function resolutionProblem(result: Exclude<ResolveResult, { outcome: 'resolved' }>): {
  status: number;
  text: SafeHtml | string;
} {
  switch (result.outcome) {
    case 'not_applicable':
      return { status: 422, text: refusalText(result.problem) };
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

/** Where an action sends the browser afterwards: the item, with its fixed message and the list's filters. */
const afterAction = (ctx: RequestContext, id: number, message: string) => ({
  redirect: `/queue/${id}${filterQuery(filterOf(ctx), { message })}`,
});

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
    if (result.outcome === 'resolved') return afterAction(ctx, id, result.pending ? 'pending' : result.item.state);
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
      if (result.outcome === 'claimed') return afterAction(ctx, id, 'claimed');
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
        ? afterAction(ctx, id, 'released')
        : itemPage(ctx, id, 409, 'You do not hold this item.');
    },
  },
  resolveRoute('approve', resolveItem),
  resolveRoute('reject', resolveItem),
  resolveRoute('return', resolveItem),
];
