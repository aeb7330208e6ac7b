import { parseFileKind } from '../files/kinds.ts';
import { referralReasons } from '../outcomes.ts';
import type { QueueFilter } from '../queue/queue-queries.ts';
import { parseAuthorityCode, parseSchoolCode } from '../validate/values.ts';
import { html, type SafeHtml } from './html.ts';

/**
 * The queue's filters travel with the staff member: from the list to an item, through its forms,
 * and back, so that after a decision the next item and the list are the ones they were working.
 */

/** The filters of a query string (or a form's fields); unknown values are dropped. */
export function filterFrom(fields: URLSearchParams): QueueFilter {
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

/** `?authority=…&reason=…` (with `extra` after the filters), or '' when there is nothing to say. */
export function filterQuery(filter: QueueFilter, extra: Record<string, string> = {}): string {
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
export function filterFields(filter: QueueFilter): SafeHtml {
  const fields = new URLSearchParams(filterQuery(filter).slice(1));
  return html`${[...fields].map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}

/** The button that claims the oldest open item nobody holds, under the filters. */
export function claimNextForm(csrfToken: string, filter: QueueFilter, label = 'Claim the next item'): SafeHtml {
  return html`<form method="post" action="/queue/claim-next" class="inline">
<input type="hidden" name="_csrf" value="${csrfToken}">${filterFields(filter)}
<button type="submit" id="claim-next">${label}</button>
</form>`;
}
