import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../src/config/config.ts';
import { connectionSecret, newPin, newToken, pinHash, pinMatches, tokenHash } from '../src/connections/secrets.ts';

describe('PIN and token secrets', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(path.join(tmpdir(), 'intake-secrets-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('without a configured key, one is generated once under the home, readable by the owner only', () => {
    const config = loadConfig({ home }, {});
    const first = connectionSecret(config);
    const file = path.join(home, 'secrets', 'connection.key');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).to.equal(0o700);
    expect(first).to.have.length(32);
    expect(connectionSecret(loadConfig({ home }, {})).equals(first)).to.equal(true);
    expect(readFileSync(file, 'utf8').trim()).to.equal(first.toString('hex'));
  });

  it('a configured key is used as given, and a short one is refused at start-up', () => {
    const key = 'k'.repeat(40);
    expect(connectionSecret(loadConfig({ home, 'connections.secret': key }, {})).toString()).to.equal(key);
    expect(() => loadConfig({ home }, { INTAKE_CONNECTION_SECRET: 'short' })).to.throw(/at least 32 characters/);
  });

  it('PINs are 4 digits; their hashes depend on the key and the connection', () => {
    const pins = Array.from({ length: 2000 }, newPin);
    expect(pins.every((pin) => /^\d{4}$/.test(pin))).to.equal(true);
    expect(new Set(pins).size).to.be.greaterThan(1500);
    const key = Buffer.alloc(32, 1);
    const hash = pinHash(key, '7', '0472');
    expect(pinMatches(key, '7', '0472', hash)).to.equal(true);
    expect(pinMatches(key, '8', '0472', hash)).to.equal(false);
    expect(pinMatches(Buffer.alloc(32, 2), '7', '0472', hash)).to.equal(false);
  });

  it('tokens carry 256 random bits and are stored as their SHA-256', () => {
    const token = newToken();
    expect(Buffer.from(token, 'base64url')).to.have.length(32);
    expect(newToken()).to.not.equal(token);
    expect(tokenHash(token)).to.have.length(32);
  });
});
