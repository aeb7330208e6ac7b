import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/** Shorter passwords are refused; longer ones are cut off by nothing but this bound on work. */
const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

// N = 2^15, r = 8: 32 MiB and some tens of milliseconds per hash, on the thread pool.
const defaults = { N: 2 ** 15, r: 8, p: 1 } as const;
const keyLength = 32;
const saltLength = 16;

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  // Node's default memory cap is exactly 32 MiB, which N = 2^15, r = 8 needs plus a little.
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** What makes a password acceptable; null when it is. */
export function passwordProblem(password: string): string | null {
  if (Array.from(password).length < MIN_PASSWORD_LENGTH)
    return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password may have at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(saltLength);
  const key = await derive(password, salt, defaults);
  return ['scrypt', defaults.N, defaults.r, defaults.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface StoredHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseStoredHash(stored: string): StoredHash | null {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || rest.length > 0 || salt === undefined || key === undefined) return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  // Bounds keep a damaged row from costing the server a gigabyte per sign-in.
  const powerOfTwo =
    Number.isInteger(cost.N) && cost.N >= 2 ** 10 && cost.N <= 2 ** 20 && (cost.N & (cost.N - 1)) === 0;
  if (
    !powerOfTwo ||
    !Number.isInteger(cost.r) ||
    cost.r < 1 ||
    cost.r > 32 ||
    !Number.isInteger(cost.p) ||
    cost.p < 1 ||
    cost.p > 16
  )
    return null;
  const parsed = { ...cost, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
  return parsed.salt.length >= 8 && parsed.key.length >= 16 ? parsed : null;
}

export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (parsed === null || password.length > MAX_PASSWORD_LENGTH) {
    await spendLikeAHash(password);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

let decoy: Promise<string> | null = null;

/**
 * The work of checking a password against an account that does not exist: an unknown username
 * takes as long as a wrong password, so timing does not tell which accounts exist.
 */
export async function spendLikeAHash(password: string): Promise<void> {
  decoy ??= hashPassword(randomBytes(18).toString('base64'));
  const parsed = parseStoredHash(await decoy) as StoredHash;
  await derive(password.slice(0, MAX_PASSWORD_LENGTH), parsed.salt, parsed);
}
