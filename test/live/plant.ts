import type {
  Driver,
  Measurement,
  Setpoint,
  GridSignal,
  ChargingSessionInfo,
} from '../../src/drivers/types.ts';
import type { Scenario } from '../../src/model/schema.ts';

// A small in-process plant for the live controller's tests: it meters fixed PV and loads, integrates
// the battery's commanded power into its SoC, and reports the grid as the balance — a device peer
// behind the Driver contract, so the loop and the controller run unchanged.

export class TestPlant implements Driver {
  readonly id = 'test-plant';
  readonly type = 'test';
  pvKw = new Map<string, number>();
  loadKw = new Map<string, number>();
  socFraction = 0.5;
  batteryKw = 0;
  signalList: GridSignal[] = [];
  sessionList: ChargingSessionInfo[] = [];
  readonly written: Setpoint[] = [];
  /** Assets whose readings stop (a device that went quiet). */
  readonly muted = new Set<string>();
  private lastMs: number;

  constructor(
    private readonly scenario: Scenario,
    private readonly now: () => number,
  ) {
    this.lastMs = now();
    for (const site of scenario.sites)
      for (const a of site.assets) {
        if (a.type === 'pv') this.pvKw.set(a.id, 0);
        if (a.type === 'load') this.loadKw.set(a.id, 0);
      }
  }

  private get battery() {
    for (const site of this.scenario.sites) for (const a of site.assets) if (a.type === 'battery') return a;
    throw new Error('no battery');
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status() {
    return { health: 'online' as const };
  }

  gridKw(): number {
    let kw = -this.batteryKw;
    for (const v of this.loadKw.values()) kw += v;
    for (const v of this.pvKw.values()) kw -= v;
    return kw;
  }

  async read(): Promise<Measurement[]> {
    const t = this.now();
    const b = this.battery;
    this.socFraction = Math.max(
      0,
      Math.min(1, this.socFraction - (this.batteryKw * (t - this.lastMs)) / 3_600_000 / b.capacity_kwh),
    );
    this.lastMs = t;
    const out: Measurement[] = [
      { assetId: 'grid', measurement: 'power_kw', value: this.gridKw(), timeMs: t },
      { assetId: b.id, measurement: 'soc_fraction', value: this.socFraction, timeMs: t },
      { assetId: b.id, measurement: 'power_kw', value: this.batteryKw, timeMs: t },
    ];
    for (const [id, kw] of this.pvKw)
      out.push({ assetId: id, measurement: 'power_kw', value: kw, timeMs: t });
    for (const [id, kw] of this.loadKw)
      out.push({ assetId: id, measurement: 'power_kw', value: kw, timeMs: t });
    return out.filter((m) => !this.muted.has(m.assetId));
  }

  accepts(sp: Setpoint): boolean {
    return (
      sp.kind === 'battery_power_kw' || sp.kind === 'pv_power_limit_kw' || sp.kind === 'charging_limit_kw'
    );
  }

  async write(sp: Setpoint): Promise<void> {
    this.written.push(sp);
    if (sp.kind === 'battery_power_kw') this.batteryKw = sp.value;
  }

  signals(): GridSignal[] {
    return this.signalList;
  }

  sessions(): ChargingSessionInfo[] {
    return this.sessionList;
  }
}
