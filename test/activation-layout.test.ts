import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { startActivationSite } from '../pipelines/console.ts';
import { readableMoment } from '../src/validate/dates.ts';
import { activationWording } from '../src/web/activation-text.ts';
import type { WebServer } from '../src/web/server.ts';
import { type ActivationWorld, signInFromLink, startActivationWorld, submitPin } from './support/activation.ts';
import { expectNoAxeViolations } from './support/axe.ts';
import { launchBrowser } from './support/browser.ts';
import { expectFitsWidth, type ViewportName, viewports } from './support/layout.ts';

type Language = 'en' | 'fr';
const languages: Language[] = ['en', 'fr'];
const providerButton = { en: 'Education Account', fr: 'Compte Éducation' } as const;

/**
 * The activation page as a parent meets it, on a phone (375 px) and on a laptop (1280 px), in
 * English and in French: every state is checked with axe-core and for anything cut off at the
 * right edge; the first screen holds the form; after a submit the focus is on what the page says;
 * and the guards' pages (a lost cookie, too many posts, no such page) are the parent's own.
 */
describe(
  'the activation page on a phone and a laptop, in English and French: accessible, phone first, the ' +
    'person’s own pages',
  function () {
    this.timeout(300_000);
    let world: ActivationWorld;
    let browser: Browser;
    /** The same site with a rate limit of one form a minute, for its refusal page. */
    let strict: WebServer;
    let pinHash: Buffer;

    const linkIn = (language: Language) => (language === 'fr' ? `${world.ani.link}&lang=fr` : world.ani.link);
    const otherPin = () => (world.ani.pin === '0000' ? '1111' : '0000');
    /** Ani's connection as its letter left it: waiting, its PIN good, nothing counted. */
    const resetConnection = () =>
      world.app.db.query(
        `update connection set status = 'waiting', pin_hash = $2, failed_attempts = 0, lockouts = 0, locked_until =
          null,
              expires_at = now() + interval '30 days', activated_at = null, activated_account = null,
              activated_issuer = null, activated_subject = null where id = $1`,
        [world.ani.id, pinHash],
      );

    /** The checks every state gets: its language, myPass's, nothing of the console's, fits the width, axe-core. */
    async function checkState(page: Page, language: Language, what: string): Promise<void> {
      expect(await page.getAttribute('html', 'lang'), what).to.equal(language);
      expect((await page.textContent('header .brand'))?.trim(), what).to.equal('myPass');
      expect(await page.locator('a[href^="/login"], a[href="/"]').count(), `${what} links to the console`).to.equal(0);
      await expectFitsWidth(page, what);
      await expectNoAxeViolations(page, what);
    }
    /** Whether the element ends within the first screen, without scrolling. */
    async function expectOnFirstScreen(page: Page, selector: string, viewport: ViewportName, what: string) {
      const box = await page.locator(selector).first().boundingBox();
      expect(box, what).to.not.equal(null);
      expect((box?.y ?? 0) + (box?.height ?? 0), `${what}: ${selector} ends below the first screen`).to.be.at.most(
        viewports[viewport].height,
      );
    }
    /** The element that has the focus once the page has loaded (autofocus: the pages have no script). */
    const expectFocusOn = (page: Page, selector: string, what: string) =>
      page
        .waitForFunction(
          `document.activeElement !== null && document.activeElement.matches(${JSON.stringify(selector)})`,
          undefined,
          {
            timeout: 5000,
          },
        )
        .catch(async () => {
          const active = await page.evaluate(
            'document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : null',
          );
          throw new Error(`${what}: the focus is on ${String(active)}, not ${selector}`);
        });

    before(async () => {
      world = await startActivationWorld({ 'ani-k': { email: 'Ani.K@outlook.example' } });
      const {
        rows: [row],
      } = await world.app.db.query<{ pin_hash: Buffer }>('select pin_hash from connection where id = $1', [
        world.ani.id,
      ]);
      pinHash = row?.pin_hash as Buffer;
      const { config } = world.app;
      strict = await startActivationSite({
        ...world.app,
        config: {
          ...config,
          server: { ...config.server, publicPostsPerMinute: 1 },
          activationServer: { ...config.activationServer, port: 0 },
        },
      });
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await strict?.stop();
      await world?.stop();
    });

    for (const viewport of Object.keys(viewports) as ViewportName[]) {
      const { width } = viewports[viewport];
      for (const language of languages) {
        const w = activationWording[language];
        const at = `at ${width} px in ${language === 'en' ? 'English' : 'French'}`;

        it(
          `${at}: the link, the PIN step, its problems, a wrong PIN, locked, expired, already activated, ` +
            `activated`,
          async () => {
            await resetConnection();
            const context = await browser.newContext({ viewport: viewports[viewport] });
            const page = await context.newPage();
            const signIn = () => signInFromLink(page, world.oidc, linkIn(language), providerButton[language], 'ani-k');

            await page.goto(linkIn(language));
            await checkState(page, language, `the link page ${at}`);
            await expectOnFirstScreen(page, 'form.provider button', viewport, `the link page ${at}`);
            // The other language: in the header, at the top, a target of its own (WCAG asks 24 px; it has 44).
            const other = await page.locator('header a.language').boundingBox();
            expect(other?.height).to.be.at.least(44);
            expect(other?.y).to.be.below(20);

            await signIn();
            await checkState(page, language, `the PIN step ${at}`);
            await expectOnFirstScreen(page, '.pin-form button[type=submit]', viewport, `the PIN step ${at}`);

            await submitPin(page, '12', language, false);
            await checkState(page, language, `the PIN step with problems ${at}`);
            await expectFocusOn(page, '.error-summary', `the PIN step with problems ${at}`);
            expect(await page.textContent('.error-summary'))
              .to.contain(w.errors.pin)
              .and.contain(w.errors.terms);
            expect(await page.getAttribute('#pin', 'aria-invalid')).to.equal('true');
            expect(await page.getAttribute('#pin', 'aria-describedby')).to.equal('pin-hint pin-error');
            expect(await page.textContent('#pin-error')).to.equal(w.errors.pin);
            expect(await page.inputValue('#pin'), 'what was typed comes back').to.equal('12');
            expect(await page.getAttribute('#terms', 'aria-invalid')).to.equal('true');
            expect(await page.getAttribute('#terms', 'aria-describedby')).to.equal('terms-error');
            expect(await page.textContent('#terms-error')).to.equal(w.errors.terms);
            // The summary's links lead to the fields.
            expect(
              await page.locator('.error-summary a').evaluateAll((links) => links.map((a) => a.getAttribute('href'))),
            ).to.deep.equal(['#pin', '#terms']);

            await submitPin(page, otherPin(), language);
            await checkState(page, language, `a wrong PIN ${at}`);
            await expectFocusOn(page, '.error-summary', `a wrong PIN ${at}`);
            expect(await page.textContent('#pin-error')).to.equal(w.wrongPin(4, 60));
            expect(await page.getAttribute('#pin', 'aria-invalid')).to.equal('true');
            expect(await page.inputValue('#pin'), 'a wrong PIN is typed again').to.equal('');
            expect(await page.isChecked('#terms'), 'the terms stay accepted').to.equal(true);
            expect(await page.getAttribute('#terms', 'aria-invalid')).to.equal(null);

            const {
              rows: [locked],
            } = await world.app.db.query<{ locked_until: Date }>(
              `update connection set locked_until = now() + interval '2 hours' where id = $1 returning locked_until`,
              [world.ani.id],
            );
            await submitPin(page, world.ani.pin, language);
            await checkState(page, language, `locked ${at}`);
            await expectFocusOn(page, 'main > .message.error', `locked ${at}`);
            expect(await page.textContent('main > .message')).to.equal(
              w.lockedUntil(readableMoment(locked?.locked_until as Date, language)),
            );
            expect(await page.textContent('main > .message'), 'one period after “a.m.”').to.not.contain('..');

            await world.app.db.query(
              `update connection set locked_until = null, expires_at = now() - interval '1 second' where id = $1`,
              [world.ani.id],
            );
            await signIn();
            await submitPin(page, world.ani.pin, language);
            await checkState(page, language, `expired ${at}`);
            expect(await page.textContent('main > .message.error')).to.equal(w.expired);

            await resetConnection();
            await world.app.db.query(`update connection set status = 'activated' where id = $1`, [world.ani.id]);
            await signIn();
            await submitPin(page, world.ani.pin, language);
            await checkState(page, language, `already activated ${at}`);
            expect(await page.textContent('h1')).to.equal(w.alreadyActivatedTitle);
            expect(await page.locator('.error').count(), 'already activated is no failure').to.equal(0);
            await expectFocusOn(page, 'main > .message.notice', `already activated ${at}`);

            await resetConnection();
            await signIn();
            await submitPin(page, world.ani.pin, language);
            await checkState(page, language, `activated ${at}`);
            expect(await page.textContent('h1')).to.equal(w.activatedTitle);
            await expectFocusOn(page, 'main > .message.success', `activated ${at}`);
            expect(await page.textContent('main > h2')).to.equal(w.nextTitle);
            expect(await page.textContent('main')).to.contain(
              w.next(providerButton[language], 'ani.k@outlook.example')[0],
            );
            await context.close();
          },
        );

        it(
          `${at}: a form refused for its lost cookie, too many forms, no such page: the person's own pages, with ` +
            `the way back`,
          async () => {
            await resetConnection();
            const context = await browser.newContext({ viewport: viewports[viewport] });
            const page = await context.newPage();

            // The sign-in's form, its CSRF cookie lost (cleared, or the browser kept none).
            await page.goto(linkIn(language));
            await context.clearCookies({ name: 'intake_csrf' });
            const [refused] = await Promise.all([
              page.waitForNavigation(),
              page.click(`button:has-text("${providerButton[language]}")`),
            ]);
            expect(refused?.status()).to.equal(403);
            await checkState(page, language, `a refused sign-in form ${at}`);
            expect(await page.textContent('h1')).to.equal(w.formRefusedTitle);
            await expectFocusOn(page, 'main > .message.error', `a refused sign-in form ${at}`);
            const back = page.locator('main a', { hasText: w.backToLink });
            expect(await back.getAttribute('href')).to.equal(
              new URL(linkIn(language)).pathname + new URL(linkIn(language)).search,
            );
            // The refusal set a new cookie: back on the link, the sign-in goes through.
            await Promise.all([page.waitForNavigation(), back.click()]);
            await signInFromLink(page, world.oidc, page.url(), providerButton[language], 'ani-k');
            expect(new URL(page.url()).pathname).to.equal('/activate/pin');

            // The PIN's form, its cookie lost: back to the PIN step, where the sign-in still stands.
            await context.clearCookies({ name: 'intake_csrf' });
            await submitPin(page, world.ani.pin, language);
            await checkState(page, language, `a refused PIN form ${at}`);
            expect(await page.textContent('h1')).to.equal(w.formRefusedTitle);
            await Promise.all([page.waitForNavigation(), page.click(`main a:has-text("${w.backToPin}")`)]);
            expect(await page.locator('#pin').count()).to.equal(1);
            expect(
              await world.app.db
                .query('select failed_attempts from connection where id = $1', [world.ani.id])
                .then((r) => r.rows[0]),
            ).to.deep.equal({ failed_attempts: 0 });

            await page.goto(`${world.web.url}/activate/nowhere?lang=${language}`);
            await checkState(page, language, `no such page ${at}`);
            expect(await page.textContent('h1')).to.equal(w.notFoundTitle);

            // One form a minute on the strict listener: this one takes it (and is refused: no token),
            // so the browser's, right after, is turned away before its body is read.
            const strictLink = `${strict.url}${new URL(linkIn(language)).pathname}${new URL(linkIn(language)).search}`;
            await page.goto(strictLink);
            await fetch(`${strict.url}/activate/sign-in?lang=${language}`, {
              method: 'POST',
              body: 'provider=google',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
            });
            const [tooMany] = await Promise.all([
              page.waitForNavigation(),
              page.click(`button:has-text("${providerButton[language]}")`),
            ]);
            expect(tooMany?.status()).to.equal(429);
            await checkState(page, language, `too many forms ${at}`);
            expect(await page.textContent('h1')).to.equal(w.tooManyTitle);
            await context.close();
          },
        );
      }
    }
  },
);
