import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it when missing); Playwright never downloads a browser here. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    headless: true,
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
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
    throw new Error(`signing in as ${username} failed (${response.status()}): ${(await page.textContent('.error').catch(() => null)) ?? 'no message'}`);
  }
  await page.waitForURL((url) => url.pathname !== '/login');
  await page.waitForLoadState('load');
}
