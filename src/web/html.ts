import type { StaffMember } from './staff-member.ts';

/**
 * Server-rendered HTML. Every value put into `html` is escaped unless it is already SafeHtml,
 * so a name, a file name or an error message can never become markup.
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => entities[c] as string);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

export type StaffSection = 'dashboard' | 'queue' | 'audit';

const sections: { section: StaffSection; href: string; label: string }[] = [
  { section: 'dashboard', href: '/', label: 'Dashboard' },
  { section: 'queue', href: '/queue', label: 'Queue' },
  { section: 'audit', href: '/audit', label: 'Audit' },
];

/** The layout of every staff page: navigation, who is signed in, and the sign-out form. */
export function staffPage(page: {
  title: string;
  staff: StaffMember;
  csrfToken: string;
  body: SafeHtml;
  active?: StaffSection;
}): SafeHtml {
  const nav = sections.map(
    (s) =>
      html`<li><a href="${s.href}"${s.section === page.active ? html` aria-current="page"` : ''}>${s.label}</a></li>`,
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} – Intake</title>
<link rel="stylesheet" href="/style.css">
</head>
<body class="staff">
<a class="skip-link" href="#main">Skip to the content</a>
<header class="top">
<span class="brand">Intake</span>
<nav><ul>${nav}</ul></nav>
<form method="post" action="/logout" class="sign-out">
<input type="hidden" name="_csrf" value="${page.csrfToken}">
<span class="who">${page.staff.displayName}</span>
<button type="submit">Sign out</button>
</form>
</header>
<main id="main" tabindex="-1">
<h1>${page.title}</h1>
${page.body}
</main>
</body>
</html>
`;
}

/** Every page opens with a link past its header to its content, for keyboard and screen-reader users. */
const skipLinkText = { en: 'Skip to the content', fr: 'Aller au contenu' } as const;

/**
 * A table in an area of its own that scrolls sideways when the table is wider than the screen,
 * so that the page itself never does (and a phone does not zoom out to show it). The area can
 * take the keyboard's focus, so it can be scrolled without a mouse; its label is read on focus.
 */
export function scrollArea(label: string, table: SafeHtml): SafeHtml {
  return html`<div class="table-scroll" role="region" aria-label="${label}" tabindex="0">${table}</div>`;
}

/** The layout of pages anyone may open (sign-in, activation): no navigation, in the page's language. */
export function publicPage(page: { title: string; language: 'en' | 'fr'; body: SafeHtml; brand?: string }): SafeHtml {
  return html`<!doctype html>
<html lang="${page.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${page.title}</title>
<link rel="stylesheet" href="/style.css">
</head>
<body class="public">
<a class="skip-link" href="#main">${skipLinkText[page.language]}</a>
<header class="top"><span class="brand">${page.brand ?? 'Intake'}</span></header>
<main class="narrow" id="main" tabindex="-1">
<h1>${page.title}</h1>
${page.body}
</main>
</body>
</html>
`;
}
