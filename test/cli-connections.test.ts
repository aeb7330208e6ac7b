import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { intakeCommand, intakeCommandWithInput, root } from './support/cli.ts';
import { dropDatabase, freshDatabaseUrl } from './support/database.ts';
import { pdfPages } from './support/pdf.ts';
import { pinOccurrences } from './support/secrets.ts';

describe('the intake command: access files, mail, connections', function () {
  this.timeout(120_000);
  let url: string;
  let home: string;
  const intake = intakeCommand(() => ({ database: url, home }));
  const intakeWithInput = intakeCommandWithInput(() => ({ database: url, home }));

  before(async () => {
    url = await freshDatabaseUrl();
    home = mkdtempSync(path.join(tmpdir(), 'intake-cli-'));
    expect(intake('reference', 'load', path.join(root, 'samples/reference')).status).to.equal(0);
  });
  after(async () => {
    await dropDatabase(url);
    rmSync(home, { recursive: true, force: true });
  });

  let pin = '';
  let eml = '';

  it('ingests an access-code file, writes its letters, and sends the emails to the outbox as .eml files', async () => {
    const run = intake(
      'ingest',
      path.join(root, 'samples/access/A.0094/access-low.csv'),
      '--authority',
      'A.0094',
      '--kind',
      'access',
      '--as-of',
      '2026-09-15',
      '--json',
    );
    expect(run.status, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.include({ outcome: 'processed', accepted: 2, referred: 2, invalid: 0 });
    const letters = path.join(home, 'outbox/A.0094/letters');
    const kilabuk = readdirSync(letters).find((name) => name.endsWith('.S.0942.pdf')) as string;
    const [, page] = await pdfPages(path.join(letters, kilabuk));
    expect(page).to.contain('ᐊᓂ ᑭᓚᐳᒃ');
    pin = (/(?<![0-9-])\d{4}(?![0-9-])/.exec((page ?? '').replace(/\b[AS]\.\d{4}\b/g, '')) as RegExpExecArray)[0];
    const mail = intake('mail', 'send');
    expect(mail.status, mail.stderr).to.equal(0);
    expect(mail.stdout).to.contain('sent 2');
    eml = path.join(home, 'outbox/mail', readdirSync(path.join(home, 'outbox/mail')).sort()[0] as string);
  });

  it(
    'activate: the PIN comes from standard input; a wrong PIN exits 4 with the attempts left; the right one ' +
      'activates',
    () => {
      const onCommandLine = intake(
        'connections',
        'activate',
        '--email',
        eml,
        '--pin',
        pin,
        '--account',
        'ani@example.ca',
      );
      expect(onCommandLine.status, 'a PIN on the command line is refused').to.equal(64);
      expect(onCommandLine.stderr).to.contain('standard input');
      const wrong = intakeWithInput(
        `${pin === '0000' ? '0001' : '0000'}\n`,
        'connections',
        'activate',
        '--email',
        eml,
        '--account',
        'ani@example.ca',
      );
      expect(wrong.status).to.equal(4);
      expect(wrong.stdout).to.contain('4 attempts are left');
      const right = intakeWithInput(
        `${pin}\n`,
        'connections',
        'activate',
        '--email',
        eml,
        '--account',
        'ani@example.ca',
        '--json',
      );
      expect(right.status, right.stderr).to.equal(0);
      expect(JSON.parse(right.stdout)).to.include({ outcome: 'activated' });
      const again = intakeWithInput(
        `${pin}\n`,
        'connections',
        'activate',
        '--email',
        eml,
        '--account',
        'ani@example.ca',
      );
      expect(again.status).to.equal(4);
      expect(again.stdout).to.contain('already activated');
      const none = intakeWithInput('', 'connections', 'activate', '--email', eml, '--account', 'ani@example.ca');
      expect(none.status).to.equal(64);
      expect(none.stderr).to.contain('the PIN of the letter');
    },
  );

  it('list shows who can see the record and each status, never a PIN', () => {
    const run = intake('connections', 'list', '--asn', '3258-1947-0');
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/Activated\s+ᐊᓂ ᑭᓚᐳᒃ \(Mother\), ani\.kilabuk@example\.ca, set up by S\.0942/);
    expect(pinOccurrences(run.stdout, pin)).to.equal(0);
    const unknown = intake('connections', 'list', '--asn', '999999999');
    expect(unknown.status).to.equal(1);
    expect(unknown.stdout).to.contain('No student has ASN 9999-9999-9');
  });

  it('activate without a token is a usage error', () => {
    const run = intakeWithInput('1234\n', 'connections', 'activate', '--account', 'a');
    expect(run.status).to.equal(64);
    expect(run.stderr).to.contain('--token');
  });
});
