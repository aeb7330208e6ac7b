import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { todayIn } from '../src/validate/dates.ts';
import { intakeCommand, intakeCommandWithInput, root } from './support/cli.ts';
import { dropDatabase, freshDatabaseUrl } from './support/database.ts';

interface ListedItem {
  id: number;
  line: number;
  reason: string;
  claimedBy: string | null;
  state: string;
}

describe("the intake command: Student Records' queue", function () {
  this.timeout(120_000);
  let url: string;
  let home: string;
  const intake = intakeCommand(() => ({ database: url, home }));
  const intakeWithInput = intakeCommandWithInput(() => ({ database: url, home }));
  const list = (...filters: string[]) => {
    const run = intake('queue', 'list', '--json', ...filters);
    expect(run.status, run.stderr).to.equal(0);
    return JSON.parse(run.stdout) as {
      items: ListedItem[];
      countsByReason: Record<string, number>;
      next: string | null;
    };
  };

  before(async () => {
    url = await freshDatabaseUrl();
    home = mkdtempSync(path.join(tmpdir(), 'intake-cli-queue-'));
    expect(intake('reference', 'load', path.join(root, 'samples/reference')).status).to.equal(0);
    const run = intake(
      'ingest',
      path.join(root, 'samples/enrolment/A.0230/september-high.csv'),
      '--authority',
      'A.0230',
      '--as-of',
      '2026-09-15',
      '--json',
    );
    expect(JSON.parse(run.stdout)).to.include({ referred: 10 });
    for (const name of ['ana', 'bo'])
      expect(
        intakeWithInput('a long enough password\n', 'staff', 'add', name, '--name', name.toUpperCase()).status,
      ).to.equal(0);
  });
  after(async () => {
    await dropDatabase(url);
    rmSync(home, { recursive: true, force: true });
  });

  it('list: open items oldest first, filtered, with counts per reason', () => {
    const all = list();
    expect(all.items.map((i) => i.line)).to.deep.equal([4, 5, 9, 10, 11, 12, 14, 15, 16, 18]);
    expect(all.countsByReason).to.include({ HIGH_MORE_RECENT_ELSEWHERE: 2, POTENTIAL_DUPLICATE: 1 });
    expect(list('--reason', 'HIGH_MORE_RECENT_ELSEWHERE').items.map((i) => i.line)).to.deep.equal([10, 11]);
    expect(list('--kind', 'access').items).to.have.length(0);
    const text = intake('queue', 'list', '--authority', 'A.0230');
    expect(text.stdout).to.match(
      /#\d+ .* A\.0230 S\.2302 {2}enrolment {2}NO_HISTORICAL_ENROLMENT {2}ASN 4193-6027-5 {2}september-high\.csv:4/,
    );
    expect(intake('queue', 'list', '--reason', 'NOPE').status).to.equal(64);
  });

  it(
    'show --json: the row, what the rules saw, the student now, and the audit trail; the look is recorded ' + 'once',
    () => {
      const item = list('--reason', 'HIGH_HISTORICAL_ONLY').items[0] as ListedItem;
      expect(intake('queue', 'show', String(item.id)).status).to.equal(64);
      const run = intake('queue', 'show', String(item.id), '--json', '--as', 'bo');
      expect(run.status, run.stderr).to.equal(0);
      const shown = JSON.parse(run.stdout) as {
        row: { schoolCode: string };
        saw: { restriction: string };
        student: { lastName: string };
        audit: unknown[];
      };
      expect(shown.row.schoolCode).to.equal('S.2301');
      expect(shown.saw.restriction).to.equal('high');
      expect(shown.student.lastName).to.equal('Silva');
      expect(intake('queue', 'show', '999999', '--as', 'bo').status).to.equal(1);
      // Looking at a child's record is on the record.
      const again = JSON.parse(intake('queue', 'show', String(item.id), '--json', '--as', 'bo').stdout) as {
        audit: { actor: string; action: string }[];
      };
      expect(again.audit.filter((a) => a.action === 'item_viewed').map((a) => a.actor)).to.deep.equal(['bo']);
    },
  );

  it("show takes the item's number as list prints it (#5), and heads each part of the item", () => {
    const item = list('--reason', 'HIGH_HISTORICAL_ONLY').items[0] as ListedItem;
    const printed = intake('queue', 'list', '--reason', 'HIGH_HISTORICAL_ONLY').stdout;
    expect(printed).to.match(new RegExp(`^#${item.id} `));
    const run = intake('queue', 'show', `#${item.id}`, '--as', 'bo');
    expect(run.status, run.stderr).to.equal(0);
    const lines = run.stdout.split('\n');
    const headings = lines.filter((line) => /^[a-z][a-z ]+:/.test(line)).map((line) => line.split(':')[0]);
    expect(headings).to.include.members(['state', 'reason', 'row', 'the rules saw', 'student', 'recent enrolments']);
    // The trail is under a heading of its own, not run on after the student's enrolments.
    const trail = lines.indexOf('audit trail of this item:');
    expect(trail).to.be.greaterThan(lines.indexOf('recent enrolments:'));
    expect(lines[trail + 1]).to.match(/^ {2}\d{4}-\d\d-\d\d .* bo item_viewed/);
    const bad = intake('queue', 'show', '#x', '--as', 'bo');
    expect(bad.status).to.equal(64);
    expect(bad.stderr).to.contain('expected an item number, as 5 or #5');
  });

  it('claim, approve, reject and return act as a named, active staff member', () => {
    expect(intake('queue', 'claim').status).to.equal(64);
    expect(intake('queue', 'claim', '--as', 'nobody').stderr).to.contain('no staff account nobody');
    const claimed = intake('queue', 'claim', '--as', 'ana', '--reason', 'HIGH_MORE_RECENT_ELSEWHERE');
    expect(claimed.status, claimed.stderr).to.equal(0);
    const item = list('--reason', 'HIGH_MORE_RECENT_ELSEWHERE').items[0] as ListedItem;
    expect(item.claimedBy).to.equal('ana');
    expect(intake('queue', 'approve', String(item.id), '--as', 'bo').status).to.equal(3);
    const approved = intake('queue', 'approve', String(item.id), '--as', 'ana', '--note', 'Checked with the school.');
    expect(approved.status, approved.stderr).to.equal(0);
    expect(approved.stdout).to.contain('approved: Enrolment created.');
    expect(intake('queue', 'approve', String(item.id), '--as', 'ana').status).to.equal(3);

    const other = list('--reason', 'HIGH_MORE_RECENT_ELSEWHERE').items[0] as ListedItem;
    expect(intake('queue', 'reject', String(other.id), '--as', 'bo').status).to.equal(64);
    expect(intake('queue', 'reject', String(other.id), '--as', 'bo', '--note', 'Not this school.').status).to.equal(0);
    const unknown = list('--reason', 'UNKNOWN_ASN').items[0] as ListedItem;
    const refused = intake('queue', 'approve', String(unknown.id), '--as', 'bo');
    expect(refused.status).to.equal(5);
    // What staff can do comes first; the check's advice to the authority is labelled as such.
    const [found, advice, commands, forAuthority] = refused.stderr.trim().split('\n');
    expect(found).to.equal('not applied: No student has this ASN (UNKNOWN_ASN). Nothing was changed.');
    expect(advice).to.match(/^what you can do: Reject the item with a note .* or return it to the authority/);
    expect(commands).to.contain(`intake queue reject ${unknown.id} --note`);
    expect(forAuthority).to.match(/^the check's words, written for the authority: No student has ASN/);
    expect(
      intake('queue', 'return', String(unknown.id), '--as', 'bo', '--note', 'Check the ASN and send it again.').status,
    ).to.equal(0);

    const decisions = readFileSync(
      path.join(home, 'outbox/A.0230/student-records', `decisions-${todayIn()}.csv`),
      'utf8',
    );
    expect(decisions.split('\n')[0]).to.equal('file,line,asn,decision,note,when,result');
    expect(decisions).to.contain('september-high.csv,10,4539-1860-2,approved,Checked with the school.');
    expect(decisions).to.contain('september-high.csv,11,4603-5972-8,rejected,Not this school.');
    expect(decisions).to.contain('september-high.csv,16,8123-4567-0,returned,Check the ASN and send it again.');
  });

  it('audit --asn: what was done to a student, by whom and why', () => {
    const run = intake('queue', 'audit', '--asn', '4539-1860-2', '--json');
    const records = JSON.parse(run.stdout) as { actor: string; action: string; detail: { note?: string } }[];
    expect(records.map((r) => `${r.actor} ${r.action}`)).to.include.members(['ana item_approved', 'ana item_claimed']);
    expect(records.find((r) => r.action === 'item_approved')?.detail.note).to.equal('Checked with the school.');
  });

  it('a disabled staff member can no longer act', () => {
    expect(intake('staff', 'disable', 'bo').status).to.equal(0);
    expect(intake('queue', 'claim', '--as', 'bo').stderr).to.contain('disabled');
  });
});
