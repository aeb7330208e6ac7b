import type { Command, Option } from 'commander';
import { referralReasons } from '../src/outcomes.ts';
import { auditOfItem } from '../src/queue/audit-trail.ts';
import { recordItemViewed } from '../src/queue/claims.ts';
import { getItemDetail, type ItemDetail } from '../src/queue/item-detail.ts';
import { timeIn, todayIn } from '../src/validate/dates.ts';
import { formatAsn } from '../src/validate/values.ts';
import type { WithApp } from './command-kit.ts';
import { actingStaff, exitCodes, idArgument, itemLine, usageExit } from './queue-kit.ts';

type AuditEntries = Awaited<ReturnType<typeof auditOfItem>>;

/** The item as text: each part under a heading of its own, so none reads as part of another. */
function printDetail(detail: ItemDetail, audit: AuditEntries): void {
  const { item } = detail;
  console.log(itemLine(item));
  console.log(
    `state: ${item.state}${item.resolvedBy ? ` by ${item.resolvedBy} at ${timeIn(item.resolvedAt as Date)}` : ''}`,
  );
  console.log(`reason: ${item.reason}: ${referralReasons[item.reason]} (the authority saw ${item.reportedCode})`);
  console.log(`row: ${detail.row === null ? detail.rowProblem : JSON.stringify(detail.row)}`);
  const { saw } = detail;
  console.log(
    `the rules saw: ${
      saw === null
        ? detail.sawProblem
        : `restriction ${saw.restriction}; associations ${saw.associations.join(', ') || 'none'}`
    }`,
  );
  if (detail.student) {
    const s = detail.student;
    console.log(
      `student: ${s.lastName}, ${s.firstName}${s.middleName ? ` ${s.middleName}` : ''}, ` +
        `born ${s.birthDate ?? 'unknown'}, primary ASN ${formatAsn(s.primaryAsn)}`,
    );
    console.log(`associations of ${item.authorityCode} today: ${detail.associationsNow.join(', ') || 'none'}`);
    console.log(`recent enrolments:${detail.recentEnrolments.length === 0 ? ' none' : ''}`);
    for (const e of detail.recentEnrolments)
      console.log(`  ${e.schoolCode} (${e.authorityCode}) ${e.entryDate} – ${e.exitDate ?? 'open'} grade ${e.grade}`);
    if (item.kind === 'access') {
      console.log(`connections:${detail.connections.length === 0 ? ' none' : ''}`);
      for (const c of detail.connections)
        console.log(`  ${c.email} (${c.requester}) ${c.status} since ${timeIn(c.statusChangedAt)}`);
    }
  } else if (item.asn) console.log('student: no student has this ASN');
  else console.log('student: a new student was asked for');
  if (detail.matchingStudents.length > 0) {
    console.log('students with the same names and birth date:');
    for (const m of detail.matchingStudents)
      console.log(`  ASN ${formatAsn(m.asn)} ${m.lastName}, ${m.firstName} born ${m.birthDate ?? ''}`);
  }
  console.log(`audit trail of this item:${audit.length === 0 ? ' nothing recorded' : ''}`);
  for (const a of audit)
    console.log(`  ${timeIn(a.at)} ${a.actor} ${a.action}${a.detail.note ? `: ${String(a.detail.note)}` : ''}`);
}

/** `intake queue show ITEM`: everything Student Records needs to decide it; the look is audited. */
export function addQueueShowCommand(queue: Command, withApp: WithApp, asOption: Option): void {
  queue
    .command('show')
    .argument('<item>', 'the item number (5 or #5)', idArgument)
    .description(
      'one item: the row, what the rules saw, the student now, and its audit trail (recorded as looked at by you)',
    )
    .addOption(asOption)
    .option('--json', 'print JSON')
    .action(async (id: number, options: { as?: string; json?: boolean }) => {
      await withApp(async (app) => {
        const staff = await actingStaff(app, options.as);
        if (staff === null) {
          process.exitCode = usageExit;
          return;
        }
        const detail = await getItemDetail(app.db, id, app.config.rules, todayIn());
        if (!detail) {
          console.error('no such item.');
          process.exitCode = exitCodes.notFound;
          return;
        }
        await recordItemViewed(app.db, staff, id);
        const audit = await auditOfItem(app.db, id);
        if (options.json) console.log(JSON.stringify({ ...detail, audit }));
        else printDetail(detail, audit);
      });
    });
}
