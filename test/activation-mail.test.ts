import { createServer } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { tokenHash } from '../src/connections/secrets.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { loadReference } from '../src/reference/load.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count, writeFiles } from './support/files.ts';
import { pdfPages } from './support/pdf.ts';
import { pinOccurrences } from './support/secrets.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('activation emails over SMTP', function () {
  this.timeout(120_000);
  let app: TestApp;
  let port: number;
  let smtp: SMTPServer | null = null;
  const received: ParsedMail[] = [];

  before(async () => {
    port = await freePort();
    app = await createTestApp({ 'mail.smtpUrl': `smtp://127.0.0.1:${port}`, 'mail.retryDelaySeconds': 1 });
    const report = await loadReference(app.db, path.join(samplesFolder, 'reference'));
    expect(report.problems).to.deep.equal([]);
  });
  after(async () => {
    smtp?.close();
    await app.dispose();
  });

  function startSmtp(): Promise<void> {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      async onData(stream, _session, callback) {
        received.push(await simpleParser(stream));
        callback();
      },
    });
    return new Promise((resolve) => smtp?.listen(port, '127.0.0.1', resolve));
  }

  it(
    'a server that is down delays the emails; once it is up each arrives exactly once, with its link and never ' +
      'its PIN',
    async () => {
      const csv = [
        'action,asn,school_code,requester,relationship,name,email,language,replace',
        'create,133708415,S.0102,parent_guardian,Mother,Gurpreet Kaur Singh,gurpreet.singh@example.com,en,',
        'create,104827361,S.0101,parent_guardian,Mère,Marie-Ève Gagnon,marieeve@example.org,fr,',
        'create,118340572,S.0102,parent_guardian,Father,黃志明,chiming.wong@example.com,en,',
      ].join('\n');
      const source = path.join(writeFiles(path.join(app.home, 'drop'), { 'outage.csv': `${csv}\n` }), 'outage.csv');
      const result = await ingestFile(app, source, 'A.0001', 'access', samplesAsOf);
      expect(result.outcome === 'processed' && result.file.accepted).to.equal(3);
      const letters = path.join(app.home, 'outbox', 'A.0001', 'letters');
      const pages = (
        await Promise.all(
          ['outage.1.S.0101.pdf', 'outage.1.S.0102.pdf'].map((name) => pdfPages(path.join(letters, name))),
        )
      ).flatMap((p) => p.slice(1));
      const pins = pages.map(
        (page) => (/(?<![0-9-])\d{4}(?![0-9-])/.exec(page.replace(/\b[AS]\.\d{4}\b/g, '')) as RegExpExecArray)[0],
      );
      expect(pins).to.have.length(3);

      const sender = createMailSender(app.config);
      const down = await sendDueMail(app, sender);
      expect(down).to.deep.equal({ sent: 0, skipped: 0, failed: 3, givenUp: 0 });
      expect(received).to.have.length(0);
      // The server could not be reached: no one holds those links, so none is kept.
      expect(await count(app.db, 'select count(*) n from connection_token')).to.equal(0);

      await startSmtp();
      const deadline = Date.now() + 60_000;
      while (received.length < 3 && Date.now() < deadline) {
        await sendDueMail(app, sender);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // Nothing more is due: no email is sent twice.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await sendDueMail(app, sender)).to.deep.equal({ sent: 0, skipped: 0, failed: 0, givenUp: 0 });
      sender.close();

      expect(received.map((m) => (Array.isArray(m.to) ? '' : m.to?.text)).sort()).to.deep.equal([
        'chiming.wong@example.com',
        'gurpreet.singh@example.com',
        'marieeve@example.org',
      ]);
      const french = received.find((m) => m.subject === 'Activation myPass – NE PAS SUPPRIMER');
      expect(french?.text).to.match(/^Bonjour,$/m);
      expect(french?.text).to.not.contain('Gagnon');
      expect(String(french?.html)).to.contain('lang="fr"');
      for (const mail of received) {
        expect(mail.text).to.match(/\/activate\?token=[A-Za-z0-9_-]{43}/);
        expect(mail.html).to.be.a('string');
        for (const pin of pins)
          expect(pinOccurrences(`${mail.subject}\n${mail.text}\n${String(mail.html)}`, pin)).to.equal(0);
      }
      // Each link that arrived is one Intake knows (by its hash), and the only one kept.
      const tokens = received.map(
        (mail) => (/token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '') as RegExpExecArray)[1] as string,
      );
      expect(
        await count(app.db, 'select count(*) n from connection_token where token_hash = any($1::bytea[])', [
          tokens.map((t) => tokenHash(t)),
        ]),
      ).to.equal(3);
      expect(await count(app.db, 'select count(*) n from connection_token')).to.equal(3);
      const jobs = await app.db.query<{ state: string; n: string }>(
        `select state, count(*) n from pgboss.job where name = 'activation-mail' group by state`,
      );
      expect(jobs.rows).to.deep.equal([{ state: 'completed', n: '3' }]);
    },
  );
});
