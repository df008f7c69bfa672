import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// API tokens: `bgt_<id>_<secret>`. The id is public (logs, audit, the token list); the secret is 32
// random bytes. Only SHA-256 of the whole string is stored: with 256 bits of entropy a fast hash
// cannot be brute-forced, and a slow one (scrypt) would cost every API request tens of ms.

/** Secret bytes per token: 256 bits. */
export const TOKEN_SECRET_BYTES = 32;
/** Id bytes: 64 bits is plenty to keep ids distinct among a site's tokens. */
const TOKEN_ID_BYTES = 8;
const TOKEN_PREFIX = 'bgt_';
const TOKEN_PATTERN = /^bgt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function newToken(): { id: string; token: string } {
  const id = randomBytes(TOKEN_ID_BYTES).toString('hex');
  return { id, token: `${TOKEN_PREFIX}${id}_${randomBytes(TOKEN_SECRET_BYTES).toString('base64url')}` };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The id inside a well-formed token string, or undefined. */
export function tokenId(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
