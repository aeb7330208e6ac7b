import { expect } from 'chai';
import { readableMoment } from '../src/validate/dates.ts';

/** The no-break space that keeps a date's and a time's parts together. */
const nb = '\u00a0';

describe('readableMoment: a moment as people read it, in the province’s time', () => {
  it('writes English and French as each reads them, in Edmonton time whatever the machine’s zone', () => {
    // 15:44 UTC is 8:44 in Edmonton in December (MST, UTC−7).
    const moment = new Date('2026-12-01T15:44:00Z');
    expect(readableMoment(moment, 'en')).to.equal(`December${nb}1, 2026 at 8:44${nb}a.m.`);
    expect(readableMoment(moment, 'fr')).to.equal(`1er${nb}décembre${nb}2026 à 8${nb}h${nb}44`);
  });

  it('follows daylight saving time, and says noon, midnight and the hour on the dot plainly', () => {
    // July: MDT, UTC−6.
    expect(readableMoment(new Date('2026-07-15T18:30:00Z'), 'en')).to.equal(`July${nb}15, 2026 at 12:30${nb}p.m.`);
    expect(readableMoment(new Date('2026-07-15T18:30:00Z'), 'fr')).to.equal(
      `15${nb}juillet${nb}2026 à 12${nb}h${nb}30`,
    );
    expect(readableMoment(new Date('2026-03-02T07:05:00Z'), 'en')).to.equal(`March${nb}2, 2026 at 12:05${nb}a.m.`);
    expect(readableMoment(new Date('2026-03-02T07:05:00Z'), 'fr')).to.equal(`2${nb}mars${nb}2026 à 0${nb}h${nb}05`);
    expect(readableMoment(new Date('2026-11-30T16:00:00Z'), 'en')).to.equal(`November${nb}30, 2026 at 9:00${nb}a.m.`);
    expect(readableMoment(new Date('2026-11-30T16:00:00Z'), 'fr')).to.equal(`30${nb}novembre${nb}2026 à 9${nb}h`);
    // The day is Edmonton's: 03:00 UTC on the 1st is still the evening of the 31st there.
    expect(readableMoment(new Date('2027-01-01T03:00:00Z'), 'en')).to.equal(`December${nb}31, 2026 at 8:00${nb}p.m.`);
    expect(readableMoment(new Date('2027-01-01T03:00:00Z'), 'fr')).to.equal(`31${nb}décembre${nb}2026 à 20${nb}h`);
  });
});
