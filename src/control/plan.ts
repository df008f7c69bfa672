import type { District } from '../sim/district.ts';
import type { SimResult } from '../sim/engine.ts';
import type { Setpoint } from '../drivers/types.ts';
import type { Dispatcher, ProcessImage } from './loop.ts';

// Dispatch from a plan: the per-asset powers of a strategy's run over the district (the schedule),
// looked up at the loop's time. Vehicle charging is planned per fleet; the fleet's power is shared
// evenly over the chargers that have a transaction running.

/** A transaction counts as running while its session energy was reported within this window. */
const ACTIVE_TX_WINDOW_MS = 5 * 60_000;
/** A battery off its planned SoC closes the gap over this many hours. */
const SOC_CORRECTION_HOURS = 1;

export function planDispatcher(d: District, plan: SimResult, name = plan.strategy): Dispatcher {
  const stepMs = d.grid.intervalMinutes * 60_000;
  const idx = (t: number) =>
    Math.max(0, Math.min(d.grid.count - 1, Math.floor((t - d.grid.startMs) / stepMs)));
  return {
    name,
    requested(image: ProcessImage): Setpoint[] {
      const i = idx(image.timeMs);
      const out: Setpoint[] = [];
      // Batteries follow the plan's power, corrected toward the plan's state of charge: a device
      // that drifted from the plan (losses, an earlier override, a late start) converges back.
      const totalCapacityKwh = d.batteries.reduce((x, b) => x + b.cfg.capacity_kwh, 0);
      for (const b of d.batteries) {
        const plannedKw = plan.series.byAsset.get(b.id)?.[i] ?? 0;
        const socFraction = image.values.get(b.id)?.get('soc_fraction')?.value;
        const plannedSocKwh = (plan.series.batterySocKwh[i] * b.cfg.capacity_kwh) / totalCapacityKwh;
        const correctionKw =
          socFraction === undefined
            ? 0
            : (socFraction * b.cfg.capacity_kwh - plannedSocKwh) / SOC_CORRECTION_HOURS;
        out.push({ assetId: b.id, kind: 'battery_power_kw', value: plannedKw + correctionKw });
      }
      for (const p of d.pv) {
        const plannedKw = plan.series.byAsset.get(p.id)?.[i] ?? p.availableKw[i];
        const curtailed = p.availableKw[i] - plannedKw > 1e-3;
        out.push({
          assetId: p.id,
          kind: 'pv_power_limit_kw',
          value: curtailed ? plannedKw : (p.cfg.inverter_kw ?? p.cfg.capacity_kwp),
        });
      }
      for (const fleet of [...d.ev.map((u) => u.id), ...d.depots.map((u) => u.id)]) {
        const totalKw = plan.series.byAsset.get(fleet)?.[i] ?? 0;
        const chargers = new Set<string>();
        for (const [key, v] of image.values.get(fleet) ?? []) {
          if (!key.startsWith('session_energy_kwh@') || image.timeMs - v.timeMs > ACTIVE_TX_WINDOW_MS)
            continue;
          const channel = v.channel ?? '';
          chargers.add(channel.split('/')[0]);
        }
        if (chargers.size === 0) continue;
        const eachKw = totalKw / chargers.size;
        for (const cp of chargers)
          out.push({ assetId: fleet, kind: 'charging_limit_kw', value: eachKw, channel: `${cp}/1` });
      }
      return out;
    },
  };
}
