import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startActivationSite } from '../pipelines/console.ts';
import { startService } from '../pipelines/service.ts';
import { ConfigError } from '../src/config/config.ts';
import { tokenHash } from '../src/connections/secrets.ts';
import { ACCEPT_BUTTON_LABEL, SIGN_IN_STEP } from '../src/letters/letter-text.ts';
import { readableMoment } from '../src/validate/dates.ts';
import type { WebServer } from '../src/web/server.ts';
import {
  type ActivationWorld,
  messagesOf,
  type Recipient,
  signInFromLink,
  startActivationWorld,
  submitPin,
} from './support/activation.ts';
import { launchBrowser } from './support/browser.ts';
import type { TestApp } from './support/database.ts';
import { count } from './support/files.ts';
import type { TestOpenIdProvider } from './support/oidc.ts';
import { CookieJar, csrfField, getPage, postForm } from './support/web.ts';

function expectNothingPersonal(page: string, recipient: Recipient): void {
  for (const value of recipient.personal) expect(page, `the page shows ${value}`).to.not.contain(value);
}

describe('the activation page: the email’s link, sign-in at a provider, the letter’s PIN', function () {
  this.timeout(180_000);
  let world: ActivationWorld;
  let app: TestApp;
  let web: WebServer;
  let oidc: TestOpenIdProvider;
  let browser: Browser;
  let ani: Recipient;
  let jamesie: Recipient;
  /** Jamesie's browser, signed in with Google (an account without an email) and kept for the later tests. */
  let jamesieBrowser: BrowserContext;
  let jamesiePage: Page;

  const connection = async (id: string) =>
    (
      await app.db.query<{
        status: string;
        failed_attempts: number;
        activated_account: string | null;
        activated_issuer: string | null;
        activated_subject: string | null;
      }>(
        'select status, failed_attempts, activated_account, activated_issuer, activated_subject from connection ' +
          'where id = $1',
        [id],
      )
    ).rows[0];
  const otherPin = (pin: string) => (pin === '0000' ? '1111' : '0000');
  const pendingSignIns = () => count(app.db, 'select count(*) n from activation_sign_in');
  const signIn = (page: Page, link: string, button: string, login: string) =>
    signInFromLink(page, oidc, link, button, login);
  /** A PIN form sent from Jamesie's signed-in browser, as the browser would not: for what a page must refuse. */
  const postPin = async (fields: Record<string, string>) => {
    const response = await jamesiePage.request.post(`${web.url}/activate/pin`, { form: fields, maxRedirects: 0 });
    return { status: response.status(), text: await response.text() };
  };

  before(async () => {
    world = await startActivationWorld({
      'ani-k': { email: 'Ani.K@outlook.example' },
      'jamesie-a': { email: null },
      'made-up': { email: 'someone@gmail.example', emailVerified: false },
    });
    ({ app, web, oidc, ani, jamesie } = world);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await world?.stop();
  });

  it(
    'before the PIN, shows nothing personal: a valid link gives the very page a made-up one does, the steps ' +
      'and a button per provider',
    async () => {
      const valid = await getPage(ani.link, new CookieJar());
      const bogusToken = randomBytes(32).toString('base64url');
      const bogus = await getPage(`${web.url}/activate?token=${bogusToken}`, new CookieJar());
      expect([valid.status, bogus.status]).to.deep.equal([200, 200]);
      const normalised = (page: string, token: string) =>
        page.replaceAll(token, 'TOKEN').replaceAll(csrfField(page), 'CSRF');
      expect(normalised(valid.text, ani.token)).to.equal(normalised(bogus.text, bogusToken));
      expectNothingPersonal(valid.text, ani);
      expect(valid.text).to.contain(SIGN_IN_STEP.en);
      expect([...valid.text.matchAll(/<button type="submit">([^<]+)<\/button>/g)].map((m) => m[1])).to.deep.equal([
        'Education Account',
        'Google',
      ]);
      expect(valid.headers.get('referrer-policy')).to.equal('no-referrer');
      expect(await connection(ani.id)).to.include({ status: 'waiting', failed_attempts: 0 });
    },
  );

  it(
    "in the browser, from the email's link: signs in at the provider, a wrong PIN tells the attempts left, the " +
      'right one activates and records who',
    async () => {
      const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
      const page = await context.newPage();
      await page.goto(ani.link);
      expect(await page.textContent('h1')).to.equal('Activate your myPass connection');
      // The README's picture: written when SCREENSHOTS names a folder (`SCREENSHOTS=docs npm test`).
      if (process.env.SCREENSHOTS)
        await page.screenshot({ path: path.join(process.env.SCREENSHOTS, 'activation.png'), fullPage: true });

      await signIn(page, ani.link, 'Education Account', 'ani-k');
      expect(await page.textContent('.signed-in')).to.equal(
        'You are signed in with Education Account: ani.k@outlook.example.',
      );
      expectNothingPersonal(await page.content(), ani);
      expect(await pendingSignIns()).to.equal(1);
      if (process.env.SCREENSHOTS)
        await page.screenshot({ path: path.join(process.env.SCREENSHOTS, 'activation-pin.png'), fullPage: true });

      await submitPin(page, otherPin(ani.pin), 'en');
      expect(await page.textContent('#pin-error')).to.equal(
        'The PIN is not right. You have 4 attempts left before the connection is locked for 60 minutes.',
      );
      const wrongPage = await page.content();
      expectNothingPersonal(wrongPage, ani);
      expect(wrongPage).to.not.contain(ani.token);
      expect(await connection(ani.id)).to.include({ status: 'waiting', failed_attempts: 1 });

      await submitPin(page, ani.pin, 'en');
      expect(await page.textContent('h1')).to.equal('Your connection is activated');
      expect(await page.textContent('.success')).to.equal('You can now see Annie’s record in myPass.');
      // Not a dead end: where to go now, with the account just used.
      expect(await page.textContent('main')).to.contain(
        'Go to myPass and sign in with Education Account (ani.k@outlook.example): the account you used on this page.',
      );
      expect(await page.content()).to.not.contain(ani.token);
      expect(await connection(ani.id)).to.deep.include({
        status: 'activated',
        activated_issuer: oidc.issuer,
        activated_subject: 'ani-k',
        activated_account: 'ani.k@outlook.example',
      });
      const audit = await app.db.query<{ actor: string; detail: Record<string, unknown> }>(
        `select actor, detail from audit_log where action = 'connection_activated' and detail->>'connection' = $1`,
        [ani.id],
      );
      expect(audit.rows).to.have.length(1);
      expect(audit.rows[0]?.actor).to.equal('ani.k@outlook.example');
      expect(audit.rows[0]?.detail).to.include({ issuer: oidc.issuer, subject: 'ani-k' });
      // The sign-in ended with the activation: its cookie names nothing any more.
      expect(await pendingSignIns()).to.equal(0);
      expect(await page.goto(`${web.url}/activate/pin`).then((r) => r?.status())).to.equal(400);

      // The provider remembers the browser: the second sign-in asks nothing there.
      await signIn(page, ani.link, 'Education Account', 'ani-k');
      await submitPin(page, ani.pin, 'en');
      // Not a failure: titled and shown as a notice, with the way on.
      expect(await page.textContent('h1')).to.equal('Your connection is already activated');
      expect(await page.locator('.error').count()).to.equal(0);
      expect(await page.textContent('.notice'))
        .to.contain('This connection is already activated')
        .and.contain('Go to myPass and sign in with the account you activated it with.');
      await context.close();
    },
  );

  it(
    "in French from a French email, with the letter's words, a link to English that keeps the token, and an " +
      'account without an email',
    async () => {
      expect(jamesie.link).to.contain('&lang=fr');
      jamesieBrowser = await browser.newContext();
      jamesiePage = await jamesieBrowser.newPage();
      const page = jamesiePage;
      await page.goto(jamesie.link);
      expect(await page.getAttribute('html', 'lang')).to.equal('fr');
      expect(await page.textContent('h1')).to.equal('Activer votre connexion myPass');
      expect(await page.textContent('ol.steps'))
        .to.contain(SIGN_IN_STEP.fr)
        .and.contain(ACCEPT_BUTTON_LABEL.fr);
      expect(await page.locator('button[type=submit]').allTextContents()).to.deep.equal(['Compte Éducation', 'Google']);
      expectNothingPersonal(await page.content(), jamesie);

      await page.click('text=English');
      expect(new URL(page.url()).searchParams.get('token')).to.equal(jamesie.token);
      expect(await page.textContent('h1')).to.equal('Activate your myPass connection');
      await page.click('text=Français');
      expect(await page.textContent('h1')).to.equal('Activer votre connexion myPass');

      await signIn(page, page.url(), 'Google', 'jamesie-a');
      expect(await page.getAttribute('html', 'lang')).to.equal('fr');
      expect(await page.textContent('.signed-in')).to.equal('Vous êtes connecté avec Google.');
      expect((await page.textContent('button[type=submit]'))?.trim()).to.equal(ACCEPT_BUTTON_LABEL.fr);
      await submitPin(page, otherPin(jamesie.pin), 'fr');
      expect(await page.textContent('#pin-error')).to.contain('Le NIP est incorrect. Il vous reste 4 essais');
      expectNothingPersonal(await page.content(), jamesie);
      expect(await connection(jamesie.id)).to.include({ failed_attempts: 1 });
    },
  );

  it('a PIN form that cannot be right comes back with what to fix, and counts nothing', async () => {
    const fields = {
      _csrf: csrfField(await jamesiePage.content()),
      lang: 'en',
      pin: otherPin(jamesie.pin),
      terms: 'accepted',
    };
    const noTerms = await postPin({ ...fields, terms: '' });
    expect([noTerms.status, messagesOf(noTerms.text)]).to.deep.equal([
      400,
      ['Please accept the terms of use to activate the connection.'],
    ]);
    const shortPin = await postPin({ ...fields, pin: '12', lang: 'fr' });
    expect(messagesOf(shortPin.text)).to.deep.equal(['Le NIP est formé des 4 chiffres imprimés sur votre lettre.']);
    // Each problem is tied to its field, the terms show where they were not accepted, and what
    // was entered comes back: the PIN typed (it cannot be the PIN), the box ticked, the language.
    expect(noTerms.text)
      .to.contain(
        '<input type="checkbox" id="terms" name="terms" value="accepted" required ' +
          'aria-describedby="terms-error" aria-invalid="true">',
      )
      .and.contain('<details class="terms" open>')
      .and.contain('<p class="field-error" id="terms-error">');
    expect(shortPin.text)
      .to.contain('<html lang="fr">')
      .and.match(/<input [^>]*id="pin"[^>]* value="12" aria-describedby="pin-hint pin-error" aria-invalid="true">/)
      .and.contain('<input type="checkbox" id="terms" name="terms" value="accepted" required checked>')
      .and.contain('action="/activate/pin?lang=fr"');
    expect(await connection(jamesie.id)).to.include({ failed_attempts: 1 });
  });

  it("CSRF: a sign-in or a PIN without the page's own token is refused, and starts or counts nothing", async () => {
    const jar = new CookieJar();
    const form = await getPage(jamesie.link, jar);
    const signInFields = { token: jamesie.token, lang: 'en', provider: 'google' };
    const before = await pendingSignIns();
    expect((await postForm(`${web.url}/activate/sign-in`, jar, signInFields)).status).to.equal(403);
    expect(
      (
        await postForm(`${web.url}/activate/sign-in`, jar, {
          ...signInFields,
          _csrf: randomBytes(32).toString('base64url'),
        })
      ).status,
    ).to.equal(403);
    expect(
      (await postForm(`${web.url}/activate/sign-in`, new CookieJar(), { ...signInFields, _csrf: csrfField(form.text) }))
        .status,
    ).to.equal(403);
    // The refusal is the person's own page, in the form's language, with the way back to the
    // link they came from (the token they just sent), and nothing of the console's.
    const refused = await postForm(`${web.url}/activate/sign-in`, new CookieJar(), { ...signInFields, lang: 'fr' });
    expect(refused.status).to.equal(403);
    expect(refused.text)
      .to.contain('<html lang="fr">')
      .and.contain('<span class="brand">myPass</span>')
      .and.contain('<h1>Votre formulaire n’a pas été envoyé</h1>')
      .and.contain(`<a href="/activate?token=${jamesie.token}&amp;lang=fr">Retour à votre lien d’activation</a>`);
    expect(refused.text).to.not.match(/Intake|\/login|href="\/"/);
    expect(await pendingSignIns()).to.equal(before);
    const pin = { lang: 'en', pin: otherPin(jamesie.pin), terms: 'accepted' };
    const pinRefused = await postPin(pin);
    expect(pinRefused.status).to.equal(403);
    expect(pinRefused.text)
      .to.contain('<html lang="en">')
      .and.contain('<a href="/activate/pin?lang=en">Back to the PIN step</a>');
    expect((await postPin({ ...pin, _csrf: randomBytes(32).toString('base64url') })).status).to.equal(403);
    // The language of the form's address, as every form of the page sends it.
    const inFrench = await jamesiePage.request.post(`${web.url}/activate/pin?lang=fr`, {
      form: { pin: otherPin(jamesie.pin), terms: 'accepted' },
      maxRedirects: 0,
    });
    expect([inFrench.status(), await inFrench.text()]).to.satisfy(
      ([status, text]: [number, string]) =>
        status === 403 && text.includes('<a href="/activate/pin?lang=fr">Retour à l’étape du NIP</a>'),
    );
    expect(await connection(jamesie.id)).to.include({ failed_attempts: 1 });
  });

  it(
    'the way back from the provider: no sign-in under way, a wrong state, an error or a made-up code each say ' +
      'to open the link again',
    async () => {
      const issuer = encodeURIComponent(oidc.issuer);
      const nowhere = await getPage(`${web.url}/activate/signed-in?code=abc&state=xyz&iss=${issuer}`, new CookieJar());
      expect(nowhere.status).to.equal(400);
      expect(nowhere.text).to.contain('Open the “Activate Connection” link of the email again');
      expect(nowhere.text).to.contain('Ouvrez de nouveau le lien «\u00a0Activer la connexion\u00a0» du courriel');

      /** A sign-in started as a script would: the provider's address, with its state, and the cookie. */
      const start = async () => {
        const jar = new CookieJar();
        const token = randomBytes(32).toString('base64url');
        const page = await getPage(`${web.url}/activate?token=${token}`, jar);
        const started = await postForm(`${web.url}/activate/sign-in`, jar, {
          _csrf: csrfField(page.text),
          token,
          lang: 'en',
          provider: 'education',
        });
        expect(started.status).to.equal(200);
        const cookie = started.headers.getSetCookie().find((line) => line.startsWith('intake_activation=')) as string;
        expect(cookie).to.match(/; Path=\/activate; HttpOnly; SameSite=Lax; Max-Age=1800$/);
        const to = new URL(
          (/^0; url=(.+)$/.exec(started.headers.get('refresh') ?? '') as RegExpExecArray)[1] as string,
        );
        expect(to.href.startsWith(oidc.issuer)).to.equal(true);
        expect(Object.fromEntries(to.searchParams)).to.include({
          client_id: 'intake-activation',
          response_type: 'code',
          scope: 'openid email',
          redirect_uri: `${web.url}/activate/signed-in`,
          code_challenge_method: 'S256',
        });
        expect(to.searchParams.get('nonce')).to.have.length.above(20);
        expect(to.searchParams.get('code_challenge')).to.have.length(43);
        // The token is kept only as its hash, with the sign-in.
        expect(
          await count(app.db, 'select count(*) n from activation_sign_in where token_hash = $1', [tokenHash(token)]),
        ).to.equal(1);
        return { jar, state: to.searchParams.get('state') as string };
      };
      const back = (jar: CookieJar, query: string) =>
        getPage(`${web.url}/activate/signed-in?${query}&iss=${issuer}`, jar);

      const tampered = await start();
      const underWay = await pendingSignIns();
      const wrongState = await back(tampered.jar, `code=abc&state=${tampered.state}x`);
      expect([wrongState.status, messagesOf(wrongState.text)[0]]).to.deep.equal([
        400,
        'The sign-in did not go through, or it took too long. Open the “Activate Connection” link of the email ' +
          'again and sign in again.',
      ]);
      // An answer that is not this sign-in's leaves it under way: a page elsewhere cannot cancel it.
      expect(await pendingSignIns()).to.equal(underWay);
      // Its own state with a code the provider never gave: one answer per sign-in, and that ends it.
      expect((await back(tampered.jar, `code=abc&state=${tampered.state}`)).status).to.equal(400);
      expect(await pendingSignIns()).to.equal(underWay - 1);

      const refused = await start();
      expect((await back(refused.jar, `error=access_denied&state=${refused.state}`)).status).to.equal(400);
      const madeUp = await start();
      expect((await back(madeUp.jar, `code=${randomBytes(20).toString('hex')}&state=${madeUp.state}`)).status).to.equal(
        400,
      );
      expect(await pendingSignIns()).to.equal(1);
      // The PIN step without a sign-in: the same words, and nothing counted.
      expect((await getPage(`${web.url}/activate/pin`, madeUp.jar)).status).to.equal(400);
      const form = await getPage(jamesie.link, madeUp.jar);
      const pin = await postForm(`${web.url}/activate/pin`, madeUp.jar, {
        _csrf: csrfField(form.text),
        lang: 'en',
        pin: otherPin(jamesie.pin),
        terms: 'accepted',
      });
      expect(pin.status).to.equal(400);
      expect(await connection(jamesie.id)).to.include({ failed_attempts: 1 });
    },
  );

  it('records no email the provider did not verify', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, `${web.url}/activate?token=${randomBytes(32).toString('base64url')}`, 'Google', 'made-up');
    expect(await page.textContent('.signed-in')).to.equal('You are signed in with Google.');
    await context.close();
  });

  it(
    'says in plain words why a connection cannot be activated: locked, locked until reset, expired, deleted, ' +
      'not a valid link',
    async () => {
      const attempt = async (page = jamesiePage) => {
        await submitPin(page, otherPin(jamesie.pin), 'fr');
        expect(await page.content(), 'no page carries the token').to.not.contain(jamesie.token);
        // The field's message after a wrong PIN, or the page's message once refused.
        return (await page.textContent('#pin-error, main > .message:not(.error-summary)'))?.trim();
      };
      const signInAgain = () => signIn(jamesiePage, jamesie.link, 'Google', 'jamesie-a');
      expect(await attempt()).to.equal(
        'Le NIP est incorrect. Il vous reste 3 essais avant que la connexion soit verrouillée pendant 60\u00a0minutes.',
      );
      await attempt();
      await attempt();
      const locked = await attempt();
      const {
        rows: [until],
      } = await app.db.query<{ locked_until: Date }>('select locked_until from connection where id = $1', [jamesie.id]);
      // The time as people read it in French, in the province's time, and what else to do.
      expect(locked).to.equal(
        `Trop de NIP erronés\u00a0: la connexion est verrouillée ` +
          `jusqu’au ${readableMoment(until?.locked_until as Date, 'fr')}. Réessayez après ce moment, ou demandez ` +
          `un nouveau NIP à l’école.`,
      );
      expect(locked).to.match(/jusqu’au \d{1,2}(er)?\u00a0\p{L}+\u00a0\d{4} à \d{1,2}\u00a0h(\u00a0\d{2})?\./u);
      // A refusal ends the sign-in; each case below signs in again (the provider asks nothing more).
      await app.db.query('update connection set lockouts = $2 where id = $1', [
        jamesie.id,
        app.config.connections.maxLockouts,
      ]);
      await signInAgain();
      expect(await attempt()).to.equal(
        'Trop de NIP erronés\u00a0: ce NIP est verrouillé. Demandez un nouveau NIP à l’école.',
      );
      await app.db.query(
        `update connection set lockouts = 0, locked_until = null, expires_at = now() - interval '1 second' ` +
          `where id = $1`,
        [jamesie.id],
      );
      await signInAgain();
      expect(await attempt()).to.equal('Cette demande d’activation a expiré. Demandez un nouveau NIP à l’école.');
      await app.db.query(`update connection set status = 'deleted' where id = $1`, [jamesie.id]);
      await signInAgain();
      expect(await attempt()).to.match(/^Cette connexion a été supprimée par l’école/);
      await signIn(
        jamesiePage,
        `${web.url}/activate?token=${randomBytes(32).toString('base64url')}&lang=fr`,
        'Google',
        'jamesie-a',
      );
      expect(await attempt()).to.match(/^Ce lien d’activation n’est pas valide/);
      await jamesieBrowser.close();
    },
  );

  it('with no provider configured, the activation listener does not start, and says why', async () => {
    const none = {
      ...app,
      config: { ...app.config, activationServer: { ...app.config.activationServer, port: 0, providers: [] } },
    };
    const refusal = await startActivationSite(none).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).to.be.instanceOf(ConfigError);
    expect((refusal as Error).message)
      .to.contain('activationServer.providers')
      .and.contain('INTAKE_OIDC_PROVIDERS_FILE');
    const service = await startService({ ...none, config: { ...none.config, roles: ['console', 'activation'] } }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(service).to.be.instanceOf(ConfigError);
  });
});
