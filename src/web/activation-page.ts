import { type Config, ConfigError } from '../config/config.ts';
import { type ActivationResult, activateConnection } from '../connections/activation.ts';
import { endSignIn } from '../connections/pending-sign-ins.ts';
import { studentFirstName } from '../persist/student-queries.ts';
import { readableMoment } from '../validate/dates.ts';
import { activationPage, linkOf, message, postPath, validToken } from './activation-layout.ts';
import {
  type ActivationSite,
  activationSite,
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
 * The first page: the steps, with the providers' buttons right under the first, so that on a
 * phone they are on the first screen. It is drawn from the request alone, never from what the
 * token opens: a valid link and a made-up one give the same page, and nothing about the
 * student, the school or the person shows until the PIN is right.
 */
function stepsPage(ctx: RequestContext, site: ActivationSite, token: string): SafeHtml {
  const w = activationWording[ctx.language];
  const buttons = site.providers.list.map(
    (provider) => html`<form method="post" action="${postPath(site.signInPath, ctx.language)}" class="provider">
<input type="hidden" name="_csrf" value="${ctx.csrfToken}">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="lang" value="${ctx.language}">
<input type="hidden" name="provider" value="${provider.id}">
<button type="submit">${provider.name[ctx.language]}</button>
</form>`,
  );
  return html`
<p>${w.intro}</p>
<ol class="steps">
<li><p>${w.steps[0]}</p>
<div class="card providers">
<h2>${w.signInWith}</h2>
${buttons}
</div></li>
<li><p>${w.steps[1]}</p></li>
</ol>`;
}

/** The PIN form's fields that can be wrong, by their ids. */
type PinField = 'pin' | 'terms';

/** What the PIN form shows again after a submit: what is wrong with which field, and what was entered. */
interface PinFormState {
  errors: Partial<Record<PinField, string>>;
  /** Given back only when it cannot be the PIN (not 4 digits); a wrong 4-digit PIN is typed again. */
  pin: string;
  termsAccepted: boolean;
}

const blank: PinFormState = { errors: {}, pin: '', termsAccepted: false };

/**
 * The PIN step, once signed in: who is signed in, then the form (the PIN, the terms' box and the
 * button, on the first screen of a phone), the terms folded under their title just above their
 * box. After a submit, the problems come first, each linked to its field, and take the focus;
 * each field says its own (`aria-invalid`, `aria-describedby`). Without script the browser's own
 * checks would speak the browser's language, so the form is `novalidate` and the server says it.
 */
function pinForm(
  ctx: RequestContext,
  site: ActivationSite,
  who: { provider: string; email: string | null },
  state: PinFormState = blank,
): SafeHtml {
  const w = activationWording[ctx.language];
  const { errors } = state;
  const wrong = (['pin', 'terms'] as const).flatMap((field) => {
    const text = errors[field];
    return text === undefined ? [] : [{ field, text }];
  });
  const summary =
    wrong.length === 0
      ? ''
      : html`<div class="message error error-summary" role="alert" aria-labelledby="error-summary"
tabindex="-1" autofocus>
<h2 id="error-summary">${w.errorSummaryTitle}</h2>
<ul>${wrong.map((e) => html`<li><a href="#${e.field}">${e.text}</a></li>`)}</ul>
</div>`;
  const fieldError = (field: PinField) =>
    errors[field] === undefined ? '' : html`<p class="field-error" id="${field}-error">${errors[field]}</p>`;
  const described = (field: PinField, hints: string[]) => {
    const ids = [...hints, ...(errors[field] === undefined ? [] : [`${field}-error`])];
    return html`${ids.length > 0 ? html` aria-describedby="${ids.join(' ')}"` : ''}${
      errors[field] === undefined ? '' : html` aria-invalid="true"`
    }`;
  };
  return html`${summary}
<p class="signed-in">${w.signedIn(who.provider, who.email)}</p>
<form method="post" action="${postPath(site.pinPath, ctx.language)}" class="card pin-form" novalidate>
<input type="hidden" name="_csrf" value="${ctx.csrfToken}">
<input type="hidden" name="lang" value="${ctx.language}">
<label for="pin">${w.pinLabel}</label>
<p class="hint" id="pin-hint">${w.pinHint}</p>
${fieldError('pin')}
<input type="text" class="pin" id="pin" name="pin" inputmode="numeric" maxlength="4" autocomplete="off" required${
    state.pin === '' ? '' : html` value="${state.pin}"`
  }${described('pin', ['pin-hint'])}>
<details class="terms"${errors.terms === undefined ? '' : html` open`}><summary>${w.termsTitle}</summary>
${w.terms.map((t) => html`<p>${t}</p>`)}
</details>
${fieldError('terms')}
<label class="check"><input type="checkbox" id="terms" name="terms" value="accepted" required${
    state.termsAccepted ? html` checked` : ''
  }${described('terms', [])}> ${w.acceptTerms}</label>
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
  // No switch to the other language: the sign-in has ended, and nothing could show this answer again.
  const page = (title: string, body: SafeHtml) => activationPage(ctx.language, { title, body, headers });
  const refused = (text: string) => page(w.refusedTitle, message('error', [text]));
  switch (result.outcome) {
    case 'activated': {
      // Only now, with the PIN right, may the page say whose record it is.
      const firstName = await studentFirstName(ctx.services.db, result.asn);
      const next = w.next(who.provider, who.email).map((p) => html`<p>${p}</p>`);
      const done = html`${message('success', [w.activated(firstName)])}<h2>${w.nextTitle}</h2>${next}`;
      return page(w.activatedTitle, done);
    }
    case 'already_activated':
      // Not a failure: the connection works; the way on is the same as after activating.
      return page(w.alreadyActivatedTitle, message('notice', w.alreadyActivated));
    case 'locked':
      return refused(
        result.until === null ? w.lockedUntilReset : w.lockedUntil(readableMoment(result.until, ctx.language)),
      );
    case 'expired':
      return refused(w.expired);
    case 'revoked':
      return refused(w.revoked);
    case 'unknown_link':
      return refused(w.unknownLink);
  }
}

/** Who is signed in, as the page says it: the provider's name and the verified email, if any. */
function whoIsSignedIn(session: SignedIn, language: Language): { provider: string; email: string | null } {
  return { provider: session.providerName?.[language] ?? session.pending.provider, email: session.account.email };
}

/** The PIN step in the other language: the sign-in is the browser's, whatever the language. */
const pinInOther = (site: ActivationSite, language: Language) =>
  `${site.pinPath}?lang=${activationWording[language].otherLanguage.language}`;

/**
 * The recipients' activation page (docs/rules.md §5): the email's link, sign-in with one of the
 * configured OpenID Connect providers, then the letter's PIN. Without a provider there is no page:
 * an account typed into a form is no one's word, so the listener refuses to start.
 */
export function activationRoutes(config: Config): Route[] {
  if (config.activationServer.providers.length === 0) {
    throw new ConfigError([
      'activationServer.providers: the activation page (role activation) signs people in with OpenID Connect, ' +
        'and no provider is configured. ' +
        'Set INTAKE_OIDC_PROVIDERS_FILE (a JSON file only its owner may read) or INTAKE_OIDC_PROVIDERS, or ' +
        'start without the activation role.',
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
      const other = w.otherLanguage.language;
      if (!validToken(token))
        return activationPage(ctx.language, {
          title: w.title,
          body: message('error', [w.noToken], 'no focus'),
          otherLanguage: `${site.path}?lang=${other}`,
          status: 400,
        });
      return activationPage(ctx.language, {
        title: w.title,
        body: stepsPage(ctx, site, token),
        otherLanguage: linkOf(site, token, other),
      });
    },
  };

  const showPin: Route = {
    method: 'GET',
    pattern: site.pinPath,
    access: 'public',
    async handle(ctx) {
      const session = await signedIn(ctx, site);
      if (session === null) return signInFailedPage(site, ctx.url.searchParams.has('lang') ? ctx.language : null);
      return activationPage(ctx.language, {
        title: activationWording[ctx.language].title,
        body: pinForm(ctx, site, whoIsSignedIn(session, ctx.language)),
        otherLanguage: pinInOther(site, ctx.language),
      });
    },
  };

  const activate: Route = {
    method: 'POST',
    pattern: site.pinPath,
    access: 'public',
    async handle(ctx) {
      const w = activationWording[ctx.language];
      const session = await signedIn(ctx, site);
      if (session === null) return signInFailedPage(site, ctx.language);
      const { account } = session;
      const who = whoIsSignedIn(session, ctx.language);
      const pin = (ctx.form.get('pin') ?? '').trim();
      const termsAccepted = ctx.form.get('terms') === 'accepted';
      const again = (state: PinFormState, status: number) =>
        activationPage(ctx.language, {
          title: w.title,
          body: pinForm(ctx, site, who, state),
          otherLanguage: pinInOther(site, ctx.language),
          status,
        });
      // A form that cannot be right is shown again and nothing is counted against the PIN.
      const errors = {
        ...(/^\d{4}$/.test(pin) ? {} : { pin: w.errors.pin }),
        ...(termsAccepted ? {} : { terms: w.errors.terms }),
      };
      if (errors.pin !== undefined || errors.terms !== undefined)
        return again({ errors, pin: errors.pin !== undefined && pin.length <= 4 ? pin : '', termsAccepted }, 400);
      const result = await activateConnection(ctx.services.db, ctx.services.config, {
        tokenHash: session.pending.tokenHash,
        pin,
        account: { issuer: account.issuer, subject: account.subject, account: account.email ?? account.subject },
      });
      if (result.outcome === 'wrong_pin') {
        const text = w.wrongPin(result.attemptsLeft, ctx.services.config.connections.lockMinutes);
        return again({ errors: { pin: text }, pin: '', termsAccepted }, 200);
      }
      await endSignIn(ctx.services.db, session.value);
      return resultPage(ctx, result, who, signInCookie(site, '', 0));
    },
  };

  return [show, ...signInRoutes(site), showPin, activate];
}
