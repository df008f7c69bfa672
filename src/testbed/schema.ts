import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { PROTOCOL_VERSION, type Action, type Observation } from './protocol.ts';

// JSON Schemas (draft-07) of the controller interface, the contract outsiders code against: printed
// by `bitgrid testbed --schema observation|action`. protocol.ts holds the same shapes as TypeScript
// types; a test checks that every observation the test bed builds validates against this schema.

const require = createRequire(import.meta.url);
const Ajv = require('ajv') as typeof import('ajv').default;

const num = { type: 'number' } as const;
const nonNeg = { type: 'number', minimum: 0 } as const;
const str = { type: 'string' } as const;
const iso = { type: 'string', description: 'ISO 8601 with offset' } as const;
const nums = { type: 'array', items: num } as const;
const idOnly = { type: 'string', minLength: 1 } as const;

function obj(properties: Record<string, unknown>, required = Object.keys(properties)) {
  return { type: 'object', additionalProperties: false, properties, required };
}

const forecastSeries = obj({ id: str, p10Kw: nums, p50Kw: nums, p90Kw: nums });

export const OBSERVATION_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://bitgrid.dev/schemas/controller/1/observation.json',
  title: `Bitgrid controller observation (${PROTOCOL_VERSION})`,
  ...obj({
    protocol: { const: PROTOCOL_VERSION },
    district: obj({ name: str, timezone: str }),
    time: obj({
      start: iso,
      intervalMinutes: { type: 'number', exclusiveMinimum: 0 },
      localHour: { type: 'number', minimum: 0, maximum: 24 },
      weekday: { type: 'integer', minimum: 1, maximum: 7 },
      localDate: str,
    }),
    prices: obj({
      steps: { type: 'integer', minimum: 1 },
      importKrwPerKwh: nums,
      exportKrwPerKwh: nums,
      band: { type: 'array', items: { enum: ['light', 'mid', 'peak'] } },
      countsForDemand: { type: 'array', items: { enum: [0, 1] } },
      peakCostKrwPerKw: nums,
    }),
    grid: obj({
      importLimitKw: nonNeg,
      exportLimitKw: nonNeg,
      contractDemandKw: nonNeg,
      monthPeakImportKw: nonNeg,
      billingDemandKw: nonNeg,
      emissionFactorKgPerKwh: nonNeg,
    }),
    forecasts: obj({
      start: iso,
      intervalMinutes: { type: 'number', exclusiveMinimum: 0 },
      model: str,
      pv: { type: 'array', items: forecastSeries },
      loads: { type: 'array', items: forecastSeries },
    }),
    pv: { type: 'array', items: obj({ id: str, availableKw: nonNeg, ratingKw: nonNeg }) },
    fixedLoadKw: nonNeg,
    batteries: {
      type: 'array',
      items: obj({
        id: str,
        socKwh: nonNeg,
        capacityKwh: nonNeg,
        socMin: nonNeg,
        socMax: nonNeg,
        roundTripEfficiency: nonNeg,
        maxChargeKw: nonNeg,
        maxDischargeKw: nonNeg,
      }),
    },
    evSessions: {
      type: 'array',
      items: obj({
        id: str,
        assetId: str,
        arrival: iso,
        departure: { type: ['string', 'null'] },
        energyRequestKwh: { type: ['number', 'null'] },
        deliveredKwh: num,
        maxPowerKw: nonNeg,
        maxDischargeKw: nonNeg,
      }),
    },
    buses: {
      type: 'array',
      items: obj({
        id: str,
        depotId: str,
        atDepot: { type: 'boolean' },
        socKwh: nonNeg,
        batteryKwh: nonNeg,
        requiredSocKwh: nonNeg,
        nextDeparture: { type: ['string', 'null'] },
      }),
    },
    depots: {
      type: 'array',
      items: obj({
        id: str,
        chargers: { type: 'integer', minimum: 0 },
        v2gChargers: { type: 'integer', minimum: 0 },
        chargerKw: nonNeg,
        chargingEfficiency: nonNeg,
      }),
    },
    datacenters: {
      type: 'array',
      items: obj({
        id: str,
        trainingGpus: { type: 'integer', minimum: 0 },
        inferenceItKw: nonNeg,
        pue: nonNeg,
        powerCapMin: nonNeg,
        throughputExponent: nonNeg,
        jobs: {
          type: 'array',
          items: obj({
            id: str,
            gpus: { type: 'integer', minimum: 1 },
            gpuHours: nonNeg,
            remainingGpuHours: nonNeg,
            submitted: iso,
            deadline: iso,
          }),
        },
      }),
    },
    signals: {
      type: 'array',
      items: obj({
        kind: {
          enum: [
            'price_krw_per_kwh',
            'export_price_krw_per_kwh',
            'ghg_kg_per_kwh',
            'import_limit_kw',
            'export_limit_kw',
            'import_target_kw',
            'shed_kw',
          ],
        },
        start: iso,
        end: iso,
        value: num,
        source: str,
      }),
    },
  }),
} as const;

export const ACTION_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://bitgrid.dev/schemas/controller/1/action.json',
  title: `Bitgrid controller action (${PROTOCOL_VERSION})`,
  type: 'object',
  additionalProperties: false,
  properties: {
    batteryKw: { type: 'object', propertyNames: idOnly, additionalProperties: num },
    pvLimitKw: { type: 'object', propertyNames: idOnly, additionalProperties: { type: ['number', 'null'] } },
    evKw: { type: 'object', propertyNames: idOnly, additionalProperties: num },
    busKw: { type: 'object', propertyNames: idOnly, additionalProperties: num },
    datacenters: {
      type: 'object',
      propertyNames: idOnly,
      additionalProperties: obj({
        runJobIds: { type: 'array', items: str, uniqueItems: true },
        powerCapFraction: num,
      }),
    },
  },
} as const;

let validators: { observation: ValidateFunction; action: ValidateFunction } | undefined;

function compiled() {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    validators = { observation: ajv.compile(OBSERVATION_SCHEMA), action: ajv.compile(ACTION_SCHEMA) };
  }
  return validators;
}

/** At most this many schema problems are listed in one message; the rest are counted. */
const MAX_LISTED_PROBLEMS = 5;

function describe(errors: ErrorObject[] | null | undefined): string {
  const list = (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
  const more = list.length > MAX_LISTED_PROBLEMS ? `; and ${list.length - MAX_LISTED_PROBLEMS} more` : '';
  return list.slice(0, MAX_LISTED_PROBLEMS).join('; ') + more;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** Checks a controller's answer against the action schema; NaN and infinities are refused too. */
export function checkAction(x: unknown): Checked<Action> {
  if (x === null || typeof x !== 'object' || Array.isArray(x))
    return { ok: false, error: `the action must be a JSON object, not ${x === null ? 'null' : typeof x}` };
  const v = compiled().action;
  if (!v(x)) return { ok: false, error: `the action does not match the schema: ${describe(v.errors)}` };
  const bad = firstNonFinite(x, '');
  if (bad) return { ok: false, error: `the action has a number that is not finite at ${bad}` };
  return { ok: true, value: x as Action };
}

export function checkObservation(x: unknown): Checked<Observation> {
  const v = compiled().observation;
  if (!v(x)) return { ok: false, error: describe(v.errors) };
  return { ok: true, value: x as Observation };
}

function firstNonFinite(x: unknown, path: string): string | undefined {
  if (typeof x === 'number') return Number.isFinite(x) ? undefined : path || '(root)';
  if (x && typeof x === 'object')
    for (const [k, v] of Object.entries(x)) {
      const p = firstNonFinite(v, `${path}/${k}`);
      if (p) return p;
    }
  return undefined;
}
