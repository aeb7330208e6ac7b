import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/config.ts';
import { readOrCreateSecret, secretFile } from '../config/secret-files.ts';

const secrets = new Map<string, Buffer>();

/**
 * The key of the PIN hashes: from configuration (INTAKE_CONNECTION_SECRET), else generated once
 * under the home folder, readable by the owner only. Several machines must share a configured one.
 */
export function connectionSecret(config: Config): Buffer {
  if (config.connections.secret !== null) return Buffer.from(config.connections.secret, 'utf8');
  const file = secretFile(config, 'connection.key');
  const known = secrets.get(file);
  if (known) return known;
  const secret = Buffer.from(readOrCreateSecret(file), 'hex');
  if (secret.length < 32)
    throw new Error(`${file} does not hold a 32-byte key; remove it only if no PIN is outstanding.`);
  secrets.set(file, secret);
  return secret;
}

/** Four digits from the operating system's CSPRNG, leading zeros kept. */
export function newPin(): string {
  return String(randomInt(0, 10_000)).padStart(4, '0');
}

/** Keyed with the server secret and salted with the connection: equal PINs hash differently. */
export function pinHash(secret: Buffer, connectionId: number | string, pin: string): Buffer {
  return createHmac('sha256', secret).update(`pin:${connectionId}:${pin}`).digest();
}

export function pinMatches(secret: Buffer, connectionId: number | string, pin: string, stored: Buffer): boolean {
  const candidate = pinHash(secret, connectionId, pin);
  return stored.length === candidate.length && timingSafeEqual(stored, candidate);
}

/**
 * 256 random bits, URL-safe: a new one for every email sent. Only its SHA-256 is stored, so the
 * database and the key together still do not give anyone a working link.
 */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Names the key without revealing it: recorded in the database so machines with another key refuse to run. */
export function keyFingerprint(secret: Buffer): Buffer {
  return createHmac('sha256', secret).update('fingerprint').digest().subarray(0, 16);
}

export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
