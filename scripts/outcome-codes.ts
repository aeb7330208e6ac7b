/** Prints the README's tables of outcome codes and referral reasons, derived from src/outcomes.ts. */
import { referralReasons, rowCodes } from '../src/outcomes.ts';

/** The headings of docs/rules.md, as GitHub anchors them. */
const anchors: Record<string, string> = {
  '§3': '3-enrolment-rows',
  '§4': '4-access-code-request-rows',
};

export function outcomeCodesMarkdown(): string {
  const rows = Object.entries(rowCodes).map(
    ([code, { status, meaning, rule }]) =>
      `| \`${code}\` | ${status} | ${meaning} ` +
      `| ${rule.replace(/§(\d)/g, (section) => `[${section}](docs/rules.md#${anchors[section] ?? ''})`)} |`,
  );
  const reasons = Object.entries(referralReasons).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`);
  return [
    '| code | status | meaning | rule |',
    '|---|---|---|---|',
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
