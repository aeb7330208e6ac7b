import { AuthorizationResponseError } from 'openid-client';
import type { Config } from '../config/config.ts';
import { SignInProviders, type VerifiedAccount } from '../connections/oidc-sign-in.ts';
import {
  beginSignIn,
  endSignIn,
  findSignIn,
  type PendingSignIn,
  recordSignedIn,
  signInMinutes,
} from '../connections/pending-sign-ins.ts';
import { tokenHash } from '../connections/secrets.ts';
import {
  type ActivationPaths,
  activationPage,
  activationPaths,
  linkOf,
  message,
  validToken,
} from './activation-layout.ts';
import { activationWording } from './activation-text.ts';
import { readCookies, sameSecret } from './cookies.ts';
import { html } from './html.ts';
import type { Language, RequestContext, Route, WebResponse } from './routes.ts';

/** What the activation page's routes share: where they are, the providers, the sign-in's cookie. */
export interface ActivationSite extends ActivationPaths {
  providers: SignInProviders;
  cookie: { name: string; path: string; secure: boolean };
}

export function activationSite(config: Config): ActivationSite {
  const link = new URL(config.mail.activationUrl);
  const base = link.pathname.replace(/\/$/, '');
  const secure = config.server.secureCookies;
  return {
    ...activationPaths(config),
    // The address the providers were given: the public one, whatever this listener's own is.
    providers: new SignInProviders(config.activationServer.providers, `${link.origin}${base}/signed-in`),
    // Behind TLS, `__Host-` (like the session's and the CSRF cookie): only this host, over HTTPS,
    // can set it, so no sibling subdomain can plant a sign-in of its own; the prefix wants the
    // whole site as its path, which on this listener is the activation page and its health checks.
    // Over plain HTTP (development, tests) it is sent only to the activation page's paths.
    cookie: secure
      ? { name: '__Host-intake_activation', path: '/', secure }
      : { name: 'intake_activation', path: base || '/', secure },
  };
}

/**
 * The sign-in's cookie: HttpOnly, and SameSite=Lax so that the browser sends it when the provider
 * sends the person back (a top-level GET from another site). Its value names the sign-in; only
 * its hash is stored.
 */
export function signInCookie(site: ActivationSite, value: string, maxAge: number): string {
  const { name, path, secure } = site.cookie;
  return `${name}=${value}; Path=${path}; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

function signInCookieOf(ctx: RequestContext, site: ActivationSite): string | undefined {
  return readCookies(ctx.request).get(site.cookie.name);
}

/**
 * Sign-in that did not go through, or that is gone: the way on is the email's link again. In the
 * sign-in's language; in both when none is known (the browser came without one).
 */
export function signInFailedPage(
  site: ActivationPaths,
  language: Language | null,
  headers?: Record<string, string>,
): WebResponse {
  const w = activationWording[language ?? 'en'];
  const body =
    language === null
      ? html`${message('error', [w.signInFailed])}<p lang="fr">${activationWording.fr.signInFailed}</p>`
      : message('error', [w.signInFailed]);
  // The PIN step in the other language says the same, as long as no one is signed in.
  const other = language === null ? undefined : `${site.pinPath}?lang=${w.otherLanguage.language}`;
  return activationPage(language ?? 'en', {
    title: w.signInFailedTitle,
    body,
    otherLanguage: other,
    status: 400,
    headers,
  });
}

/**
 * The sign-in: a provider's button (POST, with the CSRF token) starts it and sends the person to
 * the provider; the provider sends them back to the callback, which checks its answer and goes on
 * to the PIN step. Nothing here says whether the link's token is one Intake knows.
 */
export function signInRoutes(site: ActivationSite): Route[] {
  const start: Route = {
    method: 'POST',
    pattern: site.signInPath,
    access: 'public',
    async handle(ctx) {
      const w = activationWording[ctx.language];
      const token = ctx.form.get('token') ?? '';
      const provider = site.providers.find(ctx.form.get('provider') ?? '');
      if (!validToken(token) || provider === undefined)
        return activationPage(ctx.language, { title: w.title, body: message('error', [w.noToken]), status: 400 });
      const name = provider.name[ctx.language];
      let authorization: Awaited<ReturnType<SignInProviders['authorizationUrl']>>;
      try {
        authorization = await site.providers.authorizationUrl(provider, ctx.language);
      } catch (error) {
        ctx.services.logger.error('a sign-in provider of the activation page cannot be reached', {
          provider: provider.id,
          error: (error as Error).message,
        });
        // Back to the link, where another provider's button is.
        const back = html`<p><a href="${linkOf(site, token, ctx.language)}">${w.backToLink}</a></p>`;
        const unavailable = html`${message('error', [w.providerUnavailable(name)])}${back}`;
        return activationPage(ctx.language, { title: w.title, body: unavailable, status: 503 });
      }
      const value = await beginSignIn(
        ctx.services.db,
        { tokenHash: tokenHash(token), provider: provider.id, checks: authorization.checks, language: ctx.language },
        signInCookieOf(ctx, site),
      );
      // Not a 303: browsers hold a form's redirect to another site to the page's CSP form-action
      // ('self'). A refresh is a navigation of its own; the link is there should it not happen.
      return activationPage(ctx.language, {
        title: w.toProviderTitle,
        body: html`<p>${w.toProvider(name)}</p><p><a href="${authorization.url}">${w.toProviderLink(name)}</a></p>`,
        headers: {
          Refresh: `0; url=${authorization.url}`,
          'Set-Cookie': signInCookie(site, value, signInMinutes * 60),
        },
      });
    },
  };

  const callback: Route = {
    method: 'GET',
    pattern: site.callbackPath,
    access: 'public',
    async handle(ctx) {
      const { db, logger } = ctx.services;
      const value = signInCookieOf(ctx, site);
      const pending = await findSignIn(db, value);
      if (pending === null || value === undefined) return signInFailedPage(site, null);
      const toPin = { redirect: `${site.pinPath}?lang=${pending.language}` } as const;
      // The same answer again (the page reloaded): it was checked and used once already.
      if (pending.account !== null) return toPin;
      // An answer that is not to this sign-in (a page elsewhere sending the browser here) leaves
      // it alone: ending it would let any site cancel a parent's sign-in under way.
      if (!sameSecret(ctx.url.searchParams.get('state'), pending.checks.state)) {
        logger.info("an answer without this sign-in's state came to the activation page", {
          provider: pending.provider,
        });
        return signInFailedPage(site, pending.language);
      }
      const provider = site.providers.find(pending.provider);
      try {
        if (provider === undefined) throw new Error('the provider is no longer configured');
        const account = await site.providers.verify(provider, ctx.url.searchParams, pending.checks);
        if (await recordSignedIn(db, value, account)) return toPin;
        throw new Error('the sign-in ended while the provider answered');
      } catch (error) {
        // One answer per sign-in: a wrong one ends it.
        await endSignIn(db, value);
        // Someone who cancels at the provider is no news; any other failure may be the configuration's.
        logger.log(
          error instanceof AuthorizationResponseError ? 'info' : 'warn',
          'a sign-in on the activation page did not go through',
          {
            provider: pending.provider,
            error: (error as Error).message,
            code: (error as { code?: unknown }).code,
          },
        );
        return signInFailedPage(site, pending.language, { 'Set-Cookie': signInCookie(site, '', 0) });
      }
    },
  };

  return [start, callback];
}

export interface SignedIn {
  /** The cookie's value: it names the sign-in. */
  value: string;
  pending: PendingSignIn;
  account: VerifiedAccount;
  /** The provider's name in each language; null when it is no longer configured. */
  providerName: { en: string; fr: string } | null;
}

/** The sign-in of the request, once the provider vouched for the person; null otherwise. */
export async function signedIn(ctx: RequestContext, site: ActivationSite): Promise<SignedIn | null> {
  const value = signInCookieOf(ctx, site);
  const pending = await findSignIn(ctx.services.db, value);
  if (pending === null || pending.account === null || value === undefined) return null;
  const provider = site.providers.find(pending.provider);
  return { value, pending, account: pending.account, providerName: provider?.name ?? null };
}
