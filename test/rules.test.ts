import { expect } from 'chai';
import { associations, hasHistoricalEnrolment } from '../src/rules/associations.ts';
import { decideNewEnrolment } from '../src/rules/enrolment-access.ts';
import type { AuthorityFacts, EnrolmentFact, RuleWindows, StudentFacts } from '../src/rules/facts.ts';
import { restrictionLevel } from '../src/rules/restriction.ts';
import { addMonths } from '../src/validate/dates.ts';

const windows: RuleWindows = { lastEnrolmentMonths: 6, recentEnrolmentMonths: 12, creationAssociationMonths: 24 };
const regular: AuthorityFacts = {
  code: 'A.0001',
  nationallyContracted: false,
  international: false,
  active: true,
  usageAgreementSigned: true,
};
const low: AuthorityFacts = {
  code: 'A.0094',
  nationallyContracted: true,
  international: false,
  active: true,
  usageAgreementSigned: false,
};
const high: AuthorityFacts = {
  code: 'A.0230',
  nationallyContracted: false,
  international: true,
  active: true,
  usageAgreementSigned: true,
};

function enrolment(authorityCode: string, entryDate: string, exitDate: string | null = null): EnrolmentFact {
  return { schoolCode: `S.${authorityCode.slice(2)}`, authorityCode, entryDate, exitDate };
}
function student(
  enrolments: EnrolmentFact[],
  createdBy: string | null = null,
  createdOn: string | null = null,
): StudentFacts {
  return { asn: '123456789', createdBy, createdOn, enrolments };
}

describe('restriction level (docs/rules.md §1)', () => {
  const base = {
    code: 'A.0001',
    nationallyContracted: false,
    international: false,
    active: true,
    usageAgreementSigned: true,
  };
  const table: [string, Partial<AuthorityFacts>, string][] = [
    ['international is High', { international: true }, 'high'],
    ['inactive is High', { active: false }, 'high'],
    ['unsigned agreement, not nationally contracted, is High', { usageAgreementSigned: false }, 'high'],
    [
      'nationally contracted and active is Low (agreement irrelevant)',
      { nationallyContracted: true, usageAgreementSigned: false },
      'low',
    ],
    ['nationally contracted, active, signed is Low', { nationallyContracted: true }, 'low'],
    [
      'nationally contracted but international is High (stricter reading)',
      { nationallyContracted: true, international: true },
      'high',
    ],
    ['nationally contracted but inactive is High', { nationallyContracted: true, active: false }, 'high'],
    ['a regular authority is not limited', {}, 'none'],
  ];
  for (const [name, change, level] of table)
    it(name, () => expect(restrictionLevel({ ...base, ...change })).to.equal(level));
});

describe('associations (docs/rules.md §2)', () => {
  const asOf = '2026-09-15';
  it('By Student Creation holds until the student has an enrolment', () => {
    expect(associations(student([], 'A.0094', '2026-01-10'), 'A.0094', 'low', asOf, windows)).to.deep.equal([
      'creation',
    ]);
    expect(
      associations(
        student([enrolment('A.0001', '2026-02-01')], 'A.0094', '2026-01-10'),
        'A.0094',
        'low',
        asOf,
        windows,
      ),
    ).to.not.include('creation');
  });
  it('By Student Creation lapses 2 years after creation (last day included)', () => {
    expect(associations(student([], 'A.0094', '2024-09-15'), 'A.0094', 'low', '2026-09-15', windows)).to.deep.equal([
      'creation',
    ]);
    expect(associations(student([], 'A.0094', '2024-09-15'), 'A.0094', 'low', '2026-09-16', windows)).to.deep.equal([]);
  });
  it('By Current School Enrolment: started and not ended', () => {
    expect(associations(student([enrolment('A.0094', '2026-09-01')]), 'A.0094', 'low', asOf, windows)).to.include(
      'current',
    );
    expect(
      associations(student([enrolment('A.0094', '2026-09-01', '2026-12-01')]), 'A.0094', 'low', asOf, windows),
    ).to.include('current');
  });
  it('an enrolment not yet started is not current', () => {
    expect(associations(student([enrolment('A.0094', '2026-09-16')]), 'A.0094', 'low', asOf, windows)).to.not.include(
      'current',
    );
  });
  it('an exit date equal to the as-of date has ended', () => {
    const found = associations(student([enrolment('A.0094', '2026-01-05', asOf)]), 'A.0094', 'low', asOf, windows);
    expect(found).to.not.include('current');
    expect(found).to.include('last');
  });
  it('By Last School Enrolment holds exactly 6 months after exit, not a day more', () => {
    const s = student([enrolment('A.0094', '2025-09-01', '2026-03-15')]);
    expect(associations(s, 'A.0094', 'high', '2026-09-15', windows)).to.deep.equal(['last']);
    expect(associations(s, 'A.0094', 'high', '2026-09-16', windows)).to.deep.equal([]);
  });
  it('By Last School Enrolment needs no current enrolment elsewhere', () => {
    const s = student([enrolment('A.0094', '2025-09-01', '2026-06-30'), enrolment('A.0001', '2026-09-01')]);
    expect(associations(s, 'A.0094', 'high', asOf, windows)).to.deep.equal([]);
  });
  it('By Last School Enrolment needs the most recently ended enrolment', () => {
    const s = student([
      enrolment('A.0094', '2025-09-01', '2026-03-01'),
      enrolment('A.0001', '2026-03-02', '2026-06-30'),
    ]);
    expect(associations(s, 'A.0094', 'high', asOf, windows)).to.deep.equal([]);
  });
  it('By Recent School Enrolment holds 12 months after exit for Low, last day included', () => {
    const s = student([enrolment('A.0094', '2025-01-01', '2025-09-15'), enrolment('A.0001', '2025-09-20')]);
    expect(associations(s, 'A.0094', 'low', '2026-09-15', windows)).to.deep.equal(['recent']);
    expect(associations(s, 'A.0094', 'low', '2026-09-16', windows)).to.deep.equal([]);
  });
  it('By Recent School Enrolment never holds for High', () => {
    const s = student([enrolment('A.0230', '2025-01-01', '2026-01-15'), enrolment('A.0001', '2026-02-01')]);
    expect(associations(s, 'A.0230', 'high', asOf, windows)).to.deep.equal([]);
    expect(associations(s, 'A.0230', 'low', asOf, windows)).to.deep.equal(['recent']);
  });
  it("a historical enrolment is any enrolment, ever, at one of the authority's schools", () => {
    expect(hasHistoricalEnrolment(student([enrolment('A.0094', '2010-09-01', '2011-06-30')]), 'A.0094')).to.equal(true);
    expect(hasHistoricalEnrolment(student([enrolment('A.0001', '2010-09-01')]), 'A.0094')).to.equal(false);
  });
  it('a student with enrolments in three authorities: each authority sees its own associations', () => {
    const s = student([
      enrolment('A.0001', '2023-09-01', '2024-06-30'),
      enrolment('A.0094', '2024-09-01', '2026-01-31'),
      enrolment('A.0230', '2026-02-01'),
    ]);
    expect(associations(s, 'A.0230', 'high', asOf, windows)).to.deep.equal(['current']);
    expect(associations(s, 'A.0094', 'low', asOf, windows)).to.deep.equal(['recent']);
    expect(associations(s, 'A.0001', 'none', asOf, windows)).to.deep.equal([]);
  });
});

describe('new enrolment of an existing student (docs/rules.md §3 table)', () => {
  const asOf = '2026-09-15';
  const decide = (s: StudentFacts, a: AuthorityFacts) => {
    const d = decideNewEnrolment(s, a, asOf, windows);
    return d.outcome === 'accept' ? 'accept' : d.reason;
  };
  it('any association: accepted (creation)', () =>
    expect(decide(student([], 'A.0230', '2026-01-01'), high)).to.equal('accept'));
  it('any association: accepted (current)', () =>
    expect(decide(student([enrolment('A.0230', '2026-09-01')]), high)).to.equal('accept'));
  it('any association: accepted (last)', () =>
    expect(decide(student([enrolment('A.0230', '2025-09-01', '2026-06-30')]), high)).to.equal('accept'));
  it('any association: accepted (recent, Low)', () =>
    expect(
      decide(student([enrolment('A.0094', '2025-09-01', '2026-01-31'), enrolment('A.0001', '2026-02-01')]), low),
    ).to.equal('accept'));
  it('no association, historical enrolment, Low: accepted', () =>
    expect(
      decide(student([enrolment('A.0094', '2015-09-01', '2016-06-30'), enrolment('A.0001', '2016-09-01')]), low),
    ).to.equal('accept'));
  it('no historical enrolment: referred NO_HISTORICAL_ENROLMENT (Low)', () =>
    expect(decide(student([enrolment('A.0001', '2016-09-01')]), low)).to.equal('NO_HISTORICAL_ENROLMENT'));
  it('no historical enrolment: referred NO_HISTORICAL_ENROLMENT (High)', () =>
    expect(decide(student([enrolment('A.0001', '2016-09-01')]), high)).to.equal('NO_HISTORICAL_ENROLMENT'));
  it('High, last enrolled with this authority, exit more than 6 months ago: HIGH_LAST_EXIT_OVER_6_MONTHS', () =>
    expect(
      decide(
        student([enrolment('A.0001', '2020-09-01', '2021-06-30'), enrolment('A.0230', '2021-09-01', '2026-03-14')]),
        high,
      ),
    ).to.equal('HIGH_LAST_EXIT_OVER_6_MONTHS'));
  it('High, exit exactly 6 months ago: still accepted (By Last School Enrolment)', () =>
    expect(decide(student([enrolment('A.0230', '2021-09-01', '2026-03-15')]), high)).to.equal('accept'));
  it('High, recently enrolled here, more recent enrolment elsewhere: HIGH_MORE_RECENT_ELSEWHERE', () =>
    expect(
      decide(student([enrolment('A.0230', '2025-09-01', '2026-01-31'), enrolment('A.0001', '2026-02-01')]), high),
    ).to.equal('HIGH_MORE_RECENT_ELSEWHERE'));
  it(
    'High, recently enrolled here, still enrolled elsewhere since before: HIGH_MORE_RECENT_ELSEWHERE (an open ' +
      'enrolment is the most recent)',
    () =>
      expect(
        decide(student([enrolment('A.0230', '2024-09-01', '2026-01-31'), enrolment('A.0001', '2024-01-01')]), high),
      ).to.equal('HIGH_MORE_RECENT_ELSEWHERE'),
  );
  it('High, recently enrolled here, an enrolment elsewhere that ended later: HIGH_MORE_RECENT_ELSEWHERE', () =>
    expect(
      decide(
        student([enrolment('A.0230', '2024-09-01', '2026-01-31'), enrolment('A.0001', '2024-01-01', '2026-03-31')]),
        high,
      ),
    ).to.equal('HIGH_MORE_RECENT_ELSEWHERE'));
  it('High, historical enrolment only: HIGH_HISTORICAL_ONLY', () =>
    expect(
      decide(
        student([
          enrolment('A.0230', '2015-09-01', '2016-06-30'),
          enrolment('A.0001', '2016-09-01', '2020-06-30'),
          enrolment('A.0002', '2020-09-01'),
        ]),
        high,
      ),
    ).to.equal('HIGH_HISTORICAL_ONLY'));
  it('High, recent here ended exactly 12 months ago with newer elsewhere: still HIGH_MORE_RECENT_ELSEWHERE', () =>
    expect(
      decide(student([enrolment('A.0230', '2024-09-01', '2025-09-15'), enrolment('A.0001', '2025-09-16')]), high),
    ).to.equal('HIGH_MORE_RECENT_ELSEWHERE'));
  it('High, recent here ended 12 months and a day ago with newer elsewhere: HIGH_HISTORICAL_ONLY', () =>
    expect(
      decide(student([enrolment('A.0230', '2024-09-01', '2025-09-14'), enrolment('A.0001', '2025-09-16')]), high),
    ).to.equal('HIGH_HISTORICAL_ONLY'));
  it('a regular authority may enrol any existing student', () => {
    const d = decideNewEnrolment(student([enrolment('A.0094', '2026-09-01')]), regular, asOf, windows);
    expect(d).to.deep.include({ outcome: 'accept', basis: 'not_limited' });
  });
});

describe('calendar windows', () => {
  it('adds months, keeping the day', () => expect(addMonths('2026-03-15', 6)).to.equal('2026-09-15'));
  it('clamps to the end of a shorter month', () => expect(addMonths('2026-08-31', 6)).to.equal('2027-02-28'));
  it('2 years from 29 February is 28 February', () => expect(addMonths('2024-02-29', 24)).to.equal('2026-02-28'));
  it('crosses year ends', () => expect(addMonths('2025-11-30', 3)).to.equal('2026-02-28'));
});
