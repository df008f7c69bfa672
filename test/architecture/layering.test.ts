import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The folders of src/ in layers, lowest first (docs/ARCHITECTURE.md draws the same picture). A
// module may import from its own folder and from folders of lower layers only, so no folder-level
// import cycle can form: a new upward import fails here, with the file and the line that made it.
const LAYERS: string[][] = [
  ['model'],
  ['weather', 'tariff', 'drivers'],
  ['store', 'sim'],
  ['ledger', 'forecast', 'strategy', 'twin'],
  ['optimize', 'control', 'report'],
  ['scenario'],
  ['testbed'],
  ['live'],
  ['server', 'fleet'],
  ['cli'],
];

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const SOURCE_FILE = /\.(ts|mts|mjs|tsx)$/;
// Static imports and re-exports, dynamic import() and worker URLs: every way a module reaches another.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new URL\(\s*)(['"])(\.{1,2}\/[^'"\n]+)\1/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return SOURCE_FILE.test(e.name) && !e.name.endsWith('.d.mts') ? [p] : [];
  });
}

const folderOf = (file: string) => relative(SRC, file).split(sep)[0];

interface CrossImport {
  from: string;
  to: string;
  where: string;
}

function crossFolderImports(): CrossImport[] {
  const out: CrossImport[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolve(dirname(file), m[2]);
      if (!target.startsWith(SRC + sep)) continue; // package.json, docs/: not a layer
      const from = folderOf(file);
      const to = folderOf(target);
      if (from === to || !SOURCE_FILE.test(target)) continue;
      const line = text.slice(0, m.index).split('\n').length;
      out.push({
        from,
        to,
        where: `src/${relative(SRC, file).split(sep).join('/')}:${line} imports ${m[2]}`,
      });
    }
  }
  return out;
}

const layerOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

describe('layering of src/', () => {
  it('puts every folder of src/ in a layer', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders.filter((f) => !layerOf.has(f))).toEqual([]);
  });

  it('imports only from lower layers', () => {
    const imports = crossFolderImports();
    // The scan must see the imports that hold the system together, or the check below proves nothing.
    expect(imports.some((i) => i.from === 'cli' && i.to === 'scenario')).toBe(true);
    expect(imports.length).toBeGreaterThan(100);
    const upward = imports.filter((i) => layerOf.get(i.to)! >= layerOf.get(i.from)!).map((i) => i.where);
    expect(upward).toEqual([]);
  });
});
