import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNode, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { scenarioSchema, type Scenario } from './schema.ts';

/** One problem in a configuration file, located by its path and (where known) its line. */
export interface ConfigProblem {
  path: string;
  line?: number;
  message: string;
}

/** Thrown for a configuration that cannot be used; carries every problem found, not just the first. */
export class ConfigError extends Error {
  readonly code = 'BITGRID_ERR_CONFIG';
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${file}: ${problems.length} problem(s)\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'),
    );
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.line !== undefined ? `line ${p.line}: ` : ''}${p.path || '(root)'}: ${p.message}`;
}

export interface LoadedScenario {
  scenario: Scenario;
  /** Absolute path of the file, or a description for built-in scenarios. */
  file: string;
  /** Folder that relative paths inside the scenario are resolved against. */
  baseDir: string;
}

const here = dirname(fileURLToPath(import.meta.url));
export const REFERENCE_SCENARIO_FILE = resolve(here, '../../scenarios/gwangju.yaml');

export function loadScenarioFile(file: string = REFERENCE_SCENARIO_FILE): LoadedScenario {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError(abs, [{ path: '', message: `cannot read file: ${(e as Error).message}` }]);
  }
  return { scenario: parseScenario(text, abs), file: abs, baseDir: dirname(abs) };
}

export function parseScenario(text: string, file = '<input>'): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const syntax = [...doc.errors, ...doc.warnings].map((e) => ({
    path: '',
    line: e.linePos?.[0]?.line,
    // The line is given on its own; the parser's "at line L, column C:" suffix only repeats it.
    message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''),
  }));
  if (doc.errors.length > 0) throw new ConfigError(file, syntax);
  const data = toData(doc, lineCounter, file);
  const result = scenarioSchema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map((k) => k as string | number);
    return {
      path: formatPath(path),
      line: lineOf(doc, lineCounter, path),
      message: describe(issue),
    };
  });
  throw new ConfigError(file, problems);
}

/**
 * Most alias expansions in one file. YAML aliases can nest so that a few lines expand to billions of
 * nodes ("billion laughs"); a district file has no use for more than a handful, so this is the
 * parser's own default bound, made explicit.
 */
export const YAML_MAX_ALIAS_COUNT = 100;

/**
 * The document as plain data. Alias problems only surface here (an alias to an anchor defined later or
 * nowhere, or aliases expanding past YAML_MAX_ALIAS_COUNT), thrown by the YAML library without a
 * position, so they are located by walking the aliases.
 */
function toData(doc: Document, lc: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT });
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    const aliases: { line?: number; source: string; resolved: boolean }[] = [];
    visit(doc, {
      Alias(_key, node) {
        const line = node.range ? lc.linePos(node.range[0]).line : undefined;
        aliases.push({ line, source: node.source, resolved: node.resolve(doc) !== undefined });
      },
    });
    const unresolved = aliases.filter((a) => !a.resolved);
    if (unresolved.length > 0)
      throw new ConfigError(
        file,
        unresolved.map((a) => ({
          path: '',
          line: a.line,
          message: `alias *${a.source} refers to no anchor &${a.source} defined before it`,
        })),
      );
    if (/alias/i.test(message))
      throw new ConfigError(file, [
        {
          path: '',
          line: aliases[0]?.line,
          message: `aliases expand to too much data (more than ${YAML_MAX_ALIAS_COUNT} expansions, from the alias on this line on)`,
        },
      ]);
    throw new ConfigError(file, [{ path: '', message }]);
  }
}

function describe(issue: { code: string; message: string; keys?: string[] }): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) return `unknown key(s): ${issue.keys.join(', ')}`;
  return issue.message;
}

function formatPath(path: (string | number)[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');
}

function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): number | undefined {
  // Walk up until a node exists: a missing key is reported at its parent object.
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}
