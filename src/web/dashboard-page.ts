import { type AuthorityDay, type FailedFile, filesToday } from '../files/files-today.ts';
import { openItemsByAuthority } from '../queue/queue-queries.ts';
import { timeIn, todayIn } from '../validate/dates.ts';
import { html, type SafeHtml, staffPage } from './html.ts';
import { type Route, requireStaff } from './routes.ts';

const number = (n: number) => html`<td class="number">${n.toLocaleString('en-CA')}</td>`;

function authorityTable(rows: AuthorityDay[]): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">No files have been received today.</p>`;
  const sum = (pick: (row: AuthorityDay) => number) => rows.reduce((total, row) => total + pick(row), 0);
  return html`<table>
<thead><tr><th>Authority</th><th class="number">Files</th><th class="number">Enrolment</th><th class="number">Access</th>
<th class="number">Accepted rows</th><th class="number">Referred rows</th><th class="number">Invalid rows</th>
<th class="number">Failed files</th><th class="number">In progress</th></tr></thead>
<tbody>
${rows.map((r) => html`<tr><td>${r.authorityCode} <span class="muted">${r.authorityName}</span></td>${number(r.files)}${number(r.enrolmentFiles)}${number(r.accessFiles)}${number(r.accepted)}${number(r.referred)}${number(r.invalid)}${number(r.failed)}${number(r.inProgress)}</tr>\n`)}
</tbody>
<tfoot><tr><th>All authorities</th>${[sum((r) => r.files), sum((r) => r.enrolmentFiles), sum((r) => r.accessFiles), sum((r) => r.accepted), sum((r) => r.referred), sum((r) => r.invalid), sum((r) => r.failed), sum((r) => r.inProgress)].map(number)}</tr></tfoot>
</table>`;
}

function failedTable(rows: FailedFile[]): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">No file failed today.</p>`;
  return html`<table>
<thead><tr><th>Received</th><th>Authority</th><th>Kind</th><th>File</th><th>Why it failed</th></tr></thead>
<tbody>
${rows.map((f) => html`<tr><td>${timeIn(f.receivedAt)}</td><td>${f.authorityCode}</td><td>${f.kind}</td><td>${f.originalName} <span class="muted">#${f.id}</span></td><td>${f.error ?? ''}</td></tr>\n`)}
</tbody>
</table>`;
}

function openItemsTable(rows: { authorityCode: string; items: number }[]): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">The queue is empty.</p>`;
  return html`<table>
<thead><tr><th>Authority</th><th class="number">Open items</th></tr></thead>
<tbody>
${rows.map((r) => html`<tr><td><a href="/queue?authority=${r.authorityCode}">${r.authorityCode}</a></td>${number(r.items)}</tr>\n`)}
</tbody>
</table>`;
}

const dashboard: Route = {
  method: 'GET',
  pattern: '/',
  access: 'staff',
  async handle(ctx) {
    const { authorities, failed } = await filesToday(ctx.services.db);
    const open = await openItemsByAuthority(ctx.services.db);
    const body = html`
<h2>Files received today, ${todayIn()} (Edmonton time)</h2>
${authorityTable(authorities)}
<h2>Failed files</h2>
${failedTable(failed)}
<h2>Waiting for Student Records</h2>
${openItemsTable(open)}`;
    return {
      html: staffPage({
        title: 'Dashboard',
        staff: requireStaff(ctx),
        csrfToken: ctx.csrfToken,
        body,
        active: 'dashboard',
      }),
    };
  },
};

export const dashboardRoutes: Route[] = [dashboard];
