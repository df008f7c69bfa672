import type { Setpoint } from '../drivers/types.ts';
import type { Dispatch } from '../sim/strategy-interface.ts';
import type { LiveView } from './site-state.ts';

// A strategy's Dispatch as device setpoints: one per battery and PV inverter, one charging limit per
// session on the connector or EVSE that holds it, and the data center's job and power-cap commands.
// Every value still passes the control loop's guards after this.

export function setpointsFromDispatch(lv: LiveView, dp: Dispatch): Setpoint[] {
  const d = lv.view.district;
  const out: Setpoint[] = [];
  d.batteries.forEach((b, k) => {
    out.push({ assetId: b.id, kind: 'battery_power_kw', value: finiteOr(dp.batteryKw[k], 0) });
  });
  d.pv.forEach((p, k) => {
    const ratingKw = p.cfg.inverter_kw ?? p.cfg.capacity_kwp;
    const lim = dp.pvLimitKw?.[k];
    out.push({
      assetId: p.id,
      kind: 'pv_power_limit_kw',
      value: lim === undefined || Number.isNaN(lim) ? ratingKw : Math.max(0, Math.min(ratingKw, lim)),
    });
  });
  // EV sessions: each on its own connector; discharge only where the charger declared V2G.
  for (const st of lv.view.ev) {
    const where = lv.sessionChannels.get(st.session.id);
    if (!where) continue;
    let kw = finiteOr(dp.evKw.get(st.session.id), 0);
    if (kw < 0 && where.maxDischargeKw <= 0) kw = 0;
    out.push({ assetId: where.assetId, kind: 'charging_limit_kw', value: kw, channel: where.channel });
  }
  // Buses: the one on each depot charger gets its planned power.
  lv.buses.forEach((bus, b) => {
    if (!bus.session) return;
    let kw = finiteOr(dp.busKw[b], 0);
    if (kw < 0 && bus.session.maxDischargeKw <= 0) kw = 0;
    out.push({
      assetId: bus.session.assetId,
      kind: 'charging_limit_kw',
      value: kw,
      channel: bus.session.channel,
    });
  });
  // Data centers: every known job gets its GPUs (0 = wait), and the pool its power cap.
  lv.view.datacenters.forEach((dc, k) => {
    const unit = d.datacenters[k];
    const cmd = dp.datacenters[k] ?? { runJobIds: [], powerCap: 1 };
    const run = new Set(cmd.runJobIds);
    for (const js of dc.pending)
      out.push({
        assetId: unit.id,
        kind: 'job_gpus',
        channel: js.job.id,
        value: run.has(js.job.id) ? js.job.gpus : 0,
      });
    out.push({ assetId: unit.id, kind: 'gpu_power_cap_fraction', value: finiteOr(cmd.powerCap, 1) });
  });
  return out;
}

function finiteOr(x: number | undefined, fallback: number): number {
  return x !== undefined && Number.isFinite(x) ? x : fallback;
}
