import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { startActivationSite, startConsole } from '../pipelines/console.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { listOpenItems } from '../src/queue/queue-queries.ts';
import { decisionsPath } from '../src/report/decisions-report.ts';
import { addStaff } from '../src/staff/accounts.ts';
import { todayIn } from '../src/validate/dates.ts';
import type { WebServer } from '../src/web/server.ts';
import { launchBrowser, signIn } from './support/browser.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count } from './support/files.ts';
import { freePort, signInAtProvider, startOpenIdProvider, type TestOpenIdProvider } from './support/oidc.ts';
import { pdfPages } from './support/pdf.ts';
import { loadQueueSamples } from './support/queue-samples.ts';
import { CookieJar, csrfField, getPage, postForm } from './support/web.ts';

const passwords = { ana: 'a long enough password', bo: 'another long password' };

describe('the console: Student Records works the queue in a browser', function () {
  this.timeout(120_000);
  let app: TestApp;
  let web: WebServer;
  let browser: Browser;
  let page: Page;
  let oidc: TestOpenIdProvider;

  const itemAt = async (authority: string, line: number) => {
    const item = (await listOpenItems(app.db, { authority }, 100)).items.find((i) => i.line === line);
    if (!item) throw new Error(`no open item at ${authority} line ${line}`);
    return item;
  };
  const stateOf = async (id: number) =>
    (await app.db.query<{ state: string }>('select state from referral where id = $1', [id])).rows[0]?.state;
  async function signedInJar(username: keyof typeof passwords): Promise<CookieJar> {
    const jar = new CookieJar();
    const form = await getPage(`${web.url}/login`, jar);
    const done = await postForm(`${web.url}/login`, jar, {
      _csrf: csrfField(form.text),
      username,
      password: passwords[username],
      next: '/',
    });
    expect(done.status).to.equal(303);
    return jar;
  }

  before(async () => {
    // The activation page's address is known before it starts: the provider sends people back there.
    const activationPort = await freePort();
    oidc = await startOpenIdProvider(`http://127.0.0.1:${activationPort}/activate/signed-in`, {
      joanasie: { email: 'joanasie@example.ca' },
    });
    app = await createTestApp({
      'server.port': 0,
      'activationServer.port': activationPort,
      'activationServer.providers': [oidc.provider('education', 'Education Account')],
    });
    await loadQueueSamples(app);
    await addStaff(app.db, { username: 'ana', displayName: 'Ana Lima', password: passwords.ana });
    await addStaff(app.db, { username: 'bo', displayName: 'Bo Chen', password: passwords.bo });
    web = await startConsole(app);
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });
  after(async () => {
    await browser?.close();
    await web?.stop();
    await oidc?.stop();
    await app.dispose();
  });

  it('lists the queue with counts per reason, and filters it', async () => {
    await page.goto(`${web.url}/queue`);
    await signIn(page, web.url, 'ana', passwords.ana);
    expect(new URL(page.url()).pathname).to.equal('/queue');
    await page.goto(`${web.url}/`);
    expect(await page.textContent('main')).to.match(
      /Waiting for Student Records\s*Authority\s*Open items\s*A\.0094\s*2\s*A\.0230\s*10/,
    );
    await page.click('a[href="/queue?authority=A.0230"]');
    expect(await page.locator('#items tbody tr').count()).to.equal(10);
    await page.goto(`${web.url}/queue`);
    expect(await page.locator('#items tbody tr').count()).to.equal(12);
    expect(await page.textContent('#counts')).to.match(/12 open items[\s\S]*HIGH_MORE_RECENT_ELSEWHERE\s+2/);
    await page.selectOption('select[name=reason]', 'HIGH_MORE_RECENT_ELSEWHERE');
    await Promise.all([page.waitForURL(/reason=HIGH_MORE_RECENT_ELSEWHERE/), page.click('form.filters button')]);
    const lines = await page.locator('#items tbody tr td:nth-child(8)').allTextContents();
    expect(lines).to.deep.equal(['september-high.csv:10', 'september-high.csv:11']);
    // The README's picture: written when SCREENSHOTS names a folder (`SCREENSHOTS=docs npm test`).
    if (process.env.SCREENSHOTS) {
      await page.goto(`${web.url}/queue`);
      await page.screenshot({ path: path.join(process.env.SCREENSHOTS, 'queue.png'), fullPage: true });
    }
  });

  it("approving an enrolment referral enrols the student and puts the decision in the authority's outbox", async () => {
    const item = await itemAt('A.0230', 10);
    await page.goto(`${web.url}/queue/${item.id}`);
    expect(await page.textContent('main')).to.contain('HIGH_MORE_RECENT_ELSEWHERE');
    await page.click('#claim');
    await page.waitForSelector('#approve');
    if (process.env.SCREENSHOTS)
      await page.screenshot({ path: path.join(process.env.SCREENSHOTS, 'queue-item.png'), fullPage: true });
    await page.fill('form[action$="/approve"] textarea', 'Family moved back; confirmed by phone.');
    await Promise.all([page.waitForURL(/message=approved/), page.click('#approve')]);
    expect(await page.textContent('.success')).to.contain('Approved');
    expect(await stateOf(item.id)).to.equal('approved');
    expect(
      await count(
        app.db,
        `select count(*) n from enrolment where asn = $1 and school_code = $2 and entry_date = '2026-08-17'`,
        [item.asn, item.schoolCode],
      ),
    ).to.equal(1);
    const decisions = parse(readFileSync(decisionsPath(app.config, 'A.0230', todayIn()), 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    expect(decisions).to.have.length(1);
    expect(decisions[0]).to.include({
      file: 'september-high.csv',
      line: '10',
      decision: 'approved',
      note: 'Family moved back; confirmed by phone.',
    });
    await page.click('a[href^="/audit?asn="]');
    const trail = await page.textContent('table.audit');
    expect(trail).to.contain('item_approved').and.contain('item_viewed');
  });

  it(
    'approving an access referral issues its letter to the school and its email, whose link activates ' + 'it',
    async () => {
      const item = await itemAt('A.0094', 3);
      await page.goto(`${web.url}/queue/${item.id}`);
      await page.click('#claim');
      await Promise.all([page.waitForURL(/message=approved/), page.click('#approve')]);
      const letters = path.join(app.home, 'outbox/A.0094/letters/student-records');
      const letter = readdirSync(letters).find((name) => name.startsWith(`item-${item.id}.`)) as string;
      expect(letter).to.equal(`item-${item.id}.S.0942.pdf`);
      const [, text] = await pdfPages(path.join(letters, letter));
      expect(text).to.contain('Joanasie Qaunaq');
      const pin = (
        /(?<![0-9-])\d{4}(?![0-9-])/.exec((text ?? '').replace(/\b[AS]\.\d{4}\b/g, '')) as RegExpExecArray
      )[0];

      await sendDueMail(app, createMailSender(app.config));
      const mailFolder = path.join(app.home, 'outbox/mail');
      let link = '';
      for (const name of readdirSync(mailFolder)) {
        const mail = await simpleParser(readFileSync(path.join(mailFolder, name)));
        if (mail.to && !Array.isArray(mail.to) && mail.to.text === 'joanasie.qaunaq@example.ca')
          link = /https?:\/\/\S+activate\?token=[A-Za-z0-9_-]+/.exec(mail.text ?? '')?.[0] ?? '';
      }
      expect(link).to.not.equal('');
      const url = new URL(link);
      // The activation page is a listener of its own, not the console's.
      expect((await fetch(`${web.url}${url.pathname}${url.search}`)).status).to.equal(404);
      const activation = await startActivationSite(app);
      try {
        await page.goto(link);
        await page.click('button:has-text("Education Account")');
        await signInAtProvider(page, oidc.issuer, 'joanasie', '/activate/pin');
        await page.fill('input[name=pin]', pin);
        await page.check('input[name=terms]');
        await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
        expect(
          await count(
            app.db,
            `select count(*) n from connection where letter_referral_id = $1 and status = 'activated'
              and activated_issuer = $2 and activated_account = 'joanasie@example.ca'`,
            [item.id, oidc.issuer],
          ),
        ).to.equal(1);
      } finally {
        await activation.stop();
      }
    },
  );

  it('a claim by one staff member keeps the other from resolving the item', async () => {
    const item = await itemAt('A.0230', 11);
    await page.goto(`${web.url}/queue/${item.id}`);
    await page.click('#claim');
    await page.waitForSelector('#reject');
    const bo = await signedInJar('bo');
    const shown = await getPage(`${web.url}/queue/${item.id}`, bo);
    expect(shown.text).to.contain('Claimed by <strong>ana</strong>');
    const refused = await postForm(`${web.url}/queue/${item.id}/reject`, bo, {
      _csrf: csrfField(shown.text),
      note: 'mine now',
    });
    expect(refused.status).to.equal(409);
    expect(refused.text).to.contain('ana holds this item');
    expect(await stateOf(item.id)).to.equal('open');
  });

  it('concurrent approvals of one item resolve it once', async () => {
    const item = await itemAt('A.0230', 9);
    const jars = [await signedInJar('ana'), await signedInJar('ana')];
    const forms = await Promise.all(jars.map((jar) => getPage(`${web.url}/queue/${item.id}`, jar)));
    const results = await Promise.all(
      jars.map((jar, i) =>
        postForm(`${web.url}/queue/${item.id}/approve`, jar, { _csrf: csrfField((forms[i] as { text: string }).text) }),
      ),
    );
    expect(results.map((r) => r.status).sort()).to.deep.equal([303, 409]);
    expect(
      await count(app.db, `select count(*) n from audit_log where referral_id = $1 and action = 'item_approved'`, [
        item.id,
      ]),
    ).to.equal(1);
  });

  it('no queue page or form works without a session, nor a form without its CSRF token', async () => {
    const item = await itemAt('A.0230', 12);
    const anonymous = new CookieJar();
    for (const where of ['/queue', `/queue/${item.id}`, '/audit?asn=466804351']) {
      const response = await getPage(`${web.url}${where}`, anonymous);
      expect(response.status, where).to.equal(303);
      expect(response.location, where).to.match(/^\/login\?next=/);
    }
    for (const action of ['claim', 'approve', 'reject', 'return', 'release']) {
      expect(
        (await postForm(`${web.url}/queue/${item.id}/${action}`, anonymous, { note: 'x' })).status,
        action,
      ).to.equal(403);
    }
    expect((await postForm(`${web.url}/queue/claim-next`, anonymous, {})).status).to.equal(403);
    const jar = await signedInJar('bo');
    for (const csrf of ['', 'forged']) {
      expect((await postForm(`${web.url}/queue/${item.id}/claim`, jar, { _csrf: csrf })).status).to.equal(403);
      expect((await postForm(`${web.url}/queue/${item.id}/approve`, jar, { _csrf: csrf })).status).to.equal(403);
    }
    expect(await stateOf(item.id)).to.equal('open');
    expect(await count(app.db, `select count(*) n from audit_log where referral_id = $1`, [item.id])).to.equal(0);
  });
});
