/** Prints the README's tables of outcome codes and referral reasons, derived from src/outcomes.ts. */
import { referralReasons, rowCodes } from '../src/outcomes.ts';

export function outcomeCodesMarkdown(): string {
  const rows = Object.entries(rowCodes).map(
    ([code, { status, meaning }]) => `| \`${code}\` | ${status} | ${meaning} |`,
  );
  const reasons = Object.entries(referralReasons).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`);
  return [
    '| code | status | meaning |',
    '|---|---|---|',
    ...rows,
    '',
    'Referral reasons (what Student Records sees on each queued item):',
    '',
    '| reason | meaning |',
    '|---|---|',
    ...reasons,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(outcomeCodesMarkdown());
