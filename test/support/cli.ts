import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root folder. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function runIntake(
  where: () => { database: string; home: string },
  args: string[],
  input?: string,
): SpawnSyncReturns<string> {
  const { database, home } = where();
  return spawnSync(process.execPath, [path.join(root, 'bin/intake.js'), '--home', home, ...args], {
    env: { ...process.env, DATABASE_URL: database, INTAKE_LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    input,
  });
}

/** Runs `intake` as a user would, against `database` and `home` as they are when it is called. */
export function intakeCommand(
  where: () => { database: string; home: string },
): (...args: string[]) => SpawnSyncReturns<string> {
  return (...args: string[]) => runIntake(where, args);
}

/** The same, with `input` piped to its standard input (as `printf '%s\n' … | intake …`). */
export function intakeCommandWithInput(
  where: () => { database: string; home: string },
): (input: string, ...args: string[]) => SpawnSyncReturns<string> {
  return (input: string, ...args: string[]) => runIntake(where, args, input);
}
