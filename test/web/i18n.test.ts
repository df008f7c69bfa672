import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every user-visible string exists in both languages: the two dictionaries have the same keys, no
// empty values, and every literal key the sources pass to t() is in them.

const DIR = new URL('../../web/src/', import.meta.url).pathname;
const load = (lang: string) =>
  JSON.parse(readFileSync(join(DIR, 'i18n', `${lang}.json`), 'utf8')) as Record<string, unknown>;

function flat(obj: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (obj && typeof obj === 'object')
    for (const [k, v] of Object.entries(obj)) flat(v, prefix ? `${prefix}.${k}` : k, out);
  else out.set(prefix, obj);
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

describe('dashboard dictionaries', () => {
  const ko = flat(load('ko'));
  const en = flat(load('en'));

  it('ko.json and en.json have the same keys', () => {
    expect([...ko.keys()].filter((k) => !en.has(k))).toEqual([]);
    expect([...en.keys()].filter((k) => !ko.has(k))).toEqual([]);
    expect(ko.size).toBeGreaterThan(100);
  });

  it('has no empty strings except the placeholder for no role', () => {
    for (const m of [ko, en])
      for (const [k, v] of m)
        if (k !== 'role.null') expect(typeof v === 'string' && v.length > 0, k).toBe(true);
  });

  it('Korean strings are Korean (at least one Hangul syllable in most of them)', () => {
    const hangul = [...ko.values()].filter((v) => typeof v === 'string' && /[\uac00-\ud7a3]/.test(v)).length;
    expect(hangul / ko.size).toBeGreaterThan(0.8);
  });

  it('every literal key used in the sources exists', () => {
    const missing: string[] = [];
    for (const file of sources(DIR)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g))
        if (!ko.has(m[1])) missing.push(`${file.slice(DIR.length)}: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });
});
