import { createHash } from 'node:crypto';
import type { TokenRecord } from '../store/index.ts';

// Token checks without a store round trip on every request. The control room must keep its view
// (and its overrides) while the store is briefly unreachable, and a store that is slow under load
// should not put a query in front of every read. Entries are keyed by the SHA-256 of the token, so
// the cache holds no secret the store does not already hold.
//
// - a fresh entry (checked less than TOKEN_CACHE_FRESH_MS ago) is used without asking the store;
// - an older one is re-checked against the store, whose answer wins (a revocation made elsewhere,
//   e.g. with the CLI, is honoured as soon as the store answers);
// - when the store cannot answer, an entry checked less than TOKEN_CACHE_MAX_STALE_MS ago still
//   stands, so reads go on through an outage of that length; past it the request gets 503;
// - revoking through the API drops the token's entries at once.

/**
 * How long a successful check stands without asking the store again, wall ms. A minute keeps the
 * store out of almost every request of a dashboard that polls every second, and bounds how long a
 * revocation made outside the API (the CLI, another server on the same store) goes unnoticed.
 */
export const TOKEN_CACHE_FRESH_MS = 60_000;
/**
 * How long a check still stands while the store cannot be reached, wall ms. Fifteen minutes covers
 * a database restart or failover and a disk being cleared; an outage longer than that is one the
 * operators must see, and a token revoked during it is refused once the store answers again.
 */
export const TOKEN_CACHE_MAX_STALE_MS = 15 * 60_000;
/**
 * Most tokens remembered at once. A district has tens of tokens; the bound keeps a flood of distinct
 * valid tokens (there cannot be many) from growing memory, and the oldest entry goes first.
 */
export const TOKEN_CACHE_MAX_ENTRIES = 1_000;

interface Entry {
  rec: TokenRecord;
  /** Wall ms of the last successful check against the store. */
  checkedWallMs: number;
}

export interface TokenCacheOptions {
  freshMs?: number;
  maxStaleMs?: number;
  maxEntries?: number;
  /** Wall clock (not the twin's): the bounds above are real time. */
  wallNow?: () => number;
}

export type TokenCheck =
  | { kind: 'valid'; rec: TokenRecord; cached: boolean }
  | { kind: 'invalid' }
  | { kind: 'unavailable'; error: unknown };

function keyOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  /**
   * Ids revoked through this server: a check that was already in flight when the revocation landed
   * must not put the token back. Revocation is final, and tokens are few, so the set stays small.
   */
  private readonly revoked = new Set<string>();
  private readonly freshMs: number;
  private readonly maxStaleMs: number;
  private readonly maxEntries: number;
  private readonly wallNow: () => number;

  constructor(o: TokenCacheOptions = {}) {
    this.freshMs = o.freshMs ?? TOKEN_CACHE_FRESH_MS;
    this.maxStaleMs = Math.max(this.freshMs, o.maxStaleMs ?? TOKEN_CACHE_MAX_STALE_MS);
    this.maxEntries = o.maxEntries ?? TOKEN_CACHE_MAX_ENTRIES;
    this.wallNow = o.wallNow ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Checks a presented token, from the cache when fresh, else with `verify` (the store). */
  async check(
    token: string,
    verify: (token: string) => Promise<TokenRecord | undefined>,
  ): Promise<TokenCheck> {
    const key = keyOf(token);
    const wall = this.wallNow();
    const hit = this.entries.get(key);
    if (hit && wall - hit.checkedWallMs < this.freshMs) return { kind: 'valid', rec: hit.rec, cached: true };
    let rec: TokenRecord | undefined;
    try {
      rec = await verify(token);
    } catch (error) {
      if (hit && wall - hit.checkedWallMs < this.maxStaleMs)
        return { kind: 'valid', rec: hit.rec, cached: true };
      if (hit) this.entries.delete(key);
      return { kind: 'unavailable', error };
    }
    if (!rec || this.revoked.has(rec.id)) {
      this.entries.delete(key);
      return { kind: 'invalid' };
    }
    // Re-inserted at the end: Map order is the eviction order, oldest check first.
    this.entries.delete(key);
    this.entries.set(key, { rec, checkedWallMs: wall });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return { kind: 'valid', rec, cached: false };
  }

  /** Drops every entry of a token id revoked through the API; it is refused from now on. */
  forget(tokenId: string): void {
    this.revoked.add(tokenId);
    for (const [k, e] of this.entries) if (e.rec.id === tokenId) this.entries.delete(k);
  }

  clear(): void {
    this.entries.clear();
  }
}
