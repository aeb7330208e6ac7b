import type { Config } from '../config/config.ts';
import { activationWording } from './activation-text.ts';
import { html, type SafeHtml } from './html.ts';
import type { Language, WebResponse } from './routes.ts';

/** Where the activation page's steps are: the email's link (`/activate`), and the steps below it. */
export interface ActivationPaths {
  path: string;
  signInPath: string;
  callbackPath: string;
  pinPath: string;
}

export function activationPaths(config: Config): ActivationPaths {
  const { pathname } = new URL(config.mail.activationUrl);
  const base = pathname.replace(/\/$/, '');
  return { path: pathname, signInPath: `${base}/sign-in`, callbackPath: `${base}/signed-in`, pinPath: `${base}/pin` };
}

// Far longer than any token Intake draws: anything longer is no one's link, and is not echoed back.
const maxTokenLength = 512;
export const validToken = (token: string): boolean => token !== '' && token.length <= maxTokenLength;

/** The email's link itself, in `language`: the person's own address, as the email gave it. */
export function linkOf(paths: ActivationPaths, token: string, language: Language): string {
  const query = new URLSearchParams({ token });
  if (language === 'fr') query.set('lang', 'fr');
  return `${paths.path}?${query.toString()}`;
}

/**
 * A form's address with the page's language in it: the listener's guards answer before the form
 * is read (too many posts, a body that is not a form), and they too speak the person's language.
 */
export const postPath = (path: string, language: Language): string => `${path}?lang=${language}`;

/** A page, as the server writes it. */
export type PageResponse = Extract<WebResponse, { html: SafeHtml }>;

/** What one activation page shows. */
export interface ActivationPage {
  title: string;
  body: SafeHtml;
  /** This page in the other language, where there is one: the switch in the header leads there. */
  otherLanguage?: string;
  status?: number;
  headers?: Record<string, string>;
}

/**
 * The layout of the activation page (and of its listener's refusals): branded myPass, in the
 * person's language, with the switch to the other language at the top, in the header, where it
 * is a target of its own rather than a word inside the text, and no link to anything of staff's.
 */
export function activationPage(language: Language, page: ActivationPage): PageResponse {
  const w = activationWording[language];
  const other = w.otherLanguage.language;
  const switchLink =
    page.otherLanguage === undefined
      ? ''
      : html`<a class="language" href="${page.otherLanguage}" lang="${other}" hreflang="${other}">${
          w.otherLanguage.label
        }</a>`;
  const document = html`<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${page.title} – myPass</title>
<link rel="stylesheet" href="/style.css">
</head>
<body class="public activation">
<a class="skip-link" href="#main">${w.skipLink}</a>
<header class="top"><span class="brand">myPass</span>${switchLink}</header>
<main class="narrow" id="main" tabindex="-1">
<h1>${page.title}</h1>
${page.body}
</main>
</body>
</html>
`;
  return { status: page.status ?? 200, headers: page.headers, html: document };
}

/**
 * What the page has to say, as an error, a notice or a success. After a submit it takes the
 * focus when the page loads (`autofocus`: the pages have no script, the CSP allows none), so a
 * screen reader says it at once and a phone shows it first; a page opened from a link keeps the
 * focus at its start.
 */
export function message(
  kind: 'error' | 'notice' | 'success',
  paragraphs: readonly string[],
  focus: 'focus' | 'no focus' = 'focus',
): SafeHtml {
  const role = kind === 'error' ? 'alert' : 'status';
  const focused = focus === 'focus' ? html` tabindex="-1" autofocus` : '';
  return html`<div class="message ${kind}" role="${role}"${focused}>${paragraphs.map((p) => html`<p>${p}</p>`)}</div>`;
}
