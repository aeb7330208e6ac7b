import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import type { Page } from 'playwright-core';
import { sendDueMail } from '../../pipelines/activation-mail.ts';
import { startActivationSite } from '../../pipelines/console.ts';
import { ingestFile } from '../../pipelines/ingest.ts';
import { samplesAsOf, samplesFolder } from '../../scripts/sample-files.ts';
import { tokenHash } from '../../src/connections/secrets.ts';
import { ACCEPT_BUTTON_LABEL } from '../../src/letters/letter-text.ts';
import { createMailSender } from '../../src/mail/mail-sender.ts';
import { loadReference } from '../../src/reference/load.ts';
import type { WebServer } from '../../src/web/server.ts';
import { createTestApp, type TestApp } from './database.ts';
import { freePort, signInAtProvider, startOpenIdProvider, type TestAccount, type TestOpenIdProvider } from './oidc.ts';
import { pdfPages } from './pdf.ts';

/** One connection of the sample file, with what its letter and its email hold. */
export interface Recipient {
  id: string;
  pin: string;
  /** The email's link, as sent: the activation listener's port was chosen before the emails. */
  link: string;
  token: string;
  /** What the page must not show before the PIN is right. */
  personal: string[];
}

/**
 * The activation page as the sample access file leaves it: a test provider on loopback with two
 * providers' names (Education Account, Google), the access-low sample's two connections issued,
 * their letters drawn and emails written, and the activation listener started.
 */
export interface ActivationWorld {
  app: TestApp;
  web: WebServer;
  oidc: TestOpenIdProvider;
  /** Ani Kilabuk's connection (an English email) and Jamesie Ashevak's (a French one). */
  ani: Recipient;
  jamesie: Recipient;
  stop(): Promise<void>;
}

async function recipient(app: TestApp, email: string): Promise<Recipient> {
  const {
    rows: [row],
  } = await app.db.query<{
    id: string;
    school_code: string;
    school_name: string;
    person_name: string | null;
    first_name: string;
    last_name: string;
    asn: string;
  }>(
    `select c.id::text, c.school_code, s.name as school_name, c.person_name, st.first_name, st.last_name, st.asn
       from connection c join school s on s.code = c.school_code join student st on st.asn = c.asn where c.email = $1`,
    [email],
  );
  if (!row) throw new Error(`no connection for ${email}`);
  const letters = path.join(app.home, 'outbox/A.0094/letters');
  const pdf = readdirSync(letters).find((name) => name.endsWith(`.${row.school_code}.pdf`)) as string;
  const [, page] = await pdfPages(path.join(letters, pdf));
  const pin = (/(?<![0-9-])\d{4}(?![0-9-])/.exec((page ?? '').replace(/\b[AS]\.\d{4}\b/g, '')) as RegExpExecArray)[0];
  const mailFolder = path.join(app.home, 'outbox/mail');
  const eml = readdirSync(mailFolder).find((name) => name.startsWith(`connection-${row.id}-`)) as string;
  const mail = await simpleParser(readFileSync(path.join(mailFolder, eml)));
  const link = (
    /https?:\/\/\S+\/activate\?token=[A-Za-z0-9_-]+(?:&lang=fr)?/.exec(mail.text ?? '') as RegExpExecArray
  )[0];
  const token = new URL(link).searchParams.get('token') as string;
  const known = await app.db.query('select 1 from connection_token where token_hash = $1 and connection_id = $2', [
    tokenHash(token),
    row.id,
  ]);
  expect(known.rowCount).to.equal(1);
  return {
    id: row.id,
    pin,
    token,
    link,
    personal: [
      row.first_name,
      row.last_name,
      row.school_name,
      email,
      row.asn,
      ...(row.person_name ? [row.person_name] : []),
    ],
  };
}

export async function startActivationWorld(accounts: Record<string, TestAccount>): Promise<ActivationWorld> {
  // The listener's port first: the provider must know where it sends people back, and the
  // emails where they link to, before the listener starts.
  const port = await freePort();
  const oidc = await startOpenIdProvider(`http://127.0.0.1:${port}/activate/signed-in`, accounts);
  const app = await createTestApp({
    'activationServer.port': port,
    'activationServer.providers': [
      oidc.provider('education', { en: 'Education Account', fr: 'Compte Éducation' }),
      oidc.provider('google', 'Google'),
    ],
  });
  expect(app.config.mail.activationUrl).to.equal(`http://127.0.0.1:${port}/activate`);
  await loadReference(app.db, path.join(samplesFolder, 'reference'));
  const result = await ingestFile(
    app,
    path.join(samplesFolder, 'access/A.0094/access-low.csv'),
    'A.0094',
    'access',
    samplesAsOf,
  );
  expect(result.outcome === 'processed' && result.file.accepted).to.equal(2);
  const sender = createMailSender(app.config);
  expect(await sendDueMail(app, sender)).to.include({ sent: 2 });
  sender.close();
  const web = await startActivationSite(app);
  return {
    app,
    web,
    oidc,
    ani: await recipient(app, 'ani.kilabuk@example.ca'),
    jamesie: await recipient(app, 'jamesie.ashevak@example.ca'),
    async stop() {
      await web.stop();
      await oidc.stop();
      await app.dispose();
    },
  };
}

/** From the email's link, through the provider's button and its pages, to the PIN step. */
export async function signInFromLink(
  page: Page,
  oidc: TestOpenIdProvider,
  link: string,
  button: string,
  login: string,
): Promise<void> {
  await page.goto(link);
  await page.click(`button:has-text("${button}")`);
  await signInAtProvider(page, oidc.issuer, login, '/activate/pin');
  await page.waitForLoadState('load');
}

/** Types the PIN, ticks the terms' box and sends the form, as a person would. */
export async function submitPin(page: Page, pin: string, language: 'en' | 'fr', terms = true): Promise<void> {
  await page.fill('#pin', pin);
  if (terms) await page.check('input[name=terms]');
  else await page.uncheck('input[name=terms]');
  await Promise.all([page.waitForNavigation(), page.click(`button:has-text("${ACCEPT_BUTTON_LABEL[language]}")`)]);
}

/** What a page says in its message, or the problems its summary lists, as text (from the HTML). */
export function messagesOf(html: string): string[] {
  return [...html.matchAll(/<div class="message [^"]*"[^>]*>([\s\S]*?)<\/div>/g)].flatMap((box) =>
    [...(box[1] ?? '').matchAll(/<(?:p|a href="#\w+")>([^<]*)<\/(?:p|a)>/g)].map((m) => m[1] as string),
  );
}
