import { existsSync } from 'node:fs';
import packagedChromium from '@sparticuz/chromium';
import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * The browser the tests drive, never downloaded at run time: CHROMIUM_PATH when set, else
 * Debian's Chromium when installed, else the one inside the @sparticuz/chromium package
 * (unpacked once into the temporary folder), so `npm ci && npm test` needs nothing else.
 */
async function chromiumPath(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return packagedChromium.executablePath();
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    headless: true,
    executablePath: await chromiumPath(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Signs in through the sign-in page as a person would; fails with the page's message if it did not work. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  if (!page.url().startsWith(`${baseUrl}/login`)) await page.goto(`${baseUrl}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
    page.click('button[type=submit]'),
  ]);
  if (response.status() !== 303) {
    await page.waitForLoadState('load');
    throw new Error(
      `signing in as ${username} failed ` +
        `(${response.status()}): ${(await page.textContent('.error').catch(() => null)) ?? 'no message'}`,
    );
  }
  await page.waitForURL((url) => url.pathname !== '/login');
  await page.waitForLoadState('load');
}
