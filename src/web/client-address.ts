import type { IncomingMessage } from 'node:http';

/** `::ffff:127.0.0.1` and `127.0.0.1` are one address. */
function plain(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * The address a request came from. Only a peer listed in `server.trustedProxies` may say, in
 * X-Forwarded-For, whom it forwards: then the client is the right-most address there that is not
 * itself a trusted proxy. Anyone else's X-Forwarded-For is ignored (it could name anyone, and
 * spread a sign-in limit onto someone else's address).
 */
export function clientAddressOf(request: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = plain(request.socket.remoteAddress ?? 'unknown');
  if (!trustedProxies.includes(peer)) return peer;
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => plain(entry.trim()))
    .filter((entry) => entry !== '');
  for (let index = forwarded.length - 1; index >= 0; index--) {
    const address = forwarded[index] as string;
    if (!trustedProxies.includes(address)) return address;
  }
  return peer;
}
