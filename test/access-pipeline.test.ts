import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { activateConnection } from '../src/connections/activation.ts';
import { expireConnections, listConnections } from '../src/connections/connection-status.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { loadReference } from '../src/reference/load.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { readReport, writeFiles } from './support/files.ts';
import { pdfPages } from './support/pdf.ts';
import { databaseText, folderText, pinOccurrences } from './support/secrets.ts';

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
    app = await createTestApp({ 'mail.retryDelaySeconds': 1 });
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
    const pdfs = readdirSync(folder).filter((name) => name.includes(`.${fileId}.`)).sort();
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
    const fresh = readdirSync(mailFolder).filter((name) => !seenMail.has(name)).sort();
    fresh.forEach((name) => seenMail.add(name));
    return Promise.all(fresh.map(async (name) => ({ name, mail: await simpleParser(readFileSync(path.join(mailFolder, name))) })));
  }

  const tokenOf = (text: string) => (/token=([A-Za-z0-9_-]+)/.exec(text) as RegExpExecArray)[1] as string;

  it('the A.0001 sample: a PDF per school, a letter per live connection, an email per letter, and no PIN anywhere else', async () => {
    const file = await ingestFile(app, path.join(samplesFolder, 'access/A.0001/fall-access.csv'), 'A.0001', 'access', samplesAsOf);
    expect(file.outcome).to.equal('processed');
    if (file.outcome !== 'processed') return;
    const letters = await lettersOf(file.file.id);
    // Created and kept: Gagnon (reset in the same file: one letter), Wong, Pauloosie, Tremblay, Singh's mother (replaced).
    expect(letters).to.have.length(5);
    expect(new Set(letters.map((l) => /(S\.\d{4})\.pdf$/.exec(l.pdf)?.[1]))).to.deep.equal(new Set(['S.0101', 'S.0102']));
    for (const pdf of new Set(letters.map((l) => l.pdf))) expect(statSync(pdf).mode & 0o777).to.equal(0o600);
    const text = letters.map((l) => l.page).join('\n');
    for (const name of ['黃志明', 'ᓯᐊᓯ ᐸᐅᓗᓯ', 'Trần Thị Thu Hà', 'Marie-Ève Gagnon-Béliveau', 'Gurpreet Kaur Singh']) expect(text).to.contain(name);

    const mails = await newMail();
    expect(mails).to.have.length(5);
    for (const { mail } of mails) {
      expect(mail.subject).to.be.oneOf(['myPass Activation – DO NOT DELETE', 'Activation myPass – NE PAS SUPPRIMER']);
      expect(mail.text).to.match(/token=[A-Za-z0-9_-]{43}/);
    }
    const french = mails.find(({ mail }) => mail.subject?.startsWith('Activation'));
    expect(french?.mail.text).to.contain('Bonjour Marie-Ève Gagnon-Béliveau');

    const everywhere = [
      await databaseText(app.db), folderText(app.home),
      ...mails.map(({ mail }) => `${mail.subject}\n${mail.text}\n${String(mail.html)}`),
    ].join('\n');
    for (const { pin, pdf } of letters) {
      const inPdfs = letters.filter((l) => l.pdf === pdf && l.pin === pin).length;
      expect(inPdfs, `PIN of a letter in ${path.basename(pdf)}`).to.be.at.least(1);
      expect(pinOccurrences(everywhere, pin), 'a PIN outside its letter').to.equal(0);
    }
    const report = readReport(file.file.reportPath as string);
    expect(report.filter((r) => r.status !== 'summary')).to.have.length(20);
  });

  it('activates with the email\'s token and the letter\'s PIN; the listing shows it, never a PIN', async () => {
    const file = await ingest('activate.csv', `${header}\ncreate,126597034,S.0101,parent_guardian,Father,Marc Tremblay,marc.tremblay@example.com,en,\n`);
    const [letter] = await lettersOf(file.id);
    const mails = await newMail();
    expect(mails).to.have.length(1);
    const token = tokenOf(mails[0]?.mail.text ?? '');
    const wrong = letter?.pin === '0000' ? '0001' : '0000';
    expect(await activateConnection(app.db, app.config, { token, pin: wrong, account: 'marc@education' })).to.deep.equal({ outcome: 'wrong_pin', attemptsLeft: 4 });
    const done = await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'marc@education' });
    expect(done.outcome).to.equal('activated');
    expect((await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'x' })).outcome).to.equal('already_activated');
    const listing = await listConnections(app.db, '126597034');
    const marc = listing.connections.find((c) => c.email === 'marc.tremblay@example.com');
    expect(marc).to.include({ status: 'activated', activatedAccount: 'marc@education', name: 'Marc Tremblay' });
    expect(JSON.stringify(listing)).to.not.match(/pin|token/i);
    const again = await ingest('again.csv', `${header}\ncreate,126597034,S.0101,parent_guardian,Father,Marc Tremblay,MARC.tremblay@example.com,en,yes\n`);
    expect(readReport(again.reportPath as string)[0]).to.include({ code: 'ALREADY_ACTIVATED' });
  });

  it('five wrong PINs lock the connection for 60 minutes; after the lock the right PIN works', async () => {
    const file = await ingest('lock.csv', `${header}\ncreate,104827361,S.0101,parent_guardian,Father,Luc Gagnon,luc.gagnon@example.org,fr,\n`);
    const [letter] = await lettersOf(file.id);
    const token = tokenOf((await newMail())[0]?.mail.text ?? '');
    const wrong = letter?.pin === '9999' ? '9998' : '9999';
    for (let left = 4; left >= 1; left--) {
      expect(await activateConnection(app.db, app.config, { token, pin: wrong, account: 'luc' })).to.deep.equal({ outcome: 'wrong_pin', attemptsLeft: left });
    }
    const locked = await activateConnection(app.db, app.config, { token, pin: wrong, account: 'luc' });
    expect(locked.outcome).to.equal('locked');
    if (locked.outcome !== 'locked') return;
    expect(Math.round((locked.until.getTime() - Date.now()) / 60_000)).to.equal(60);
    // Locked: even the right PIN is refused.
    expect((await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'luc' })).outcome).to.equal('locked');
    // An hour passes.
    await app.db.query(`update connection set locked_until = now() - interval '1 second' where email = 'luc.gagnon@example.org'`);
    expect((await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'luc' })).outcome).to.equal('activated');
  });

  it('a reset issues a new PIN and link: the old ones stop working at once', async () => {
    const first = await ingest('reset-1.csv', `${header}\ncreate,118340572,S.0102,parent_guardian,Mother,Susan Wong,susan.wong@example.com,en,\n`);
    const [oldLetter] = await lettersOf(first.id);
    const oldToken = tokenOf((await newMail())[0]?.mail.text ?? '');
    const second = await ingest('reset-2.csv', `${header}\nreset,118340572,S.0102,,,,susan.wong@example.com,,\n`);
    expect(readReport(second.reportPath as string)[0]).to.include({ code: 'CONNECTION_RESET' });
    expect((await activateConnection(app.db, app.config, { token: oldToken, pin: oldLetter?.pin as string, account: 's' })).outcome).to.equal('unknown_link');
    const [newLetter] = await lettersOf(second.id);
    const newToken = tokenOf((await newMail())[0]?.mail.text ?? '');
    if (newLetter?.pin !== oldLetter?.pin) {
      expect((await activateConnection(app.db, app.config, { token: newToken, pin: oldLetter?.pin as string, account: 's' })).outcome).to.equal('wrong_pin');
    }
    expect((await activateConnection(app.db, app.config, { token: newToken, pin: newLetter?.pin as string, account: 's' })).outcome).to.equal('activated');
  });

  it('revoke ends an activated connection\'s access, and its link says so', async () => {
    const file = await ingest('revoke-1.csv', `${header}\ncreate,162835097,S.0102,parent_guardian,Father,Tom Pauloosie,tom.p@example.com,en,\n`);
    const [letter] = await lettersOf(file.id);
    const token = tokenOf((await newMail())[0]?.mail.text ?? '');
    expect((await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'tom' })).outcome).to.equal('activated');
    const revoke = await ingest('revoke-2.csv', `${header}\nrevoke,162835097,S.0102,,,,tom.p@example.com,,\n`);
    expect(readReport(revoke.reportPath as string)[0]).to.include({ code: 'CONNECTION_REVOKED' });
    const listing = await listConnections(app.db, '162835097');
    expect(listing.connections.find((c) => c.email === 'tom.p@example.com')?.status).to.equal('deleted');
    expect((await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'tom' })).outcome).to.equal('revoked');
    // Deleted connections are ignored: a new create is allowed.
    const recreate = await ingest('revoke-3.csv', `${header}\ncreate,162835097,S.0102,parent_guardian,Father,Tom Pauloosie,tom.p@example.com,en,no\n`);
    expect(readReport(recreate.reportPath as string)[0]).to.include({ code: 'CONNECTION_CREATED' });
    await newMail();
  });

  it('requests expire after the configured days: the job moves them to Request Expired, and they cannot be activated', async () => {
    const file = await ingest('expire.csv', `${header}\ncreate,133708415,S.0102,parent_guardian,Father,Raj Singh,raj.singh@example.com,en,\n`);
    const [letter] = await lettersOf(file.id);
    const token = tokenOf((await newMail())[0]?.mail.text ?? '');
    expect(await expireConnections(app.db, new Date(Date.now() + 29 * 86_400_000))).to.equal(0);
    expect(await expireConnections(app.db, new Date(Date.now() + 30 * 86_400_000 + 60_000))).to.be.at.least(1);
    expect((await listConnections(app.db, '133708415')).connections.find((c) => c.email === 'raj.singh@example.com')?.status).to.equal('expired');
    expect((await activateConnection(app.db, app.config, { token, pin: letter?.pin as string, account: 'raj' })).outcome).to.equal('expired');
    const again = await ingest('expire-2.csv', `${header}\ncreate,133708415,S.0102,parent_guardian,Father,Raj Singh,raj.singh@example.com,en,no\n`);
    expect(readReport(again.reportPath as string)[0]).to.include({ code: 'CONNECTION_CREATED' });
    await newMail();
  });

  it('an email queued before a reset is not sent: only the newest link goes out', async () => {
    await ingest('stale-1.csv', `${header}\ncreate,141276983,S.0103,parent_guardian,Mother,Nadia Haddad,nadia@example.com,en,\n`);
    await ingest('stale-2.csv', `${header}\nreset,141276983,S.0103,,,,nadia@example.com,,\n`);
    const mails = await newMail();
    expect(mails).to.have.length(1);
  });
});
