import { expect } from 'chai';
import { loadConfig } from '../src/config/config.ts';
import { guardPages } from '../src/web/guard-pages.ts';

/**
 * The answers of a listener's guards, drawn from the request alone: the console's in English, the
 * activation page's in the person's language, branded myPass, with the way back to their own
 * link, and never a link to the console. (In the browser: test/activation-layout.test.ts.)
 */
describe('guard pages: the console’s, and the activation page’s own', () => {
  const config = loadConfig({}, {});
  const consoleGuards = guardPages(config, config.server);
  const activationGuards = guardPages(config, config.activationServer);
  const at = (path: string) => new URL(path, 'http://127.0.0.1:8081');
  const token = 'il1ESM2wy5CdWDwj1zNnQmHVKEDTscPhPJmNu1oiigU';
  const nothingOfTheConsole = (page: string) => {
    expect(page).to.contain('<span class="brand">myPass</span>');
    expect(page).to.not.match(/Intake|\/login|href="\/"/);
  };

  it('on the console: English, with its own words and a link to its start', () => {
    const refused = consoleGuards({ kind: 'form refused', status: 403 }, { url: at('/login'), form: null });
    expect(refused.status).to.equal(403);
    expect(refused.html.text).to.contain('<title>Form refused</title>').and.contain('<a href="/">Intake</a>');
    const signedOut = consoleGuards(
      { kind: 'form refused', status: 403, words: { title: 'Signed out', explanation: 'Sign in again.' } },
      { url: at('/queue/1/approve'), form: null },
    );
    expect(signedOut.html.text).to.contain('<title>Signed out</title>').and.contain('<p>Sign in again.</p>');
    expect(
      consoleGuards({ kind: 'too many posts', status: 429, wait: 12 }, { url: null, form: null }).html.text,
    ).to.contain('Wait 12 seconds');
  });

  it('on the activation page: a refused form links back to the link it came from, in the form’s language', () => {
    const form = new URLSearchParams({ token, lang: 'fr', provider: 'google' });
    const refused = activationGuards({ kind: 'form refused', status: 403 }, { url: at('/activate/sign-in'), form });
    expect(refused.status).to.equal(403);
    expect(refused.html.text)
      .to.contain('<html lang="fr">')
      .and.contain('<h1>Votre formulaire n’a pas été envoyé</h1>')
      .and.contain(`<a href="/activate?token=${token}&amp;lang=fr">Retour à votre lien d’activation</a>`);
    nothingOfTheConsole(refused.html.text);
    // The PIN's form holds no token: back to the PIN step, in the address's language.
    const pin = activationGuards(
      { kind: 'form refused', status: 403 },
      { url: at('/activate/pin?lang=en'), form: null },
    );
    expect(pin.html.text)
      .to.contain('<html lang="en">')
      .and.contain('<a href="/activate/pin?lang=en">Back to the PIN step</a>');
    // A token that cannot be one is no link.
    const bogus = new URLSearchParams({ token: 'x'.repeat(600), lang: 'en' });
    const noLink = activationGuards(
      { kind: 'form refused', status: 403 },
      { url: at('/activate/sign-in'), form: bogus },
    );
    expect(noLink.html.text).to.not.contain('href="/activate?');
    expect(noLink.html.text).to.contain('link of your activation email again');
  });

  it(
    'on the activation page: too many forms, no such page, a fault and an unreadable address, each the ' +
      'person’s own',
    () => {
      const tooMany = activationGuards(
        { kind: 'too many posts', status: 429, wait: 1 },
        { url: at('/activate/pin?lang=fr'), form: null },
      );
      expect(tooMany.html.text).to.contain('<h1>Trop de tentatives</h1>').and.contain('Attendez 1\u00a0seconde,');
      const missing = activationGuards({ kind: 'no such page', status: 404 }, { url: at('/?lang=fr'), form: null });
      expect(missing.html.text).to.contain('<h1>Page introuvable</h1>');
      const failed = activationGuards(
        { kind: 'failed', status: 500 },
        { url: at('/activate/pin?lang=fr'), form: null },
      );
      expect(failed.status).to.equal(500);
      expect(failed.html.text).to.contain('<h1>Une erreur est survenue</h1>').and.contain('Retour à l’étape du NIP');
      const unreadable = activationGuards({ kind: 'no such page', status: 400 }, { url: null, form: null });
      expect(unreadable.html.text).to.contain('<html lang="en">').and.contain('<h1>Page not found</h1>');
      for (const page of [tooMany, missing, failed, unreadable]) nothingOfTheConsole(page.html.text);
    },
  );
});
