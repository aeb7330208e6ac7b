import { expect } from 'chai';
import { spreadsheetSafe } from '../src/report/spreadsheet-safe.ts';

describe('spreadsheet-safe report cells', () => {
  for (const dangerous of ['=1+1', '+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd']) {
    it(`prefixes ${JSON.stringify(dangerous)} with an apostrophe`, () =>
      expect(spreadsheetSafe(dangerous)).to.equal(`'${dangerous}`));
  }
  it('leaves ordinary cells alone', () => {
    expect(spreadsheetSafe('Enrolment created.')).to.equal('Enrolment created.');
    expect(spreadsheetSafe(12)).to.equal('12');
    expect(spreadsheetSafe(null)).to.equal('');
  });
});
