import type { Services } from '../app.ts';
import { type AuthorityDay, type FailedFile, filesToday } from '../files/files-today.ts';
import { type InboxBacklog, inboxBacklog } from '../metrics/inbox-backlog.ts';
import {
  activationEmailsByState,
  type EmailState,
  filesByStatus,
  finishedEmailsKeptHours,
  type UnfinishedFile,
  unfinishedFiles,
} from '../metrics/metric-queries.ts';
import { openItemsByAuthority } from '../queue/queue-queries.ts';
import { timeIn, todayIn } from '../validate/dates.ts';
import { html, type SafeHtml, scrollArea, staffPage } from './html.ts';
import { type Route, requireStaff } from './routes.ts';

const number = (n: number) => html`<td class="number">${n.toLocaleString('en-CA')}</td>`;

function authorityTable(rows: AuthorityDay[]): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">No files have been received today.</p>`;
  const sum = (pick: (row: AuthorityDay) => number) => rows.reduce((total, row) => total + pick(row), 0);
  return scrollArea(
    'Files received today',
    html`<table>
<thead><tr><th>Authority</th><th class="number">Files</th><th class="number">Enrolment</th>
<th class="number">Access</th>
<th class="number">Accepted rows</th><th class="number">Referred rows</th><th class="number">Invalid rows</th>
<th class="number">Failed files</th><th class="number">In progress</th></tr></thead>
<tbody>
${rows.map(
  (r) =>
    html`<tr><td>${r.authorityCode} <span class="muted">${r.authorityName}</span></td>${[
      r.files,
      r.enrolmentFiles,
      r.accessFiles,
      r.accepted,
      r.referred,
      r.invalid,
      r.failed,
      r.inProgress,
    ].map(number)}</tr>\n`,
)}
</tbody>
<tfoot><tr><th>All authorities</th>${[
      sum((r) => r.files),
      sum((r) => r.enrolmentFiles),
      sum((r) => r.accessFiles),
      sum((r) => r.accepted),
      sum((r) => r.referred),
      sum((r) => r.invalid),
      sum((r) => r.failed),
      sum((r) => r.inProgress),
    ].map(number)}</tr></tfoot>
</table>`,
  );
}

function failedTable(rows: FailedFile[]): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">No file failed today.</p>`;
  return scrollArea(
    'Failed files',
    html`<table>
<thead><tr><th>Received</th><th>Authority</th><th>Kind</th><th>File</th><th>Why it failed</th></tr></thead>
<tbody>
${rows.map(
  (f) =>
    html`<tr><td>${timeIn(f.receivedAt)}</td><td>${f.authorityCode}</td><td>${f.kind}</td>
<td>${f.originalName} <span class="muted">#${f.id}</span></td><td>${f.error ?? ''}</td></tr>\n`,
)}
</tbody>
</table>`,
  );
}

/** Files in progress listed on the dashboard, at most: the count above says how many there are. */
const unfinishedShown = 20;

/** "3 minutes", "5 hours", "2 days": how long ago, roughly, for people. */
function ageText(seconds: number): string {
  const [amount, unit] =
    seconds < 120
      ? [Math.floor(seconds), 'second']
      : seconds < 7200
        ? [Math.floor(seconds / 60), 'minute']
        : seconds < 172_800
          ? [Math.floor(seconds / 3600), 'hour']
          : [Math.floor(seconds / 86_400), 'day'];
  return `${amount.toLocaleString('en-CA')} ${unit}${amount === 1 ? '' : 's'}`;
}

interface Health {
  inbox: InboxBacklog;
  queued: number;
  processing: number;
  failedToday: number;
  emails: Record<EmailState, number>;
  unfinished: UnfinishedFile[];
}

/** The same numbers as `GET /metrics` (src/metrics/), as staff read them. */
async function readHealth({ config, db }: Pick<Services, 'config' | 'db'>, failedToday: number): Promise<Health> {
  const [inbox, files, emails, unfinished] = await Promise.all([
    inboxBacklog(config),
    filesByStatus(db),
    activationEmailsByState(db),
    unfinishedFiles(db, unfinishedShown),
  ]);
  const filesIn = (status: string) => files.filter((f) => f.status === status).reduce((n, f) => n + f.files, 0);
  return { inbox, queued: filesIn('queued'), processing: filesIn('processing'), failedToday, emails, unfinished };
}

function healthTable(health: Health): SafeHtml {
  const { inbox, emails } = health;
  const waiting = Object.values(inbox.waiting).reduce((n, files) => n + files, 0);
  const count = (n: number) => n.toLocaleString('en-CA');
  const inboxText =
    waiting === 0
      ? 'None'
      : `${inbox.capped ? 'At least ' : ''}${count(waiting)}, the oldest last written ${ageText(
          Math.max(0, (Date.now() - (inbox.oldestMtimeMs ?? Date.now())) / 1000),
        )} ago`;
  const row = (name: string, value: SafeHtml | string) =>
    html`<tr><th scope="row">${name}</th><td>${value}</td></tr>\n`;
  return html`<table class="facts" id="health">
<caption class="muted">Now, for every machine of the service.</caption>
${row('Files waiting in the inbox', inboxText)}
${row('Files waiting for a worker', count(health.queued))}
${row('Files being processed', count(health.processing))}
${row(
  'Failed files today',
  health.failedToday === 0 ? 'None' : html`${count(health.failedToday)} (<a href="#failed">listed below</a>)`,
)}
${row(
  'Activation emails waiting to be sent',
  `${count(emails.queued)} queued, ${count(emails.retrying)} to be tried again after a failure`,
)}
${row('Activation emails given up', `${count(emails.failed)} in the last ${finishedEmailsKeptHours} hours`)}
</table>`;
}

function unfinishedTable(files: UnfinishedFile[]): SafeHtml {
  if (files.length === 0) return html`<p class="muted">No file is queued or being processed.</p>`;
  return scrollArea(
    'Files queued or being processed',
    html`<table id="unfinished">
<thead><tr><th>File</th><th>Authority</th><th>Kind</th><th>Status</th><th>Received</th><th>Started</th>
<th class="number">Records done</th><th class="number">Accepted</th><th class="number">Referred</th>
<th class="number">Invalid</th></tr></thead>
<tbody>
${files.map(
  (f) => html`<tr><td>${f.name} <span class="muted">#${f.id}</span></td><td>${f.authorityCode}</td><td>${f.kind}</td>
<td>${f.status === 'queued' ? 'Waiting for a worker' : 'Being processed'}</td><td>${timeIn(f.receivedAt)}</td>
<td>${f.startedAt ? timeIn(f.startedAt) : ''}</td>
${[f.recordsDone, f.accepted, f.referred, f.invalid].map(number)}</tr>\n`,
)}
</tbody>
</table>`,
  );
}

function openItemsTable(rows: { authorityCode: string; items: number }[]): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">The queue is empty.</p>`;
  return scrollArea(
    'Open items by authority',
    html`<table>
<thead><tr><th>Authority</th><th class="number">Open items</th></tr></thead>
<tbody>
${rows.map(
  (r) =>
    html`<tr><td><a href="/queue?authority=${r.authorityCode}">${r.authorityCode}</a></td>${number(r.items)}</tr>\n`,
)}
</tbody>
</table>`,
  );
}

const dashboard: Route = {
  method: 'GET',
  pattern: '/',
  access: 'staff',
  async handle(ctx) {
    const { authorities, failed } = await filesToday(ctx.services.db);
    const open = await openItemsByAuthority(ctx.services.db);
    const health = await readHealth(ctx.services, failed.length);
    const body = html`
<h2>Files received today, ${todayIn()} (Edmonton time)</h2>
${authorityTable(authorities)}
<h2>Health</h2>
${healthTable(health)}
<h3>Files queued or being processed</h3>
${unfinishedTable(health.unfinished)}
${
  health.queued + health.processing > health.unfinished.length
    ? html`<p class="muted">The oldest ${unfinishedShown} are shown.</p>`
    : ''
}
<h2 id="failed">Failed files</h2>
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
