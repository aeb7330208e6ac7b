import { request as httpRequest } from 'node:http';

/**
 * Plain HTTP against the web server, as a script (not a browser) would send it: for what a
 * browser would never send, such as a form without its CSRF token.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  take(response: { headers: Headers }): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, at);
      const value = (pair ?? '').slice(at + 1);
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export interface Fetched {
  status: number;
  location: string | null;
  headers: Headers;
  text: string;
}

export async function getPage(url: string, jar: CookieJar): Promise<Fetched> {
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.take(response);
  return {
    status: response.status,
    location: response.headers.get('location'),
    headers: response.headers,
    text: await response.text(),
  };
}

export async function postForm(url: string, jar: CookieJar, fields: Record<string, string>): Promise<Fetched> {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams(fields),
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
  });
  jar.take(response);
  return {
    status: response.status,
    location: response.headers.get('location'),
    headers: response.headers,
    text: await response.text(),
  };
}

/** The `_csrf` hidden field of a page. */
export function csrfField(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('the page has no CSRF field');
  return match[1] as string;
}

/**
 * A request sent from another loopback address (127.0.0.2, …): the server sees another client,
 * as it would another computer, so limits per address can be told from limits per account.
 */
export function requestFrom(
  localAddress: string,
  url: string,
  jar: CookieJar,
  fields?: Record<string, string>,
  extraHeaders: Record<string, string> = {},
): Promise<Fetched> {
  const body = fields ? new URLSearchParams(fields).toString() : undefined;
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        localAddress,
        headers: {
          ...extraHeaders,
          cookie: jar.header(),
          ...(body === undefined
            ? {}
            : {
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': String(Buffer.byteLength(body)),
              }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
              headers.append(name, one);
          }
          jar.take({ headers });
          resolve({
            status: response.statusCode ?? 0,
            location: headers.get('location'),
            headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
