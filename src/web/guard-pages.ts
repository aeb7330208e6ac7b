import type { Config } from '../config/config.ts';
import type { Listener } from '../config/config-types.ts';
import {
  type ActivationPaths,
  activationPage,
  activationPaths,
  linkOf,
  message,
  type PageResponse,
  validToken,
} from './activation-layout.ts';
import { activationWording } from './activation-text.ts';
import { html, publicPage, type SafeHtml } from './html.ts';
import type { Language } from './routes.ts';

/** What the listener's guards turn away before any page's route runs. */
export interface Guard {
  /**
   * A form refused: without the page's CSRF token (its cookie lost, most often), not a form, or
   * too large; nothing was done. A page that does not exist, or cannot be used that way. A fault
   * on the server's side (the log has it).
   */
  kind: 'form refused' | 'too many posts' | 'no such page' | 'failed';
  status: number;
  /** Seconds until this address may send a form again ('too many posts'). */
  wait?: number;
  /** The console's words, when not those of its status below. */
  words?: { title: string; explanation: string };
}

/** The console's words for each guard's status, in English. */
function consoleWords(guard: Guard): { title: string; explanation: string } {
  if (guard.words !== undefined) return guard.words;
  switch (guard.status) {
    case 400:
      return { title: 'Bad request', explanation: 'This address cannot be read.' };
    case 403:
      return {
        title: 'Form refused',
        explanation: 'This form was not sent from this site, or it is too old. Go back, reload the page and try again.',
      };
    case 405:
      return { title: 'Not allowed', explanation: 'This page cannot be used that way.' };
    case 429:
      return {
        title: 'Too many attempts',
        explanation: `Too many forms were sent from this address. Wait ${guard.wait ?? 60} seconds, then try again.`,
      };
    case 500:
      return {
        title: 'Something went wrong',
        explanation:
          'The page could not be shown because of a problem on our side. It has been logged. Try again in a moment.',
      };
    default:
      return { title: 'Page not found', explanation: 'There is no page at this address.' };
  }
}

/** What a guard can read of the request: the address, and the form when it was read. */
export interface GuardedRequest {
  url: URL | null;
  form: URLSearchParams | null;
}

/**
 * The guards' pages of a listener. On the activation listener, the person's own page: a parent
 * never meets Intake's pages or a link to the staff's sign-in. Elsewhere the console's, in English.
 */
export function guardPages(
  config: Config,
  listener: Listener,
): (guard: Guard, request: GuardedRequest) => PageResponse {
  if (listener !== config.activationServer)
    return (guard) => {
      const { title, explanation } = consoleWords(guard);
      const body = html`<p>${explanation}</p><p><a href="/">Intake</a></p>`;
      return { status: guard.status, html: publicPage({ title, language: 'en', body }) };
    };
  const paths = activationPaths(config);
  // Drawn from the request alone (the address, and the form just sent), in its language (`lang` of
  // the address, which every form's action carries, or of the form), branded myPass.
  return (guard, { url, form }) => {
    const language: Language = (url?.searchParams.get('lang') ?? form?.get('lang')) === 'fr' ? 'fr' : 'en';
    const w = activationWording[language];
    const back = wayBack(paths, language, url, form);
    const page = (title: string, text: string, orElse: SafeHtml | '' = html`<p>${w.reopenLink}</p>`) =>
      activationPage(language, {
        title,
        body: html`${message('error', [text])}${back ?? orElse}`,
        status: guard.status,
      });
    switch (guard.kind) {
      case 'form refused':
        return page(w.formRefusedTitle, w.formRefused);
      case 'too many posts':
        return page(w.tooManyTitle, w.tooMany(guard.wait ?? 60));
      case 'no such page':
        // Its words already say to open the email's link again.
        return page(w.notFoundTitle, w.noToken, '');
      case 'failed':
        return page(w.failedTitle, w.failed);
    }
  };
}

/**
 * A link back to where the person was: their email's link when the form holds its token (they
 * just sent it: it is their own link), the PIN step when that is where they were (their sign-in
 * may still stand; if not, that page says to open the link again); null when neither is known.
 */
function wayBack(
  paths: ActivationPaths,
  language: Language,
  url: URL | null,
  form: URLSearchParams | null,
): SafeHtml | null {
  const w = activationWording[language];
  const token = form?.get('token') ?? '';
  if (validToken(token))
    return html`<p class="back"><a href="${linkOf(paths, token, language)}">${w.backToLink}</a></p>`;
  if (url?.pathname === paths.pinPath)
    return html`<p class="back"><a href="${`${paths.pinPath}?lang=${language}`}">${w.backToPin}</a></p>`;
  return null;
}
