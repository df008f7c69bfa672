import type { Driver, DriverContext, DriverHealth, DriverStatus, Measurement, Setpoint } from '../types.ts';
import type { MeasurementName } from '../../model/measurements.ts';
import { ModbusError, ModbusTcpClient } from '../modbus/client.ts';
import { decodeModel, encodeRaw, findPoint, toNumber, unscale, type DecodedModel } from './codec.ts';
import type { SunSpecModbusConfig } from './config.ts';
import { discoverSunSpec, NotSunSpecError, type ModelInstance, type SunSpecLayout } from './discovery.ts';
import { SUNSPEC_MEASUREMENTS, type SunSpecRole } from './measurements.ts';
import { Backoff } from '../backoff.ts';

// SunSpec over Modbus TCP. Connects, finds the model chain, polls the models it needs and turns
// them into Bitgrid measurements (kW, kWh, fractions; PV production and battery discharge
// positive). Device faults never throw out of read(): they become status() — degraded when the
// device answered with an exception (or timed out once), offline when the connection is gone —
// and the connection is re-established with exponential backoff.

export type { SunSpecRole };

export class SunSpecModbusDriver implements Driver {
  readonly id: string;
  readonly type = 'sunspec_modbus';
  private readonly client: ModbusTcpClient;
  private layout: SunSpecLayout | undefined;
  private health: DriverHealth = 'stopped';
  private lastReadMs: number | undefined;
  private lastError: string | undefined;
  private running = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private consecutiveTimeouts = 0;
  private ops: Promise<unknown> = Promise.resolve();
  /** Manufacturer, model and serial from the common model, after discovery. */
  identity: { manufacturer?: string; model?: string; serial?: string } = {};

  constructor(
    readonly config: SunSpecModbusConfig,
    private readonly ctx: DriverContext,
  ) {
    this.id = config.id;
    this.backoff = new Backoff(config.reconnect_min_ms, config.reconnect_max_ms);
    this.client = new ModbusTcpClient({
      host: config.host,
      port: config.port,
      unitId: config.unit_id,
      timeoutMs: config.timeout_ms,
    });
    this.client.onClose(() => {
      if (!this.running) return;
      this.setDown('offline', 'connection closed by the device');
      this.scheduleReconnect();
    });
  }

  /** Model chain found at discovery (undefined before). */
  get models(): readonly ModelInstance[] | undefined {
    return this.layout?.models;
  }

  /** pv or battery: configured, else inferred from the models found. */
  get role(): SunSpecRole | undefined {
    if (this.config.role) return this.config.role;
    if (!this.layout) return undefined;
    return this.has(802) || this.has(124) ? 'battery' : 'pv';
  }

  status(): DriverStatus {
    return {
      health: this.health,
      ...(this.lastReadMs !== undefined ? { lastReadMs: this.lastReadMs } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.health = 'starting';
    this.backoff.reset();
    await this.serial(() => this.connect());
    this.schedulePoll();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    this.pollTimer = this.reconnectTimer = undefined;
    await this.ops;
    await this.client.close();
    this.health = 'stopped';
  }

  async read(): Promise<Measurement[]> {
    if (!this.running || !this.client.connected || !this.layout) return [];
    return (await this.serial(() => this.poll())) ?? [];
  }

  accepts(sp: Setpoint): boolean {
    if (sp.assetId !== this.config.asset) return false;
    const role = this.role;
    if (sp.kind === 'pv_power_limit_kw') {
      if (role !== 'pv') return false;
      if (!this.layout) return true;
      // A limit model without any model to scale its percentage is no way to curtail.
      const inst = this.pvLimitModel();
      return !!inst && PV_RATING_SOURCES[inst.id].some((src) => this.has(src.model));
    }
    if (sp.kind === 'battery_power_kw')
      return role === 'battery' && (!this.layout || !!this.batteryControlModel());
    return false;
  }

  async write(sp: Setpoint): Promise<void> {
    if (sp.assetId !== this.config.asset)
      throw new Error(
        `${this.id}: setpoint for asset "${sp.assetId}", this device serves "${this.config.asset}"`,
      );
    if (!Number.isFinite(sp.value))
      throw new RangeError(`${this.id}: setpoint value must be a finite number`);
    if (sp.validUntilMs !== undefined && sp.validUntilMs <= this.ctx.now())
      throw new RangeError(`${this.id}: setpoint already expired`);
    if (!this.running || !this.client.connected || !this.layout)
      throw new Error(`${this.id}: device is ${this.health}${this.lastError ? ` (${this.lastError})` : ''}`);
    if (!this.accepts(sp))
      throw new Error(`${this.id}: cannot apply ${sp.kind} (role ${this.role ?? 'unknown'})`);
    const done = await this.serial(async () => {
      await this.applySetpoint(sp);
      return true;
    }, true);
    if (!done)
      throw new Error(`${this.id}: ${sp.kind} not applied: ${this.lastError ?? 'device unavailable'}`);
  }

  // ---- connection ---------------------------------------------------------------------------

  /** Runs operations one at a time. Failures are turned into status; `rethrow` passes them on too. */
  private serial<T>(fn: () => Promise<T>, rethrow = false): Promise<T | undefined> {
    const run = async (): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (e) {
        this.fail(e);
        if (rethrow) throw e;
        return undefined;
      }
    };
    const p = this.ops.then(run);
    this.ops = p.catch(() => undefined);
    return p;
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    await this.client.connect();
    const bases = this.config.base_address !== undefined ? [this.config.base_address] : undefined;
    this.layout = await discoverSunSpec(this.client, bases);
    const common = this.layout.models.find((m) => m.id === 1);
    if (common?.def) {
      const d = await this.readModel(common);
      this.identity = {
        manufacturer: d.values.Mn as string | undefined,
        model: d.values.Md as string | undefined,
        serial: d.values.SN as string | undefined,
      };
    }
    this.backoff.reset();
    this.ctx.log.info(
      {
        device: this.id,
        base: this.layout.base,
        models: this.layout.models.map((m) => m.id),
        role: this.role,
        ...(this.role === 'pv' ? { pvLimitModel: this.pvLimitModel()?.id ?? null } : {}),
        ...this.identity,
      },
      'SunSpec device discovered',
    );
    await this.poll();
  }

  private fail(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof ModbusError && e.kind === 'exception') {
      this.setDown('degraded', msg);
    } else if (e instanceof ModbusError && e.kind === 'timeout' && this.client.connected) {
      this.consecutiveTimeouts++;
      if (this.consecutiveTimeouts >= this.config.max_consecutive_timeouts || !this.layout) {
        this.dropConnection('offline', msg);
      } else this.setDown('degraded', msg);
    } else if (e instanceof ModbusError) {
      this.dropConnection('offline', msg);
    } else if (e instanceof NotSunSpecError) {
      // It answers but is not (or no longer) what we discovered: retry discovery later.
      this.dropConnection('degraded', msg);
    } else if (e instanceof RangeError) {
      // A setpoint the driver refused before sending; the device is fine.
      this.lastError = msg;
    } else {
      this.ctx.log.error({ device: this.id, err: msg }, 'SunSpec driver error');
      this.setDown('degraded', msg);
    }
  }

  private setDown(health: DriverHealth, error: string): void {
    if (!this.running) return;
    if (this.health !== health || this.lastError !== error)
      this.ctx.log.warn({ device: this.id, health, error }, 'SunSpec device status');
    this.health = health;
    this.lastError = error;
  }

  private dropConnection(health: DriverHealth, error: string): void {
    this.setDown(health, error);
    this.layout = undefined;
    void this.client.close();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.running) return;
      void this.serial(() => this.connect());
    }, delay);
  }

  private schedulePoll(): void {
    if (!this.running) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      const next = (): void => this.schedulePoll();
      if (this.client.connected && this.layout) void this.serial(() => this.poll()).finally(next);
      else next();
    }, this.config.poll_ms);
  }

  // ---- reading ------------------------------------------------------------------------------

  private has(id: number): boolean {
    return !!this.layout?.models.some((m) => m.id === id && m.def);
  }

  private instance(id: number): ModelInstance | undefined {
    return this.layout?.models.find((m) => m.id === id && m.def);
  }

  private async readModel(inst: ModelInstance): Promise<DecodedModel> {
    const regs = await this.client.readHoldingRegisters(inst.address, 2 + inst.length);
    if (regs[0] !== inst.id)
      throw new NotSunSpecError(
        `model ${inst.id} expected at ${inst.address}, found ID ${regs[0]}: layout changed`,
      );
    return decodeModel(inst.def!, regs);
  }

  private async readIf(id: number): Promise<DecodedModel | undefined> {
    const inst = this.instance(id);
    return inst ? this.readModel(inst) : undefined;
  }

  private async poll(): Promise<Measurement[]> {
    if (!this.layout) return [];
    const role = this.role!;
    const now = this.ctx.now();
    const mappings = SUNSPEC_MEASUREMENTS.filter((m) => m.roles.includes(role));
    const wanted = new Set(mappings.flatMap((m) => m.sources.map((s) => s.model)));
    const limitModel = role === 'pv' ? this.pvLimitModel() : undefined;
    if (limitModel) for (const src of PV_RATING_SOURCES[limitModel.id]) wanted.add(src.model);
    const data = new Map<number, DecodedModel>();
    for (const inst of this.layout.models) {
      if (inst.def && (wanted.has(inst.id) || inst === limitModel) && !data.has(inst.id))
        data.set(inst.id, await this.readModel(inst));
    }
    const out: Measurement[] = [];
    const put = (measurement: MeasurementName, v: number): void => {
      out.push({ assetId: this.config.asset, measurement, value: v === 0 ? 0 : v, timeMs: now });
    };
    const dcSign = this.config.battery_dc_power_sign === 'charge_positive' ? -1 : 1;
    for (const m of mappings) {
      for (const src of m.sources) {
        const d = data.get(src.model);
        if (!d) continue;
        const v = numberOf(d.values[src.point]);
        if (v === undefined) continue;
        put(m.measurement, v * m.factor * (src.batteryDcSign ? dcSign : 1));
        break;
      }
    }
    if (role === 'pv' && limitModel) {
      const ctl = data.get(limitModel.id)!;
      const wmaxW = pvRatingW(limitModel.id, data)?.w;
      const enabled = limitModel.id === 123 ? ctl.raw.WMaxLim_Ena === 1 : ctl.raw.WMaxLimPctEna === 1;
      const pct = numberOf(ctl.values.WMaxLimPct);
      const fraction = enabled && pct !== undefined ? Math.min(1, Math.max(0, pct / 100)) : 1;
      put('power_limit_fraction', fraction);
      if (wmaxW !== undefined) put('power_limit_kw', (fraction * wmaxW) / 1000);
    }
    this.consecutiveTimeouts = 0;
    this.lastReadMs = now;
    this.health = 'online';
    return out;
  }

  // ---- writing ------------------------------------------------------------------------------

  private pvLimitModel(): ModelInstance | undefined {
    const want = this.config.pv_limit_model;
    if (want === '123') return this.instance(123);
    if (want === '704') return this.instance(704);
    return this.instance(123) ?? this.instance(704);
  }

  private batteryControlModel(): ModelInstance | undefined {
    const want = this.config.battery_control_model;
    if (want === '124') return this.instance(124);
    if (want === '704') return this.instance(704);
    return this.instance(124) ?? this.instance(704);
  }

  /** Seconds until the setpoint should revert (0 = no reversion), for *_RvrtTms points. */
  private revertSeconds(sp: Setpoint, max: number): number {
    if (sp.validUntilMs === undefined) return 0;
    return Math.min(max, Math.max(1, Math.ceil((sp.validUntilMs - this.ctx.now()) / 1000)));
  }

  private async applySetpoint(sp: Setpoint): Promise<void> {
    if (sp.kind === 'pv_power_limit_kw') return this.applyPvLimit(sp);
    if (sp.kind === 'battery_power_kw') return this.applyBatteryPower(sp);
    throw new RangeError(`${this.id}: unsupported setpoint ${sp.kind}`);
  }

  private async applyPvLimit(sp: Setpoint): Promise<void> {
    if (sp.value < 0) throw new RangeError(`${this.id}: pv_power_limit_kw must be ≥ 0`);
    const inst = this.pvLimitModel();
    if (!inst) throw new RangeError(`${this.id}: device has no model 123 or 704 for an active-power limit`);
    const sources = PV_RATING_SOURCES[inst.id];
    const data = new Map<number, DecodedModel>();
    for (const id of new Set(sources.map((s) => s.model))) {
      const d = await this.readIf(id);
      if (d) data.set(id, d);
    }
    const rating = pvRatingW(inst.id, data);
    if (!rating)
      throw new RangeError(
        `${this.id}: device reports no ${sources.map((s) => `${s.point} (${s.model})`).join(', ')} to scale the model ${inst.id} limit`,
      );
    // The limit stays within 0…rating: negative refused above, more than the rating sent as 100 %.
    const pct = Math.min(FULL_PERCENT, (sp.value * 1000 * FULL_PERCENT) / rating.w);
    const ctl = await this.readModel(inst);
    const sf = numberOf(ctl.raw.WMaxLimPct_SF) ?? 0;
    if (inst.id === 123) {
      await this.writePoints(inst, ctl, [
        ['WMaxLimPct', unscale(pct, sf)],
        ['WMaxLimPct_WinTms', 0],
        ['WMaxLimPct_RvrtTms', this.revertSeconds(sp, 0xfffe)],
        ['WMaxLimPct_RmpTms', 0],
        ['WMaxLim_Ena', 1],
      ]);
    } else {
      // Model 704 reverts to its reversion settings, not to "no limit" as 123 does: set them to no
      // limit (100 %, disabled) so an expired limit frees the inverter, as the safe state asks.
      // Points 14–19 are adjacent, so on a device that has them all this is one request.
      await this.writePoints(inst, ctl, [
        ['WMaxLimPctRvrt', unscale(FULL_PERCENT, sf)],
        ['WMaxLimPctEnaRvrt', DER_DISABLED],
        ['WMaxLimPctRvrtTms', this.revertSeconds(sp, 0xfffffffe)],
        ['WMaxLimPct', unscale(pct, sf)],
        ['WMaxLimPctEna', DER_ENABLED],
      ]);
    }
    this.ctx.log.info(
      { device: this.id, limitKw: sp.value, pct, model: inst.id, ratingW: rating.w, ratingFrom: rating.from },
      'PV active-power limit written',
    );
  }

  private async applyBatteryPower(sp: Setpoint): Promise<void> {
    const inst = this.batteryControlModel();
    if (!inst) throw new RangeError(`${this.id}: device has no model 124 or 704 for battery power`);
    const ctl = await this.readModel(inst);
    if (inst.id === 124) {
      const wChaMax = numberOf(ctl.values.WChaMax);
      if (!wChaMax) throw new RangeError(`${this.id}: model 124 WChaMax not available to scale the setpoint`);
      const sf = numberOf(ctl.raw.InOutWRte_SF) ?? 0;
      const pct = Math.min(100, (Math.abs(sp.value) * 1000 * 100) / wChaMax);
      const raw = unscale(pct, sf);
      // Window [−InWRte, +OutWRte] × WChaMax pinned to the setpoint (see docs/drivers.md).
      const out = sp.value > 0 ? raw : sp.value < 0 ? -raw : 0;
      await this.writePoints(inst, ctl, [
        ['OutWRte', out],
        ['InWRte', -out],
        ['InOutWRte_WinTms', 0],
        ['InOutWRte_RvrtTms', this.revertSeconds(sp, 0xfffe)],
        ['InOutWRte_RmpTms', 0],
      ]);
      await this.writePoints(inst, ctl, [['StorCtl_Mod', 0b11]]);
    } else {
      const sf = numberOf(ctl.raw.WSet_SF) ?? 0;
      await this.writePoints(inst, ctl, [
        ['WSetRvrtTms', this.revertSeconds(sp, 0xfffffffe)],
        ['WSetMod', 1],
        ['WSet', unscale(sp.value * 1000, sf)],
        ['WSetEna', 1],
      ]);
    }
    this.ctx.log.info(
      { device: this.id, powerKw: sp.value, model: inst.id },
      'battery power setpoint written',
    );
  }

  /**
   * Writes points of one model. Optional points the device does not implement (reads as "not
   * implemented") are left out; runs of adjacent points go out as one FC 16 request, in the order
   * their first point appears in `values`.
   */
  private async writePoints(
    inst: ModelInstance,
    current: DecodedModel,
    values: [string, number][],
  ): Promise<void> {
    const def = inst.def!;
    const items = values
      .map(([name, raw]) => ({ p: findPoint(def, name), raw }))
      .filter(({ p }) => p.offset + p.size <= inst.length + 2)
      .filter(({ p }) => p.mandatory || current.raw[p.name] !== undefined);
    const sorted = [...items].sort((a, b) => a.p.offset - b.p.offset);
    const runs: { start: number; regs: number[]; first: number }[] = [];
    for (const it of sorted) {
      const regs = encodeRaw(it.p, it.raw);
      const order = items.indexOf(it);
      const last = runs[runs.length - 1];
      if (last && last.start + last.regs.length === it.p.offset) {
        last.regs.push(...regs);
        last.first = Math.min(last.first, order);
      } else runs.push({ start: it.p.offset, regs, first: order });
    }
    runs.sort((a, b) => a.first - b.first);
    for (const r of runs) await this.client.writeRegisters(inst.address + r.start, r.regs);
  }
}

const FULL_PERCENT = 100;
// Model 704 enum16 DISABLED/ENABLED.
const DER_DISABLED = 0;
const DER_ENABLED = 1;

/**
 * What a PV limit's percentage is of, per control model, first implemented point wins: model 123
 * is defined against 121 WMax (else the 120 rating); model 704 against the 702 WMax setting (else
 * the 702 WMaxRtg rating), which an IEEE 1547 inverter with only 1, 701, 702 and 704 has. Each
 * falls back to the other family so a device with one control model of the other family still
 * scales; but the limit is always read and written through one model (`pvLimitModel`) and scaled
 * by that model's own reference, so a device with both 123 and 704 is driven consistently.
 */
const PV_RATING_SOURCES: Record<number, readonly { model: number; point: string }[]> = {
  123: [
    { model: 121, point: 'WMax' },
    { model: 120, point: 'WRtg' },
    { model: 702, point: 'WMax' },
    { model: 702, point: 'WMaxRtg' },
  ],
  704: [
    { model: 702, point: 'WMax' },
    { model: 702, point: 'WMaxRtg' },
    { model: 121, point: 'WMax' },
    { model: 120, point: 'WRtg' },
  ],
};

function pvRatingW(
  limitModelId: number,
  data: ReadonlyMap<number, DecodedModel>,
): { w: number; from: string } | undefined {
  for (const src of PV_RATING_SOURCES[limitModelId] ?? []) {
    const w = numberOf(data.get(src.model)?.values[src.point]);
    if (w !== undefined && w > 0) return { w, from: `${src.model}.${src.point}` };
  }
  return undefined;
}

function numberOf(v: number | string | bigint | undefined): number | undefined {
  const n = toNumber(v as number | bigint | string | undefined);
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}
