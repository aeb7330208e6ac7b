import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Page } from 'playwright-core';
import type { SignInProvider } from '../../src/config/sign-in-providers.ts';

/** A person at the test provider: signs in with any password; `email` null gives none. */
export interface TestAccount {
  email: string | null;
  /** Whether the provider says it checked the address. */
  emailVerified?: boolean;
}

export interface TestOpenIdProvider {
  issuer: string;
  /** The provider as the activation page's configuration names it. */
  provider(id: string, name: string | { en: string; fr: string }): SignInProvider;
  stop(): Promise<void>;
}

const listening = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

/** A port nobody listens on now: for a listener whose address must be known before it starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listening(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A real OpenID provider (the `oidc-provider` package) on loopback, with its built-in login and
 * consent pages: one confidential client whose redirect URI is the activation page's, PKCE
 * required, and the given accounts (any login works; its claims come from `accounts`).
 */
export async function startOpenIdProvider(
  redirectUri: string,
  accounts: Record<string, TestAccount>,
): Promise<TestOpenIdProvider> {
  const clientId = 'intake-activation';
  const clientSecret = randomBytes(24).toString('base64url');
  // The issuer names the port, so the server listens before the provider exists.
  let handle: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => {
    response.statusCode = 503;
    response.end();
  };
  const server = createServer((request, response) => handle(request, response));
  const port = await listening(server);
  const issuer = `http://127.0.0.1:${port}`;
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const oidc = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_context, sub) {
      const known = accounts[sub];
      return {
        accountId: sub,
        async claims() {
          if (!known || known.email === null) return { sub };
          return { sub, email: known.email, email_verified: known.emailVerified ?? true };
        },
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    pkce: { methods: ['S256'], required: () => true },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [{ ...signing, kid: 'test', use: 'sig', alg: 'RS256' }] },
    features: { devInteractions: { enabled: true } },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  });
  handle = oidc.callback();
  return {
    issuer,
    provider: (id, name) => ({
      id,
      name: typeof name === 'string' ? { en: name, fr: name } : name,
      issuer,
      clientId,
      clientSecret,
    }),
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * In the browser, after a provider's button: signs in at the provider as `login` (any password)
 * and consents, as far as the provider asks (a browser already signed in there is sent straight
 * back), until the browser is back on `returnTo`, a path of the activation page.
 */
export async function signInAtProvider(page: Page, issuer: string, login: string, returnTo: string): Promise<void> {
  for (let step = 0; step < 4; step++) {
    await page.waitForURL((url) => url.pathname === returnTo || url.href.startsWith(`${issuer}/interaction/`));
    if (new URL(page.url()).pathname === returnTo) return;
    await page.waitForLoadState('load');
    if ((await page.locator('input[name=login]').count()) > 0) {
      await page.fill('input[name=login]', login);
      await page.fill('input[name=password]', 'any password');
    }
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  }
  throw new Error(`signing in as ${login} did not come back to ${returnTo}: ${page.url()}`);
}
