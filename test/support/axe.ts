import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Result, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';

/** axe-core's source, read once from the installed package (nothing is fetched). */
let source: string | null = null;
function axeSource(): string {
  source ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return source;
}

export interface AxeCheck {
  /** Rules to leave out, each with the reason in the caller's comment; none by default. */
  disableRules?: string[];
}

/** One violation in a line per element: the rule, its impact, what it asks, and where. */
function describe(violations: Result[]): string {
  return violations
    .map((v) => {
      const where = v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`);
      return `  ${v.id} (${v.impact ?? 'no impact given'}): ${v.help}\n${where.join('\n')}`;
    })
    .join('\n');
}

/**
 * Runs axe-core on the page as it is now and fails, listing every violation, if there is any.
 * Every rule axe runs by default is run (WCAG 2.x A and AA, and its best practices). The source is
 * evaluated through the browser's debugging protocol, which the pages' Content-Security-Policy
 * (no script at all) does not apply to; the page itself is not changed. `what` names the state
 * checked (page, width, language), for the failure's message.
 */
export async function expectNoAxeViolations(page: Page, what: string, check: AxeCheck = {}): Promise<void> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (loaded !== true) await page.evaluate(axeSource());
  const options: RunOptions = {
    resultTypes: ['violations'],
    rules: Object.fromEntries((check.disableRules ?? []).map((rule) => [rule, { enabled: false }])),
  };
  const violations = (await page.evaluate(
    `window.axe.run(document, ${JSON.stringify(options)}).then((results) => results.violations)`,
  )) as Result[];
  if (violations.length > 0)
    throw new Error(
      `axe-core found ${violations.length} ${violations.length === 1 ? 'violation' : 'violations'} ` +
        `on ${what}:\n${describe(violations)}`,
    );
}
