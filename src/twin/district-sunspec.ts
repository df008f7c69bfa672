import { SunSpecBatteryTwin, SunSpecPvInverterTwin } from './sunspec/index.ts';
import { assetsOf, type DistrictContext } from './district-parts.ts';

// The district's PV inverters and its battery as SunSpec devices over Modbus TCP.

const DEVICE_POLL_SIM_MS = 30_000;
const MIN_POLL_MS = 50;

export interface SunSpecTwins {
  pv: Map<string, SunSpecPvInverterTwin>;
  battery?: SunSpecBatteryTwin;
}

/** Every PV array an inverter; the first battery a battery (the live system drives one). */
export async function startSunSpecTwins(ctx: DistrictContext): Promise<SunSpecTwins> {
  const { world, now } = ctx;
  const pv = new Map<string, SunSpecPvInverterTwin>();
  for (const { a: unit } of assetsOf(ctx.scenario, 'pv')) {
    const twin = new SunSpecPvInverterTwin({
      port: 0,
      now,
      ratedKw: unit.inverter_kw ?? unit.capacity_kwp,
      availableKw: (t) => world.pvAvailableKw(unit.id, t),
      serialNumber: `PV-${unit.id}`,
    });
    await serve(ctx, twin, unit.id, `${unit.id}-inverter`, 'pv');
    pv.set(unit.id, twin);
  }
  const [first] = assetsOf(ctx.scenario, 'battery');
  if (!first) return { pv };
  const unit = first.a;
  const battery = new SunSpecBatteryTwin({ port: 0, now, battery: unit, serialNumber: `BAT-${unit.id}` });
  await serve(ctx, battery, unit.id, `${unit.id}-bms`, 'battery');
  return { pv, battery };
}

async function serve(
  ctx: DistrictContext,
  twin: { start(): Promise<number>; stop(): Promise<void> },
  assetId: string,
  deviceId: string,
  role: 'pv' | 'battery',
): Promise<void> {
  const port = await twin.start();
  // Device polling keeps pace with the clock: a poll every DEVICE_POLL_SIM_MS of simulated time.
  const pollMs = Math.max(MIN_POLL_MS, Math.round(DEVICE_POLL_SIM_MS / ctx.speed));
  ctx.parts.devices.push({
    id: deviceId,
    type: 'sunspec_modbus',
    asset: assetId,
    role,
    host: '127.0.0.1',
    port,
    unit_id: 1,
    poll_ms: pollMs,
    timeout_ms: 1000,
    reconnect_min_ms: 100,
    reconnect_max_ms: 1000,
  });
  ctx.parts.stoppers.push(() => twin.stop());
  ctx.parts.killers.set(assetId, {
    kill: () => twin.stop(),
    revive: async () => void (await twin.start()),
  });
}
