import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { ingestFile } from '../pipelines/ingest.ts';
import { startService } from '../pipelines/service.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { loadReference } from '../src/reference/load.ts';
import { addStaff } from '../src/staff/accounts.ts';
import { dashboardRoutes } from '../src/web/dashboard-page.ts';
import { type Route, safeNextPath } from '../src/web/routes.ts';
import { startWebServer, type WebServer } from '../src/web/server.ts';
import { authRoutes } from '../src/web/sign-in-pages.ts';
import { launchBrowser, signIn } from './support/browser.ts';
import { intakeCommandWithInput } from './support/cli.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count } from './support/files.ts';
import { CookieJar, csrfField, type Fetched, getPage, postForm, requestFrom } from './support/web.ts';

const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
function expectSecurityHeaders(response: Fetched): void {
  for (const [name, value] of Object.entries(securityHeaders)) expect(response.headers.get(name), name).to.equal(value);
}
const errorText = (page: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(page)?.[1] ?? null;

const passwords = { mara: 'correct horse battery staple', theo: 'tea at four, every day' };

describe('the web console: sign-in, sessions and CSRF', function () {
  this.timeout(120_000);
  let app: TestApp;
  let web: WebServer;
  let browser: Browser;
  const touched: string[] = [];
  const intake = intakeCommandWithInput(() => ({ database: app.url, home: app.home }));
  // A staff POST that changes something, and a public one that fails: what every route gets from the server.
  const testRoutes: Route[] = [
    {
      method: 'POST',
      pattern: '/test/touch',
      access: 'staff',
      async handle(ctx) {
        touched.push(ctx.form.get('what') ?? '');
        return { redirect: '/' };
      },
    },
    {
      method: 'POST',
      pattern: '/test/fail',
      access: 'public',
      async handle() {
        throw new Error('deliberate failure');
      },
    },
  ];

  async function signInByForm(jar: CookieJar, username: string, password: string, next = '/'): Promise<Fetched> {
    const form = await getPage(`${web.url}/login`, jar);
    // Signed in already, the page sends on; the token is still the cookie's (double-submit).
    const token = form.status === 200 ? csrfField(form.text) : (jar.get('intake_csrf') as string);
    return postForm(`${web.url}/login`, jar, { _csrf: token, username, password, next });
  }

  before(async () => {
    app = await createTestApp({ 'server.maxSignInFailures': 3 });
    await loadReference(app.db, path.join(samplesFolder, 'reference'));
    await ingestFile(
      app,
      path.join(samplesFolder, 'enrolment/A.0094/september-low.csv'),
      'A.0094',
      'enrolment',
      samplesAsOf,
    );
    await addStaff(app.db, { username: 'mara', displayName: 'Mara Ng', password: passwords.mara });
    await addStaff(app.db, { username: 'theo', displayName: 'Théo Gagnon', password: passwords.theo });
    web = await startWebServer(app, [...authRoutes, ...dashboardRoutes, ...testRoutes]);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await web?.stop();
    await app.dispose();
  });

  it('without a session, staff pages send to sign-in and staff POSTs are refused, doing nothing', async () => {
    const jar = new CookieJar();
    const dashboard = await getPage(`${web.url}/?day=today`, jar);
    expect(dashboard.status).to.equal(303);
    expect(dashboard.location).to.equal('/login?next=%2F%3Fday%3Dtoday');
    expectSecurityHeaders(dashboard);
    const touch = await postForm(`${web.url}/test/touch`, jar, { what: 'a', _csrf: 'anything' });
    expect(touch.status).to.equal(403);
    expectSecurityHeaders(touch);
    expect(touched).to.deep.equal([]);
    expect((await postForm(`${web.url}/logout`, jar, { _csrf: 'anything' })).status).to.equal(403);
    const missing = await getPage(`${web.url}/no-such-page`, jar);
    expect(missing.status).to.equal(404);
    expectSecurityHeaders(missing);
    const style = await getPage(`${web.url}/style.css`, jar);
    expect(style.headers.get('content-type')).to.equal('text/css; charset=utf-8');
  });

  it("in the browser: sign in, land where one was going, see today's files, sign out", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${web.url}/?from=test`);
    expect(new URL(page.url()).pathname).to.equal('/login');
    await signIn(page, web.url, 'Mara', passwords.mara);
    expect(new URL(page.url()).search).to.equal('?from=test');
    expect(await page.textContent('.who')).to.equal('Mara Ng');
    const [file] = (
      await app.db.query<{ accepted: number; referred: number; invalid: number }>(
        'select accepted, referred, invalid from intake_file',
      )
    ).rows;
    const cells = await page.locator('tbody tr').first().locator('td').allTextContents();
    expect(cells[0]).to.contain('A.0094');
    expect(cells.slice(1).map((c) => Number(c.replace(/,/g, '')))).to.deep.equal([
      1,
      1,
      0,
      file?.accepted,
      file?.referred,
      file?.invalid,
      0,
      0,
    ]);

    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'intake_session')).to.include({
      httpOnly: true,
      sameSite: 'Strict',
      secure: false,
    });
    expect(cookies.find((c) => c.name === 'intake_csrf')).to.include({ httpOnly: true, sameSite: 'Lax' });
    const audit = await app.db.query<{ actor: string; detail: { address: string } }>(
      `select actor, detail from audit_log where action = 'staff_signed_in'`,
    );
    expect(audit.rows).to.deep.equal([{ actor: 'mara', detail: { address: '127.0.0.1' } }]);

    await page.click('text=Sign out');
    await page.waitForURL((url) => url.pathname === '/login');
    await page.goto(`${web.url}/`);
    expect(new URL(page.url()).pathname).to.equal('/login');
    expect(await count(app.db, `select count(*) n from staff_session where username = 'mara'`)).to.equal(0);
    await context.close();
  });

  it(
    'CSRF: sign-in, sign-out and staff POSTs without the right token are refused; signing in rotates the ' + 'session',
    async () => {
      const jar = new CookieJar();
      const form = await getPage(`${web.url}/login`, jar);
      const fields = { username: 'mara', password: passwords.mara, next: '/' };
      expect((await postForm(`${web.url}/login`, jar, fields)).status).to.equal(403);
      expect((await postForm(`${web.url}/login`, jar, { ...fields, _csrf: 'x'.repeat(43) })).status).to.equal(403);
      // The token without its cookie is no better: it must come from this site's own page.
      expect(
        (await postForm(`${web.url}/login`, new CookieJar(), { ...fields, _csrf: csrfField(form.text) })).status,
      ).to.equal(403);
      expect(await count(app.db, 'select count(*) n from staff_session')).to.equal(0);
      expect(await count(app.db, 'select count(*) n from sign_in_failure')).to.equal(0);

      const signedIn = await postForm(`${web.url}/login`, jar, { ...fields, _csrf: csrfField(form.text) });
      expect(signedIn.status).to.equal(303);
      const first = jar.get('intake_session') as string;
      const dashboard = await getPage(`${web.url}/`, jar);
      expect(dashboard.status).to.equal(200);
      const token = csrfField(dashboard.text);
      expect(token).to.not.equal(csrfField(form.text));

      expect((await postForm(`${web.url}/test/touch`, jar, { what: 'no token' })).status).to.equal(403);
      expect(
        (
          await postForm(`${web.url}/test/touch`, jar, {
            what: "the sign-in page's token",
            _csrf: csrfField(form.text),
          })
        ).status,
      ).to.equal(403);
      expect((await postForm(`${web.url}/logout`, jar, { _csrf: 'x'.repeat(43) })).status).to.equal(403);
      expect(touched).to.deep.equal([]);
      expect((await postForm(`${web.url}/test/touch`, jar, { what: 'b', _csrf: token })).status).to.equal(303);
      expect(touched).to.deep.equal(['b']);

      // Signing in again gives a new session and ends the one the request came with.
      expect((await signInByForm(jar, 'mara', passwords.mara)).status).to.equal(303);
      expect(jar.get('intake_session')).to.not.equal(first);
      expect(
        (await fetch(`${web.url}/`, { redirect: 'manual', headers: { cookie: `intake_session=${first}` } })).status,
      ).to.equal(303);

      const signOut = await postForm(`${web.url}/logout`, jar, {
        _csrf: csrfField((await getPage(`${web.url}/`, jar)).text),
      });
      expect(signOut.status).to.equal(303);
      expect(signOut.location).to.equal('/login');
      expect((await getPage(`${web.url}/`, jar)).status).to.equal(303);
    },
  );

  it(
    'behind TLS the cookies are Secure, host-only (__Host-) and browsers are told to keep to HTTPS; without ' +
      'it, none of that',
    async () => {
      const plain = await getPage(`${web.url}/login`, new CookieJar());
      expect(plain.headers.getSetCookie().join('\n')).to.not.match(/;\s*Secure/i);
      expect(plain.headers.get('strict-transport-security')).to.equal(null);
      const behindTls = await startWebServer(
        { ...app, config: { ...app.config, server: { ...app.config.server, secureCookies: true } } },
        [...authRoutes, ...dashboardRoutes],
      );
      try {
        const jar = new CookieJar();
        const page = await getPage(`${behindTls.url}/login`, jar);
        expect(page.headers.getSetCookie()).to.satisfy(
          (cookies: string[]) => cookies.length > 0 && cookies.every((c) => /;\s*Secure/i.test(c)),
        );
        expect(page.headers.get('strict-transport-security')).to.equal('max-age=31536000');
        const signedIn = await postForm(`${behindTls.url}/login`, jar, {
          _csrf: csrfField(page.text),
          username: 'mara',
          password: passwords.mara,
          next: '/',
        });
        expect(page.headers.getSetCookie().find((c) => c.startsWith('__Host-intake_csrf=')))
          .to.match(/Path=\/;/)
          .and.not.match(/Domain=/i);
        expect(signedIn.headers.getSetCookie().find((c) => c.startsWith('__Host-intake_session=')))
          .to.match(/HttpOnly/)
          .and.match(/SameSite=Strict/)
          .and.match(/Secure/);
        // The prefixed session is the one that opens pages.
        expect((await getPage(`${behindTls.url}/`, jar)).status).to.equal(200);
      } finally {
        await behindTls.stop();
      }
    },
  );

  it('after sign-in only a path of this site is followed', async () => {
    expect(
      ['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/%0d%0aX', 'javascript:alert(1)', '/login'].map(
        safeNextPath,
      ),
    ).to.deep.equal(['/', '/', '/', '/%0d%0aX', '/', '/']);
    // Dot segments that collapse into another origin once resolved.
    expect(
      ['/.//evil.example', '/..//evil.example', '/x/../..//evil.example/p', '/queue/../audit'].map(safeNextPath),
    ).to.deep.equal(['/', '/', '/', '/audit']);
    expect((await signInByForm(new CookieJar(), 'mara', passwords.mara, '/.//evil.example/phish')).location).to.equal(
      '/',
    );
    const jar = new CookieJar();
    const away = await signInByForm(jar, 'mara', passwords.mara, '//evil.example/x');
    expect(away.location).to.equal('/');
    const fine = await signInByForm(jar, 'mara', passwords.mara, '/queue?authority=A.0094');
    expect(fine.location).to.equal('/queue?authority=A.0094');
  });

  it("a disabled account's session stops working at once (intake staff disable)", async () => {
    const jar = new CookieJar();
    expect((await signInByForm(jar, 'theo', passwords.theo)).status).to.equal(303);
    expect((await getPage(`${web.url}/`, jar)).status).to.equal(200);
    const run = intake('', 'staff', 'disable', 'theo');
    expect(run.status, run.stderr).to.equal(0);
    expect((await getPage(`${web.url}/`, jar)).status).to.equal(303);
    const again = await signInByForm(new CookieJar(), 'theo', passwords.theo);
    expect(again.status).to.equal(401);
    expect(errorText(again.text)).to.equal('The username or the password is not right.');
  });

  it('intake staff add, passwd and disable: passwords from standard input, kept only as scrypt hashes', async () => {
    const add = intake('a long enough password\n', 'staff', 'add', 'Ada.L', '--name', 'Ada Lovelace');
    expect(add.status, add.stderr).to.equal(0);
    const [row] = (
      await app.db.query<{ username: string; display_name: string; password_hash: string }>(
        `select * from staff where username = 'ada.l'`,
      )
    ).rows;
    expect(row?.display_name).to.equal('Ada Lovelace');
    expect(row?.password_hash).to.match(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(JSON.stringify(row)).to.not.contain('long enough');

    const twice = intake('a long enough password\n', 'staff', 'add', 'ada.l', '--name', 'Ada');
    expect([twice.status, twice.stderr.trim()]).to.deep.equal([1, 'intake: the account ada.l exists already']);
    expect(intake('short one\n', 'staff', 'add', 'bob', '--name', 'Bob').status).to.equal(64);
    expect(intake('', 'staff', 'add', 'bob', '--name', 'Bob').status).to.equal(64);
    expect(intake('a long enough password\n', 'staff', 'add', '9bob', '--name', 'Bob').status).to.equal(64);
    expect(await count(app.db, `select count(*) n from staff where username like '%bob'`)).to.equal(0);

    const passwd = intake('another long password\r\n', 'staff', 'passwd', 'ada.l');
    expect(passwd.status, passwd.stderr).to.equal(0);
    expect((await signInByForm(new CookieJar(), 'ada.l', 'a long enough password')).status).to.equal(401);
    expect((await signInByForm(new CookieJar(), 'ada.l', 'another long password')).status).to.equal(303);
    expect(intake('', 'staff', 'disable', 'nobody').status).to.equal(1);
  });

  it(
    'after too many failures, per account or per address, attempts are slowed down, never refused: the right ' +
      'password still signs in',
    async () => {
      await app.db.query('delete from sign_in_failure');
      const from = async (
        address: string,
        username: string,
        password: string,
        headers: Record<string, string> = {},
      ) => {
        const jar = new CookieJar();
        const form = await requestFrom(address, `${web.url}/login`, jar);
        const started = Date.now();
        const response = await requestFrom(
          address,
          `${web.url}/login`,
          jar,
          { _csrf: csrfField(form.text), username, password, next: '/' },
          headers,
        );
        return { ...response, ms: Date.now() - started };
      };
      for (let i = 0; i < 3; i++) {
        const wrong = await from('127.0.0.2', 'mara', 'not the password at all');
        expect(wrong.status).to.equal(401);
        expect(errorText(wrong.text)).to.equal('The username or the password is not right.');
      }
      // From another computer, past the account's limit: held a moment, then signed in.
      const slowed = await from('127.0.0.3', 'mara', passwords.mara);
      expect(slowed.status).to.equal(303);
      expect(slowed.ms, 'held before the password was checked').to.be.at.least(900);
      // Signing in forgave the account's failures: the next attempt is not held.
      expect((await from('127.0.0.3', 'mara', 'still wrong')).ms).to.be.below(900);

      // Unknown accounts count against the address, with the same words as a wrong password.
      for (const ghost of ['ghost1', 'ghost2', 'ghost3'])
        expect(errorText((await from('127.0.0.4', ghost, 'whatever it is')).text)).to.equal(
          'The username or the password is not right.',
        );
      const fromThatAddress = await from('127.0.0.4', 'ada.l', 'another long password');
      expect(fromThatAddress.status).to.equal(303);
      expect(fromThatAddress.ms).to.be.at.least(900);

      const actions = await app.db.query<{ action: string; n: string }>(
        `select action, count(*) n from audit_log where actor = 'mara' and action like 'staff_sign_in_%' group by ` +
          `action order by action`,
      );
      expect(actions.rows).to.deep.equal([{ action: 'staff_sign_in_failed', n: '4' }]);
      // What was typed for an unknown account (a password in the wrong box, say) is kept nowhere.
      expect(
        await count(
          app.db,
          `select count(*) n from audit_log where actor = '(unknown account)' and action = 'staff_sign_in_failed'`,
        ),
      ).to.equal(3);
      const kept = await app.db.query<{ text: string }>(
        `select row_to_json(a)::text as text from audit_log a union all select row_to_json(f)::text from ` +
          `sign_in_failure f`,
      );
      expect(kept.rows.filter((r) => /ghost|mara"/.test(r.text.replace(/"actor":"mara"/g, '')))).to.deep.equal([]);
    },
  );

  it('an error shows no details, is logged without the form, and bad bodies are refused', async () => {
    const jar = new CookieJar();
    const token = csrfField((await getPage(`${web.url}/login`, jar)).text);
    const failed = await postForm(`${web.url}/test/fail`, jar, { _csrf: token, password: 'hunter2-in-a-form' });
    expect(failed.status).to.equal(500);
    expectSecurityHeaders(failed);
    expect(failed.text).to.contain('Something went wrong').and.not.contain('deliberate').and.not.contain('.ts:');
    const logFile = path.join(app.home, 'log/intake.log');
    for (let i = 0; i < 50 && !readFileSync(logFile, 'utf8').includes('deliberate failure'); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const log = readFileSync(logFile, 'utf8');
    expect(log).to.contain('web request failed').and.contain('deliberate failure').and.not.contain('hunter2');
    expect(log)
      .to.not.contain(passwords.mara)
      .and.not.contain(jar.get('intake_csrf') as string);

    const json = await fetch(`${web.url}/login`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', cookie: jar.header() },
    });
    expect(json.status).to.equal(415);
    const big = await fetch(`${web.url}/login`, {
      method: 'POST',
      body: `a=${'x'.repeat(70_000)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    });
    expect(big.status).to.equal(413);
  });

  it('intake start serves the console on the configured port (0: any free one)', async () => {
    const service = await startService(app);
    try {
      expect(service.consoleUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(service.consoleUrl).to.not.equal(web.url);
      const page = await getPage(`${service.consoleUrl}/login`, new CookieJar());
      expect(page.status).to.equal(200);
      expect(page.text).to.contain('Sign in to Intake');
    } finally {
      await service.stop();
    }
  });

  it(
    'a process without the console and activation roles serves no pages, and one whose port is taken does not ' +
      'start',
    async () => {
      const quiet = await startService({
        ...app,
        config: { ...app.config, roles: ['watcher', 'worker', 'scheduler', 'mail'] },
      });
      expect(quiet.consoleUrl).to.equal(null);
      expect(quiet.activationUrl).to.equal(null);
      await quiet.stop();
      const port = Number(new URL(web.url).port);
      let failure: unknown = null;
      await startService({ ...app, config: { ...app.config, server: { ...app.config.server, port } } }).then(
        (service) => service.stop(),
        (error: unknown) => {
          failure = error;
        },
      );
      expect((failure as NodeJS.ErrnoException | null)?.code).to.equal('EADDRINUSE');
    },
  );
});
