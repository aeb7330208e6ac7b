import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Services } from '../app.ts';
import type { Listener } from '../config/config-types.ts';
import { projectRoot } from '../project-root.ts';
import { createSession, endSession, findSession, randomToken, type StaffSession } from '../staff/sessions.ts';
import { clientAddressOf } from './client-address.ts';
import { cookieHeader, cookieNames, readCookies, sameSecret } from './cookies.ts';
import { guardPages } from './guard-pages.ts';
import { AddressRateLimit } from './rate-limit.ts';
import { matchPattern, type RequestContext, type Route, type WebResponse } from './routes.ts';

export interface WebServer {
  /** Where the server listens, as `http://127.0.0.1:PORT` (the bound port, also when port 0 was asked). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const maxFormBytes = 64 * 1024;
// From the sources, also when their build under dist/ runs (it holds no stylesheet).
const stylesheet = readFileSync(path.join(projectRoot, 'src/web/style.css'));

/** On every response, whoever produced it. */
const securityHeaders: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  // The activation page's address holds its token: it must not travel to another site.
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/**
 * A listener whose address another program holds (another `intake start`, most often). Said in
 * words a person can act on: which listener, where, and how to run a second Intake beside the
 * first. `code` stays Node's, for callers that test it.
 */
class AddressInUseError extends Error {
  override name = 'AddressInUseError';
  readonly code = 'EADDRINUSE';
}

/** The listener's name, and the setting (and its variable) that moves it, by which configured listener it is. */
function listenerNames(
  config: Services['config'],
  listener: Listener,
): { name: string; setting: string; variable: string } {
  if (listener === config.activationServer)
    return { name: 'the activation page', setting: 'activationServer.port', variable: 'INTAKE_ACTIVATION_PORT' };
  if (listener === config.operatorServer)
    return { name: 'the operator listener', setting: 'operatorServer.port', variable: 'INTAKE_OPERATOR_PORT' };
  return { name: 'the console', setting: 'server.port', variable: 'INTAKE_HTTP_PORT' };
}

function addressInUse(config: Services['config'], listener: Listener): AddressInUseError {
  const { name, setting, variable } = listenerNames(config, listener);
  const other = listener.port + 10 <= 65535 ? listener.port + 10 : listener.port - 10;
  return new AddressInUseError(
    `${name} cannot listen on ${listener.host}:${listener.port}: another program holds that address, most ` +
      `likely another intake start (of this home or another). ` +
      `To run a second Intake beside it, give this one another port (${variable}=${other} intake start, ` +
      `or ${setting} in its configuration), ` +
      'or start it without its listeners (intake start --roles watcher,worker,scheduler,mail).',
  );
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly explanation: string,
  ) {
    super(title);
  }
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpRefusal(415, 'Not a form', 'This address takes only forms sent from its own pages.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxFormBytes) throw new HttpRefusal(413, 'Too much data', 'The form sent more than this page takes.');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Serves `routes` on `listener` (the console's, the activation page's or the operator's). What every page needs is
 * decided here, so no route can forget it: sign-in for staff routes, a CSRF check on every POST, the security
 * headers, and error pages that never show what went wrong inside.
 */
export async function startWebServer(
  services: Services,
  routes: Route[],
  listener: Listener = services.config.server,
): Promise<WebServer> {
  const { config, db, logger } = services;
  // The guards' answers: on the activation listener the person's own pages, in their language.
  const guardPage = guardPages(config, listener);
  const secure = config.server.secureCookies;
  const { session: SESSION_COOKIE, csrf: CSRF_COOKIE } = cookieNames(secure);
  const publicPosts = new AddressRateLimit(config.server.publicPostsPerMinute);
  // Turned-away requests are said once a minute, in one line, not one line (or row) each.
  const refusalReport = setInterval(() => {
    const { refused, addresses } = publicPosts.drainRefusals();
    if (refused > 0) logger.warn('public form posts turned away by the rate limit', { refused, addresses });
  }, 60_000);
  refusalReport.unref();

  async function respond(request: IncomingMessage, url: URL, cookiesOut: string[]): Promise<WebResponse> {
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (method === 'GET' && url.pathname === '/style.css')
      return { body: stylesheet, contentType: 'text/css; charset=utf-8' };
    const fitting = routes
      .map((route) => ({ route, params: matchPattern(route.pattern, url.pathname) }))
      .filter((m) => m.params !== null);
    const addressOnly = { url, form: null };
    if (fitting.length === 0) return guardPage({ kind: 'no such page', status: 404 }, addressOnly);
    const match = fitting.find((m) => m.route.method === method);
    if (!match) {
      const allowed = [...new Set(fitting.map((m) => m.route.method))].join(', ');
      return { ...guardPage({ kind: 'no such page', status: 405 }, addressOnly), headers: { Allow: allowed } };
    }
    const { route } = match;
    const clientAddress = clientAddressOf(request, config.server.trustedProxies);
    if (method === 'POST' && route.access === 'public') {
      const wait = publicPosts.take(clientAddress);
      if (wait !== null) {
        // The body is not read: the page's language comes from the form's address (`?lang=`).
        const tooMany = guardPage({ kind: 'too many posts', status: 429, wait }, addressOnly);
        return { ...tooMany, headers: { 'Retry-After': String(wait) } };
      }
    }
    const cookies = readCookies(request);
    const sessionCookie = cookies.get(SESSION_COOKIE);
    const session: StaffSession | null = sessionCookie ? await findSession(db, sessionCookie) : null;

    if (route.access === 'staff' && session === null) {
      if (method === 'GET') return { redirect: `/login?next=${encodeURIComponent(url.pathname + url.search)}` };
      // Nothing is done, and the body is not even read.
      throw new HttpRefusal(
        403,
        'Signed out',
        'You are not signed in, or your session has ended. Sign in again, then repeat what you were doing.',
      );
    }

    const form = method === 'POST' ? await readForm(request) : new URLSearchParams();
    let csrfToken: string;
    if (route.access === 'staff') {
      csrfToken = (session as StaffSession).csrfToken;
    } else {
      // Double-submit: a page anyone may open carries the token of a cookie only this site can set.
      const fromCookie = cookies.get(CSRF_COOKIE);
      csrfToken = fromCookie && /^[A-Za-z0-9_-]{43}$/.test(fromCookie) ? fromCookie : randomToken();
      if (csrfToken !== fromCookie) cookiesOut.push(cookieHeader(CSRF_COOKIE, csrfToken, { secure, sameSite: 'Lax' }));
    }
    if (method === 'POST') {
      const expected = route.access === 'staff' ? (session as StaffSession).csrfToken : cookies.get(CSRF_COOKIE);
      if (!sameSecret(form.get('_csrf'), expected)) {
        // Refused, and nothing of the form is acted on; the activation page's refusal only reads
        // its language and, to link back to it, the person's own token.
        return guardPage({ kind: 'form refused', status: 403 }, { url, form });
      }
    }

    const language = (url.searchParams.get('lang') ?? form.get('lang')) === 'fr' ? 'fr' : 'en';
    const context: RequestContext = {
      services,
      request,
      url,
      form,
      params: match.params as Record<string, string>,
      staff: session ? { username: session.username, displayName: session.displayName } : null,
      csrfToken,
      language,
      clientAddress,
      async startSession(username) {
        if (sessionCookie) await endSession(db, sessionCookie);
        const created = await createSession(db, username, config.server.sessionHours);
        cookiesOut.push(cookieHeader(SESSION_COOKIE, created.cookieValue, { secure, sameSite: 'Strict' }));
      },
      async endSession() {
        if (sessionCookie) await endSession(db, sessionCookie);
        cookiesOut.push(cookieHeader(SESSION_COOKIE, '', { secure, sameSite: 'Strict', maxAge: 0 }));
      },
    };
    return route.handle(context);
  }

  function write(response: ServerResponse, result: WebResponse, cookiesOut: string[], head: boolean): void {
    let status: number;
    let body: string | Buffer = '';
    let headers: Record<string, string | string[]>;
    if ('redirect' in result) {
      status = result.status ?? 303;
      headers = { Location: result.redirect };
    } else if ('html' in result) {
      status = result.status ?? 200;
      headers = { ...result.headers, 'Content-Type': 'text/html; charset=utf-8' };
      body = result.html.text;
    } else {
      status = result.status ?? 200;
      headers = { ...result.headers, 'Content-Type': result.contentType };
      body = result.body;
    }
    // Last, so that no route can weaken them.
    Object.assign(headers, securityHeaders, { 'Content-Length': String(Buffer.byteLength(body)) });
    // Behind TLS, browsers are told never to come back over plain HTTP, where cookies could be planted.
    if (secure) headers['Strict-Transport-Security'] = 'max-age=31536000';
    // A route's own cookies (the activation sign-in's) and the guards' go out together.
    if (cookiesOut.length > 0) {
      const own = headers['Set-Cookie'];
      headers['Set-Cookie'] = [...(own === undefined ? [] : Array.isArray(own) ? own : [String(own)]), ...cookiesOut];
    }
    response.writeHead(status, headers);
    response.end(head ? undefined : body);
  }

  const server = createServer((request, response) => {
    const cookiesOut: string[] = [];
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://intake.invalid');
    } catch {
      write(response, guardPage({ kind: 'no such page', status: 400 }, { url: null, form: null }), [], false);
      return;
    }
    respond(request, url, cookiesOut)
      .then((result) => write(response, result, cookiesOut, request.method === 'HEAD'))
      .catch((error: unknown) => {
        if (error instanceof HttpRefusal) {
          // The rest of a refused body is not read: the connection closes after the answer.
          const words = { title: error.title, explanation: error.explanation };
          const refusal = guardPage({ kind: 'form refused', status: error.status, words }, { url, form: null });
          write(response, { ...refusal, headers: { Connection: 'close' } }, [], false);
          return;
        }
        // The path only: the query may hold an activation token, and form values are never logged.
        logger.error('web request failed', {
          method: request.method,
          path: url.pathname,
          error: (error as Error).message,
          stack: (error as Error).stack,
        });
        if (response.headersSent) {
          response.destroy();
          return;
        }
        write(response, guardPage({ kind: 'failed', status: 500 }, { url, form: null }), [], false);
      });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      clearInterval(refusalReport);
      reject(error.code === 'EADDRINUSE' ? addressInUse(config, listener) : error);
    };
    server.once('error', failed);
    server.listen(listener.port, listener.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = ['0.0.0.0', '::'].includes(address.address)
    ? '127.0.0.1'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    async stop() {
      clearInterval(refusalReport);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A browser's keep-alive connection must not hold up a stop.
      const timer = setTimeout(() => server.closeAllConnections(), 2000);
      await closed;
      clearTimeout(timer);
    },
  };
}
