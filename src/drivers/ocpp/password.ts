import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

// Basic-auth passwords (OCPP security profiles 1 and 2) are kept only as scrypt hashes.
// Format: scrypt$N$r$p$salt_b64$hash_b64.

const KEY_LENGTH = 32;
const DEFAULT_COST = { N: 16_384, r: 8, p: 1 };

export function hashPassword(password: string | Buffer, cost = DEFAULT_COST): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LENGTH, { ...cost, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export function parsePasswordHash(encoded: string): ParsedHash {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw new Error('not an scrypt password hash');
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0)) throw new Error('bad scrypt cost parameters');
  return { N, r, p, salt: Buffer.from(parts[4], 'base64'), hash: Buffer.from(parts[5], 'base64') };
}

/** Constant-time check; runs scrypt on the libuv pool so the event loop stays free. */
export function verifyPassword(password: Buffer | undefined, parsed: ParsedHash): Promise<boolean> {
  if (!password) return Promise.resolve(false);
  return new Promise((resolve) => {
    scrypt(
      password,
      parsed.salt,
      parsed.hash.length,
      { N: parsed.N, r: parsed.r, p: parsed.p, maxmem: 64 * 1024 * 1024 },
      (err, derived) => {
        if (err) return resolve(false);
        resolve(derived.length === parsed.hash.length && timingSafeEqual(derived, parsed.hash));
      },
    );
  });
}
