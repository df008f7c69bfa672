import { randomUUID } from 'node:crypto';
import { guarded, installWireErrorCodes } from '../../drivers/ocpp/errors.ts';
import { RPCClient, RPC_OPEN } from '../../drivers/ocpp/rpc.ts';
import type { RpcClient } from '../../drivers/ocpp/rpc.ts';
import { callOcpp, handlerEntries } from '../../drivers/ocpp/messages.ts';
import type {
  Ocpp16,
  Ocpp16Calls,
  Ocpp201,
  Ocpp201Calls,
  OcppHandlers,
  OcppRequest,
  OcppResponse,
} from '../../drivers/ocpp/messages.ts';
import { systemClock, type TwinClock } from './clock.ts';
import {
  breakpoints,
  effectiveLimitKw,
  fromProfile16,
  fromProfile201,
  type ElectricalConfig,
  type TwinProfile,
} from './profiles.ts';

// A simulated charge point (OCPP 1.6J or 2.0.1) with EVs that arrive and leave per a session list.
// Time comes from an injected clock and advances only when tick() runs, so a test can move a day
// in a few calls; run() ticks it on a real timer.

export interface EvSession {
  /** Connector (1.6) or EVSE (2.0.1), from 1; default 1. */
  connectorId?: number;
  arrivalMs: number;
  departureMs: number;
  energyNeededKwh: number;
  maxPowerKw: number;
  v2g?: boolean;
  idTag?: string;
  /**
   * 2.0.1: announce the EV's needs at plug-in (NotifyEVChargingNeeds: departureTime = departureMs,
   * energyAmount = energyNeededKwh), as an ISO 15118 EV would.
   */
  announce?: boolean;
  /** EV battery, kWh. When given (or capacityKwh), MeterValues carry the SoC measurand. */
  batteryKwh?: number;
  /** SoC at arrival, 0–1; default: the battery less the energy needed. */
  initialSocFraction?: number;
  /** Older name of batteryKwh, still accepted. */
  capacityKwh?: number;
}

export interface TwinChargePointOptions {
  id: string;
  /** CSMS base URL, e.g. ws://127.0.0.1:9220/ocpp; the identity is appended. */
  endpoint: string;
  protocol: 'ocpp1.6' | 'ocpp2.0.1';
  password?: string;
  maxPowerKw: number;
  v2g?: boolean;
  connectors?: number;
  sessions?: EvSession[];
  meterIntervalS?: number;
  clock?: TwinClock;
  voltageV?: number;
  phases?: number;
  /** Extra ws options, e.g. `{ ca }` for a self-signed CSMS certificate. */
  wsOpts?: Record<string, unknown>;
  reconnectDelayMs?: number;
  callTimeoutMs?: number;
  vendor?: string;
  model?: string;
  log?: (msg: string, detail?: object) => void;
}

export interface TwinFrame {
  /** `out`: sent by the charge point; `in`: received. */
  direction: 'in' | 'out';
  frame: unknown;
}

interface ActiveSession {
  session: EvSession;
  txId?: string;
  txStartMs?: number;
  deliveredKwh: number;
  seqNo: number;
  idTag: string;
}

interface Connector {
  id: number;
  active?: ActiveSession;
  powerKw: number;
  energyImportWh: number;
  energyExportWh: number;
  profiles: TwinProfile[];
  lastMeterMs: number;
  limitKw: number;
}

export interface ConnectorSnapshot {
  id: number;
  powerKw: number;
  energyKwh: number;
  socFraction?: number;
  transactionId?: string;
  limitKw: number;
  evPresent: boolean;
}

type SampledValue16 = Ocpp16.MeterValuesRequest['meterValue'][number]['sampledValue'][number];
type SchedulePeriod = Ocpp201.ChargingSchedulePeriodType;
/** Why a transaction stops here; both protocols name these reasons alike. */
type StopReason = 'DeAuthorized' | 'EVDisconnected';

/** Battery assumed for V2G limits when the session names none: a mid-size EV. */
const DEFAULT_EV_BATTERY_KWH = 60;
/** IEC 62196-2 type 2 AC: at most 63 A per phase; a charger rated above that is a DC charger. */
const AC_MAX_CURRENT_A = 63;
/** IEC 61851-1: the lowest current a control pilot may offer. */
const AC_MIN_CURRENT_A = 6;
/** DC battery voltage the twin's EVs announce (a 400 V-class pack's upper bound). */
const DC_EV_MAX_VOLTAGE_V = 500;
const W_PER_KW = 1000;
const WH_PER_KWH = 1000;
const PERCENT = 100;
const AC_MODES: Record<number, Ocpp201.EnergyTransferModeEnumType> = {
  1: 'AC_single_phase',
  2: 'AC_two_phase',
  3: 'AC_three_phase',
};

export class TwinChargePoint {
  readonly id: string;
  readonly protocol: 'ocpp1.6' | 'ocpp2.0.1';
  readonly frames: TwinFrame[] = [];
  recordFrames = true;
  /** Counters for benchmarks. */
  readonly counters = { callsSent: 0, callsFailed: 0, meterValuesSent: 0, reconnects: 0 };
  lastError?: string;

  private readonly clock: TwinClock;
  private readonly el: ElectricalConfig;
  private readonly chargerProfiles: TwinProfile[] = [];
  private readonly connectors: Connector[] = [];
  private readonly pending: EvSession[];
  private readonly meterIntervalMs: number;
  private client?: RpcClient;
  private booted = false;
  private heartbeatIntervalMs = 300_000;
  private lastHeartbeatMs = 0;
  private lastUpdateMs: number;
  private chain: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: TwinChargePointOptions) {
    this.id = opts.id;
    this.protocol = opts.protocol;
    this.clock = opts.clock ?? systemClock;
    this.el = { voltageV: opts.voltageV ?? 230, phases: opts.phases ?? 3 };
    this.meterIntervalMs = (opts.meterIntervalS ?? 60) * 1000;
    this.pending = [...(opts.sessions ?? [])].sort((a, b) => a.arrivalMs - b.arrivalMs);
    this.lastUpdateMs = this.clock.now();
    for (let i = 1; i <= (opts.connectors ?? 1); i++) {
      this.connectors.push({
        id: i,
        powerKw: 0,
        energyImportWh: 0,
        energyExportWh: 0,
        profiles: [],
        lastMeterMs: 0,
        limitKw: Infinity,
      });
    }
  }

  get online(): boolean {
    return this.client?.state === RPC_OPEN;
  }

  get isBooted(): boolean {
    return this.booted;
  }

  connector(id = 1): ConnectorSnapshot {
    const c = this.conn(id);
    const a = c.active;
    return {
      id,
      powerKw: c.powerKw,
      energyKwh: c.energyImportWh / 1000,
      socFraction: a && this.batteryKnown(a) ? this.soc(a) : undefined,
      transactionId: a?.txId,
      limitKw: c.limitKw,
      evPresent: Boolean(a),
    };
  }

  addSession(s: EvSession): void {
    this.pending.push(s);
    this.pending.sort((a, b) => a.arrivalMs - b.arrivalMs);
  }

  /**
   * Adds an EV after construction: it plugs in at its arrivalMs on the twin's clock (at the first
   * tick from then on), or now when that is already past. Throws for a connector the twin lacks.
   */
  plugIn(session: EvSession): void {
    const id = session.connectorId ?? 1;
    if (!Number.isInteger(id) || id < 1 || id > this.connectors.length)
      throw new Error(`twin ${this.id}: no connector ${id} (it has ${this.connectors.length})`);
    this.addSession(session);
    if (session.arrivalMs <= this.clock.now()) void this.tick();
  }

  /** Connects, sends BootNotification and the connectors' status. */
  async start(): Promise<void> {
    const client = new RPCClient({
      endpoint: this.opts.endpoint,
      identity: this.id,
      protocols: [this.protocol],
      password: this.opts.password,
      strictMode: true,
      reconnect: true,
      callTimeoutMs: this.opts.callTimeoutMs ?? 30_000,
      backoff: {
        initialDelay: this.opts.reconnectDelayMs ?? 1000,
        maxDelay: Math.max(10_000, this.opts.reconnectDelayMs ?? 1000),
        factor: 2,
        randomisationFactor: 0,
      },
      wsOpts: this.opts.wsOpts,
    });
    this.client = client;
    installWireErrorCodes(client);
    client.on('message', (e: { message: string | Buffer; outbound: boolean }) => {
      if (!this.recordFrames) return;
      let frame: unknown;
      try {
        frame = JSON.parse(e.message.toString());
      } catch {
        frame = e.message.toString();
      }
      this.frames.push({ direction: e.outbound ? 'out' : 'in', frame });
    });
    let opened = 0;
    client.on('open', () => {
      opened++;
      if (opened > 1 && this.booted) {
        this.counters.reconnects++;
        void this.enqueue(() => this.sendAllStatus());
      }
    });
    const onError = (err: unknown, method: string) => this.note(`handler ${method} failed`, err);
    const handlers =
      this.protocol === 'ocpp1.6' ? handlerEntries(this.handlers16()) : handlerEntries(this.handlers201());
    for (const [m, fn] of handlers) client.handle(m, guarded(m, fn, onError));
    await client.connect();
    await this.boot();
  }

  /** Runs tick() on a real-time timer. */
  run(tickMs = 1000): void {
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.chain.catch(() => undefined);
    await this.client
      ?.close({ code: 1000, reason: 'charge point stopping', force: false })
      .catch(() => undefined);
  }

  /** Cuts the TCP connection without a close handshake, as a network failure would; ocpp-rpc reconnects. */
  dropConnection(): void {
    const ws = (this.client as unknown as { _ws?: { terminate(): void } })._ws;
    ws?.terminate();
  }

  /** Processes everything due at the clock's current time. Never throws; errors go to lastError. */
  tick(): Promise<void> {
    return this.enqueue(() => this.step());
  }

  // ---- simulation --------------------------------------------------------------------------------

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn).catch((err: unknown) => this.note('tick failed', err));
    this.chain = next;
    return next;
  }

  private async step(): Promise<void> {
    if (!this.booted || this.stopped) return;
    const now = this.clock.now();
    this.integrate(now);
    if (now - this.lastHeartbeatMs >= this.heartbeatIntervalMs) {
      this.lastHeartbeatMs = now;
      if (this.protocol === 'ocpp1.6') await this.call16('Heartbeat', {});
      else await this.call201('Heartbeat', {});
    }
    for (const c of this.connectors) {
      if (c.active && now >= c.active.session.departureMs) await this.depart(c, now);
      if (!c.active) {
        const idx = this.pending.findIndex((s) => (s.connectorId ?? 1) === c.id && s.arrivalMs <= now);
        if (idx >= 0) {
          const [s] = this.pending.splice(idx, 1);
          if (s.departureMs > now) await this.arrive(c, s, now);
        }
      }
      this.updatePower(c, now);
      if (c.active?.txId !== undefined && now - c.lastMeterMs >= this.meterIntervalMs) {
        c.lastMeterMs = now;
        await this.sendMeterValues(c, now);
      }
    }
  }

  private integrate(now: number): void {
    const dtH = Math.max(0, now - this.lastUpdateMs) / 3_600_000;
    this.lastUpdateMs = now;
    if (dtH === 0) return;
    for (const c of this.connectors) {
      const a = c.active;
      if (!a || c.powerKw === 0) continue;
      let deltaKwh = c.powerKw * dtH;
      if (deltaKwh > 0) deltaKwh = Math.min(deltaKwh, Math.max(0, this.remainingKwh(a)));
      else deltaKwh = Math.max(deltaKwh, -this.storedKwh(a));
      a.deliveredKwh += deltaKwh;
      if (deltaKwh > 0) c.energyImportWh += deltaKwh * 1000;
      else c.energyExportWh -= deltaKwh * 1000;
    }
  }

  private batteryKnown(a: ActiveSession): boolean {
    return (a.session.batteryKwh ?? a.session.capacityKwh) !== undefined;
  }

  private capacity(a: ActiveSession): number {
    return (
      a.session.batteryKwh ??
      a.session.capacityKwh ??
      Math.max(DEFAULT_EV_BATTERY_KWH, a.session.energyNeededKwh)
    );
  }

  private storedKwh(a: ActiveSession): number {
    const cap = this.capacity(a);
    const initialKwh =
      a.session.initialSocFraction !== undefined
        ? a.session.initialSocFraction * cap
        : Math.max(0, cap - a.session.energyNeededKwh);
    return initialKwh + a.deliveredKwh;
  }

  /** What the EV still takes: its need, and never beyond a full battery. */
  private remainingKwh(a: ActiveSession): number {
    return Math.min(a.session.energyNeededKwh - a.deliveredKwh, this.capacity(a) - this.storedKwh(a));
  }

  private soc(a: ActiveSession): number {
    return Math.min(1, Math.max(0, this.storedKwh(a) / this.capacity(a)));
  }

  /** Power never exceeds the profile limit, the charger's or the EV's maximum; discharge only when both are V2G. */
  private updatePower(c: Connector, now: number): void {
    const a = c.active;
    c.limitKw = effectiveLimitKw(
      c.profiles,
      this.chargerProfiles,
      now,
      a?.txId !== undefined ? { id: a.txId, startMs: a.txStartMs ?? now } : undefined,
      this.el,
    );
    if (!a || a.txId === undefined) {
      c.powerKw = 0;
      return;
    }
    const hw = Math.min(this.opts.maxPowerKw, a.session.maxPowerKw);
    if (c.limitKw >= 0) {
      c.powerKw = this.remainingKwh(a) > 1e-9 ? Math.min(hw, c.limitKw) : 0;
    } else if (this.opts.v2g && a.session.v2g && this.storedKwh(a) > 1e-9) {
      c.powerKw = Math.max(c.limitKw, -hw);
    } else {
      c.powerKw = 0;
    }
  }

  // ---- OCPP messages -----------------------------------------------------------------------------

  private call16<A extends keyof Ocpp16Calls & string>(
    action: A,
    request: OcppRequest<Ocpp16Calls, A>,
  ): Promise<OcppResponse<Ocpp16Calls, A>> {
    return this.counted((client) => callOcpp<Ocpp16Calls, A>(client, action, request));
  }

  private call201<A extends keyof Ocpp201Calls & string>(
    action: A,
    request: OcppRequest<Ocpp201Calls, A>,
  ): Promise<OcppResponse<Ocpp201Calls, A>> {
    return this.counted((client) => callOcpp<Ocpp201Calls, A>(client, action, request));
  }

  private async counted<T>(send: (client: RpcClient) => Promise<T>): Promise<T> {
    if (!this.client) throw new Error('not started');
    this.counters.callsSent++;
    try {
      return await send(this.client);
    } catch (err) {
      this.counters.callsFailed++;
      throw err;
    }
  }

  private iso(ms = this.clock.now()): string {
    return new Date(ms).toISOString();
  }

  private async boot(): Promise<void> {
    const res =
      this.protocol === 'ocpp1.6'
        ? await this.call16('BootNotification', {
            chargePointVendor: this.opts.vendor ?? 'Bitgrid',
            chargePointModel: this.opts.model ?? 'TwinCP',
          })
        : await this.call201('BootNotification', {
            reason: 'PowerUp',
            chargingStation: {
              vendorName: this.opts.vendor ?? 'Bitgrid',
              model: this.opts.model ?? 'TwinCP',
            },
          });
    if (res.status !== 'Accepted') throw new Error(`BootNotification ${res.status}`);
    this.heartbeatIntervalMs = res.interval * 1000;
    const now = this.clock.now();
    this.lastHeartbeatMs = now;
    this.lastUpdateMs = now;
    this.booted = true;
    await this.sendAllStatus();
  }

  private async sendAllStatus(): Promise<void> {
    if (this.protocol === 'ocpp1.6') await this.status16(0, 'Available');
    for (const c of this.connectors) {
      if (this.protocol === 'ocpp1.6')
        await this.status16(c.id, c.active?.txId ? 'Charging' : c.active ? 'Preparing' : 'Available');
      else await this.status201(c.id, c.active ? 'Occupied' : 'Available');
    }
  }

  private status16(connectorId: number, status: Ocpp16.StatusNotificationRequest['status']) {
    return this.call16('StatusNotification', {
      connectorId,
      errorCode: 'NoError',
      status,
      timestamp: this.iso(),
    });
  }

  private status201(evseId: number, connectorStatus: Ocpp201.ConnectorStatusEnumType) {
    return this.call201('StatusNotification', {
      timestamp: this.iso(),
      connectorStatus,
      evseId,
      connectorId: 1,
    });
  }

  private async arrive(c: Connector, s: EvSession, now: number): Promise<void> {
    const a: ActiveSession = { session: s, deliveredKwh: 0, seqNo: 0, idTag: s.idTag ?? 'EV-TAG' };
    c.active = a;
    c.profiles = c.profiles.filter((p) => p.purpose !== 'TxProfile');
    if (this.protocol === 'ocpp1.6') {
      await this.status16(c.id, 'Preparing');
      const auth = await this.call16('Authorize', { idTag: a.idTag });
      if (auth.idTagInfo.status !== 'Accepted') return;
      const res = await this.call16('StartTransaction', {
        connectorId: c.id,
        idTag: a.idTag,
        meterStart: Math.round(c.energyImportWh),
        timestamp: this.iso(now),
      });
      a.txId = String(res.transactionId);
      a.txStartMs = now;
      if (res.idTagInfo.status !== 'Accepted') {
        await this.stopTx(c, now, 'DeAuthorized');
        return;
      }
      await this.status16(c.id, 'Charging');
    } else {
      await this.status201(c.id, 'Occupied');
      if (s.announce) await this.notifyNeeds(c, a);
      const auth = await this.call201('Authorize', { idToken: { idToken: a.idTag, type: 'ISO14443' } });
      if (auth.idTokenInfo.status !== 'Accepted') return;
      a.txId = randomUUID();
      a.txStartMs = now;
      await this.call201('TransactionEvent', {
        eventType: 'Started',
        timestamp: this.iso(now),
        triggerReason: 'Authorized',
        seqNo: a.seqNo++,
        transactionInfo: { transactionId: a.txId, chargingState: 'Charging' },
        evse: { id: c.id, connectorId: 1 },
        idToken: { idToken: a.idTag, type: 'ISO14443' },
        meterValue: [this.meterValue201(c, now, 'Transaction.Begin', false)],
      });
    }
    c.lastMeterMs = now;
    this.updatePower(c, now);
  }

  /** 2.0.1 NotifyEVChargingNeeds: AC or DC parameters by the charger's rating. */
  private async notifyNeeds(c: Connector, a: ActiveSession): Promise<void> {
    const s = a.session;
    const energyAmount = Math.round(s.energyNeededKwh * WH_PER_KWH);
    const acMaxKw = (AC_MAX_CURRENT_A * this.el.voltageV * this.el.phases) / W_PER_KW;
    const chargingNeeds: Ocpp201.ChargingNeedsType =
      this.opts.maxPowerKw <= acMaxKw
        ? {
            requestedEnergyTransfer: AC_MODES[this.el.phases] ?? 'AC_three_phase',
            acChargingParameters: {
              energyAmount,
              evMinCurrent: AC_MIN_CURRENT_A,
              evMaxCurrent: Math.round((s.maxPowerKw * W_PER_KW) / (this.el.voltageV * this.el.phases)),
              evMaxVoltage: this.el.voltageV,
            },
          }
        : {
            requestedEnergyTransfer: 'DC',
            dcChargingParameters: {
              evMaxCurrent: Math.ceil((s.maxPowerKw * W_PER_KW) / DC_EV_MAX_VOLTAGE_V),
              evMaxVoltage: DC_EV_MAX_VOLTAGE_V,
              evMaxPower: Math.round(s.maxPowerKw * W_PER_KW),
              energyAmount,
              ...(this.batteryKnown(a)
                ? {
                    stateOfCharge: Math.round(this.soc(a) * PERCENT),
                    evEnergyCapacity: Math.round(this.capacity(a) * WH_PER_KWH),
                  }
                : {}),
            },
          };
    chargingNeeds.departureTime = this.iso(s.departureMs);
    const res = await this.call201('NotifyEVChargingNeeds', { evseId: c.id, chargingNeeds });
    if (res.status !== 'Accepted')
      this.note('NotifyEVChargingNeeds not accepted', new Error(String(res.status)));
  }

  private async depart(c: Connector, now: number): Promise<void> {
    if (c.active?.txId !== undefined) await this.stopTx(c, now, 'EVDisconnected');
    c.active = undefined;
    c.powerKw = 0;
    c.profiles = c.profiles.filter((p) => p.purpose !== 'TxProfile');
    if (this.protocol === 'ocpp1.6') {
      await this.status16(c.id, 'Finishing');
      await this.status16(c.id, 'Available');
    } else {
      await this.status201(c.id, 'Available');
    }
  }

  private async stopTx(c: Connector, now: number, reason: StopReason): Promise<void> {
    const a = c.active;
    if (!a?.txId) return;
    c.powerKw = 0;
    if (this.protocol === 'ocpp1.6') {
      await this.call16('StopTransaction', {
        transactionId: Number(a.txId),
        idTag: a.idTag,
        meterStop: Math.round(c.energyImportWh),
        timestamp: this.iso(now),
        reason,
      });
    } else {
      await this.call201('TransactionEvent', {
        eventType: 'Ended',
        timestamp: this.iso(now),
        triggerReason: reason === 'EVDisconnected' ? 'EVDeparted' : 'Deauthorized',
        seqNo: a.seqNo++,
        transactionInfo: { transactionId: a.txId, chargingState: 'Idle', stoppedReason: reason },
        evse: { id: c.id, connectorId: 1 },
        meterValue: [this.meterValue201(c, now, 'Transaction.End', false)],
      });
    }
    a.txId = undefined;
  }

  private async sendMeterValues(c: Connector, now: number): Promise<void> {
    const a = c.active;
    if (!a?.txId) return;
    this.counters.meterValuesSent++;
    if (this.protocol === 'ocpp1.6') {
      const ctx = 'Sample.Periodic';
      const sv: SampledValue16[] = [
        {
          value: String(Math.round(c.energyImportWh)),
          context: ctx,
          measurand: 'Energy.Active.Import.Register',
          unit: 'Wh',
        },
        {
          value: String(Math.round(Math.max(0, c.powerKw) * 1000)),
          context: ctx,
          measurand: 'Power.Active.Import',
          unit: 'W',
        },
      ];
      if (this.opts.v2g) {
        sv.push(
          {
            value: String(Math.round(Math.max(0, -c.powerKw) * 1000)),
            context: ctx,
            measurand: 'Power.Active.Export',
            unit: 'W',
          },
          {
            value: String(Math.round(c.energyExportWh)),
            context: ctx,
            measurand: 'Energy.Active.Export.Register',
            unit: 'Wh',
          },
        );
      }
      if (this.batteryKnown(a))
        sv.push({
          value: String(Math.round(this.soc(a) * PERCENT)),
          context: ctx,
          measurand: 'SoC',
          unit: 'Percent',
          location: 'EV',
        });
      await this.call16('MeterValues', {
        connectorId: c.id,
        transactionId: Number(a.txId),
        meterValue: [{ timestamp: this.iso(now), sampledValue: sv }],
      });
    } else {
      await this.call201('TransactionEvent', {
        eventType: 'Updated',
        timestamp: this.iso(now),
        triggerReason: 'MeterValuePeriodic',
        seqNo: a.seqNo++,
        transactionInfo: {
          transactionId: a.txId,
          chargingState: c.powerKw === 0 ? 'SuspendedEVSE' : 'Charging',
        },
        meterValue: [this.meterValue201(c, now, 'Sample.Periodic', true)],
      });
    }
  }

  private meterValue201(
    c: Connector,
    now: number,
    context: Ocpp201.ReadingContextEnumType,
    full: boolean,
  ): Ocpp201.MeterValueType {
    const sv: Ocpp201.MeterValueType['sampledValue'] = [
      {
        value: Math.round(c.energyImportWh),
        context,
        measurand: 'Energy.Active.Import.Register',
        unitOfMeasure: { unit: 'Wh' },
      },
    ];
    // A bidirectional charger meters both directions, so a session's discharge can be netted.
    if (this.opts.v2g)
      sv.push({
        value: Math.round(c.energyExportWh),
        context,
        measurand: 'Energy.Active.Export.Register',
        unitOfMeasure: { unit: 'Wh' },
      });
    if (full) {
      sv.push({
        value: Math.round(Math.max(0, c.powerKw) * 1000),
        context,
        measurand: 'Power.Active.Import',
        unitOfMeasure: { unit: 'W' },
      });
      if (this.opts.v2g) {
        sv.push({
          value: Math.round(Math.max(0, -c.powerKw) * 1000),
          context,
          measurand: 'Power.Active.Export',
          unitOfMeasure: { unit: 'W' },
        });
      }
      if (c.active && this.batteryKnown(c.active)) {
        sv.push({
          value: Math.round(this.soc(c.active) * PERCENT),
          context,
          measurand: 'SoC',
          location: 'EV',
          unitOfMeasure: { unit: 'Percent' },
        });
      }
    }
    return { timestamp: this.iso(now), sampledValue: sv };
  }

  // ---- CSMS-initiated calls ----------------------------------------------------------------------

  private handlers16(): OcppHandlers<Ocpp16Calls> {
    return {
      SetChargingProfile: (p) =>
        this.onSetChargingProfile(p.connectorId, fromProfile16(p.csChargingProfiles)),
      ClearChargingProfile: (p) => this.onClear(p.id, p.connectorId, p.chargingProfilePurpose, p.stackLevel),
      GetCompositeSchedule: (p) => this.onComposite16(p),
    };
  }

  private handlers201(): OcppHandlers<Ocpp201Calls> {
    return {
      SetChargingProfile: (p) => this.onSetChargingProfile(p.evseId, fromProfile201(p.chargingProfile)),
      ClearChargingProfile: (p) =>
        this.onClear(
          p.chargingProfileId,
          p.chargingProfileCriteria?.evseId,
          p.chargingProfileCriteria?.chargingProfilePurpose,
          p.chargingProfileCriteria?.stackLevel,
        ),
      GetCompositeSchedule: (p) => this.onComposite201(p),
    };
  }

  private onSetChargingProfile(
    connectorId: number,
    profile: TwinProfile,
  ): { status: 'Accepted' | 'Rejected' } {
    const now = this.clock.now();
    this.integrate(now);
    if (profile.purpose === 'ChargePointMaxProfile') {
      if (connectorId !== 0) return { status: 'Rejected' };
      this.replace(this.chargerProfiles, profile);
    } else {
      if (connectorId < 1 || connectorId > this.connectors.length) return { status: 'Rejected' };
      const c = this.conn(connectorId);
      if (profile.purpose === 'TxProfile') {
        const txId = c.active?.txId;
        if (!txId || (profile.transactionId !== undefined && profile.transactionId !== txId))
          return { status: 'Rejected' };
        profile.transactionId = txId;
      }
      this.replace(c.profiles, profile);
    }
    this.connectors.forEach((c) => this.updatePower(c, now));
    return { status: 'Accepted' };
  }

  private replace(list: TwinProfile[], p: TwinProfile): void {
    const keep = list.filter(
      (q) => q.id !== p.id && !(q.purpose === p.purpose && q.stackLevel === p.stackLevel),
    );
    list.splice(0, list.length, ...keep, p);
  }

  private onClear(
    id?: number,
    connectorId?: number,
    purpose?: string,
    stackLevel?: number,
  ): { status: 'Accepted' | 'Unknown' } {
    const now = this.clock.now();
    this.integrate(now);
    const match = (p: TwinProfile) =>
      (id === undefined || p.id === id) &&
      (purpose === undefined ||
        p.purpose === purpose ||
        (purpose === 'ChargingStationMaxProfile' && p.purpose === 'ChargePointMaxProfile')) &&
      (stackLevel === undefined || p.stackLevel === stackLevel);
    let removed = 0;
    const lists: TwinProfile[][] =
      connectorId === undefined
        ? [this.chargerProfiles, ...this.connectors.map((c) => c.profiles)]
        : connectorId === 0
          ? [this.chargerProfiles]
          : connectorId <= this.connectors.length
            ? [this.conn(connectorId).profiles]
            : [];
    for (const list of lists) {
      const keep = list.filter((p) => !match(p));
      removed += list.length - keep.length;
      list.splice(0, list.length, ...keep);
    }
    this.connectors.forEach((c) => this.updatePower(c, now));
    return { status: removed > 0 ? 'Accepted' : 'Unknown' };
  }

  private composite(connectorId: number, durationS: number, unit: 'W' | 'A') {
    const now = this.clock.now();
    const end = now + durationS * 1000;
    const c = connectorId > 0 ? this.conn(connectorId) : undefined;
    const a = c?.active;
    const tx = a?.txId !== undefined ? { id: a.txId, startMs: a.txStartMs ?? now } : undefined;
    const profiles = [...this.chargerProfiles, ...(c?.profiles ?? [])];
    const hwKw = this.opts.maxPowerKw;
    const toUnit = (kw: number) =>
      Math.round((unit === 'W' ? kw * 1000 : (kw * 1000) / (this.el.voltageV * this.el.phases)) * 10) / 10;
    const period = (t: number): SchedulePeriod => {
      const kw = Math.min(hwKw, effectiveLimitKw(c?.profiles ?? [], this.chargerProfiles, t, tx, this.el));
      return {
        startPeriod: Math.round((t - now) / 1000),
        limit: toUnit(Math.max(kw, this.opts.v2g ? -hwKw : 0)),
      };
    };
    // The first breakpoint is now, so the schedule always has a period.
    const [first, ...later] = breakpoints(profiles, now, end, tx?.startMs);
    const periods: [SchedulePeriod, ...SchedulePeriod[]] = [period(first)];
    for (const t of later) {
      const next = period(t);
      if (periods[periods.length - 1].limit !== next.limit) periods.push(next);
    }
    return { now, periods };
  }

  private onComposite16(p: Ocpp16.GetCompositeScheduleRequest): Ocpp16.GetCompositeScheduleResponse {
    if (p.connectorId < 0 || p.connectorId > this.connectors.length) return { status: 'Rejected' };
    const unit = p.chargingRateUnit ?? 'W';
    const { now, periods } = this.composite(p.connectorId, p.duration, unit);
    return {
      status: 'Accepted',
      connectorId: p.connectorId,
      scheduleStart: this.iso(now),
      chargingSchedule: { duration: p.duration, chargingRateUnit: unit, chargingSchedulePeriod: periods },
    };
  }

  private onComposite201(p: Ocpp201.GetCompositeScheduleRequest): Ocpp201.GetCompositeScheduleResponse {
    if (p.evseId < 0 || p.evseId > this.connectors.length) return { status: 'Rejected' };
    const unit = p.chargingRateUnit ?? 'W';
    const { now, periods } = this.composite(p.evseId, p.duration, unit);
    return {
      status: 'Accepted',
      schedule: {
        evseId: p.evseId,
        duration: p.duration,
        scheduleStart: this.iso(now),
        chargingRateUnit: unit,
        chargingSchedulePeriod: periods,
      },
    };
  }

  private conn(id: number): Connector {
    const c = this.connectors[id - 1];
    if (!c) throw new Error(`no connector ${id}`);
    return c;
  }

  private note(msg: string, err: unknown): void {
    this.lastError = `${msg}: ${err instanceof Error ? err.message : String(err)}`;
    this.opts.log?.(msg, { chargePointId: this.id, err: this.lastError });
  }
}
