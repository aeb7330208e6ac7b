import { type AuditRecord, auditOfItem, auditOfStudent } from '../queue/audit-trail.ts';
import { timeIn } from '../validate/dates.ts';
import { formatAsn, parseAsn } from '../validate/values.ts';
import { html, type SafeHtml, scrollArea, staffPage } from './html.ts';
import { type Route, requireStaff } from './routes.ts';

/** What an entry's detail says, in a line: its note first, when it has one. */
function detailText(detail: Record<string, unknown>): string {
  const { note, ...rest } = detail;
  const others = Object.entries(rest).map(
    ([name, value]) => `${name}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
  );
  return [note ? `note: ${String(note)}` : null, ...others].filter((part) => part !== null).join('; ');
}

/** The records as a table, in a sideways-scrolling area named `label` (a phone is narrower than seven columns). */
export function auditTable(records: AuditRecord[], label: string): SafeHtml {
  if (records.length === 0) return html`<p class="muted">Nothing recorded.</p>`;
  return scrollArea(
    label,
    html`<table class="audit">
<thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Item</th>
<th scope="col">ASN</th><th scope="col">File, line</th><th scope="col">Why / details</th></tr></thead>
<tbody>
${records.map(
  (a) => html`<tr><td>${timeIn(a.at)}</td><td>${a.actor}</td><td>${a.action}</td>
<td>${a.itemId ? html`<a href="/queue/${a.itemId}">#${a.itemId}</a>` : ''}</td>
<td>${a.asn ? formatAsn(a.asn) : ''}</td><td>${a.fileId ? `#${a.fileId}${a.line ? `, line ${a.line}` : ''}` : ''}</td>
<td>${detailText(a.detail)}</td></tr>\n`,
)}
</tbody>
</table>`,
  );
}

const askForOne = html`<p class="muted">Give a student's ASN (any of their ASNs) or a queue item's number.</p>`;

const auditPage: Route = {
  method: 'GET',
  pattern: '/audit',
  access: 'staff',
  async handle(ctx) {
    const { db } = ctx.services;
    const asnText = ctx.url.searchParams.get('asn') ?? '';
    const itemText = ctx.url.searchParams.get('item') ?? '';
    const asn = parseAsn(asnText);
    const item = /^\d{1,18}$/.test(itemText) ? Number(itemText) : null;
    let results: SafeHtml = askForOne;
    if (asn)
      results = html`<h2>Student ${formatAsn(asn)}, newest first</h2>${auditTable(
        await auditOfStudent(db, asn),
        `Audit trail of ${formatAsn(asn)}`,
      )}`;
    else if (item !== null)
      results = html`<h2>Item #${item}</h2>${auditTable(await auditOfItem(db, item), `Audit trail of item #${item}`)}`;
    else if (asnText !== '' || itemText !== '')
      results = html`<p class="error" role="alert">That is neither an ASN (9 digits) nor an item number.</p>`;
    const body = html`<form method="get" action="/audit" class="filters card">
<label>ASN <input type="text" name="asn" value="${asnText}" placeholder="1234-5678-9" size="12"></label>
<label>or item <input type="text" name="item" value="${itemText}" size="8" inputmode="numeric"></label>
<button type="submit">Show</button>
</form>
${results}`;
    return {
      html: staffPage({
        title: 'Audit trail',
        staff: requireStaff(ctx),
        csrfToken: ctx.csrfToken,
        body,
        active: 'audit',
      }),
    };
  },
};

export const auditRoutes: Route[] = [auditPage];
