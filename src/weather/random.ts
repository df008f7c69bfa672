// Seeded pseudo-random numbers for reproducible simulations: xoshiro128** (Blackman & Vigna 2018) seeded
// through splitmix32, normals by Box–Muller, and a counter-based hash for deriving independent sub-seeds
// (one stream per day, per asset …) so that any part of a run can be regenerated on its own.

/** A seeded generator. Same seed, same sequence, on every platform. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** Integer uniform in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Normal with the given mean and standard deviation. */
  gaussian(mean: number, sd: number): number;
  /** true with probability p. */
  bernoulli(p: number): boolean;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
  /** An independent generator derived from this one's seed and a label (does not advance this one). */
  fork(label: number | string): Random;
}

/** The 32-bit finaliser of MurmurHash3: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function labelToInt(label: number | string): number {
  if (typeof label === 'number') {
    // Integers hash as themselves (both halves for values beyond 32 bits); other numbers by their bits.
    if (Number.isInteger(label) && Math.abs(label) < 2 ** 53) {
      const lo = label >>> 0;
      const hi = Math.floor(label / 2 ** 32) >>> 0;
      return fmix32(lo ^ fmix32(hi + 0x9e3779b9));
    }
    const f = new Float64Array([label]);
    const u = new Uint32Array(f.buffer);
    return fmix32(u[0] ^ fmix32(u[1]));
  }
  let h = 0x811c9dc5; // FNV-1a over UTF-16 code units
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h >>> 0);
}

/**
 * A 32-bit seed derived from a seed and any number of labels (integers or strings). Different label lists
 * give statistically independent seeds; use it for counter-based streams, e.g. `hashSeed(seed, 'cloud', day)`.
 */
export function hashSeed(seed: number, ...labels: (number | string)[]): number {
  let h = fmix32(labelToInt(seed) ^ 0x6a09e667);
  for (const l of labels) h = fmix32((h ^ labelToInt(l)) + Math.imul(h, 0x9e3779b9) + 0x7f4a7c15);
  return h;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const TWO_POW_32 = 4294967296;

/** A xoshiro128** generator for a seed (any number; non-integers and strings are hashed). */
export function createRandom(seed: number | string): Random {
  const baseSeed = typeof seed === 'number' && Number.isInteger(seed) ? seed : labelToInt(seed);
  const sm = splitmix32(hashSeed(baseSeed));
  let a = sm();
  let b = sm();
  let c = sm();
  let d = sm();
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point
  let spare = NaN;

  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = (): number => nextU32() / TWO_POW_32;
  const normal = (): number => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    let u = 0;
    while (u === 0) u = next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (n) => Math.floor(next() * n),
    normal,
    gaussian: (mean, sd) => mean + sd * normal(),
    bernoulli: (p) => next() < p,
    exponential: (mean) => {
      let u = 0;
      while (u === 0) u = next();
      return -mean * Math.log(u);
    },
    fork: (label) => createRandom(hashSeed(baseSeed, label)),
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Standard normal cumulative distribution Φ(x), absolute error below 1e-7. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // Complementary error function by the Chebyshev fit of Press et al., "Numerical Recipes" (erfcc):
  // fractional error below 1.2e-7 everywhere.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * Inverse of the standard normal distribution, Φ⁻¹(p), by P. J. Acklam's rational approximation
 * (relative error < 1.15e-9).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - pLow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
