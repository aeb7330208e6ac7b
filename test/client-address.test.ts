import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import { clientAddressOf } from '../src/web/client-address.ts';

const request = (peer: string, forwarded?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as IncomingMessage;

describe('the client address a request is counted under', () => {
  const proxies = ['10.0.0.5', '10.0.0.6'];

  it('is the peer when the peer is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddressOf(request('203.0.113.9', '198.51.100.1'), proxies)).to.equal('203.0.113.9');
    expect(clientAddressOf(request('::ffff:203.0.113.9'), proxies)).to.equal('203.0.113.9');
  });

  it('behind trusted proxies, is the right-most forwarded address that is not one of them', () => {
    expect(clientAddressOf(request('10.0.0.5', '198.51.100.7'), proxies)).to.equal('198.51.100.7');
    // A client may put anything on the left; only what the proxies added counts.
    expect(clientAddressOf(request('10.0.0.5', '1.2.3.4, 198.51.100.7, 10.0.0.6'), proxies)).to.equal('198.51.100.7');
  });

  it('is the proxy itself when it forwards nothing', () => {
    expect(clientAddressOf(request('10.0.0.5'), proxies)).to.equal('10.0.0.5');
  });
});
