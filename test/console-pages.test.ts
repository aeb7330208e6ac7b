import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { startConsole } from '../pipelines/console.ts';
import { listOpenItems, type QueueFilter, type QueueItem } from '../src/queue/queue-queries.ts';
import { addStaff } from '../src/staff/accounts.ts';
import type { WebServer } from '../src/web/server.ts';
import { expectNoAxeViolations } from './support/axe.ts';
import { launchBrowser, signIn } from './support/browser.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { expectFitsWidth, scrollsSideways, type ViewportName, viewports } from './support/layout.ts';
import { loadQueueSamples } from './support/queue-samples.ts';
import { CookieJar, csrfField, getPage, postForm } from './support/web.ts';

const password = 'a long enough password';

/**
 * The console as staff use it, on a phone and on a laptop: every page in each of its states is
 * checked with axe-core and for anything cut off at the right edge, and what the pages say and
 * offer is checked as a person would meet it.
 */
describe('the console pages: readable on a phone and a laptop, accessible, and saying what to do next', function () {
  this.timeout(300_000);
  let app: TestApp;
  let web: WebServer;
  let browser: Browser;

  /** The `index`th open item nobody holds under `filter`, oldest first. */
  const openItem = async (filter: QueueFilter, index = 0): Promise<QueueItem> => {
    const item = (await listOpenItems(app.db, filter, 100)).items.filter((i) => i.claimedBy === null)[index];
    if (!item) throw new Error(`no open item under ${JSON.stringify(filter)}`);
    return item;
  };
  async function pageAt(viewport: ViewportName, username = 'ana'): Promise<Page> {
    const page = await (await browser.newContext({ viewport: viewports[viewport] })).newPage();
    await signIn(page, web.url, username, password);
    return page;
  }
  /** The checks every state of every page gets. */
  async function checkState(page: Page, what: string): Promise<void> {
    await expectFitsWidth(page, what);
    await expectNoAxeViolations(page, what);
  }

  before(async () => {
    app = await createTestApp();
    await loadQueueSamples(app);
    for (const [username, displayName] of [
      ['ana', 'Ana Lima'],
      ['bo', 'Bo Chen'],
    ] as const)
      await addStaff(app.db, { username, displayName, password });
    web = await startConsole(app);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await web?.stop();
    await app?.dispose();
  });

  for (const viewport of Object.keys(viewports) as ViewportName[]) {
    const { width } = viewports[viewport];
    it(`at ${width} px, every page and state fits the window and passes axe-core`, async () => {
      const anonymous = await (await browser.newContext({ viewport: viewports[viewport] })).newPage();
      await anonymous.goto(`${web.url}/login`);
      await checkState(anonymous, `the sign-in page at ${width} px`);
      await anonymous.fill('#username', 'ana');
      await anonymous.fill('#password', 'not the password');
      await Promise.all([anonymous.waitForLoadState('load'), anonymous.click('button[type=submit]')]);
      expect(await anonymous.textContent('.error')).to.contain('not right');
      await checkState(anonymous, `a refused sign-in at ${width} px`);
      await anonymous.context().close();

      const page = await pageAt(viewport);
      await page.goto(`${web.url}/`);
      await checkState(page, `the dashboard at ${width} px`);
      await page.goto(`${web.url}/queue`);
      await checkState(page, `the queue at ${width} px`);
      await page.goto(`${web.url}/queue?authority=A.0230&reason=HIGH_MORE_RECENT_ELSEWHERE`);
      await checkState(page, `the queue filtered at ${width} px`);
      await page.goto(`${web.url}/queue?authority=A.0412`);
      await Promise.all([page.waitForURL(/message=nothing/), page.click('#claim-next')]);
      await checkState(page, `the queue with nothing to claim at ${width} px`);

      // An item: nobody holds it; then held by its viewer, with the decision forms.
      const item = await openItem({ authority: 'A.0230' }, viewport === 'phone' ? 0 : 1);
      await page.goto(`${web.url}/queue/${item.id}`);
      await checkState(page, `an item nobody holds at ${width} px`);
      await Promise.all([page.waitForURL(/message=claimed/), page.click('#claim')]);
      await checkState(page, `an item held by its viewer at ${width} px`);
      // A decision refused for want of a note, then made, and the page after it.
      await page.evaluate(`document.querySelector('#note-reject').removeAttribute('required')`);
      await Promise.all([page.waitForLoadState('load'), page.click('#reject')]);
      expect(await page.textContent('.error')).to.contain('Write a note');
      await checkState(page, `a decision refused for want of a note at ${width} px`);
      await page.fill('#note-reject', 'Not this school.');
      await Promise.all([page.waitForURL(/message=rejected/), page.click('#reject')]);
      await checkState(page, `an item just rejected at ${width} px`);

      // An approval a data check refuses.
      // The same item at both widths: the second time, its viewer holds it already.
      const unknown = (await listOpenItems(app.db, { reason: 'UNKNOWN_ASN' }, 1)).items[0] as QueueItem;
      await page.goto(`${web.url}/queue/${unknown.id}`);
      if (await page.isVisible('#claim')) await Promise.all([page.waitForURL(/message=claimed/), page.click('#claim')]);
      await Promise.all([page.waitForLoadState('load'), page.click('#approve')]);
      expect(await page.textContent('.error')).to.contain('Not applied');
      await checkState(page, `a refused approval at ${width} px`);

      // Held by someone else; and no such item.
      const other = await pageAt(viewport, 'bo');
      await other.goto(`${web.url}/queue/${unknown.id}`);
      expect(await other.textContent('main')).to.contain('Claimed by ana');
      await checkState(other, `an item held by another at ${width} px`);
      await other.goto(`${web.url}/queue/999999`);
      await checkState(other, `no such item at ${width} px`);
      await other.context().close();

      await page.goto(`${web.url}/audit`);
      await checkState(page, `the audit page at ${width} px`);
      await page.goto(`${web.url}/audit?asn=${unknown.asn}`);
      await checkState(page, `a student's audit trail at ${width} px`);
      await page.goto(`${web.url}/audit?item=${item.id}`);
      await checkState(page, `an item's audit trail at ${width} px`);
      await page.goto(`${web.url}/audit?asn=nonsense`);
      await checkState(page, `the audit page with a bad ASN at ${width} px`);
      await page.context().close();
    });
  }

  it(
    'the queue table fits a laptop screen whole, and on a phone scrolls in its own area; the header ' + 'wraps',
    async () => {
      const laptop = await pageAt('desktop');
      await laptop.goto(`${web.url}/queue`);
      expect(await laptop.locator('#items tbody tr').count()).to.be.greaterThan(9);
      expect(await scrollsSideways(laptop, '#items'), 'the queue scrolls at 1280 px').to.equal(false);
      const claimedBy = await laptop.locator('#items thead th:last-child').boundingBox();
      expect((claimedBy?.x ?? 0) + (claimedBy?.width ?? 0)).to.be.at.most(viewports.desktop.width);
      await laptop.context().close();

      const phone = await pageAt('phone');
      await phone.goto(`${web.url}/queue`);
      await expectFitsWidth(phone, 'the queue at 375 px');
      expect(await scrollsSideways(phone, '#items'), 'the queue at 375 px').to.equal(true);
      // The area can be scrolled by keyboard: it takes focus and has a name.
      expect(await phone.getAttribute('.table-scroll:has(#items)', 'tabindex')).to.equal('0');
      expect(await phone.getAttribute('.table-scroll:has(#items)', 'aria-label')).to.equal('Open items');
      const signOut = await phone.locator('.sign-out button').boundingBox();
      expect((signOut?.x ?? 0) + (signOut?.width ?? 0)).to.be.at.most(viewports.phone.width);
      await phone.context().close();
    },
  );

  it('shows each reason in plain words beside its code, and titles an item by what it is', async () => {
    const page = await pageAt('desktop');
    await page.goto(`${web.url}/queue?reason=HIGH_MORE_RECENT_ELSEWHERE`);
    const reason = (await page.textContent('#items tbody tr:first-child td.reason')) ?? '';
    expect(reason).to.contain('High restriction: enrolled elsewhere since').and.contain('HIGH_MORE_RECENT_ELSEWHERE');
    expect(await page.textContent('#counts')).to.match(
      /High restriction: enrolled elsewhere since\s+HIGH_MORE_RECENT_ELSEWHERE\s+2/,
    );
    expect(await page.locator('#counts [title]').count(), 'no hover-only explanation').to.equal(0);
    expect(await page.textContent('select[name=reason] option[value=POTENTIAL_DUPLICATE]')).to.equal(
      'May already exist: same names and birth date (POTENTIAL_DUPLICATE)',
    );

    const item = await openItem({ reason: 'HIGH_MORE_RECENT_ELSEWHERE' });
    await page.goto(`${web.url}/queue/${item.id}`);
    expect(await page.textContent('h1')).to.equal(
      `Item #${item.id}: enrolment row, september-high.csv line ${item.line} (A.0230)`,
    );
    expect(await page.title()).to.not.match(/enrolment open/);
    expect(await page.textContent('table.facts tr:first-child')).to.match(/State\s*Open: waiting for a decision/);
    const access = await openItem({ kind: 'access' });
    await page.goto(`${web.url}/queue/${access.id}`);
    expect(await page.textContent('h1')).to.equal(
      `Item #${access.id}: access-code request, access-low.csv line ${access.line} (A.0094)`,
    );
    await page.context().close();
  });

  it('after a decision offers the next item and the way back to the queue, with the filters kept', async () => {
    const page = await pageAt('desktop');
    const filter = '?authority=A.0230&reason=HIGH_MORE_RECENT_ELSEWHERE';
    await page.goto(`${web.url}/queue${filter}`);
    const [first, second] = (
      await listOpenItems(app.db, { authority: 'A.0230', reason: 'HIGH_MORE_RECENT_ELSEWHERE' }, 10)
    ).items;
    if (!first || !second) throw new Error('the sample has two items of this reason');
    await Promise.all([page.waitForURL(/message=claimed/), page.click('#claim-next')]);
    expect(new URL(page.url()).pathname).to.equal(`/queue/${first.id}`);
    expect(new URL(page.url()).searchParams.get('reason')).to.equal('HIGH_MORE_RECENT_ELSEWHERE');
    await page.fill('#note-return', 'Send it again with the exit date of the other school.');
    await Promise.all([page.waitForURL(/message=returned/), page.click('#return')]);
    expect(await page.textContent('.success')).to.contain('Returned');
    expect(await page.getAttribute('#next a', 'href')).to.equal(`/queue${filter}`);
    await Promise.all([page.waitForURL(/message=claimed/), page.click('#next #claim-next')]);
    expect(new URL(page.url()).pathname).to.equal(`/queue/${second.id}`);
    await page.click('p.back a');
    expect(new URL(page.url()).search).to.equal(filter);
    expect(await page.inputValue('input[name=authority]')).to.equal('A.0230');
    await page.context().close();

    // Over plain HTTP: every action's redirect carries the filters the form was sent with.
    const jar = new CookieJar();
    const form = await getPage(`${web.url}/login`, jar);
    await postForm(`${web.url}/login`, jar, { _csrf: csrfField(form.text), username: 'bo', password, next: '/' });
    const next = await openItem({ authority: 'A.0230', reason: 'HIGH_HISTORICAL_ONLY' });
    const shown = await getPage(`${web.url}/queue/${next.id}?authority=A.0230&kind=enrolment`, jar);
    expect(shown.text).to.contain('name="kind" value="enrolment"');
    const claimed = await postForm(`${web.url}/queue/${next.id}/claim`, jar, {
      _csrf: csrfField(shown.text),
      authority: 'A.0230',
      kind: 'enrolment',
    });
    expect(claimed.location).to.equal(`/queue/${next.id}?authority=A.0230&kind=enrolment&message=claimed`);
  });

  it('opens every page with a skip link to its content', async () => {
    const page = await pageAt('phone');
    for (const where of ['/', '/queue', '/audit', `/queue/${(await openItem({})).id}`]) {
      await page.goto(`${web.url}${where}`);
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent'), where).to.equal('Skip to the content');
      expect(await page.locator('.skip-link').boundingBox(), `${where}: shown when focused`).to.not.equal(null);
      await page.keyboard.press('Enter');
      expect(await page.evaluate('document.activeElement.id'), where).to.equal('main');
    }
    await page.context().close();
    const anonymous = await (await browser.newContext({ viewport: viewports.phone })).newPage();
    await anonymous.goto(`${web.url}/login`);
    // The sign-in form takes the focus itself (autofocus); the skip link is still the page's first element.
    expect(await anonymous.evaluate('document.body.firstElementChild.getAttribute("href")')).to.equal('#main');
    await anonymous.context().close();
  });

  it('says "nothing to claim" as a plain notice, not as an error', async () => {
    const page = await pageAt('desktop');
    await page.goto(`${web.url}/queue?authority=A.0412`);
    await Promise.all([page.waitForURL(/message=nothing/), page.click('#claim-next')]);
    expect(await page.locator('.error').count()).to.equal(0);
    expect(await page.textContent('.notice[role=status]')).to.contain('Nothing to claim');
    const colour = await page.evaluate(`getComputedStyle(document.querySelector('.notice')).color`);
    expect(colour).to.equal('rgb(29, 39, 51)');
    await page.context().close();
  });

  it('a refused approval tells staff what they can do, not what only the authority can', async () => {
    const page = await pageAt('desktop');
    // The sample's one item of this reason (ana may hold it already from the checks above).
    const item = (await listOpenItems(app.db, { reason: 'UNKNOWN_ASN' }, 1)).items[0] as QueueItem;
    await page.goto(`${web.url}/queue/${item.id}`);
    if (await page.isVisible('#claim')) await Promise.all([page.waitForURL(/message=claimed/), page.click('#claim')]);
    await Promise.all([page.waitForLoadState('load'), page.click('#approve')]);
    const [found, advice, forAuthority] = await page.locator('.error p').allTextContents();
    expect(found).to.equal('Not applied: No student has this ASN (UNKNOWN_ASN). Nothing was changed.');
    expect(advice).to.contain('Reject the item with a note').and.contain('return it to the authority');
    expect(advice).to.not.contain('leave asn empty');
    expect(forAuthority).to.match(/^The check's words, written for the authority: “No student has ASN/);
    expect(await page.isVisible('#reject')).to.equal(true);
    await page.context().close();
  });
});
