import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import { issueLetters } from '../pipelines/access-letters.ts';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { loadConfig } from '../src/config/config.ts';
import { activateConnection } from '../src/connections/activation.ts';
import { expireConnections, listConnections } from '../src/connections/connection-status.ts';
import { queues } from '../src/db/queue.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { ConnectionKeyMismatchError } from '../src/persist/connection-key.ts';
import { loadReference } from '../src/reference/load.ts';
import { addDays, dateEndingAt, timeIn, todayIn } from '../src/validate/dates.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { readReport, writeFiles } from './support/files.ts';
import { pdfPages } from './support/pdf.ts';
import { databaseText, folderText, pinContexts, pinOccurrences } from './support/secrets.ts';

const header = 'action,asn,school_code,requester,relationship,name,email,language,replace';

/** The one number of four digits on a letter page, once dates and codes are left out: its PIN. */
function pinsOn(page: string): string[] {
  const cleaned = page.replace(/\d{4}-\d{2}-\d{2}/g, ' ').replace(/\b[AS]\.\d{4}\b/g, ' ');
  return cleaned.match(/(?<![0-9])\d{4}(?![0-9])/g) ?? [];
}

interface Issued {
  pdf: string;
  page: string;
  pin: string;
}

describe('access-code files: connections, letters, emails, activation', function () {
  this.timeout(120_000);
  let app: TestApp;
  let mailFolder: string;
  const seenMail = new Set<string>();

  before(async () => {
    // Debug: every log line Intake writes goes to the log file the PIN search reads.
    app = await createTestApp({ 'mail.retryDelaySeconds': 1, logLevel: 'debug' });
    mailFolder = path.join(app.home, 'outbox', 'mail');
    const report = await loadReference(app.db, path.join(samplesFolder, 'reference'));
    expect(report.problems).to.deep.equal([]);
  });
  after(() => app.dispose());

  async function ingest(name: string, content: string, authority = 'A.0001') {
    const source = path.join(writeFiles(path.join(app.home, 'drop'), { [name]: content }), name);
    const result = await ingestFile(app, source, authority, 'access', samplesAsOf);
    if (result.outcome !== 'processed') throw new Error(`${name}: ${result.outcome}`);
    return result.file;
  }

  /** The letters of a file, page by page (the cover left out). */
  async function lettersOf(fileId: number, authority = 'A.0001'): Promise<Issued[]> {
    const folder = path.join(app.home, 'outbox', authority, 'letters');
    const pdfs = readdirSync(folder)
      .filter((name) => name.includes(`.${fileId}.`))
      .sort();
    const issued: Issued[] = [];
    for (const name of pdfs) {
      const pages = await pdfPages(path.join(folder, name));
      for (const page of pages.slice(1)) {
        const pins = pinsOn(page);
        expect(pins, `one PIN per letter in ${name}`).to.have.length(1);
        issued.push({ pdf: path.join(folder, name), page, pin: pins[0] as string });
      }
    }
    return issued;
  }

  /** Sends what is due and returns the emails new since the last call, parsed. */
  async function newMail() {
    const sender = createMailSender(app.config);
    await sendDueMail(app, sender);
    sender.close();
    const fresh = readdirSync(mailFolder)
      .filter((name) => !seenMail.has(name))
      .sort();
    for (const name of fresh) seenMail.add(name);
    return Promise.all(
      fresh.map(async (name) => ({ name, mail: await simpleParser(readFileSync(path.join(mailFolder, name))) })),
    );
  }

  const tokenOf = (text: string) => (/token=([A-Za-z0-9_-]+)/.exec(text) as RegExpExecArray)[1] as string;

  it(
    'the A.0001 sample: a PDF per school, a letter per live connection, an email per letter, and no PIN ' +
      'anywhere else',
    async () => {
      const file = await ingestFile(
        app,
        path.join(samplesFolder, 'access/A.0001/fall-access.csv'),
        'A.0001',
        'access',
        samplesAsOf,
      );
      expect(file.outcome).to.equal('processed');
      if (file.outcome !== 'processed') return;
      const letters = await lettersOf(file.file.id);
      // Created and kept: Gagnon (reset in the same file: one letter), Wong, Pauloosie, Tremblay, Singh's mother
      // (replaced).
      expect(letters).to.have.length(5);
      expect(new Set(letters.map((l) => /(S\.\d{4})\.pdf$/.exec(l.pdf)?.[1]))).to.deep.equal(
        new Set(['S.0101', 'S.0102']),
      );
      for (const pdf of new Set(letters.map((l) => l.pdf))) expect(statSync(pdf).mode & 0o777).to.equal(0o600);
      const text = letters.map((l) => l.page).join('\n');
      for (const name of ['黃志明', 'ᓯᐊᓯ ᐸᐅᓗᓯ', 'Trần Thị Thu Hà', 'Marie-Ève Gagnon-Béliveau', 'Gurpreet Kaur Singh'])
        expect(text).to.contain(name);

      const mails = await newMail();
      expect(mails).to.have.length(5);
      for (const { mail } of mails) {
        expect(mail.subject).to.be.oneOf(['myPass Activation – DO NOT DELETE', 'Activation myPass – NE PAS SUPPRIMER']);
        expect(mail.text).to.match(/token=[A-Za-z0-9_-]{43}/);
      }
      const french = mails.find(({ mail }) => mail.subject?.startsWith('Activation'));
      expect(french?.mail.text).to.match(/^Bonjour,$/m);
      // A mistyped address must not tell a stranger whose record it is: no student or recipient name.
      for (const { mail } of mails) {
        for (const name of ['Gagnon', 'Wong', 'Pauloosie', 'Tremblay', 'Singh', 'Éloïse', '黃', 'Trần']) {
          expect(`${mail.text}\n${String(mail.html)}`).to.not.contain(name);
        }
      }

      const everywhere = [
        await databaseText(app.db),
        folderText(app.home),
        ...mails.map(({ mail }) => `${mail.subject}\n${mail.text}\n${String(mail.html)}`),
      ].join('\n');
      expect(readdirSync(path.join(app.home, 'log')).length, 'the log is searched').to.be.at.least(1);
      expect(folderText(path.join(app.home, 'log'))).to.contain('letters issued');
      for (const { pin, page } of letters) {
        expect(pinOccurrences(page, pin), 'a PIN printed once on its letter').to.equal(1);
        expect(pinContexts(everywhere, pin), 'a PIN outside its letter').to.deep.equal([]);
      }
      const report = readReport(file.file.reportPath as string);
      expect(report.filter((r) => r.status !== 'summary')).to.have.length(20);
    },
  );

  it("activates with the email's token and the letter's PIN; the listing shows it, never a PIN", async () => {
    const file = await ingest(
      'activate.csv',
      `${header}\ncreate,126597034,S.0101,parent_guardian,Father,Marc Tremblay,marc.tremblay@example.com,en,\n`,
    );
    const [letter] = await lettersOf(file.id);
    const mails = await newMail();
    expect(mails).to.have.length(1);
    const token = tokenOf(mails[0]?.mail.text ?? '');
    const wrong = letter?.pin === '0000' ? '0001' : '0000';
    expect(
      await activateConnection(app.db, app.config, { token, pin: wrong, account: 'marc@education' }),
    ).to.deep.equal({ outcome: 'wrong_pin', attemptsLeft: 4 });
    const done = await activateConnection(app.db, app.config, {
      token,
      pin: letter?.pin as string,
      account: 'marc@education',
    });
    expect(done.outcome).to.equal('activated');
    expect(
      (await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'x' })).outcome,
    ).to.equal('already_activated');
    const listing = await listConnections(app.db, '126597034', 3);
    const marc = listing.connections.find((c) => c.email === 'marc.tremblay@example.com');
    expect(marc).to.include({ status: 'activated', activatedAccount: 'marc@education', name: 'Marc Tremblay' });
    expect(JSON.stringify(listing)).to.not.match(/pin|token/i);
    const again = await ingest(
      'again.csv',
      `${header}\ncreate,126597034,S.0101,parent_guardian,Father,Marc Tremblay,MARC.tremblay@example.com,en,yes\n`,
    );
    expect(readReport(again.reportPath as string)[0]).to.include({ code: 'ALREADY_ACTIVATED' });
  });

  it('five wrong PINs lock the connection for 60 minutes; after the lock the right PIN works', async () => {
    const file = await ingest(
      'lock.csv',
      `${header}\ncreate,104827361,S.0101,parent_guardian,Father,Luc Gagnon,luc.gagnon@example.org,fr,\n`,
    );
    const [letter] = await lettersOf(file.id);
    const token = tokenOf((await newMail())[0]?.mail.text ?? '');
    const wrong = letter?.pin === '9999' ? '9998' : '9999';
    for (let left = 4; left >= 1; left--) {
      expect(await activateConnection(app.db, app.config, { token, pin: wrong, account: 'luc' })).to.deep.equal({
        outcome: 'wrong_pin',
        attemptsLeft: left,
      });
    }
    const locked = await activateConnection(app.db, app.config, { token, pin: wrong, account: 'luc' });
    expect(locked.outcome).to.equal('locked');
    if (locked.outcome !== 'locked') return;
    expect(Math.round(((locked.until as Date).getTime() - Date.now()) / 60_000)).to.equal(60);
    // Locked: even the right PIN is refused.
    expect(
      (await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'luc' })).outcome,
    ).to.equal('locked');
    // An hour passes.
    await app.db.query(
      `update connection set locked_until = now() - interval '1 second' where email = 'luc.gagnon@example.org'`,
    );
    expect(
      (await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'luc' })).outcome,
    ).to.equal('activated');
  });

  it('after three lockouts the PIN stays locked until the school resets it', async () => {
    const file = await ingest(
      'lockouts.csv',
      `${header}\ncreate,104827361,S.0101,parent_guardian,Mother,Anne Gagnon,anne.gagnon@example.org,en,\n`,
    );
    const [letter] = await lettersOf(file.id);
    const token = tokenOf((await newMail())[0]?.mail.text ?? '');
    const wrong = letter?.pin === '9999' ? '9998' : '9999';
    const lockOut = async () => {
      for (let attempt = 1; attempt < 5; attempt++)
        await activateConnection(app.db, app.config, { token, pin: wrong, account: 'x' });
      const result = await activateConnection(app.db, app.config, { token, pin: wrong, account: 'x' });
      await app.db.query(
        `update connection set locked_until = now() - interval '1 second' where email = 'anne.gagnon@example.org'`,
      );
      return result;
    };
    expect((await lockOut()).outcome).to.equal('locked');
    expect((await lockOut()).outcome).to.equal('locked');
    expect(await lockOut()).to.deep.equal({ outcome: 'locked', until: null });
    // The hour is over, but the PIN is locked for good.
    expect(
      await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'anne' }),
    ).to.deep.equal({ outcome: 'locked', until: null });
    const anne = (await listConnections(app.db, '104827361', 3)).connections.find(
      (c) => c.email === 'anne.gagnon@example.org',
    );
    expect(anne).to.include({ status: 'waiting', lockedUntilReset: true });
    const reset = await ingest(
      'lockouts-reset.csv',
      `${header}\nreset,104827361,S.0101,,,,anne.gagnon@example.org,,\n`,
    );
    const [fresh] = await lettersOf(reset.id);
    const freshToken = tokenOf((await newMail())[0]?.mail.text ?? '');
    expect(
      (await activateConnection(app.db, app.config, { token: freshToken, pin: fresh?.pin as string, account: 'anne' }))
        .outcome,
    ).to.equal('activated');
  });

  it('a reset issues a new PIN and link: the old ones stop working at once', async () => {
    const first = await ingest(
      'reset-1.csv',
      `${header}\ncreate,118340572,S.0102,parent_guardian,Mother,Susan Wong,susan.wong@example.com,en,\n`,
    );
    const [oldLetter] = await lettersOf(first.id);
    const oldToken = tokenOf((await newMail())[0]?.mail.text ?? '');
    const second = await ingest('reset-2.csv', `${header}\nreset,118340572,S.0102,,,,susan.wong@example.com,,\n`);
    expect(readReport(second.reportPath as string)[0]).to.include({ code: 'CONNECTION_RESET' });
    expect(
      (await activateConnection(app.db, app.config, { token: oldToken, pin: oldLetter?.pin as string, account: 's' }))
        .outcome,
    ).to.equal('unknown_link');
    const [newLetter] = await lettersOf(second.id);
    const newToken = tokenOf((await newMail())[0]?.mail.text ?? '');
    if (newLetter?.pin !== oldLetter?.pin) {
      expect(
        (await activateConnection(app.db, app.config, { token: newToken, pin: oldLetter?.pin as string, account: 's' }))
          .outcome,
      ).to.equal('wrong_pin');
    }
    expect(
      (await activateConnection(app.db, app.config, { token: newToken, pin: newLetter?.pin as string, account: 's' }))
        .outcome,
    ).to.equal('activated');
  });

  it("revoke ends an activated connection's access, and its link says so", async () => {
    const file = await ingest(
      'revoke-1.csv',
      `${header}\ncreate,162835097,S.0102,parent_guardian,Father,Tom Pauloosie,tom.p@example.com,en,\n`,
    );
    const [letter] = await lettersOf(file.id);
    const token = tokenOf((await newMail())[0]?.mail.text ?? '');
    expect(
      (await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'tom' })).outcome,
    ).to.equal('activated');
    const revoke = await ingest('revoke-2.csv', `${header}\nrevoke,162835097,S.0102,,,,tom.p@example.com,,\n`);
    expect(readReport(revoke.reportPath as string)[0]).to.include({ code: 'CONNECTION_REVOKED' });
    const listing = await listConnections(app.db, '162835097', 3);
    expect(listing.connections.find((c) => c.email === 'tom.p@example.com')?.status).to.equal('deleted');
    expect(
      (await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'tom' })).outcome,
    ).to.equal('revoked');
    // Deleted connections are ignored: a new create is allowed.
    const recreate = await ingest(
      'revoke-3.csv',
      `${header}\ncreate,162835097,S.0102,parent_guardian,Father,Tom Pauloosie,tom.p@example.com,en,no\n`,
    );
    expect(readReport(recreate.reportPath as string)[0]).to.include({ code: 'CONNECTION_CREATED' });
    await newMail();
  });

  it(
    'requests expire at the end of the day printed on the letter: the job moves them to Request Expired, and ' +
      'they cannot be activated',
    async () => {
      const file = await ingest(
        'expire.csv',
        `${header}\ncreate,133708415,S.0102,parent_guardian,Father,Raj Singh,raj.singh@example.com,en,\n`,
      );
      const [letter] = await lettersOf(file.id);
      const token = tokenOf((await newMail())[0]?.mail.text ?? '');
      const printed = (
        /This PIN expires on (\d{4}-\d{2}-\d{2})/.exec(letter?.page ?? '') as RegExpExecArray
      )[1] as string;
      expect(printed).to.equal(addDays(todayIn(), 30));
      const raj = (await listConnections(app.db, '133708415', 3)).connections.find(
        (c) => c.email === 'raj.singh@example.com',
      );
      const expiresAt = raj?.expiresAt as Date;
      expect(dateEndingAt(expiresAt)).to.equal(printed);
      expect(timeIn(expiresAt)).to.match(/ 00:00 M[SD]T$/);
      expect(await expireConnections(app.db, 30, { now: new Date(expiresAt.getTime() - 60_000) })).to.equal(0);
      expect(await expireConnections(app.db, 30, { now: expiresAt })).to.be.at.least(1);
      expect(
        (await listConnections(app.db, '133708415', 3)).connections.find((c) => c.email === 'raj.singh@example.com')
          ?.status,
      ).to.equal('expired');
      expect(
        (await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'raj' })).outcome,
      ).to.equal('expired');
      const again = await ingest(
        'expire-2.csv',
        `${header}\ncreate,133708415,S.0102,parent_guardian,Father,Raj Singh,raj.singh@example.com,en,no\n`,
      );
      expect(readReport(again.reportPath as string)[0]).to.include({ code: 'CONNECTION_CREATED' });
      await newMail();
    },
  );

  it('a request past its expiry counts as expired before the job has run: a new create is accepted', async () => {
    await ingest(
      'overdue-1.csv',
      `${header}\ncreate,133708415,S.0102,parent_guardian,Aunt,Priya Singh,priya@example.com,en,\n`,
    );
    await newMail();
    await app.db.query(
      `update connection set expires_at = now() - interval '1 minute' where email = 'priya@example.com'`,
    );
    const again = await ingest(
      'overdue-2.csv',
      `${header}\ncreate,133708415,S.0102,parent_guardian,Aunt,Priya Singh,priya@example.com,en,no\n`,
    );
    expect(readReport(again.reportPath as string)[0]).to.include({ code: 'CONNECTION_CREATED' });
    const statuses = (await listConnections(app.db, '133708415', 3)).connections
      .filter((c) => c.email === 'priya@example.com')
      .map((c) => c.status);
    expect(statuses).to.deep.equal(['waiting', 'expired']);
    await newMail();
  });

  it('an email queued before a reset is not sent: only the newest link goes out', async () => {
    await ingest(
      'stale-1.csv',
      `${header}\ncreate,141276983,S.0103,parent_guardian,Mother,Nadia Haddad,nadia@example.com,en,\n`,
    );
    await ingest('stale-2.csv', `${header}\nreset,141276983,S.0103,,,,nadia@example.com,,\n`);
    const mails = await newMail();
    expect(mails).to.have.length(1);
  });

  it(
    "a reset from another school of the authority sends the letter to that school, in the reset row's " + 'language',
    async () => {
      const first = await ingest(
        'move-1.csv',
        `${header}\ncreate,104827361,S.0101,parent_guardian,Father,Paul Gagnon,paul.gagnon@example.org,en,\n`,
      );
      expect((await lettersOf(first.id)).map((l) => path.basename(l.pdf))).to.deep.equal([
        `move-1.${first.id}.S.0101.pdf`,
      ]);
      await newMail();
      const second = await ingest('move-2.csv', `${header}\nreset,104827361,S.0102,,,,paul.gagnon@example.org,fr,\n`);
      const [letter] = await lettersOf(second.id);
      expect(path.basename(letter?.pdf ?? '')).to.equal(`move-2.${second.id}.S.0102.pdf`);
      expect(letter?.page).to.contain('Vimy Ridge Academy').and.to.contain('Ce NIP expire le');
      const [mail] = await newMail();
      expect(mail?.mail.subject).to.equal('Activation myPass – NE PAS SUPPRIMER');
      expect(mail?.mail.text).to.contain('Vimy Ridge Academy');
      // A reset that leaves the language empty keeps the connection's.
      const third = await ingest(
        'move-3.csv',
        'action,asn,school_code,email\nreset,104827361,S.0102,paul.gagnon@example.org\n',
      );
      expect((await lettersOf(third.id))[0]?.page).to.contain('Ce NIP expire le');
      expect((await newMail())[0]?.mail.subject).to.equal('Activation myPass – NE PAS SUPPRIMER');
    },
  );

  it(
    'a create and a reset of one person in one file: one letter, from the school, in the language and with the ' +
      'relationship of the reset',
    async () => {
      const file = await ingest(
        'same-file.csv',
        `${header}\ncreate,104827361,S.0101,parent_guardian,Aunt,Rita ` +
          `Gagnon,rita.gagnon@example.org,en,\nreset,104827361,S.0102,,Tante,,rita.gagnon@example.org,fr,\n`,
      );
      const letters = await lettersOf(file.id);
      expect(letters.map((l) => path.basename(l.pdf))).to.deep.equal([`same-file.${file.id}.S.0102.pdf`]);
      expect(letters[0]?.page).to.contain('Ce NIP expire le').and.to.contain('Rita Gagnon').and.to.contain('Tante');
      await newMail();
    },
  );

  it("an email sent again carries a new link, and the first copy's link still works", async () => {
    const file = await ingest(
      'twice.csv',
      `${header}\ncreate,118340572,S.0102,parent_guardian,Father,Kevin Wong,kevin.wong@example.com,en,\n`,
    );
    const [letter] = await lettersOf(file.id);
    const [first] = await newMail();
    // Out of the way, so the second copy is seen as new.
    rmSync(path.join(mailFolder, first?.name ?? ''));
    seenMail.delete(first?.name ?? '');
    const job = await app.db.query<{ id: string; issue: number }>(
      `select id::text, issue from connection where email = 'kevin.wong@example.com'`,
    );
    // What a retry after an ambiguous SMTP answer does: the same job runs again.
    await app.boss.send(queues.activationMail, { connectionId: job.rows[0]?.id, issue: job.rows[0]?.issue });
    const [second] = await newMail();
    expect(tokenOf(second?.mail.text ?? '')).to.not.equal(tokenOf(first?.mail.text ?? ''));
    expect(
      (
        await activateConnection(app.db, app.config, {
          token: tokenOf(first?.mail.text ?? ''),
          pin: letter?.pin as string,
          account: 'k',
        })
      ).outcome,
    ).to.equal('activated');
    expect(
      (
        await activateConnection(app.db, app.config, {
          token: tokenOf(second?.mail.text ?? ''),
          pin: letter?.pin as string,
          account: 'k',
        })
      ).outcome,
    ).to.equal('already_activated');
  });

  it(
    'two letter runs of one file at once issue one set of PDFs, whose PINs work, and clear what an abandoned ' +
      'run left',
    async () => {
      const file = await ingest(
        'together.csv',
        `${header}\ncreate,141276983,S.0103,parent_guardian,Father,Omar ` +
          `Haddad,omar@example.com,en,\ncreate,141276983,S.0103,parent_guardian,Uncle,Sami ` +
          `Haddad,sami@example.com,en,\n`,
      );
      const folder = path.join(app.home, 'outbox', 'A.0001', 'letters');
      // Back to before the letters: as if the run had stopped after the rows, leaving a half-written PDF.
      await app.db.query('delete from letter_batch where file_id = $1', [file.id]);
      await app.db.query('update connection set pin_hash = null where letter_file_id = $1', [file.id]);
      await app.db.query(`delete from pgboss.job where name = $1 and state = 'created'`, [queues.activationMail]);
      for (const name of readdirSync(folder).filter((n) => n.includes(`.${file.id}.`))) rmSync(path.join(folder, name));
      writeFileSync(path.join(folder, `.letters-${file.id}-dead-0.tmp`), 'half a PDF');
      const noLease = async () => {};
      await Promise.all([issueLetters(app, file, noLease), issueLetters(app, file, noLease)]);
      expect(readdirSync(folder).filter((n) => n.startsWith(`.letters-${file.id}-`))).to.deep.equal([]);
      const letters = await lettersOf(file.id);
      expect(letters).to.have.length(2);
      const mails = await newMail();
      expect(mails).to.have.length(2);
      // Each link works with exactly one of the letters' PINs.
      for (const { mail } of mails) {
        const outcomes = [];
        for (const { pin } of letters)
          outcomes.push(
            (await activateConnection(app.db, app.config, { token: tokenOf(mail.text ?? ''), pin, account: 'h' }))
              .outcome,
          );
        expect(
          outcomes.filter((o) => o === 'activated'),
          outcomes.join(),
        ).to.have.length(1);
      }
    },
  );

  it('letters committed but not yet renamed get their names on the next run', async () => {
    const file = await ingest(
      'rename.csv',
      `${header}\ncreate,126597034,S.0101,parent_guardian,Mother,Julie Tremblay,julie.t@example.com,en,\n`,
    );
    const batch = await app.db.query<{ pdf_paths: string[]; temp_paths: string[] }>(
      'select pdf_paths, temp_paths from letter_batch where file_id = $1',
      [file.id],
    );
    const [final, temporary] = [batch.rows[0]?.pdf_paths[0] as string, batch.rows[0]?.temp_paths[0] as string];
    renameSync(final, temporary);
    await issueLetters(app, file, async () => {});
    expect(existsSync(final)).to.equal(true);
    expect(existsSync(temporary)).to.equal(false);
    expect(await lettersOf(file.id)).to.have.length(1);
    await newMail();
  });

  it('a machine with another PIN key refuses to check PINs rather than reject every one', async () => {
    const other = loadConfig(
      { home: app.home, 'connections.secret': 'another key, on another machine, 32+ chars' },
      {},
    );
    let refused: unknown = null;
    await activateConnection(app.db, other, { token: 'x', pin: '0000', account: 'a' }).catch((error: unknown) => {
      refused = error;
    });
    expect(refused).to.be.instanceOf(ConnectionKeyMismatchError);
    expect((refused as Error).message).to.contain('INTAKE_CONNECTION_SECRET');
  });
});
