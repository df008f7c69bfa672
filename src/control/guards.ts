import type { Scenario } from '../model/schema.ts';
import type { Setpoint, SetpointKind } from '../drivers/types.ts';
import { datacenterLayout } from '../sim/assets/datacenter.ts';

// Safety guards: the envelope every setpoint must lie in, from the asset's configured limits and its
// measured state. They run before dispatch, and dispatch (schedule, override) can only pick a value
// inside the envelope — nothing downstream can widen it.

export interface Envelope {
  minKw: number;
  maxKw: number;
  /** Which limit set each side, for audit and error messages. */
  minBy: string;
  maxBy: string;
}

export interface AssetGuardState {
  /** Measured state of charge, fraction 0–1 (batteries). */
  socFraction?: number;
  /** The asset is in safe mode: only its safe setpoint is allowed. */
  safe?: boolean;
}

export interface GuardedSetpoint {
  setpoint: Setpoint;
  /** The value asked for, before the guard. */
  requested: number;
  /** Set when the guard changed the value: which limit it hit. */
  clampedBy?: string;
}

interface AssetLimits {
  type: string;
  kinds: Partial<Record<SetpointKind, (state: AssetGuardState, channel?: string) => Envelope>>;
  /** The setpoint applied in safe mode (what the asset does when we cannot see it). */
  safeValue: Partial<Record<SetpointKind, number>>;
}

/** Limits of every controllable asset in a district, from its configuration. */
export class Guards {
  private readonly limits = new Map<string, AssetLimits>();

  constructor(scenario: Scenario) {
    for (const site of scenario.sites) {
      for (const a of site.assets) {
        switch (a.type) {
          case 'battery':
            this.limits.set(a.id, {
              type: a.type,
              kinds: {
                battery_power_kw: (st) => {
                  let minKw = -a.max_charge_kw;
                  let maxKw = a.max_discharge_kw;
                  let minBy = 'max_charge_kw';
                  let maxBy = 'max_discharge_kw';
                  if (st.socFraction !== undefined && st.socFraction <= a.soc_min) {
                    maxKw = 0;
                    maxBy = 'soc_min';
                  }
                  if (st.socFraction !== undefined && st.socFraction >= a.soc_max) {
                    minKw = 0;
                    minBy = 'soc_max';
                  }
                  // Without a SoC reading the battery may not move at all.
                  if (st.socFraction === undefined)
                    return { minKw: 0, maxKw: 0, minBy: 'soc_unknown', maxBy: 'soc_unknown' };
                  return { minKw, maxKw, minBy, maxBy };
                },
              },
              safeValue: { battery_power_kw: 0 },
            });
            break;
          case 'pv': {
            const ratingKw = a.inverter_kw ?? a.capacity_kwp;
            this.limits.set(a.id, {
              type: a.type,
              kinds: {
                pv_power_limit_kw: () => ({ minKw: 0, maxKw: ratingKw, minBy: 'zero', maxBy: 'inverter_kw' }),
              },
              // An unseen inverter keeps producing; no limit is the safe state for the grid import.
              safeValue: { pv_power_limit_kw: ratingKw },
            });
            break;
          }
          case 'ev_chargers': {
            const maxKw = Math.max(...a.chargers.map((c) => c.max_power_kw));
            const v2gKw = Math.max(0, ...a.chargers.filter((c) => c.v2g).map((c) => c.max_power_kw));
            this.limits.set(a.id, {
              type: a.type,
              kinds: {
                charging_limit_kw: () => ({
                  minKw: -v2gKw,
                  maxKw,
                  minBy: v2gKw > 0 ? 'v2g max_power_kw' : 'no_v2g',
                  maxBy: 'max_power_kw',
                }),
              },
              safeValue: { charging_limit_kw: 0 },
            });
            break;
          }
          case 'bus_depot':
            this.limits.set(a.id, {
              type: a.type,
              kinds: {
                charging_limit_kw: () => ({
                  minKw: a.v2g_chargers > 0 ? -a.charger_kw : 0,
                  maxKw: a.charger_kw,
                  minBy: a.v2g_chargers > 0 ? 'v2g charger_kw' : 'no_v2g',
                  maxBy: 'charger_kw',
                }),
              },
              safeValue: { charging_limit_kw: 0 },
            });
            break;
          case 'datacenter': {
            const gpus = datacenterLayout(a).trainingGpus;
            this.limits.set(a.id, {
              type: a.type,
              kinds: {
                gpu_power_cap_fraction: () => ({
                  minKw: a.gpu_power_cap_min,
                  maxKw: 1,
                  minBy: 'gpu_power_cap_min',
                  maxBy: 'full_power',
                }),
                job_gpus: () => ({ minKw: 0, maxKw: gpus, minBy: 'zero', maxBy: 'training_gpus' }),
              },
              // Unseen, the data center runs its own way: no cap. Jobs have no safe value of their own
              // (a job's command expires at the data center, which then stops it).
              safeValue: { gpu_power_cap_fraction: 1 },
            });
            break;
          }
          default:
            break;
        }
      }
    }
  }

  controllable(assetId: string): boolean {
    return this.limits.has(assetId);
  }

  kindsOf(assetId: string): SetpointKind[] {
    return Object.keys(this.limits.get(assetId)?.kinds ?? {}) as SetpointKind[];
  }

  envelope(
    assetId: string,
    kind: SetpointKind,
    state: AssetGuardState,
    channel?: string,
  ): Envelope | undefined {
    const lim = this.limits.get(assetId);
    const f = lim?.kinds[kind];
    if (!lim || !f) return undefined;
    if (state.safe) {
      const v = lim.safeValue[kind] ?? 0;
      return { minKw: v, maxKw: v, minBy: 'safe_mode', maxBy: 'safe_mode' };
    }
    return f(state, channel);
  }

  safeSetpoint(assetId: string, kind: SetpointKind): number | undefined {
    return this.limits.get(assetId)?.safeValue[kind];
  }

  /**
   * Narrows a setpoint into the envelope. Non-finite values become the safe value; a setpoint for
   * an asset or kind without limits is refused (undefined), never passed through unguarded.
   */
  apply(sp: Setpoint, state: AssetGuardState): GuardedSetpoint | undefined {
    const env = this.envelope(sp.assetId, sp.kind, state, sp.channel);
    if (!env) return undefined;
    const requested = sp.value;
    let value = Number.isFinite(requested) ? requested : (this.safeSetpoint(sp.assetId, sp.kind) ?? 0);
    let clampedBy: string | undefined = Number.isFinite(requested) ? undefined : 'not_finite';
    if (value < env.minKw) {
      value = env.minKw;
      clampedBy = env.minBy;
    } else if (value > env.maxKw) {
      value = env.maxKw;
      clampedBy = env.maxBy;
    }
    return { setpoint: { ...sp, value }, requested, clampedBy };
  }
}

/**
 * District-level guard: charging setpoints are scaled back so that the import the loop expects stays
 * within the import limit and the contract demand. `expectedImportKw` is the import measured now
 * plus the change the new setpoints make.
 */
export function limitImport(
  setpoints: GuardedSetpoint[],
  expectedImportKw: number,
  importLimitKw: number,
): { setpoints: GuardedSetpoint[]; reducedKw: number } {
  let excessKw = expectedImportKw - importLimitKw;
  if (excessKw <= 0) return { setpoints, reducedKw: 0 };
  const out = setpoints.map((g) => ({ ...g, setpoint: { ...g.setpoint } }));
  let reducedKw = 0;
  // Flexible consumption first (vehicle charging), then battery charging.
  for (const kind of ['charging_limit_kw', 'battery_power_kw'] as const) {
    for (const g of out) {
      if (excessKw <= 0) break;
      if (g.setpoint.kind !== kind) continue;
      const consumingKw =
        kind === 'battery_power_kw' ? Math.max(0, -g.setpoint.value) : Math.max(0, g.setpoint.value);
      const cut = Math.min(consumingKw, excessKw);
      if (cut <= 0) continue;
      g.setpoint.value += kind === 'battery_power_kw' ? cut : -cut;
      g.clampedBy = 'import_limit_kw';
      excessKw -= cut;
      reducedKw += cut;
    }
  }
  return { setpoints: out, reducedKw };
}
