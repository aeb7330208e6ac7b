import { userInfo } from 'node:os';
import { type Command, Option } from 'commander';
import { replayFile } from '../pipelines/replay.ts';
import { type PurgeSummary, purgeDue } from '../pipelines/retention.ts';
import { type FileFilter, type FileSummary, fileStatuses, fileSummary, listFiles } from '../src/files/file-listing.ts';
import { fileKinds } from '../src/files/kinds.ts';
import { purgedPartsOf } from '../src/files/retention-queries.ts';
import { retentionKinds } from '../src/files/retention-sweep.ts';
import { timeIn } from '../src/validate/dates.ts';
import { parseAuthorityCode, parseDate } from '../src/validate/values.ts';
import { counted, parsed, type WithApp } from './command-kit.ts';

function describe(file: FileSummary): string {
  const rows =
    `${counted(file.recordsDone, 'row')}: ${file.accepted} accepted, ${file.referred} ` +
    `referred, ${file.invalid} invalid`;
  return (
    `#${file.id}  ${file.status.padEnd(10)} ${file.authorityCode} ${file.kind.padEnd(9)} ${file.name}  ` +
    `(${rows}; received ${timeIn(file.receivedAt)})`
  );
}

/** `intake files list|show|replay|purge`: what became of the files received, for operators. Exit 1: no such file. */
export function addFileCommands(program: Command, withApp: WithApp): void {
  const files = program.command('files').description('files received: where each stands, what came of its rows');
  files
    .command('list')
    .description('the newest files first')
    .option('--authority <code>', 'only this authority', parsed(parseAuthorityCode, 'an authority code such as A.0094'))
    .addOption(new Option('--kind <kind>', 'only this kind').choices(fileKinds))
    .addOption(new Option('--status <status>', 'only this status').choices(fileStatuses))
    .option('--since <date>', 'received on or after this day', parsed(parseDate, 'a date YYYY-MM-DD'))
    .option(
      '--limit <n>',
      'at most this many (default 50)',
      parsed((v) => (/^\d{1,4}$/.test(v) ? v : null), 'a number'),
    )
    .option('--json', 'print the files as JSON')
    .action(async (options: Omit<FileFilter, 'limit'> & { limit?: string; json?: boolean }) => {
      const filter: FileFilter = { ...options, limit: Number(options.limit ?? 50) };
      const found = await withApp((app) => listFiles(app.db, filter));
      if (options.json) console.log(JSON.stringify(found));
      else if (found.length === 0) console.log('No file matches.');
      else for (const file of found) console.log(describe(file));
    });
  files
    .command('show <id>')
    .description('one file: status, rows, report and archive paths, timings, the error of a failed file')
    .option('--json', 'print the file as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const found = /^\d{1,18}$/.test(id)
        ? await withApp(async (app) => {
            const summary = await fileSummary(app.db, Number(id));
            return summary && { file: summary, purged: await purgedPartsOf(app.db, summary.id) };
          })
        : null;
      if (!found) {
        console.error(`intake: no file #${id}`);
        process.exitCode = 1;
        return;
      }
      const { file, purged } = found;
      if (options.json) return void console.log(JSON.stringify({ ...file, ...purged }));
      const removed = (at: Date | null | undefined, where: string) =>
        at ? `removed by retention ${timeIn(at)} (was ${where})` : where;
      console.log(describe(file));
      console.log(
        `  as of ${file.asOf}; ${counted(file.bytes, 'byte')}${
          file.claimedBytes === null ? '' : ` (${file.claimedBytes} when taken: it changed while read)`
        }`,
      );
      if (file.finishedAt) console.log(`  finished ${timeIn(file.finishedAt)}`);
      if (file.reportPath) console.log(`  report: ${removed(purged?.reportPurgedAt, file.reportPath)}`);
      console.log(`  file: ${removed(purged?.originalPurgedAt, file.storedPath)}`);
      if (file.retakenAs !== null) console.log(`  taken again whole as #${file.retakenAs}`);
      if (file.error) console.log(`  why it failed: ${file.error}`);
    });
  files
    .command('replay <id>')
    .description(
      'process a file again now, as a run of its own with its own report (after reference data was put right)',
    )
    .requiredOption('--reason <text>', 'why: kept in the audit log with who asked')
    .option('--as-of <date>', 'the as-of date of the run (default today)', parsed(parseDate, 'a date YYYY-MM-DD'))
    .option('--json', 'print the outcome as JSON')
    .action(async (id: string, options: { reason: string; asOf?: string; json?: boolean }) => {
      const reason = options.reason.trim();
      if (reason === '' || !/^\d{1,18}$/.test(id)) {
        console.error(reason === '' ? 'intake: --reason: say why the file is replayed' : `intake: no file #${id}`);
        process.exitCode = reason === '' ? 64 : 1;
        return;
      }
      const by = `operator:${userInfo().username}`;
      const result = await withApp((app) =>
        replayFile(app, Number(id), { reason, by, ...(options.asOf ? { asOf: options.asOf } : {}) }),
      );
      process.exitCode = { processed: 0, refused: 2, busy: 3, not_found: 1 }[result.outcome];
      if (options.json) return void console.log(JSON.stringify(result));
      if (result.outcome === 'not_found') console.error(`intake: no file #${id}`);
      else if (result.outcome === 'busy')
        console.error(`intake: file #${id} is still being processed; replay it once it is done`);
      else if (result.outcome === 'refused') console.log(`refused: ${result.reason}`);
      else {
        const { file } = result;
        console.log(
          `#${file.id}: ${file.originalName} processed again as of ${file.asOf} (a replay of ` +
            `#${id}): ${file.accepted} accepted, ${file.referred} referred, ${file.invalid} invalid`,
        );
        console.log(`  report: ${file.reportPath}`);
      }
    });
  files
    .command('purge')
    .description('remove what the retention policy says is due (the scheduler does this nightly)')
    .option(
      '--older-than <days>',
      'for this run, this age replaces every age of the policy (letters: their grace period); letters whose ' +
        'requests wait stay',
      parsed(
        (v) => (/^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 36_500 ? v : null),
        'a number of days, 1 to 36500',
      ),
    )
    .option('--dry-run', 'list what is due, remove nothing')
    .option('--json', 'print the outcome as one JSON object')
    .action(async (options: { olderThan?: string; dryRun?: boolean; json?: boolean }) => {
      const summary = await withApp((app) =>
        purgeDue(app, {
          dryRun: options.dryRun ?? false,
          ...(options.olderThan ? { olderThanDays: Number(options.olderThan) } : {}),
          by: `operator:${userInfo().username}`,
        }),
      );
      process.exitCode = !summary.ran ? 3 : summary.errors > 0 ? 1 : 0;
      if (options.json) return void console.log(JSON.stringify(summary));
      printPurge(summary);
    });
}

function printPurge(summary: PurgeSummary): void {
  if (!summary.ran) {
    console.error('intake: another process is purging now; nothing was done');
    return;
  }
  for (const kind of retentionKinds) for (const file of summary.due?.[kind] ?? []) console.log(`${kind}: ${file}`);
  const counts = retentionKinds.map((kind) => `${kind} ${summary.removed[kind]}`).join(', ');
  console.log(`${summary.dryRun ? 'would remove' : 'removed'}: ${counts}`);
  if (summary.leftAlone > 0)
    console.log(`left alone: ${summary.leftAlone} (links, or files not Intake's, where its files were expected)`);
  if (summary.errors > 0)
    console.error(`intake: ${counted(summary.errors, 'due file')} could not be removed (see the log)`);
}
