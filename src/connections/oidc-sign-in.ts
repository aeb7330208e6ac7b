import * as oidc from 'openid-client';
import type { SignInProvider } from '../config/sign-in-providers.ts';
import { parseEmail } from '../validate/email.ts';

/** Whom a provider vouched for, once its answer was checked. */
export interface VerifiedAccount {
  /** The issuer as the ID token names it (checked against the provider's discovery document). */
  issuer: string;
  subject: string;
  /** Only an address the provider says it verified; null otherwise. */
  email: string | null;
}

/** What the provider's answer is checked against; kept with the sign-in under way, used once. */
export interface SignInChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

const requestTimeoutSeconds = 10;
// Keys and endpoints change rarely; a day-old discovery is looked up again at the next sign-in.
const rediscoverAfterMs = 24 * 60 * 60 * 1000;

/**
 * OpenID Connect's default is client_secret_basic; a provider that lists only client_secret_post
 * gets that. Decided per request, from the provider's discovery document.
 */
function clientAuthentication(secret: string): oidc.ClientAuth {
  const basic = oidc.ClientSecretBasic(secret);
  const post = oidc.ClientSecretPost(secret);
  return (server, client, body, headers) => {
    const methods = server.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    (methods.includes('client_secret_basic') ? basic : post)(server, client, body, headers);
  };
}

function verifiedEmail(claims: Readonly<Record<string, unknown>>): string | null {
  // An address the provider has not verified is whatever someone typed into their profile there.
  if (claims.email_verified !== true && claims.email_verified !== 'true') return null;
  return typeof claims.email === 'string' ? parseEmail(claims.email.trim()) : null;
}

/**
 * The configured providers and the calls to them (openid-client): the authorization code flow with
 * PKCE (S256), state and nonce. Each provider's discovery document is fetched at its first sign-in,
 * not at start, so a provider that is down stops sign-ins with it alone, not the listener.
 */
export class SignInProviders {
  private readonly discovered = new Map<string, { at: number; configuration: Promise<oidc.Configuration> }>();

  constructor(
    readonly list: readonly SignInProvider[],
    /** Where every provider sends the person back: `<mail.activationUrl>/signed-in`. */
    readonly redirectUri: string,
  ) {}

  find(id: string): SignInProvider | undefined {
    return this.list.find((provider) => provider.id === id);
  }

  private configuration(provider: SignInProvider): Promise<oidc.Configuration> {
    const known = this.discovered.get(provider.id);
    if (known && Date.now() - known.at < rediscoverAfterMs) return known.configuration;
    const issuer = new URL(provider.issuer);
    const configuration = oidc.discovery(
      issuer,
      provider.clientId,
      undefined,
      clientAuthentication(provider.clientSecret),
      {
        timeout: requestTimeoutSeconds,
        // The configuration accepts http:// only on a loopback host: a provider run by the tests.
        execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
      },
    );
    this.discovered.set(provider.id, { at: Date.now(), configuration });
    // One that failed is asked again at the next sign-in, not a day later.
    configuration.catch(() => {
      if (this.discovered.get(provider.id)?.configuration === configuration) this.discovered.delete(provider.id);
    });
    return configuration;
  }

  /** Where to send the person, and what the answer must then match. */
  async authorizationUrl(
    provider: SignInProvider,
    language: 'en' | 'fr',
  ): Promise<{ url: string; checks: SignInChecks }> {
    const configuration = await this.configuration(provider);
    const checks: SignInChecks = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
      // The provider's own pages in the person's language, where it has them.
      ui_locales: language === 'fr' ? 'fr-CA fr' : 'en-CA en',
    });
    return { url: url.href, checks };
  }

  /**
   * Checks the provider's answer (the query it sent the browser back with): state, then the code
   * exchanged with the PKCE verifier, then the ID token (signature, issuer, audience, expiry,
   * nonce). Throws when any of it is wrong or the provider answered with an error.
   */
  async verify(provider: SignInProvider, answer: URLSearchParams, checks: SignInChecks): Promise<VerifiedAccount> {
    const configuration = await this.configuration(provider);
    const current = new URL(this.redirectUri);
    current.search = answer.toString();
    const tokens = await oidc.authorizationCodeGrant(configuration, current, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (claims === undefined) throw new Error('the provider sent no ID token');
    let email = verifiedEmail(claims);
    // Providers that follow OpenID Connect to the letter give the email only from UserInfo.
    if (
      email === null &&
      claims.email === undefined &&
      configuration.serverMetadata().userinfo_endpoint !== undefined
    ) {
      email = verifiedEmail(await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub));
    }
    return { issuer: claims.iss, subject: claims.sub, email };
  }
}
