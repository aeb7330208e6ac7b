import type { IncomingMessage } from 'node:http';
import type { Services } from '../app.ts';
import type { SafeHtml } from './html.ts';

import type { StaffMember } from './staff-member.ts';

export type { StaffMember };

export type Language = 'en' | 'fr';

export interface RequestContext {
  services: Services;
  request: IncomingMessage;
  url: URL;
  /** The urlencoded body of a POST (at most 64 KiB); empty for GET. */
  form: URLSearchParams;
  /** From the route's pattern: `/queue/:id` gives `id`. */
  params: Record<string, string>;
  /** The signed-in staff member; always set on 'staff' routes, and on public ones when signed in. */
  staff: StaffMember | null;
  /** Goes into every form as the hidden field `_csrf`; the server checks it on every POST. */
  csrfToken: string;
  /** `?lang=fr`, or the form's `lang` field. */
  language: Language;
  /** The client's address, as the socket gives it. */
  clientAddress: string;
  /** Signs `username` in: ends the session the request came with and sends a new one. */
  startSession(username: string): Promise<void>;
  /** Ends the request's session, if any, and clears its cookie. */
  endSession(): Promise<void>;
}

export type WebResponse =
  | { status?: number; html: SafeHtml; headers?: Record<string, string> }
  | { redirect: string; status?: 303 }
  | { status?: number; body: string | Buffer; contentType: string; headers?: Record<string, string> };

export interface Route {
  method: 'GET' | 'POST';
  /** Literal segments and `:name` parameters, as `/queue/:id`. */
  pattern: string;
  /** 'staff': a valid session is needed (the server sends others to sign in, or refuses a POST). */
  access: 'staff' | 'public';
  handle(ctx: RequestContext): Promise<WebResponse>;
}

/** The path to go back to after signing in: only a path of this site, never another origin. */
export function safeNextPath(next: string | null | undefined): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\p{Cc}\\]/u.test(next)) return '/';
  const resolved = new URL(next, 'http://intake.invalid');
  // Checked again once resolved: dot segments can make `/.//evil.example` into `//evil.example`.
  const { pathname } = resolved;
  if (
    resolved.origin !== 'http://intake.invalid' ||
    pathname.startsWith('//') ||
    pathname.startsWith('/\\') ||
    pathname === '/login' ||
    pathname === '/logout'
  )
    return '/';
  return `${pathname}${resolved.search}`;
}

/** Params of a path that fits the pattern; null when it does not. */
export function matchPattern(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split('/');
  const have = pathname.split('/');
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const expected = want[i] as string;
    const actual = have[i] as string;
    if (expected.startsWith(':')) {
      if (actual === '') return null;
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (expected !== actual) {
      return null;
    }
  }
  return params;
}

/** The staff member of a request to a 'staff' route (the server lets none through without one). */
export function requireStaff(ctx: RequestContext): StaffMember {
  if (ctx.staff === null) throw new Error('a staff page was reached without a session');
  return ctx.staff;
}
