import type { BusState, Dispatch, StepView } from '../sim/strategy-interface.ts';
import { plannedDatacenterKw } from '../strategy/common.ts';
import { MS_PER_HOUR } from '../model/time.ts';

// The real-time layer's second line: when the battery alone cannot keep import under the cap the
// plan defends (its peak, a limit, a DR target), the flexible loads give way for this interval —
// EV charging first, then bus charging, then the data center's GPU power cap — each only as far as
// it still meets its own promise: a car or bus can still get its energy by departure at full power
// afterwards, and GPUs never go below the data center's minimum cap. The next re-plan sees what was
// held back and plans it in.

/** Below this a load's spare power is not worth touching, kW. */
const SPARE_EPS_KW = 1e-3;

/**
 * Lowers the dispatch's flexible loads by up to `excessKw` in total; returns what is left that none
 * of them could take.
 */
export function shedFlexibleLoads(view: StepView, dp: Dispatch, excessKw: number): number {
  let excess = excessKw;
  excess = shedEvCharging(view, dp, excess);
  if (excess > SPARE_EPS_KW) excess = shedBusCharging(view, dp, excess);
  if (excess > SPARE_EPS_KW) excess = lowerGpuCaps(view, dp, excess);
  return Math.max(0, excess);
}

/**
 * The least a car must charge in the interval from `timeMs` to still get what it asked for by its
 * departure at full power afterwards (capped at its full power: a car already too far behind
 * charges flat out). The peak hold never cuts below it, and the dispatch never plans below it: a
 * cut leaves the car behind the plan, which would otherwise go on until the next re-plan.
 */
export function evMustChargeKw(
  st: { session: { departureMs: number; maxPowerKw: number }; remainingKwh: number },
  timeMs: number,
  intervalHours: number,
): number {
  const hoursLeft = (st.session.departureMs - timeMs) / MS_PER_HOUR;
  const laterKwh = Math.max(0, hoursLeft - intervalHours) * st.session.maxPowerKw;
  return Math.min(st.session.maxPowerKw, Math.max(0, st.remainingKwh - laterKwh) / intervalHours);
}

/**
 * The least a bus at its depot must charge in the interval from `timeMs` to still reach the SoC its
 * next block needs by departure at the charger's full power afterwards (capped at that power: a bus
 * already too far behind charges flat out). As for cars: the peak hold never cuts below it, and the
 * dispatch never plans below it, whatever the plan in force says.
 */
export function busMustChargeKw(
  bus: Pick<BusState, 'socKwh' | 'requiredSocKwh' | 'nextBlock'>,
  charger: { charger_kw: number; charging_efficiency: number },
  timeMs: number,
  intervalHours: number,
): number {
  const eta = charger.charging_efficiency;
  const needKwh = Math.max(0, bus.requiredSocKwh - bus.socKwh);
  const hoursLeft = bus.nextBlock ? (bus.nextBlock.startMs - timeMs) / MS_PER_HOUR : Infinity;
  const laterKwh = Math.max(0, hoursLeft - intervalHours) * charger.charger_kw * eta;
  return Math.min(charger.charger_kw, Math.max(0, needKwh - laterKwh) / (eta * intervalHours));
}

function shedEvCharging(view: StepView, dp: Dispatch, excessKw: number): number {
  const dt = view.intervalHours;
  let excess = excessKw;
  // The cars with the most time to spare give way first.
  const byLaxity = view.ev
    .map((st) => {
      const hoursLeft = (st.session.departureMs - view.timeMs) / MS_PER_HOUR;
      return { st, laxityH: hoursLeft - st.remainingKwh / st.session.maxPowerKw };
    })
    .sort((a, b) => b.laxityH - a.laxityH);
  for (const { st } of byLaxity) {
    if (excess <= SPARE_EPS_KW) break;
    const kw = dp.evKw.get(st.session.id) ?? 0;
    if (kw <= 0) continue;
    const cut = Math.min(excess, kw - evMustChargeKw(st, view.timeMs, dt));
    if (cut > SPARE_EPS_KW) {
      dp.evKw.set(st.session.id, kw - cut);
      excess -= cut;
    }
  }
  return excess;
}

function shedBusCharging(view: StepView, dp: Dispatch, excessKw: number): number {
  const dt = view.intervalHours;
  let excess = excessKw;
  view.buses.forEach((bus, b) => {
    const kw = dp.busKw[b];
    if (excess <= SPARE_EPS_KW || kw <= 0 || !bus.atDepot) return;
    const cfg = view.district.depots[bus.depotIndex].cfg;
    const cut = Math.min(excess, kw - busMustChargeKw(bus, cfg, view.timeMs, dt));
    if (cut > SPARE_EPS_KW) {
      dp.busKw[b] = kw - cut;
      excess -= cut;
    }
  });
  return excess;
}

function lowerGpuCaps(view: StepView, dp: Dispatch, excessKw: number): number {
  let excess = excessKw;
  view.datacenters.forEach((_, di) => {
    if (excess <= SPARE_EPS_KW) return;
    const cmd = dp.datacenters[di];
    const capMin = view.district.datacenters[di].cfg.gpu_power_cap_min;
    if (cmd.runJobIds.length === 0 || cmd.powerCap <= capMin) return;
    const before = plannedDatacenterKw(view, dp);
    const at = (cap: number) => {
      const saved = cmd.powerCap;
      cmd.powerCap = cap;
      const kw = plannedDatacenterKw(view, dp);
      cmd.powerCap = saved;
      return kw;
    };
    const spareKw = before - at(capMin);
    if (spareKw <= SPARE_EPS_KW) return;
    if (spareKw <= excess) {
      cmd.powerCap = capMin;
      excess -= spareKw;
      return;
    }
    // Power is close to linear in the cap: step down in proportion, then settle on what it saves.
    const cap = cmd.powerCap - ((cmd.powerCap - capMin) * excess) / spareKw;
    const savedKw = before - at(cap);
    cmd.powerCap = cap;
    excess -= savedKw;
  });
  return excess;
}
