import { InvalidArgumentError } from 'commander';
import type { App } from '../src/app.ts';
import { referralReasons } from '../src/outcomes.ts';
import type { QueueItem } from '../src/queue/queue-queries.ts';
import { findStaff } from '../src/staff/accounts.ts';
import { timeIn } from '../src/validate/dates.ts';
import { formatAsn } from '../src/validate/values.ts';

/**
 * Exit codes of the queue commands beyond 0/1/64: 3 the item is held or resolved by someone else, 5 an approval
 * failed a data check.
 */
export const exitCodes = { busy: 3, notApplicable: 5, notFound: 1 } as const;
export const usageExit = 64;

/** An item's number as `queue list` prints it (`#5`) or bare (`5`). */
export const idArgument = (value: string) => {
  const match = /^#?(\d{1,18})$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected an item number, as 5 or #5');
  return Number(match[1]);
};
export const reasonOption = (value: string) => {
  if (!(value in referralReasons))
    throw new InvalidArgumentError(`expected one of ${Object.keys(referralReasons).join(', ')}`);
  return value;
};
export const daysOption = (value: string) => {
  if (!/^\d{1,4}$/.test(value)) throw new InvalidArgumentError('expected a number of days');
  return Number(value);
};

/**
 * The staff member a command acts as: an active account of the console (`intake staff add`); null (reported) if not.
 */
export async function actingStaff(app: App, username: string | undefined): Promise<string | null> {
  const name = (username ?? process.env.INTAKE_STAFF ?? '').trim().toLowerCase();
  const found = name === '' ? undefined : ((await findStaff(app.db, name)) ?? undefined);
  const problem =
    name === ''
      ? 'say who acts: --as <username> or INTAKE_STAFF'
      : !found
        ? `no staff account ${name}; add it with intake staff add`
        : found.disabled
          ? `the staff account ${name} is disabled`
          : null;
  if (problem === null) return name;
  console.error(`intake: ${problem}`);
  return null;
}

export function itemLine(item: QueueItem): string {
  const held = item.claimedBy ? ` claimed by ${item.claimedBy} until ${timeIn(item.claimedUntil as Date)}` : '';
  const asn = item.asn ? formatAsn(item.asn) : '(new student)';
  return (
    `#${item.id}  ${timeIn(item.createdAt)}  ${item.authorityCode} ${item.schoolCode ?? ''}  ${item.kind} ` +
    ` ${item.reason}  ASN ${asn}  ${item.fileName}:${item.line}${held}`
  );
}
