import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { outcomeCodesMarkdown } from '../scripts/outcome-codes.ts';

describe('README', () => {
  it('lists the outcome codes exactly as src/outcomes.ts defines them (npm run docs:codes)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = /<!-- codes:start -->\n([\s\S]*?)\n<!-- codes:end -->/.exec(readme)?.[1];
    expect(section).to.equal(outcomeCodesMarkdown());
  });
});
