import type { Command } from 'commander';
import type { App } from '../src/app.ts';
import {
  addStaff,
  disableStaff,
  findStaff,
  normalizeUsername,
  StaffAccountError,
  setPassword,
  usernameProblem,
} from '../src/staff/accounts.ts';
import { passwordProblem } from '../src/staff/passwords.ts';
import type { WithApp } from './command-kit.ts';
import { PasswordInputError, readNewPassword } from './password-input.ts';

/** Prints a usage problem and sets exit code 64; returns whether there was one. */
function refuseUsage(problem: string | null): boolean {
  if (problem === null) return false;
  console.error(`intake: ${problem}`);
  process.exitCode = 64;
  return true;
}

async function newPassword(): Promise<string | null> {
  try {
    const password = await readNewPassword();
    return refuseUsage(passwordProblem(password)) ? null : password;
  } catch (error) {
    if (error instanceof PasswordInputError) {
      refuseUsage(error.message);
      return null;
    }
    throw error;
  }
}

/**
 * Runs an account change; an account that exists already, or not at all, exits 1. That is
 * checked before the password is asked for: nobody types a password only to be told the account
 * was wrong. `work` returns false when it stopped on a usage problem it has reported.
 */
async function change(
  withApp: WithApp,
  username: string,
  account: 'new' | 'existing',
  work: (app: App) => Promise<boolean>,
  done: string,
): Promise<void> {
  try {
    const finished = await withApp(async (app) => {
      const found = await findStaff(app.db, username);
      if (account === 'new' && found) throw new StaffAccountError(`the account ${username} exists already`);
      if (account === 'existing' && !found) throw new StaffAccountError(`there is no account ${username}`);
      return work(app);
    });
    if (finished) console.log(done);
  } catch (error) {
    if (!(error instanceof StaffAccountError)) throw error;
    console.error(`intake: ${error.message}`);
    process.exitCode = 1;
  }
}

/**
 * `intake staff add|disable|passwd`: the accounts of the web console. Passwords come from
 * standard input (the first line of a pipe, or typed twice without echo at a terminal), never
 * from the command line, where the process list would show them.
 */
export function addStaffCommands(program: Command, withApp: WithApp): void {
  const staff = program.command('staff').description('staff accounts of the web console');
  staff
    .command('add <username>')
    .description('add an account; its password is read from standard input')
    .requiredOption('--name <name>', "the person's full name, as the console shows it")
    .action(async (typed: string, options: { name: string }) => {
      const username = normalizeUsername(typed);
      const name = options.name.trim();
      if (
        refuseUsage(usernameProblem(username)) ||
        refuseUsage(name === '' || name.length > 200 ? '--name: expected 1 to 200 characters' : null)
      )
        return;
      await change(
        withApp,
        username,
        'new',
        async (app) => {
          const password = await newPassword();
          if (password !== null) await addStaff(app.db, { username, displayName: name, password });
          return password !== null;
        },
        `Account ${username} added.`,
      );
    });
  staff
    .command('disable <username>')
    .description('stop an account: it can no longer sign in and its sessions end at once')
    .action(async (typed: string) => {
      const username = normalizeUsername(typed);
      if (refuseUsage(usernameProblem(username))) return;
      await change(
        withApp,
        username,
        'existing',
        async (app) => {
          await disableStaff(app.db, username);
          return true;
        },
        `Account ${username} disabled; its sessions have ended.`,
      );
    });
  staff
    .command('passwd <username>')
    .description("set a new password, read from standard input; the account's sessions end")
    .action(async (typed: string) => {
      const username = normalizeUsername(typed);
      if (refuseUsage(usernameProblem(username))) return;
      await change(
        withApp,
        username,
        'existing',
        async (app) => {
          const password = await newPassword();
          if (password !== null) await setPassword(app.db, username, password);
          return password !== null;
        },
        `Password of ${username} changed; its sessions have ended.`,
      );
    });
}
