import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { intakeCommand, intakeCommandWithInput, root } from './support/cli.ts';
import { dropDatabase, freshDatabaseUrl } from './support/database.ts';
import { pdfPages } from './support/pdf.ts';
import { pinOccurrences } from './support/secrets.ts';

interface Listed {
  id: string;
  status: string;
  letterFiles: string[];
  emailFile: string | null;
}

/**
 * README's activation example, as written: `connections list` names the letter's PDF and the
 * email's .eml file of a connection still waiting, and `connections activate --email` with that
 * file and the PIN of that letter activates it.
 */
describe('connections list: where the PIN and the link of a waiting connection are', function () {
  this.timeout(120_000);
  let url: string;
  let home: string;
  const intake = intakeCommand(() => ({ database: url, home }));
  const intakeWithInput = intakeCommandWithInput(() => ({ database: url, home }));
  const list = (asn: string): Listed[] => {
    const run = intake('connections', 'list', '--asn', asn, '--json');
    expect(run.status, run.stderr).to.equal(0);
    return (JSON.parse(run.stdout) as { connections: Listed[] }).connections;
  };

  before(async () => {
    url = await freshDatabaseUrl();
    home = mkdtempSync(path.join(tmpdir(), 'intake-papers-'));
    expect(intake('reference', 'load', path.join(root, 'samples/reference')).status).to.equal(0);
    const access = path.join(root, 'samples/access/A.0094/access-low.csv');
    const run = intake('ingest', access, '--authority', 'A.0094', '--kind', 'access', '--as-of', '2026-09-15');
    expect(run.status, run.stderr).to.equal(0);
  });
  after(async () => {
    await dropDatabase(url);
    rmSync(home, { recursive: true, force: true });
  });

  it(
    'names the letter before the email is sent, then both; the activation they lead to works, and then neither ' +
      'is named',
    async () => {
      const [unsent] = list('3258-1947-0');
      const letters = path.join(home, 'outbox/A.0094/letters');
      expect(unsent?.letterFiles).to.have.length(1);
      expect(path.dirname(unsent?.letterFiles[0] as string)).to.equal(letters);
      expect(unsent?.letterFiles[0]).to.match(/^.*\/access-low\.\d+\.S\.0942\.pdf$/);
      expect(unsent?.emailFile, 'no email sent yet').to.equal(null);

      expect(intake('mail', 'send').status).to.equal(0);
      const [waiting] = list('3258-1947-0');
      expect(waiting?.emailFile).to.equal(path.join(home, 'outbox/mail', `connection-${waiting?.id}-issue-1.eml`));
      const text = intake('connections', 'list', '--asn', '3258-1947-0');
      expect(text.stdout)
        .to.contain(`        letter: ${waiting?.letterFiles[0]}\n`)
        .and.contain(`        email:  ${waiting?.emailFile}\n`);

      // The letter's PDF: the cover, then this school's letters; this school has one.
      const [, page] = await pdfPages(waiting?.letterFiles[0] as string);
      expect(page).to.contain('ᐊᓂ ᑭᓚᐳᒃ');
      const pin = (
        /(?<![0-9-])\d{4}(?![0-9-])/.exec((page ?? '').replace(/\b[AS]\.\d{4}\b/g, '')) as RegExpExecArray
      )[0];
      expect(pinOccurrences(text.stdout, pin), 'the listing shows no PIN').to.equal(0);
      const activate = intakeWithInput(
        `${pin}\n`,
        'connections',
        'activate',
        '--email',
        waiting?.emailFile as string,
        '--account',
        'ani@example.ca',
      );
      expect(activate.status, activate.stderr).to.equal(0);
      expect(activate.stdout).to.contain('The connection is activated');

      const [activated] = list('3258-1947-0');
      expect(activated).to.include({ status: 'activated', emailFile: null });
      expect(activated?.letterFiles).to.deep.equal([]);
      expect(intake('connections', 'list', '--asn', '3258-1947-0').stdout).to.not.match(/letter:|email:/);
    },
  );
});
