import type { Config } from '../config/config.ts';
import { type ActivationResult, activateConnection } from '../connections/activation.ts';
import { studentFirstName } from '../persist/student-queries.ts';
import { timeIn } from '../validate/dates.ts';
import { parseEmail } from '../validate/email.ts';
import { activationWording } from './activation-text.ts';
import { html, publicPage, type SafeHtml } from './html.ts';
import type { Language, RequestContext, Route, WebResponse } from './routes.ts';

const maxTokenLength = 512;
const maxAccountLength = 200;

/** Where the activation page is served: the path of the email's link. */
function activationPath(config: Config): string {
  return new URL(config.mail.activationUrl).pathname;
}

function page(language: Language, title: string, body: SafeHtml, status = 200): WebResponse {
  return { status, html: publicPage({ title, language, body, brand: 'myPass' }) };
}

/**
 * The form. It is drawn from the request alone, never from what the token opens: a valid link
 * and a made-up one give the same page, and nothing about the student, the school or the
 * person shows until the PIN is right.
 */
function activationForm(
  ctx: RequestContext,
  path: string,
  token: string,
  options: { account?: string; errors?: string[]; switchLink: boolean },
): SafeHtml {
  const w = activationWording[ctx.language];
  const other = new URLSearchParams({ token });
  if (w.otherLanguage.language === 'fr') other.set('lang', 'fr');
  const errors = options.errors ?? [];
  return html`
${options.switchLink ? html`<p class="switch"><a href="${`${path}?${other.toString()}`}" lang="${w.otherLanguage.language}" hreflang="${w.otherLanguage.language}">${w.otherLanguage.label}</a></p>` : ''}
<p>${w.intro}</p>
${errors.length > 0 ? html`<div class="error" role="alert">${errors.map((e) => html`<p>${e}</p>`)}</div>` : ''}
<form method="post" action="${path}" class="card">
<input type="hidden" name="_csrf" value="${ctx.csrfToken}">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="lang" value="${ctx.language}">
<label for="pin">${w.pinLabel} <span class="hint">${w.pinHint}</span></label>
<input type="text" class="pin" id="pin" name="pin" inputmode="numeric" maxlength="4" autocomplete="off" required>
<label for="account">${w.accountLabel} <span class="hint">${w.accountHint}</span></label>
<input type="email" id="account" name="account" value="${options.account ?? ''}" maxlength="${maxAccountLength}" autocomplete="email" required>
<h2>${w.termsTitle}</h2>
<div class="terms">${w.terms.map((t) => html`<p>${t}</p>`)}</div>
<label class="check"><input type="checkbox" name="terms" value="accepted" required> ${w.acceptTerms}</label>
<button type="submit">${w.button}</button>
</form>`;
}

/** What became of the attempt, in plain words; never a link carrying the token. */
async function resultPage(
  ctx: RequestContext,
  result: Exclude<ActivationResult, { outcome: 'wrong_pin' }>,
  account: string,
): Promise<WebResponse> {
  const w = activationWording[ctx.language];
  const refused = (message: string) =>
    page(ctx.language, w.refusedTitle, html`<p class="error" role="alert">${message}</p>`);
  switch (result.outcome) {
    case 'activated': {
      // Only now, with the PIN right, may the page say whose record it is.
      const firstName = await studentFirstName(ctx.services.db, result.asn);
      return page(
        ctx.language,
        w.activatedTitle,
        html`<p class="success" role="status">${w.activated(firstName, account)}</p>`,
      );
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

export function activationRoutes(config: Config): Route[] {
  const path = activationPath(config);

  const show: Route = {
    method: 'GET',
    pattern: path,
    access: 'public',
    async handle(ctx) {
      const w = activationWording[ctx.language];
      const token = ctx.url.searchParams.get('token') ?? '';
      if (token === '' || token.length > maxTokenLength)
        return page(ctx.language, w.title, html`<p class="error" role="alert">${w.noToken}</p>`, 400);
      return page(ctx.language, w.title, activationForm(ctx, path, token, { switchLink: true }));
    },
  };

  const activate: Route = {
    method: 'POST',
    pattern: path,
    access: 'public',
    async handle(ctx) {
      const w = activationWording[ctx.language];
      const token = ctx.form.get('token') ?? '';
      const pin = (ctx.form.get('pin') ?? '').trim();
      const account = (ctx.form.get('account') ?? '').trim();
      if (token === '' || token.length > maxTokenLength) return resultPage(ctx, { outcome: 'unknown_link' }, account);
      // A form that cannot be right is shown again and nothing is counted against the PIN.
      const errors = [
        ...(/^\d{4}$/.test(pin) ? [] : [w.errors.pin]),
        ...(account.length <= maxAccountLength && parseEmail(account) !== null ? [] : [w.errors.account]),
        ...(ctx.form.get('terms') === 'accepted' ? [] : [w.errors.terms]),
      ];
      if (errors.length > 0) {
        return page(
          ctx.language,
          w.title,
          activationForm(ctx, path, token, { account: account.slice(0, maxAccountLength), errors, switchLink: false }),
          400,
        );
      }
      const result = await activateConnection(ctx.services.db, ctx.services.config, {
        token,
        pin,
        account: parseEmail(account) as string,
      });
      if (result.outcome === 'wrong_pin') {
        const message = w.wrongPin(result.attemptsLeft, ctx.services.config.connections.lockMinutes);
        return page(
          ctx.language,
          w.title,
          activationForm(ctx, path, token, { account, errors: [message], switchLink: false }),
        );
      }
      return resultPage(ctx, result, account);
    },
  };

  return [show, activate];
}
