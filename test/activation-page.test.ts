import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { startActivationSite } from '../pipelines/console.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { tokenHash } from '../src/connections/secrets.ts';
import { ACCEPT_BUTTON_LABEL } from '../src/letters/letter-text.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { loadReference } from '../src/reference/load.ts';
import type { WebServer } from '../src/web/server.ts';
import { launchBrowser } from './support/browser.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { pdfPages } from './support/pdf.ts';
import { CookieJar, csrfField, getPage, postForm } from './support/web.ts';

/** One connection of the sample file, with what its letter and its email hold. */
interface Recipient {
  id: string;
  pin: string;
  /** The email's link, taken onto the test server: the path and query are the email's own. */
  link: string;
  token: string;
  /** What the page must not show before the PIN is right. */
  personal: string[];
}

const errorText = (page: string) =>
  [...page.matchAll(/<p class="error" role="alert">([^<]*)<\/p>|<div class="error" role="alert"><p>([^<]*)<\/p>/g)].map(
    (m) => m[1] ?? m[2],
  );

function expectNothingPersonal(page: string, recipient: Recipient): void {
  for (const value of recipient.personal) expect(page, `the page shows ${value}`).to.not.contain(value);
}

describe('the activation page', function () {
  this.timeout(120_000);
  let app: TestApp;
  let web: WebServer;
  let browser: Browser;
  let ani: Recipient;
  let jamesie: Recipient;

  async function recipient(email: string): Promise<Recipient> {
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
    const emailed = new URL(
      (/https?:\/\/\S+\/activate\?token=[A-Za-z0-9_-]+(?:&lang=fr)?/.exec(mail.text ?? '') as RegExpExecArray)[0],
    );
    const token = emailed.searchParams.get('token') as string;
    const known = await app.db.query('select 1 from connection_token where token_hash = $1 and connection_id = $2', [
      tokenHash(token),
      row.id,
    ]);
    expect(known.rowCount).to.equal(1);
    return {
      id: row.id,
      pin,
      token,
      link: `${web.url}${emailed.pathname}${emailed.search}`,
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

  const connection = async (id: string) =>
    (
      await app.db.query<{ status: string; failed_attempts: number; activated_account: string | null }>(
        'select status, failed_attempts, activated_account from connection where id = $1',
        [id],
      )
    ).rows[0];
  const otherPin = (pin: string) => (pin === '0000' ? '1111' : '0000');
  const submit = async (page: Page, pin: string, account: string, language: 'en' | 'fr') => {
    await page.fill('#pin', pin);
    await page.fill('#account', account);
    await page.check('input[name=terms]');
    await Promise.all([page.waitForNavigation(), page.click(`button:has-text("${ACCEPT_BUTTON_LABEL[language]}")`)]);
  };

  before(async () => {
    app = await createTestApp();
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
    web = await startActivationSite(app);
    browser = await launchBrowser();
    ani = await recipient('ani.kilabuk@example.ca');
    jamesie = await recipient('jamesie.ashevak@example.ca');
  });
  after(async () => {
    await browser?.close();
    await web?.stop();
    await app.dispose();
  });

  it('before the PIN, shows nothing personal: a valid link gives the very page a made-up one does', async () => {
    const jar = new CookieJar();
    const valid = await getPage(ani.link, jar);
    const bogusToken = randomBytes(32).toString('base64url');
    const bogus = await getPage(`${web.url}/activate?token=${bogusToken}`, new CookieJar());
    expect([valid.status, bogus.status]).to.deep.equal([200, 200]);
    const normalised = (page: string, token: string) =>
      page.replaceAll(token, 'TOKEN').replaceAll(csrfField(page), 'CSRF');
    expect(normalised(valid.text, ani.token)).to.equal(normalised(bogus.text, bogusToken));
    expectNothingPersonal(valid.text, ani);
    expect(valid.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(await connection(ani.id)).to.include({ status: 'waiting', failed_attempts: 0 });
  });

  it("in the browser, from the email's link: a wrong PIN tells the attempts left; the right one activates", async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    await page.goto(ani.link);
    expect(await page.textContent('h1')).to.equal('Activate your myPass connection');
    // The README's picture: written when SCREENSHOTS names a folder (`SCREENSHOTS=docs npm test`).
    if (process.env.SCREENSHOTS)
      await page.screenshot({ path: path.join(process.env.SCREENSHOTS, 'activation.png'), fullPage: true });

    await submit(page, otherPin(ani.pin), 'ani.k@outlook.example', 'en');
    expect(await page.textContent('.error')).to.contain(
      'The PIN is not right. You have 4 attempts left before the connection is locked for 60 minutes.',
    );
    const wrongPage = await page.content();
    expectNothingPersonal(wrongPage, ani);
    expect(wrongPage).to.not.match(/href="[^"]*token=/);
    expect(await connection(ani.id)).to.include({ status: 'waiting', failed_attempts: 1 });

    expect(await page.inputValue('#account')).to.equal('ani.k@outlook.example');
    await submit(page, ani.pin, 'ani.k@outlook.example', 'en');
    expect(await page.textContent('h1')).to.equal('Your connection is activated');
    expect(await page.textContent('.success')).to.equal(
      'When you sign in to myPass with ani.k@outlook.example, you can now see Annie’s record.',
    );
    expect(await page.content()).to.not.contain(ani.token);
    expect(await connection(ani.id)).to.include({ status: 'activated', activated_account: 'ani.k@outlook.example' });

    await page.goto(ani.link);
    await submit(page, ani.pin, 'ani.k@outlook.example', 'en');
    expect(await page.textContent('.error')).to.contain('This connection is already activated.');
    await context.close();
  });

  it("in French from a French email, with the letter's button label and a link to English that keeps the token", async () => {
    expect(jamesie.link).to.contain('&lang=fr');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(jamesie.link);
    expect(await page.getAttribute('html', 'lang')).to.equal('fr');
    expect(await page.textContent('h1')).to.equal('Activer votre connexion myPass');
    expect((await page.textContent('button[type=submit]'))?.trim()).to.equal(ACCEPT_BUTTON_LABEL.fr);
    expectNothingPersonal(await page.content(), jamesie);

    await page.click('text=English');
    expect(new URL(page.url()).searchParams.get('token')).to.equal(jamesie.token);
    expect(await page.textContent('h1')).to.equal('Activate your myPass connection');
    await page.click('text=Français');
    expect(await page.textContent('h1')).to.equal('Activer votre connexion myPass');

    await submit(page, otherPin(jamesie.pin), 'jamesie@gmail.example', 'fr');
    expect(await page.textContent('.error')).to.contain('Le NIP n’est pas le bon. Il vous reste 4 essais');
    expectNothingPersonal(await page.content(), jamesie);
    expect(await connection(jamesie.id)).to.include({ failed_attempts: 1 });
    await context.close();
  });

  it('a form that cannot be right comes back with what to fix, and counts nothing', async () => {
    const jar = new CookieJar();
    const form = await getPage(jamesie.link, jar);
    const fields = {
      _csrf: csrfField(form.text),
      token: jamesie.token,
      lang: 'en',
      pin: otherPin(jamesie.pin),
      account: 'jamesie@gmail.example',
      terms: 'accepted',
    };
    const noTerms = await postForm(`${web.url}/activate`, jar, { ...fields, terms: '' });
    expect([noTerms.status, errorText(noTerms.text)]).to.deep.equal([
      400,
      ['Please accept the terms of use to activate the connection.'],
    ]);
    const shortPin = await postForm(`${web.url}/activate`, jar, { ...fields, pin: '12' });
    expect(errorText(shortPin.text)).to.deep.equal(['The PIN is the 4 digits printed on your letter.']);
    const noAccount = await postForm(`${web.url}/activate`, jar, { ...fields, account: '', lang: 'fr' });
    expect(errorText(noAccount.text)).to.deep.equal([
      'Entrez l’adresse courriel du compte avec lequel vous vous connectez (200 caractères au plus).',
    ]);
    expect(await connection(jamesie.id)).to.include({ failed_attempts: 1 });
  });

  it("CSRF: a POST without the page's own token is refused and counts nothing", async () => {
    const jar = new CookieJar();
    const form = await getPage(jamesie.link, jar);
    const fields = {
      token: jamesie.token,
      lang: 'en',
      pin: otherPin(jamesie.pin),
      account: 'jamesie@gmail.example',
      terms: 'accepted',
    };
    expect((await postForm(`${web.url}/activate`, jar, fields)).status).to.equal(403);
    expect(
      (await postForm(`${web.url}/activate`, jar, { ...fields, _csrf: randomBytes(32).toString('base64url') })).status,
    ).to.equal(403);
    expect(
      (await postForm(`${web.url}/activate`, new CookieJar(), { ...fields, _csrf: csrfField(form.text) })).status,
    ).to.equal(403);
    expect(await connection(jamesie.id)).to.include({ failed_attempts: 1 });
  });

  it('says in plain words why a connection cannot be activated: locked, locked until reset, expired, deleted, not a valid link', async () => {
    const jar = new CookieJar();
    const form = await getPage(jamesie.link, jar);
    const attempt = async (token = jamesie.token) => {
      const page = await postForm(`${web.url}/activate`, jar, {
        _csrf: csrfField(form.text),
        token,
        lang: 'en',
        pin: otherPin(jamesie.pin),
        account: 'jamesie@gmail.example',
        terms: 'accepted',
      });
      const message = errorText(page.text)[0];
      expect(page.text, 'no link carries the token').to.not.match(/href="[^"]*token=/);
      // Only a wrong PIN brings the form back (its hidden field keeps the token for the next try).
      if (!message?.startsWith('The PIN is not right'))
        expect(page.text, 'a result page carries no token').to.not.contain(token);
      return message;
    };
    expect(await attempt()).to.equal(
      'The PIN is not right. You have 3 attempts left before the connection is locked for 60 minutes.',
    );
    await attempt();
    await attempt();
    expect(await attempt()).to.match(
      /^Too many wrong PINs: the connection is locked until \d{4}-\d{2}-\d{2} \d{2}:\d{2} M[DS]T\. Try again after that\.$/,
    );
    await app.db.query('update connection set lockouts = $2 where id = $1', [
      jamesie.id,
      app.config.connections.maxLockouts,
    ]);
    expect(await attempt()).to.equal('Too many wrong PINs: this PIN is locked. Ask the school for a new PIN.');
    await app.db.query(
      `update connection set lockouts = 0, locked_until = null, expires_at = now() - interval '1 second' where id = $1`,
      [jamesie.id],
    );
    expect(await attempt()).to.equal('This activation request has expired. Ask the school for a new PIN.');
    await app.db.query(`update connection set status = 'deleted' where id = $1`, [jamesie.id]);
    expect(await attempt()).to.equal(
      'This connection was deleted by the school and can no longer be activated. Ask the school if you need access.',
    );
    expect(await attempt(randomBytes(32).toString('base64url'))).to.match(/^This activation link is not valid/);
  });
});
