import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';

// Validation against the component schemas of the OpenADR 3.0.1 OpenAPI definition
// (spec/openadr3.yaml, Apache-2.0, see spec/NOTICE). OpenAPI 3.0 keywords that are not JSON
// Schema (example, discriminator) are ignored; `nullable` is understood by ajv; OpenAPI 3.0's
// boolean exclusiveMaximum/exclusiveMinimum (draft-04 style) is rewritten to the numeric form.

const require = createRequire(import.meta.url);
const Ajv = require('ajv') as typeof import('ajv').default;
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;

export const OPENADR_SPEC_FILE = fileURLToPath(new URL('./spec/openadr3.yaml', import.meta.url));
const ROOT_ID = 'https://bitgrid.invalid/openadr3.json';

export type OpenAdrComponent =
  | 'program'
  | 'event'
  | 'report'
  | 'subscription'
  | 'ven'
  | 'resource'
  | 'notification'
  | 'problem'
  | 'clientCredentialRequest'
  | 'clientCredentialResponse';

export interface SchemaCheck {
  ok: boolean;
  /** `event[0].intervals: must have required property 'intervals'` style messages. */
  errors: string[];
}

let ajv: InstanceType<typeof Ajv> | undefined;
const compiled = new Map<string, ValidateFunction>();

/** OpenAPI 3.0 schema object → JSON Schema draft-07 where the two differ. */
function toDraft7(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toDraft7);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = toDraft7(v);
  for (const [flag, bound] of [
    ['exclusiveMaximum', 'maximum'],
    ['exclusiveMinimum', 'minimum'],
  ] as const) {
    if (out[flag] === true && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else if (out[flag] === false) {
      delete out[flag];
    }
  }
  return out;
}

function instance() {
  if (!ajv) {
    const doc = toDraft7(parseYaml(readFileSync(OPENADR_SPEC_FILE, 'utf8'))) as { components: unknown };
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(ajv);
    ajv.addSchema({ $id: ROOT_ID, components: doc.components });
  }
  return ajv;
}

function validator(component: OpenAdrComponent, array: boolean): ValidateFunction {
  const key = `${component}${array ? '[]' : ''}`;
  let fn = compiled.get(key);
  if (!fn) {
    const ref = { $ref: `${ROOT_ID}#/components/schemas/${component}` };
    fn = instance().compile(array ? { type: 'array', items: ref } : ref);
    compiled.set(key, fn);
  }
  return fn;
}

function describe(label: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? [])
    .slice(0, 10)
    .map((e) => `${label}${e.instancePath.replace(/\//g, '.')}: ${e.message ?? e.keyword}`);
}

export function checkSchema(component: OpenAdrComponent, data: unknown): SchemaCheck {
  const fn = validator(component, false);
  return fn(data) ? { ok: true, errors: [] } : { ok: false, errors: describe(component, fn.errors) };
}

export function checkSchemaArray(component: OpenAdrComponent, data: unknown): SchemaCheck {
  const fn = validator(component, true);
  return fn(data) ? { ok: true, errors: [] } : { ok: false, errors: describe(`${component}[]`, fn.errors) };
}

export class SchemaError extends Error {
  constructor(
    readonly what: string,
    readonly errors: string[],
  ) {
    super(`${what} does not match the OpenADR 3.0.1 schema: ${errors.join('; ')}`);
    this.name = 'SchemaError';
  }
}
