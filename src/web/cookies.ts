import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The cookies' names. Behind TLS they take the `__Host-` prefix: a browser then accepts them only
 * from this very host, over HTTPS, for the whole site, so a sibling subdomain cannot plant a
 * CSRF token or a session of its own.
 */
export function cookieNames(secure: boolean): { session: string; csrf: string } {
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}intake_session`, csrf: `${prefix}intake_csrf` };
}

export function readCookies(request: IncomingMessage): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    // The first of two same-named cookies is the most specific one; a later one must not win.
    if (!cookies.has(name)) cookies.set(name, part.slice(at + 1).trim());
  }
  return cookies;
}

export interface CookieOptions {
  secure: boolean;
  sameSite: 'Strict' | 'Lax';
  /** Seconds; 0 removes the cookie; undefined: until the browser closes. */
  maxAge?: number;
}

/** Values are base64url tokens, so they need no quoting. */
export function cookieHeader(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${options.sameSite}`];
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Compares two secrets in time that does not depend on where they differ. */
export function sameSecret(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
