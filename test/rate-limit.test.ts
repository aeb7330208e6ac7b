import { expect } from 'chai';
import { AddressRateLimit, rateKey } from '../src/web/rate-limit.ts';
import { startWebServer, type WebServer } from '../src/web/server.ts';
import { authRoutes } from '../src/web/sign-in-pages.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { count } from './support/files.ts';
import { CookieJar, csrfField, requestFrom } from './support/web.ts';

describe('public forms are rate-limited per client address', () => {
  it('counts per address per minute, says how long to wait, and counts what it turned away', () => {
    let now = 0;
    const limit = new AddressRateLimit(3, () => now);
    expect([1, 2, 3].map(() => limit.take('a'))).to.deep.equal([null, null, null]);
    expect(limit.take('b'), 'another address has its own count').to.equal(null);
    now = 15_000;
    expect(limit.take('a')).to.equal(45);
    expect(limit.take('a')).to.equal(45);
    expect(limit.drainRefusals()).to.deep.equal({ refused: 2, addresses: 1 });
    expect(limit.drainRefusals()).to.deep.equal({ refused: 0, addresses: 0 });
    now = 60_000;
    expect(limit.take('a'), 'a new minute').to.equal(null);
  });

  it('counts an IPv6 client by its /64, and keeps memory bounded under a flood of fresh addresses', () => {
    expect(rateKey('2001:db8:1:2:aaaa::1')).to.equal('2001:db8:1:2::/64');
    expect(rateKey('2001:0db8:0001:0002:ffff:0:0:9')).to.equal('2001:db8:1:2::/64');
    expect(rateKey('::1')).to.equal('0:0:0:0::/64');
    expect(rateKey('203.0.113.4')).to.equal('203.0.113.4');
    const limit = new AddressRateLimit(2, () => 0);
    expect([1, 2, 3].map((i) => limit.take(`2001:db8:1:2::${i}`))).to.deep.equal([null, null, 60]);
    const many = new AddressRateLimit(2, () => 0);
    for (let i = 0; i < 250_000; i++) many.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect((many as unknown as { windows: Map<string, unknown> }).windows.size).to.be.at.most(100_000);
  });

  describe('over HTTP', function () {
    this.timeout(60_000);
    let app: TestApp;
    let web: WebServer;
    before(async () => {
      app = await createTestApp({ 'server.publicPostsPerMinute': 5 });
      web = await startWebServer(app, authRoutes);
    });
    after(async () => {
      await web.stop();
      await app.dispose();
    });

    it('a flood of sign-ins from one address is turned away before anything is written', async () => {
      const jar = new CookieJar();
      const form = await requestFrom('127.0.0.7', `${web.url}/login`, jar);
      const fields = { _csrf: csrfField(form.text), username: 'nobody', password: 'wrong password', next: '/' };
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push((await requestFrom('127.0.0.7', `${web.url}/login`, jar, fields)).status);
      expect(statuses).to.deep.equal([401, 401, 401, 401, 401, 429, 429, 429]);
      const turnedAway = await requestFrom('127.0.0.7', `${web.url}/login`, jar, fields);
      expect(turnedAway.headers.get('retry-after')).to.match(/^\d+$/);
      expect(await count(app.db, "select count(*) n from audit_log where action = 'staff_sign_in_failed'")).to.equal(5);
      // Another address is not held up by it.
      const other = await requestFrom('127.0.0.8', `${web.url}/login`, new CookieJar());
      expect(other.status).to.equal(200);
    });
  });
});
