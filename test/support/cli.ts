import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root folder. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `intake` as a user would, against `database` and `home` as they are when it is called. */
export function intakeCommand(where: () => { database: string; home: string }): (...args: string[]) => SpawnSyncReturns<string> {
  return (...args: string[]) => {
    const { database, home } = where();
    return spawnSync(process.execPath, [path.join(root, 'bin/intake.js'), '--home', home, ...args], {
      env: { ...process.env, DATABASE_URL: database, INTAKE_LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
  };
}
