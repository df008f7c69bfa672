// @ts-check
// An example controller for the Bitgrid test bed (docs/testbed.md), in plain JavaScript.
// Run it:  npx bitgrid testbed --controller examples/controllers/peak-shaver.mjs
//
// It is called once per interval with an observation and answers with setpoints in kW:
// - EVs and buses charge at the lowest steady rate that still meets their departure;
//   a session without a departure (the driver did not say) charges at full power;
// - the battery charges in light-load hours, discharges in peak hours, and shaves any import
//   above the billing demand already in force (a new peak costs 12 months of basic charge) and
//   above the import limit of a DR event while it holds;
// - training jobs run first come, first served, at full power.

/** @typedef {import('../../src/testbed/protocol.ts').Observation} Observation */
/** @typedef {import('../../src/testbed/protocol.ts').Action} Action */

/** Share of a battery kept for peak shaving when discharging for the time-of-use spread. */
const PEAK_RESERVE_SOC = 0.3;
/** Import is held this far below the billing demand already paid for, leaving room for error. */
const SHAVE_MARGIN = 0.95;
/** Light-load charging stops at this SoC, leaving room for PV. */
const LIGHT_CHARGE_TARGET_SOC = 0.9;

/**
 * @param {Observation} obs
 * @returns {Action}
 */
export function decide(obs) {
  const nowMs = Date.parse(obs.time.start);
  const dtH = obs.time.intervalMinutes / 60;
  /** @type {Action} */
  const action = { batteryKw: {}, evKw: {}, busKw: {}, datacenters: {} };

  let flexKw = 0;
  for (const s of obs.evSessions) {
    let kw = s.maxPowerKw;
    if (s.departure !== null && s.energyRequestKwh !== null) {
      const hoursLeft = Math.max(dtH, (Date.parse(s.departure) - nowMs) / 3_600_000);
      kw = Math.min(s.maxPowerKw, Math.max(0, s.energyRequestKwh - s.deliveredKwh) / hoursLeft);
    }
    action.evKw[s.id] = kw;
    flexKw += kw;
  }

  const used = new Map();
  for (const b of obs.buses) {
    if (!b.atDepot || b.nextDeparture === null) continue;
    const dep = obs.depots.find((x) => x.id === b.depotId);
    if (!dep || (used.get(dep.id) ?? 0) >= dep.chargers) continue;
    const needKwh = Math.max(0, b.requiredSocKwh - b.socKwh) / dep.chargingEfficiency;
    if (needKwh <= 0) continue;
    const hoursLeft = Math.max(dtH, (Date.parse(b.nextDeparture) - nowMs) / 3_600_000 - 0.5);
    const kw = Math.min(dep.chargerKw, needKwh / hoursLeft);
    action.busKw[b.id] = kw;
    used.set(dep.id, (used.get(dep.id) ?? 0) + 1);
    flexKw += kw;
  }

  let dcKw = 0;
  for (const dc of obs.datacenters) {
    let free = dc.trainingGpus;
    const run = [];
    for (const j of dc.jobs)
      if (j.gpus <= free) {
        free -= j.gpus;
        run.push(j.id);
      }
    action.datacenters[dc.id] = { runJobIds: run, powerCapFraction: 1 };
    dcKw += dc.inferenceItKw * dc.pue;
  }

  const pvKw = obs.pv.reduce((s, p) => s + p.availableKw, 0);
  const netKw = obs.fixedLoadKw + dcKw + flexKw - pvKw;
  const band = obs.prices.band[0];
  // A DR event (an import limit the grid operator announced) that holds now lowers the line.
  const drLimitsKw = obs.signals
    .filter((s) => s.kind === 'import_limit_kw' && Date.parse(s.start) <= nowMs && nowMs < Date.parse(s.end))
    .map((s) => s.value);
  const drActive = drLimitsKw.length > 0;
  const shaveAboveKw = Math.min(
    Math.max(obs.grid.billingDemandKw, obs.grid.monthPeakImportKw) * SHAVE_MARGIN,
    ...drLimitsKw,
  );
  const share = 1 / Math.max(1, obs.batteries.length);
  for (const b of obs.batteries) {
    const soc = b.socKwh / b.capacityKwh;
    let kw = 0;
    if (netKw < 0) kw = -Math.min(b.maxChargeKw, -netKw * share);
    else if ((obs.prices.countsForDemand[0] || drActive) && netKw > shaveAboveKw)
      kw = Math.min(b.maxDischargeKw, (netKw - shaveAboveKw) * share);
    else if (band === 'peak' && soc > PEAK_RESERVE_SOC) kw = Math.min(b.maxDischargeKw, netKw * share);
    else if (band === 'light' && soc < LIGHT_CHARGE_TARGET_SOC) {
      // Charge below the peak already paid for, never setting a new one.
      const headroomKw = Math.max(0, shaveAboveKw - netKw) * share;
      kw = -Math.min(b.maxChargeKw, headroomKw);
    }
    action.batteryKw[b.id] = kw;
  }
  return action;
}
