import { z } from 'zod';
import type { ConfigProblem } from '../model/load.ts';
import type { Driver, DriverContext, DriverFactory } from './types.ts';

// The driver registry: factories keyed by their `type` name, validation of a district file's
// `devices:` list against every factory's config schema, and driver creation.

/** Device and asset ids follow the district file's id rule. */
export const deviceIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, "-" or "_"');
export const assetIdSchema = deviceIdSchema;

export type { ConfigProblem };

/** A device config that cannot be used; carries every problem found. */
export class DeviceConfigError extends Error {
  readonly code = 'BITGRID_ERR_DEVICE_CONFIG';
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `device configuration: ${problems.length} problem(s)\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
  }
}

export interface DriverRegistry {
  /** Adds a factory; throws when its type name is already registered. */
  register(factory: DriverFactory): void;
  /** Registered type names, sorted. */
  types(): string[];
  get(type: string): DriverFactory | undefined;
  /**
   * Checks a `devices:` list: every entry's type must be registered and its config valid under
   * that factory's (strict) schema; device ids must be unique. Returns every problem found, with
   * paths like `devices[2].port` (`pathPrefix` replaces `devices`).
   */
  validateDeviceConfig(list: unknown[], pathPrefix?: string): ConfigProblem[];
  /** Parses one device config (defaults applied); throws DeviceConfigError when invalid. */
  parseDeviceConfig(config: unknown): { id: string; type: string };
  /** Validates `config` with its factory's schema and creates the driver. */
  createDriver(config: unknown, ctx: DriverContext): Driver;
}

export function createRegistry(): DriverRegistry {
  const factories = new Map<string, DriverFactory>();

  const types = (): string[] => [...factories.keys()].sort();

  function check(
    config: unknown,
    path: string,
  ): { problems: ConfigProblem[]; parsed?: { id: string; type: string } } {
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      return { problems: [{ path, message: 'must be an object with a "type"' }] };
    const type = (config as { type?: unknown }).type;
    const valid = `(valid: ${types().join(', ')})`;
    if (type === undefined) return { problems: [{ path: `${path}.type`, message: `required ${valid}` }] };
    const factory = typeof type === 'string' ? factories.get(type) : undefined;
    if (!factory)
      return {
        problems: [{ path: `${path}.type`, message: `unknown driver type ${JSON.stringify(type)} ${valid}` }],
      };
    const result = factory.configSchema.safeParse(config);
    if (result.success) return { problems: [], parsed: result.data };
    return {
      problems: result.error.issues.map((issue) => ({
        path: joinPath(path, issue.path),
        message:
          issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.join(', ')}` : issue.message,
      })),
    };
  }

  function parseDeviceConfig(config: unknown): { id: string; type: string } {
    const r = check(config, 'device');
    if (!r.parsed) throw new DeviceConfigError(r.problems);
    return r.parsed;
  }

  return {
    register(factory) {
      if (!factory || typeof factory.type !== 'string' || factory.type === '')
        throw new Error('driver factory needs a non-empty type name');
      if (factories.has(factory.type)) throw new Error(`driver type "${factory.type}" is already registered`);
      factories.set(factory.type, factory);
    },
    types,
    get: (type) => factories.get(type),
    validateDeviceConfig(list, pathPrefix = 'devices') {
      if (!Array.isArray(list)) return [{ path: pathPrefix, message: 'must be a list of devices' }];
      const problems: ConfigProblem[] = [];
      const ids = new Map<string, string>();
      list.forEach((entry, i) => {
        const path = `${pathPrefix}[${i}]`;
        const r = check(entry, path);
        problems.push(...r.problems);
        const id = r.parsed?.id ?? (entry as { id?: unknown } | null)?.id;
        if (typeof id === 'string') {
          const seen = ids.get(id);
          if (seen !== undefined)
            problems.push({ path: `${path}.id`, message: `duplicate device id "${id}" (also at ${seen})` });
          else ids.set(id, path);
        }
      });
      return problems;
    },
    parseDeviceConfig,
    createDriver(config, ctx) {
      const parsed = parseDeviceConfig(config);
      return factories.get(parsed.type)!.create(parsed, ctx);
    },
  };
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : `${s}.${String(k)}`), prefix);
}
