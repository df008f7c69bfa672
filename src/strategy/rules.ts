import type { District } from '../sim/district.ts';
import { MS_PER_HOUR } from '../model/time.ts';
import { BAND_CODE } from '../tariff/index.ts';
import type { Strategy, StepView } from '../sim/strategy-interface.ts';
import { emptyDispatch, plannedDatacenterKw, runJobsByPriority } from './common.ts';

// What today's open EMSs do, rule by rule and without a forecast:
// - EVs and buses charge from PV surplus, and otherwise at the lowest steady rate that still meets
//   their departure (evcc's "min+PV"), most urgent first while chargers last;
// - the battery stores PV surplus, charges from the grid in light-load hours up to a target SoC,
//   discharges in peak-band hours down to a reserve (OpenEMS time-of-use), and defends a fixed import
//   threshold in demand-charge hours with everything it has (OpenEMS peak shaving);
// - training jobs run as submitted, higher priority first (a priority queue).

const BAND_LIGHT = BAND_CODE.light;
const BAND_PEAK = BAND_CODE.peak;

export function rulesStrategy(d: District): Strategy {
  const p = d.scenario.strategies.rules;
  if (!p)
    throw new Error(
      'the rules strategy needs strategies.rules in the scenario (peak_shaving_threshold_kw, tou_charge_target_soc, peak_reserve_soc)',
    );
  const marginMs = p.departure_margin_hours * MS_PER_HOUR;
  return {
    name: 'rules',
    decide(view: StepView) {
      const dp = emptyDispatch(view);
      const dt = view.intervalHours;
      runJobsByPriority(view, dp);
      const dcKw = plannedDatacenterKw(view, dp);
      let pvKw = 0;
      for (const x of view.pvAvailableKw) pvKw += x;
      let surplusKw = Math.max(0, pvKw - view.fixedLoadKw - dcKw);

      // EVs: the minimum rate to finish by departure, then a share of any surplus.
      let evKw = 0;
      for (const st of view.ev) {
        const hoursLeft = Math.max(dt, (st.session.departureMs - view.timeMs - marginMs) / MS_PER_HOUR);
        const minKw = Math.min(st.session.maxPowerKw, Math.max(0, st.remainingKwh) / hoursLeft);
        const extraKw = Math.min(
          st.session.maxPowerKw - minKw,
          surplusKw,
          Math.max(0, st.remainingKwh / dt - minKw),
        );
        surplusKw -= Math.max(0, extraKw);
        const kw = minKw + Math.max(0, extraKw);
        dp.evKw.set(st.session.id, kw);
        evKw += kw;
      }

      // Buses: same rule, most urgent first; chargers are limited per depot.
      const order = view.buses
        .map((bus, b) => ({ bus, b }))
        .filter(({ bus }) => bus.atDepot)
        .map(({ bus, b }) => {
          const dep = d.depots[bus.depotIndex].cfg;
          const needKwh = Math.max(0, bus.requiredSocKwh - bus.socKwh) / dep.charging_efficiency;
          const hoursLeft = bus.nextBlock
            ? Math.max(dt, (bus.nextBlock.startMs - view.timeMs - marginMs) / MS_PER_HOUR)
            : Infinity;
          // Laxity: hours to spare if it charged at full power from now on; least laxity goes first.
          const laxityH = hoursLeft - needKwh / dep.charger_kw;
          return { b, bus, dep, needKwh, minKw: needKwh / hoursLeft, laxityH };
        })
        .sort((x, y) => x.laxityH - y.laxityH);
      // When more buses need energy than there are chargers, a bus on a charger must take its
      // share faster so the charger frees up for the next one.
      const needing = d.depots.map(() => 0);
      for (const o of order) if (o.needKwh > 0) needing[o.bus.depotIndex]++;
      for (const o of order) {
        const sharing = Math.max(1, needing[o.bus.depotIndex] / o.dep.chargers);
        o.minKw = Math.min(o.dep.charger_kw, o.minKw * sharing);
      }
      const used = d.depots.map(() => 0);
      let busKw = 0;
      for (const o of order) {
        if (used[o.bus.depotIndex] >= o.dep.chargers) continue;
        const roomKw =
          Math.max(0, o.dep.soc_max * o.dep.battery_kwh - o.bus.socKwh) / o.dep.charging_efficiency / dt;
        const extraKw = Math.min(o.dep.charger_kw - o.minKw, surplusKw, roomKw);
        surplusKw -= Math.max(0, extraKw);
        const kw = o.minKw + Math.max(0, extraKw);
        if (kw > 0) {
          used[o.bus.depotIndex]++;
          dp.busKw[o.b] = kw;
          busKw += kw;
        }
      }

      // Battery: one net figure for all of them, shared in proportion to what each can do.
      const netKw = view.fixedLoadKw + dcKw + evKw + busKw - pvKw;
      const band = view.district.prices.band[view.index];
      const inDemandWindow = view.district.prices.countsForDemand[view.index] === 1;
      const importLimitKw = view.district.scenario.grid.import_limit_kw;
      view.batteryLimits.forEach((lim, k) => {
        const cfg = d.batteries[k].cfg;
        const soc = view.batterySocKwh[k] / cfg.capacity_kwh;
        const share = 1 / view.batteryLimits.length;
        let kw = 0;
        if (netKw < 0) {
          kw = -Math.min(lim.maxChargeKw, -netKw * share);
        } else if (inDemandWindow && netKw > p.peak_shaving_threshold_kw) {
          kw = Math.min(lim.maxDischargeKw, (netKw - p.peak_shaving_threshold_kw) * share);
        } else if (band === BAND_PEAK && soc > p.peak_reserve_soc) {
          const aboveReserveKw =
            ((soc - p.peak_reserve_soc) * cfg.capacity_kwh * Math.sqrt(cfg.round_trip_efficiency)) / dt;
          kw = Math.min(lim.maxDischargeKw, netKw * share, aboveReserveKw);
        } else if (band === BAND_LIGHT && soc < p.tou_charge_target_soc) {
          const toTargetKw =
            ((p.tou_charge_target_soc - soc) * cfg.capacity_kwh) / Math.sqrt(cfg.round_trip_efficiency) / dt;
          const headroomKw = Math.max(0, importLimitKw - netKw) * share;
          kw = -Math.min(lim.maxChargeKw, toTargetKw, headroomKw);
        }
        dp.batteryKw[k] = kw;
      });
      return dp;
    },
  };
}
