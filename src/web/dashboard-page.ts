import { sqlTimeZone } from '../config/province.ts';
import type { Queryable } from '../db/database.ts';
import { timeIn, todayIn } from '../validate/dates.ts';
import { html, type SafeHtml, staffPage } from './html.ts';
import { type Route, requireStaff } from './routes.ts';

interface AuthorityDay {
  authorityCode: string;
  authorityName: string;
  files: number;
  enrolmentFiles: number;
  accessFiles: number;
  accepted: number;
  referred: number;
  invalid: number;
  failed: number;
  /** Queued or being processed. */
  inProgress: number;
}

interface FailedFile {
  id: string;
  authorityCode: string;
  kind: string;
  originalName: string;
  receivedAt: Date;
  error: string | null;
}

// Today in the province's time, as a range of moments, so the index on received_at can serve it.
const today = `(select date_trunc('day', now() at time zone ${sqlTimeZone}) at time zone ${sqlTimeZone} as starts,
                       (date_trunc('day', now() at time zone ${sqlTimeZone}) + interval '1 day') at time zone ${sqlTimeZone} as ends) day`;

async function filesToday(db: Queryable): Promise<{ authorities: AuthorityDay[]; failed: FailedFile[] }> {
  const authorities = await db.query<AuthorityDay>(
    `select f.authority_code as "authorityCode", a.name as "authorityName", count(*)::int as files,
            count(*) filter (where f.kind = 'enrolment')::int as "enrolmentFiles", count(*) filter (where f.kind = 'access')::int as "accessFiles",
            sum(f.accepted)::int as accepted, sum(f.referred)::int as referred, sum(f.invalid)::int as invalid,
            count(*) filter (where f.status = 'failed')::int as failed,
            count(*) filter (where f.status in ('queued', 'processing'))::int as "inProgress"
       from intake_file f join authority a on a.code = f.authority_code, ${today}
      where f.received_at >= day.starts and f.received_at < day.ends
      group by f.authority_code, a.name order by f.authority_code`,
  );
  const failed = await db.query<FailedFile>(
    `select f.id::text, f.authority_code as "authorityCode", f.kind, f.original_name as "originalName", f.received_at as "receivedAt", f.error
       from intake_file f, ${today}
      where f.status = 'failed' and f.received_at >= day.starts and f.received_at < day.ends
      order by f.received_at, f.id`,
  );
  return { authorities: authorities.rows, failed: failed.rows };
}

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

/** Open queue items per authority, from the kept counts. */
async function openItemsByAuthority(db: Queryable): Promise<{ authorityCode: string; items: number }[]> {
  const result = await db.query<{ authority_code: string; items: string }>(
    'select authority_code, sum(items) as items from referral_open_count group by authority_code having sum(items) > 0 order by authority_code',
  );
  return result.rows.map((r) => ({ authorityCode: r.authority_code, items: Number(r.items) }));
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
