import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { writeConnectionListings } from '../pipelines/connection-listings.ts';
import { activateConnection } from '../src/connections/activation.ts';
import { expireConnections } from '../src/connections/connection-status.ts';
import { refusalInWords } from '../src/connections/mail-answers.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { addDays } from '../src/validate/dates.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count, readReport } from './support/files.ts';
import { ingestAccess, loadListingWorld, students, today } from './support/listing-world.ts';
import { pdfPages } from './support/pdf.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type Row = Record<string, string>;
const yesterday = addDays(today, -1);

describe('connections listings: the changes since the last listing', function () {
  this.timeout(180_000);
  let app: TestApp;
  let smtp: SMTPServer;
  const received: ParsedMail[] = [];
  const changes = (authority: string, day: string) =>
    parse(readFileSync(path.join(app.home, 'outbox', authority, 'connections', `changes-${day}.csv`)), {
      columns: true,
    }) as Row[];

  before(async () => {
    const port = await freePort();
    // A real server on loopback that takes every message but those to bounce@ ("no such mailbox")
    // and to policy@ (a relay or policy refusal, which may be Intake's own setting: never given up).
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      hideENHANCEDSTATUSCODES: true,
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('bounce@'))
          callback(Object.assign(new Error('5.1.1 No such mailbox here'), { responseCode: 550 }));
        else if (address.address.startsWith('policy@'))
          callback(Object.assign(new Error('5.7.1 Relaying denied'), { responseCode: 554 }));
        else callback();
      },
      async onData(stream, _session, callback) {
        received.push(await simpleParser(stream));
        callback();
      },
    });
    await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve));
    app = await createTestApp({ 'mail.smtpUrl': `smtp://127.0.0.1:${port}`, 'mail.retryDelaySeconds': 1 });
    await loadListingWorld(app.db, path.join(app.home, 'reference'));
  });
  after(async () => {
    await app.dispose();
    smtp.close();
  });

  it(
    'activated, expired unused, revoked, replaced, reset and undeliverable emails, of the students the ' +
      'authority sees only',
    async () => {
      const created = await ingestAccess(
        app,
        'c1.csv',
        [
          `create,${students.zeller},S.0101,parent_guardian,Mother,Ann Zeller,ann@example.com,en,`,
          `create,${students.zeller},S.0101,parent_guardian,Uncle,Bo Zeller,bounce@example.com,en,`,
          `create,${students.zeller},S.0101,parent_guardian,Aunt,Pat Zeller,policy@example.com,en,`,
          `create,${students.zeller},S.0102,parent_guardian,Father,Al Zeller,al@example.com,en,`,
          `create,${students.abbott},S.0102,parent_guardian,Father,Carl Abbott,carl@example.com,en,`,
          `create,${students.abbott},S.0102,parent_guardian,Mother,Dee Abbott,dee@example.com,en,`,
          `create,${students.shared},S.0101,parent_guardian,Mother,Sue Shared,sue@example.com,en,`,
        ],
        'A.0001',
      );
      await ingestAccess(
        app,
        'c2.csv',
        [
          `create,${students.hidden},S.0201,parent_guardian,Father,Hal Hidden,hal@example.com,en,`,
          `create,${students.shared},S.0201,parent_guardian,Father,Stu Shared,stu@example.com,en,`,
        ],
        'A.0002',
      );
      // The first listings: setting connections up is no change (they are in the listing itself).
      for (const authority of ['A.0001', 'A.0002'])
        expect((await writeConnectionListings(app, { authority, day: yesterday }))[0]?.changes).to.equal(0);

      // Each email is tried until it goes; bounce@ is refused on every try and given up after the third.
      const sender = createMailSender(app.config);
      const deadline = Date.now() + 60_000;
      let givenUp = 0;
      while ((await count(app.db, 'select count(*) n from undeliverable_email')) === 0 && Date.now() < deadline) {
        givenUp += (await sendDueMail(app, sender)).givenUp;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      sender.close();
      const given = await app.db.query('select tries, response_code, enhanced_code, command from undeliverable_email');
      expect(given.rows).to.deep.equal([{ tries: 3, response_code: 550, enhanced_code: '5.1.1', command: 'RCPT TO' }]);
      expect(givenUp, 'counted as given up, not as failed to be retried').to.equal(1);
      // Given up for good: no job of it is left to try again; the policy refusal is still being tried.
      const left = await app.db.query<{ email: string; state: string }>(
        `select c.email, j.state from pgboss.job j join connection c on c.id = (j.data->>'connectionId')::bigint
        where j.name = 'activation-mail' and j.state <> 'completed'`,
      );
      expect(left.rows.map((r) => r.email)).to.deep.equal(['policy@example.com']);

      const letters = path.join(app.home, 'outbox', 'A.0001', 'letters');
      const pages = (
        await Promise.all(
          readdirSync(letters)
            .filter((name) => name.includes(`.${created.id}.`))
            .map((name) => pdfPages(path.join(letters, name))),
        )
      ).flat();
      const annPage = pages.find((page) => page.includes('Ann Zeller')) as string;
      const pin = (/(?<![0-9-])\d{4}(?![0-9-])/.exec(annPage.replace(/\b[AS]\.\d{4}\b/g, '')) as RegExpExecArray)[0];
      const annMail = received.find((mail) => !Array.isArray(mail.to) && mail.to?.text === 'ann@example.com');
      const token = (/token=([A-Za-z0-9_-]+)/.exec(annMail?.text ?? '') as RegExpExecArray)[1] as string;
      expect((await activateConnection(app.db, app.config, { token, pin, account: 'ann' })).outcome).to.equal(
        'activated',
      );
      // Past its expiry: the expiry job moves Carl's (and Dee's) request to Request Expired.
      await expireConnections(app.db, 30, { asns: [students.abbott], now: new Date(Date.now() + 40 * 86_400_000) });
      const a1 = await ingestAccess(
        app,
        'c3.csv',
        [
          `revoke,${students.zeller},S.0102,,,,al@example.com,,`,
          `reset,${students.shared},S.0101,,,,sue@example.com,,`,
          `create,${students.zeller},S.0101,parent_guardian,Mother,Ann Zeller,ann.z@example.com,en,`,
          `create,${students.zeller},S.0101,parent_guardian,Mother,Ann Zeller,ann.z@example.com,en,yes`,
        ],
        'A.0001',
      );
      expect(readReport(a1.reportPath as string).map((r) => r.code)).to.include.members([
        'CONNECTION_REVOKED',
        'CONNECTION_RESET',
        'CONNECTION_REPLACED',
      ]);
      const a2 = await ingestAccess(app, 'c4.csv', [`revoke,${students.hidden},S.0201,,,,hal@example.com,,`], 'A.0002');
      expect(readReport(a2.reportPath as string)[0]).to.include({ code: 'CONNECTION_REVOKED' });

      const [listing] = await writeConnectionListings(app, { authority: 'A.0001' });
      const rows = changes('A.0001', today);
      expect(rows.map((r) => `${r.school} ${r.email} ${r.change} ${r.by}`)).to.deep.equal([
        'S.0101 sue@example.com reset A.0001',
        // Same name: by email.
        'S.0101 ann.z@example.com replaced A.0001',
        'S.0101 ann@example.com activated ',
        'S.0101 bounce@example.com email_undeliverable ',
        'S.0102 carl@example.com expired Intake',
        'S.0102 dee@example.com expired Intake',
        'S.0102 al@example.com revoked A.0001',
      ]);
      expect(listing?.changes).to.equal(rows.length);
      const bounce = rows.find((r) => r.change === 'email_undeliverable') as Row;
      expect(bounce.detail)
        .to.contain('could not be delivered after 3 tries: the mailbox does not exist (SMTP 550 5.1.1)')
        .and.to.contain('Call the family');
      expect(bounce).to.include({ asn: '1000-0000-1', student: 'Zeller, Alice', relationship: 'Uncle' });
      expect(rows.every((r) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} M[SD]T$/.test(r.when as string))).to.equal(true);
      // Hal's revoke happened to a student A.0001 may not see; yesterday's file is as it was written.
      expect(
        readFileSync(path.join(app.home, 'outbox/A.0001/connections', `changes-${today}.csv`), 'utf8'),
      ).to.not.contain('hal@');
      expect(changes('A.0001', yesterday)).to.deep.equal([]);
      // The listing itself says the same, with the day the person paired and the day access ended.
      const listed = parse(readFileSync(path.join(app.home, 'outbox/A.0001/connections', `connections-${today}.csv`)), {
        columns: true,
      }) as Row[];
      expect(listed.find((r) => r.email === 'ann@example.com')).to.include({
        status: 'Activated',
        activated_on: today,
      });
      expect(listed.find((r) => r.email === 'carl@example.com')).to.include({
        status: 'Request Expired',
        ended_on: today,
      });
      expect(listed.find((r) => r.email === 'al@example.com')).to.include({ status: 'Deleted', ended_on: today });
    },
  );

  it('written again the same day, the changes file keeps what it told and adds what came since', async () => {
    await ingestAccess(app, 'c5.csv', [`revoke,${students.shared},S.0201,,,,stu@example.com,,`], 'A.0002');
    const [again] = await writeConnectionListings(app, { authority: 'A.0001' });
    const rows = changes('A.0001', today);
    expect(again?.changes).to.equal(8);
    expect(rows.find((r) => r.email === 'stu@example.com')).to.include({ change: 'revoked', by: 'A.0002' });

    // A.0002's changes start where its listing of yesterday ended: only its own students' changes.
    await writeConnectionListings(app, { authority: 'A.0002' });
    expect(changes('A.0002', today).map((r) => `${r.email} ${r.change} ${r.by}`)).to.deep.equal([
      'sue@example.com reset A.0001',
      'hal@example.com revoked A.0002',
      'stu@example.com revoked A.0002',
    ]);
    const recorded = await app.db.query<{ day: string; changes: number }>(
      `select day::text, changes from connection_listing where authority_code = 'A.0001' order by day`,
    );
    expect(recorded.rows).to.deep.equal([
      { day: yesterday, changes: 0 },
      { day: today, changes: 8 },
    ]);
  });
});

describe('an SMTP refusal in plain words', () => {
  it('says what the codes mean, and keeps them', () => {
    expect(refusalInWords(550, '5.1.1')).to.equal('the mailbox does not exist (SMTP 550 5.1.1)');
    expect(refusalInWords(552, null)).to.equal('the mailbox is full (SMTP 552)');
    expect(refusalInWords(551, '5.9.9')).to.equal('the address is not hosted at that mail server (SMTP 551 5.9.9)');
    expect(refusalInWords(null, null)).to.equal("the recipient's mail server refused it");
  });
});
