import { type Config, ConfigError } from '../config/config.ts';
import { type ActivationResult, activateConnection } from '../connections/activation.ts';
import { endSignIn } from '../connections/pending-sign-ins.ts';
import { studentFirstName } from '../persist/student-queries.ts';
import { timeIn } from '../validate/dates.ts';
import {
  type ActivationSite,
  activationPage,
  activationSite,
  maxTokenLength,
  type SignedIn,
  signedIn,
  signInCookie,
  signInFailedPage,
  signInRoutes,
} from './activation-sign-in.ts';
import { activationWording } from './activation-text.ts';
import { html, type SafeHtml } from './html.ts';
import type { Language, RequestContext, Route, WebResponse } from './routes.ts';

/**
 * The first page: the steps, and a button per provider. It is drawn from the request alone, never
 * from what the token opens: a valid link and a made-up one give the same page, and nothing about
 * the student, the school or the person shows until the PIN is right.
 */
function stepsPage(ctx: RequestContext, site: ActivationSite, token: string): SafeHtml {
  const w = activationWording[ctx.language];
  const other = new URLSearchParams({ token });
  if (w.otherLanguage.language === 'fr') other.set('lang', 'fr');
  const buttons = site.providers.list.map(
    (provider) => html`<form method="post" action="${site.signInPath}" class="inline">
<input type="hidden" name="_csrf" value="${ctx.csrfToken}">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="lang" value="${ctx.language}">
<input type="hidden" name="provider" value="${provider.id}">
<button type="submit">${provider.name[ctx.language]}</button>
</form>`,
  );
  return html`
<p class="switch"><a href="${`${site.path}?${other.toString()}`}" lang="${w.otherLanguage.language}" hreflang="${w.otherLanguage.language}">${w.otherLanguage.label}</a></p>
<p>${w.intro}</p>
<ol class="steps">${w.steps.map((step) => html`<li>${step}</li>`)}</ol>
<div class="card">
<h2>${w.signInWith}</h2>
${buttons}
</div>`;
}

/** The PIN step, once signed in: who is signed in, the PIN and the terms. */
function pinForm(
  ctx: RequestContext,
  site: ActivationSite,
  who: { provider: string; email: string | null },
  errors: string[] = [],
): SafeHtml {
  const w = activationWording[ctx.language];
  const other = w.otherLanguage.language;
  return html`
<p class="switch"><a href="${`${site.pinPath}?lang=${other}`}" lang="${other}" hreflang="${other}">${w.otherLanguage.label}</a></p>
<p class="signed-in">${w.signedIn(who.provider, who.email)}</p>
${errors.length > 0 ? html`<div class="error" role="alert">${errors.map((e) => html`<p>${e}</p>`)}</div>` : ''}
<form method="post" action="${site.pinPath}" class="card">
<input type="hidden" name="_csrf" value="${ctx.csrfToken}">
<input type="hidden" name="lang" value="${ctx.language}">
<label for="pin">${w.pinLabel} <span class="hint">${w.pinHint}</span></label>
<input type="text" class="pin" id="pin" name="pin" inputmode="numeric" maxlength="4" autocomplete="off" required>
<h2>${w.termsTitle}</h2>
<div class="terms">${w.terms.map((t) => html`<p>${t}</p>`)}</div>
<label class="check"><input type="checkbox" name="terms" value="accepted" required> ${w.acceptTerms}</label>
<button type="submit">${w.button}</button>
</form>
<p class="muted">${w.otherAccount}</p>`;
}

/** What became of the attempt, in plain words. It ends the sign-in: the link has had its answer. */
async function resultPage(
  ctx: RequestContext,
  result: Exclude<ActivationResult, { outcome: 'wrong_pin' }>,
  who: { provider: string; email: string | null },
  endCookie: string,
): Promise<WebResponse> {
  const w = activationWording[ctx.language];
  const headers = { 'Set-Cookie': endCookie };
  const refused = (message: string) =>
    activationPage(ctx.language, w.refusedTitle, html`<p class="error" role="alert">${message}</p>`, 200, headers);
  switch (result.outcome) {
    case 'activated': {
      // Only now, with the PIN right, may the page say whose record it is.
      const firstName = await studentFirstName(ctx.services.db, result.asn);
      const done = html`<p class="success" role="status">${w.activated(firstName, who.provider, who.email)}</p>`;
      return activationPage(ctx.language, w.activatedTitle, done, 200, headers);
    }
    case 'locked':
      return refused(result.until === null ? w.lockedUntilReset : w.lockedUntil(timeIn(result.until)));
    case 'expired':
      return refused(w.expired);
    case 'revoked':
      return refused(w.revoked);
    case 'already_activated':
      return refused(w.alreadyActivated);
    case 'unknown_link':
      return refused(w.unknownLink);
  }
}

/** Who is signed in, as the page says it: the provider's name and the verified email, if any. */
function whoIsSignedIn(session: SignedIn, language: Language): { provider: string; email: string | null } {
  return { provider: session.providerName?.[language] ?? session.pending.provider, email: session.account.email };
}

/**
 * The recipients' activation page (docs/rules.md §5): the email's link, sign-in with one of the
 * configured OpenID Connect providers, then the letter's PIN. Without a provider there is no page:
 * an account typed into a form is no one's word, so the listener refuses to start.
 */
export function activationRoutes(config: Config): Route[] {
  if (config.activationServer.providers.length === 0) {
    throw new ConfigError([
      'activationServer.providers: the activation page (role activation) signs people in with OpenID Connect, and no provider is configured. ' +
        'Set INTAKE_OIDC_PROVIDERS_FILE (a JSON file only its owner may read) or INTAKE_OIDC_PROVIDERS, or start without the activation role.',
    ]);
  }
  const site = activationSite(config);

  const show: Route = {
    method: 'GET',
    pattern: site.path,
    access: 'public',
    async handle(ctx) {
      const w = activationWording[ctx.language];
      const token = ctx.url.searchParams.get('token') ?? '';
      if (token === '' || token.length > maxTokenLength)
        return activationPage(ctx.language, w.title, html`<p class="error" role="alert">${w.noToken}</p>`, 400);
      return activationPage(ctx.language, w.title, stepsPage(ctx, site, token));
    },
  };

  const showPin: Route = {
    method: 'GET',
    pattern: site.pinPath,
    access: 'public',
    async handle(ctx) {
      const session = await signedIn(ctx, site);
      if (session === null) return signInFailedPage(ctx.url.searchParams.has('lang') ? ctx.language : null);
      const page = pinForm(ctx, site, whoIsSignedIn(session, ctx.language));
      return activationPage(ctx.language, activationWording[ctx.language].title, page);
    },
  };

  const activate: Route = {
    method: 'POST',
    pattern: site.pinPath,
    access: 'public',
    async handle(ctx) {
      const w = activationWording[ctx.language];
      const session = await signedIn(ctx, site);
      if (session === null) return signInFailedPage(ctx.language);
      const { account } = session;
      const who = whoIsSignedIn(session, ctx.language);
      const pin = (ctx.form.get('pin') ?? '').trim();
      // A form that cannot be right is shown again and nothing is counted against the PIN.
      const errors = [
        ...(/^\d{4}$/.test(pin) ? [] : [w.errors.pin]),
        ...(ctx.form.get('terms') === 'accepted' ? [] : [w.errors.terms]),
      ];
      if (errors.length > 0) return activationPage(ctx.language, w.title, pinForm(ctx, site, who, errors), 400);
      const result = await activateConnection(ctx.services.db, ctx.services.config, {
        tokenHash: session.pending.tokenHash,
        pin,
        account: { issuer: account.issuer, subject: account.subject, account: account.email ?? account.subject },
      });
      if (result.outcome === 'wrong_pin') {
        const message = w.wrongPin(result.attemptsLeft, ctx.services.config.connections.lockMinutes);
        return activationPage(ctx.language, w.title, pinForm(ctx, site, who, [message]));
      }
      await endSignIn(ctx.services.db, session.value);
      return resultPage(ctx, result, who, signInCookie(site, '', 0));
    },
  };

  return [show, ...signInRoutes(site), showPin, activate];
}
