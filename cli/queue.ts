import { type Command, Option } from 'commander';
import { resolveItem } from '../pipelines/student-records.ts';
import { type FileKind, fileKinds } from '../src/files/kinds.ts';
import { approvalRefusal } from '../src/queue/approval-refusal.ts';
import { auditOfStudent } from '../src/queue/audit-trail.ts';
import { claimItem, claimNextItem } from '../src/queue/claims.ts';
import {
  countOpenByReason,
  cursorText,
  listOpenItems,
  parseCursor,
  type QueueFilter,
} from '../src/queue/queue-queries.ts';
import type { Resolution, ResolveResult } from '../src/queue/resolution.ts';
import { timeIn } from '../src/validate/dates.ts';
import { parseAsn, parseAuthorityCode, parseSchoolCode } from '../src/validate/values.ts';
import { parsed, type WithApp } from './command-kit.ts';
import { actingStaff, daysOption, exitCodes, idArgument, itemLine, reasonOption, usageExit } from './queue-kit.ts';
import { addQueueShowCommand } from './queue-show.ts';

function printResolution(id: number, result: ResolveResult, json: boolean): number {
  if (json) console.log(JSON.stringify(result));
  switch (result.outcome) {
    case 'resolved':
      if (!json)
        console.log(`#${result.item.id} ${result.item.state}${result.item.result ? `: ${result.item.result}` : ''}`);
      if (!json && result.pending)
        console.error(
          'the letter or the decisions file could not be written just now; a running intake start writes it shortly.',
        );
      return 0;
    case 'not_applicable': {
      if (json) return exitCodes.notApplicable;
      // What staff can do, with the commands; the check's own words are for the authority.
      const refusal = approvalRefusal(result.problem);
      console.error(`not applied: ${refusal.found} Nothing was changed.`);
      console.error(`what you can do: ${refusal.advice}`);
      console.error(`  intake queue reject ${id} --note "…"   or   intake queue return ${id} --note "…"`);
      if (refusal.authorityMessage !== null)
        console.error(`the check's words, written for the authority: ${refusal.authorityMessage}`);
      return exitCodes.notApplicable;
    }
    case 'claimed_by_other':
      if (!json)
        console.error(
          `claimed by ${result.claimedBy} until ${timeIn(result.until)}; only they can resolve it until then.`,
        );
      return exitCodes.busy;
    case 'already_resolved':
      if (!json)
        console.error(
          `already ${result.item.state} by ${result.item.resolvedBy} at ${timeIn(result.item.resolvedAt as Date)}.`,
        );
      return exitCodes.busy;
    case 'note_required':
      if (!json) console.error('a note is needed (--note): the authority reads it in its decisions file.');
      return usageExit;
    case 'not_found':
      if (!json) console.error('no such item.');
      return exitCodes.notFound;
  }
}

/** `intake queue …`: Student Records' queue, acting as a named staff member. */
export function addQueueCommands(program: Command, withApp: WithApp): void {
  const queue = program
    .command('queue')
    .description('Student Records: the referred rows: list, show, claim, approve, reject, return');
  const asOption = new Option('--as <username>', 'the staff member acting (default INTAKE_STAFF)');

  queue
    .command('list')
    .description('open items, oldest first')
    .option('--authority <code>', 'only this authority', parsed(parseAuthorityCode, 'an authority code such as A.0094'))
    .option('--school <code>', 'only this school', parsed(parseSchoolCode, 'a school code such as S.0982'))
    .option('--reason <code>', 'only this reason', reasonOption)
    .addOption(new Option('--kind <kind>', 'only this kind').choices(fileKinds))
    .option(
      '--older-than <days>',
      'only items referred at least this many days ago (calendar days in Edmonton: 1 = yesterday or before)',
      daysOption,
    )
    .option('--after <cursor>', 'the page after this cursor (printed at the end of a page)')
    .option('--json', 'print JSON')
    .action(
      async (options: {
        authority?: string;
        school?: string;
        reason?: string;
        kind?: FileKind;
        olderThan?: number;
        after?: string;
        json?: boolean;
      }) => {
        await withApp(async (app) => {
          const filter: QueueFilter = {
            authority: options.authority,
            school: options.school,
            reason: options.reason,
            kind: options.kind,
            minAgeDays: options.olderThan,
          };
          const after = options.after ? parseCursor(options.after) : null;
          if (options.after && !after) {
            console.error('intake: --after: not a cursor printed by queue list');
            process.exitCode = usageExit;
            return;
          }
          const page = await listOpenItems(app.db, filter, app.config.queue.pageSize, after);
          const counts = Object.fromEntries(await countOpenByReason(app.db, filter));
          if (options.json) {
            console.log(
              JSON.stringify({
                items: page.items,
                countsByReason: counts,
                next: page.next ? cursorText(page.next) : null,
              }),
            );
            return;
          }
          for (const item of page.items) console.log(itemLine(item));
          console.log(
            `open by reason: ${
              Object.entries(counts)
                .map(([reason, n]) => `${reason} ${n}`)
                .join(', ') || 'none'
            }`,
          );
          if (page.next) console.log(`more: intake queue list --after ${cursorText(page.next)}`);
        });
      },
    );

  addQueueShowCommand(queue, withApp, asOption);

  queue
    .command('audit')
    .description('the audit trail of a student (any of their ASNs)')
    .requiredOption('--asn <asn>', 'the student', parsed(parseAsn, 'an ASN'))
    .option('--json', 'print JSON')
    .action(async (options: { asn: string; json?: boolean }) => {
      await withApp(async (app) => {
        const records = await auditOfStudent(app.db, options.asn);
        if (options.json) console.log(JSON.stringify(records));
        else
          for (const a of records)
            console.log(
              `${timeIn(a.at)} ${a.actor} ${a.action}${a.itemId ? ` #${a.itemId}` : ''} ${JSON.stringify(a.detail)}`,
            );
      });
    });

  queue
    .command('claim')
    .argument('[item]', 'the item number (5 or #5)', idArgument)
    .description('claim an item (or, without one, the oldest open item nobody holds, under the filters)')
    .addOption(asOption)
    .option('--authority <code>', 'next item of this authority', parsed(parseAuthorityCode, 'an authority code'))
    .option('--reason <code>', 'next item with this reason', reasonOption)
    .addOption(new Option('--kind <kind>', 'next item of this kind').choices(fileKinds))
    .action(
      async (
        id: number | undefined,
        options: { as?: string; authority?: string; reason?: string; kind?: FileKind },
      ) => {
        process.exitCode = await withApp(async (app) => {
          const staff = await actingStaff(app, options.as);
          if (staff === null) return usageExit;
          const minutes = app.config.queue.claimMinutes;
          if (id === undefined) {
            const item = await claimNextItem(
              app.db,
              { authority: options.authority, reason: options.reason, kind: options.kind },
              staff,
              minutes,
            );
            console.log(item ? `claimed ${itemLine(item)}` : 'nothing to claim.');
            return item ? 0 : exitCodes.notFound;
          }
          const result = await claimItem(app.db, id, staff, minutes);
          if (result.outcome === 'claimed') console.log(`claimed ${itemLine(result.item)}`);
          else if (result.outcome === 'claimed_by_other')
            console.error(`claimed by ${result.claimedBy} until ${timeIn(result.until)}.`);
          else if (result.outcome === 'resolved') console.error(`already ${result.item.state}.`);
          else console.error('no such item.');
          return {
            claimed: 0,
            claimed_by_other: exitCodes.busy,
            resolved: exitCodes.busy,
            not_found: exitCodes.notFound,
          }[result.outcome];
        });
      },
    );

  const resolveCommand = (name: Resolution, description: string, noteRequired: boolean) => {
    queue
      .command(name)
      .argument('<item>', 'the item number (5 or #5)', idArgument)
      .description(description)
      .addOption(asOption)
      .option(
        '--note <text>',
        noteRequired ? 'why (required): the authority reads it' : 'why (optional): the authority reads it',
      )
      .option('--json', 'print JSON')
      .action(async (id: number, options: { as?: string; note?: string; json?: boolean }) => {
        process.exitCode = await withApp(async (app) => {
          const staff = await actingStaff(app, options.as);
          if (staff === null) return usageExit;
          return printResolution(id, await resolveItem(app, id, staff, name, options.note), options.json ?? false);
        });
      });
  };
  resolveCommand(
    'approve',
    "apply the row on Student Records' authority (limited-access rules bypassed, data checks kept)",
    false,
  );
  resolveCommand('reject', 'refuse the row, with a note', true);
  resolveCommand('return', 'send the row back to the authority to correct, with a note', true);
}
