import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type {
  ChargingSessionInfo,
  Driver,
  DriverContext,
  DriverStatus,
  Measurement,
  Setpoint,
} from '../types.ts';
import type { ChargePointConfig, OcppConfig, OcppProtocol } from './config.ts';
import { guarded, installWireErrorCodes } from './errors.ts';
import { normalizeMeterValues } from './meter.ts';
import type { MeterHooks, MeterMeasurement, MeterSample, MeterValue } from './meter.ts';
import {
  MAX_CLOCK_AHEAD_MS,
  MAX_CLOCK_BEHIND_MS,
  REFUSAL_REASONS,
  refusal,
  type RefusalReason,
} from './plausibility.ts';
import { hashPassword, parsePasswordHash, verifyPassword } from './password.ts';
import {
  parseCompositeSchedule,
  setChargingProfile16,
  setChargingProfile201,
  type CompositeSchedule,
  type LimitRequest,
  type ProfilePurpose,
} from './profiles.ts';
import { RPCServer, RPC_OPEN, createRPCError } from './rpc.ts';
import type { RpcServer, RpcServerClient } from './rpc.ts';
import { callOcpp, handlerEntries } from './messages.ts';
import type { Ocpp16Calls, Ocpp201, Ocpp201Calls, OcppHandlers } from './messages.ts';
import { sessionChannel } from '../../model/measurements.ts';

export interface FrameRecord {
  chargePointId: string;
  /** `in`: received by the CSMS; `out`: sent by the CSMS. */
  direction: 'in' | 'out';
  frame: unknown;
  timeMs: number;
}

interface Transaction {
  id: string;
  idToken?: string;
  meterStartKwh?: number;
  /** Export register at the start (V2G), so discharge in the session is netted out of its energy. */
  exportStartKwh?: number;
  startMs: number;
  /** CSMS time of the last message about this transaction or its connector. */
  updatedMs: number;
}

interface ConnectorState {
  status?: string;
  tx?: Transaction;
  latest: Map<MeterMeasurement, { value: number; timeMs: number }>;
  /** Last limit this driver applied, kW. */
  limitKw?: number;
  /** What the EV plugged in here announced (2.0.1 NotifyEVChargingNeeds); kept until it leaves. */
  needs?: EvChargingNeeds;
}

interface EvChargingNeeds {
  departureMs?: number;
  energyRequestKwh?: number;
  evMaxPowerKw?: number;
  /** DC stateOfCharge at the announcement, used until MeterValues carry SoC. */
  socFraction?: number;
  timeMs: number;
}

interface ChargePointState {
  cfg: ChargePointConfig;
  passwordHash?: ReturnType<typeof parsePasswordHash>;
  client?: RpcServerClient;
  online: boolean;
  /** CSMS time of the last frame (an OCPP message or a WebSocket pong) received from it. */
  lastFrameMs?: number;
  /** CSMS time its socket closed; undefined while connected. */
  offlineSinceMs?: number;
  boot?: { vendor: string; model: string; atMs: number };
  connectors: Map<number, ConnectorState>;
  /** Last charger-wide maximum this driver applied (connector / EVSE 0), kW. */
  stationLimitKw?: number;
}

export interface ChargePointInfo {
  id: string;
  protocol: OcppProtocol;
  online: boolean;
  booted: boolean;
  connectors: Array<{ id: number; status?: string; transactionId?: string; limitKw?: number }>;
  /** The charger-wide maximum last applied (ChargePointMaxProfile / ChargingStationMaxProfile), kW. */
  stationLimitKw?: number;
}

const DETAIL_KEYS: MeterMeasurement[] = [
  'power_kw',
  'energy_kwh',
  'energy_export_kwh',
  'soc_fraction',
  'power_offered_kw',
];

/**
 * How long a charger may be offline before its transactions leave sessions(): a charger back
 * within the control loop's default stale limit (`serve --stale-s`, 300 s) resumes as if nothing
 * happened; one gone longer is not planned for (its transactions stay known, so a late
 * StopTransaction or TransactionEvent still ends them).
 */
export const OFFLINE_SESSION_GRACE_MS = 300_000;

/** Device-clock problems, counted and warned about once per charge point. */
type RetimeReason = 'clock_ahead' | 'clock_behind' | 'time_unreadable';
const RETIME_REASONS: readonly RetimeReason[] = ['clock_ahead', 'clock_behind', 'time_unreadable'];

const WH_PER_KWH = 1000;
const W_PER_KW = 1000;
const PERCENT = 100;
/** Phases of each 2.0.1 EnergyTransferModeEnumType AC mode. */
const AC_PHASES: Record<string, number> = { AC_single_phase: 1, AC_two_phase: 2, AC_three_phase: 3 };

/**
 * OCPP CSMS: one WebSocket endpoint speaking OCPP 1.6J and 2.0.1 (chosen per charger by
 * subprotocol), strict schema validation of every frame, basic auth (profile 1) and TLS (profile 2).
 */
export class OcppCsmsDriver implements Driver {
  readonly type = 'ocpp';
  readonly id: string;
  /**
   * Counters since start: `framesIn`, `framesOut`, `refused_<reason>` per RefusalReason (values
   * refused at the edge) and `retimed_<reason>` (charger times replaced by the CSMS clock). Callable
   * as `counters()` for a snapshot; `counters.framesIn` / `counters.framesOut` stay readable as
   * properties for bench/ocpp-scale.ts.
   */
  readonly counters: (() => Record<string, number>) & { framesIn: number; framesOut: number } = Object.assign(
    () => this.countersSnapshot(),
    { framesIn: 0, framesOut: 0 },
  );
  private readonly tallies = new Map<string, number>();
  /** `<charge point>\0<reason>` already logged. */
  private readonly warned = new Set<string>();
  private readonly cps = new Map<string, ChargePointState>();
  private readonly assetCps = new Map<string, ChargePointState[]>();
  private readonly accepted: Set<string>;
  private rpc?: RpcServer;
  private http?: HttpServer;
  private readonly sockets = new Set<Socket>();
  private state: 'starting' | 'running' | 'stopped' = 'starting';
  private lastError?: string;
  private lastReadMs?: number;
  private nextTxId: number;
  private readonly frameListeners = new Set<(f: FrameRecord) => void>();
  private readonly endedSessions: Measurement[] = [];

  constructor(
    private readonly config: OcppConfig,
    private readonly ctx: DriverContext,
  ) {
    this.id = config.id;
    this.accepted = new Set(config.accepted_id_tokens);
    this.nextTxId = Math.floor(ctx.now() / 1000) % 1_000_000_000;
    for (const cfg of config.charge_points) {
      const encoded =
        cfg.password_scrypt ?? (cfg.password !== undefined ? hashPassword(cfg.password) : undefined);
      const st: ChargePointState = {
        cfg: { ...cfg, password: undefined },
        passwordHash: encoded ? parsePasswordHash(encoded) : undefined,
        online: false,
        connectors: new Map(),
      };
      this.cps.set(cfg.id, st);
      const list = this.assetCps.get(cfg.asset) ?? [];
      list.push(st);
      this.assetCps.set(cfg.asset, list);
    }
  }

  /** Bound address (port 0 in config picks a free one). */
  address(): AddressInfo {
    const a = this.http?.address();
    if (!a || typeof a === 'string') throw new Error('CSMS not listening');
    return a;
  }

  /** Observe every OCPP frame exchanged (tests, debugging). Returns an unsubscribe function. */
  onFrame(listener: (f: FrameRecord) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  chargePoints(): ChargePointInfo[] {
    return [...this.cps.values()].map((cp) => ({
      id: cp.cfg.id,
      protocol: cp.cfg.protocol,
      online: cp.online,
      booted: cp.boot !== undefined,
      stationLimitKw: cp.stationLimitKw,
      connectors: [...cp.connectors.entries()].map(([id, c]) => ({
        id,
        status: c.status,
        transactionId: c.tx?.id,
        limitKw: c.limitKw,
      })),
    }));
  }

  async start(): Promise<void> {
    const rpc = new RPCServer({
      protocols: ['ocpp2.0.1', 'ocpp1.6'],
      strictMode: true,
      callTimeoutMs: this.config.call_timeout_s * 1000,
      respondWithDetailedErrors: false,
    });
    rpc.auth((accept, reject, handshake) => this.authenticate(accept, reject, handshake));
    rpc.on('client', (client: RpcServerClient) => {
      try {
        this.attach(client);
      } catch (err) {
        this.ctx.log.error({ err, chargePointId: client.identity }, 'ocpp: attaching charge point failed');
        void client.close({ code: 1011, reason: 'internal error' }).catch(() => undefined);
      }
    });
    rpc.on('error', (err: unknown) => this.ctx.log.error({ err }, 'ocpp: websocket server error'));
    rpc.on('upgradeAborted', (e: { identity: string; error?: Error }) =>
      this.ctx.log.warn({ chargePointId: e.identity, reason: e.error?.message }, 'ocpp: connection refused'),
    );
    this.rpc = rpc;

    const onRequest = (_req: unknown, res: import('node:http').ServerResponse) => {
      res.statusCode = 404;
      res.end();
    };
    const tls = this.config.tls;
    const http = tls
      ? createHttpsServer(
          { cert: readFileSync(tls.cert_file), key: readFileSync(tls.key_file), minVersion: 'TLSv1.2' },
          onRequest,
        )
      : createHttpServer(onRequest);
    http.on('upgrade', (req, socket, head) => {
      rpc.handleUpgrade(req, socket, head).catch((err: unknown) => {
        this.ctx.log.error({ err }, 'ocpp: upgrade failed');
        socket.destroy();
      });
    });
    http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    http.on('tlsClientError', (err: Error) =>
      this.ctx.log.warn({ err: err.message }, 'ocpp: TLS handshake failed'),
    );
    this.http = http;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.config.port, this.config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    http.on('error', (err) => this.ctx.log.error({ err }, 'ocpp: http server error'));
    this.state = 'running';
    this.ctx.log.info(
      { host: this.config.host, port: this.address().port, tls: Boolean(tls), chargePoints: this.cps.size },
      'ocpp: CSMS listening',
    );
    for (const cp of this.cps.values())
      if (!cp.passwordHash)
        this.ctx.log.warn(
          { chargePointId: cp.cfg.id, host: this.config.host, tls: Boolean(tls) },
          'ocpp: charge point has no password: admitted on its identity alone (security profile 0, lab use only); set password or password_scrypt',
        );
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await this.rpc?.close({ code: 1001, reason: 'CSMS stopping' }).catch(() => undefined);
    const http = this.http;
    if (http) {
      const forced = setTimeout(() => this.sockets.forEach((s) => s.destroy()), 1000);
      forced.unref();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      clearTimeout(forced);
    }
    for (const cp of this.cps.values()) cp.online = false;
  }

  status(): DriverStatus {
    if (this.state !== 'running') return { health: this.state === 'stopped' ? 'stopped' : 'starting' };
    const offline = [...this.cps.values()].filter((c) => !c.online).map((c) => c.cfg.id);
    const health =
      offline.length === 0 ? 'online' : offline.length === this.cps.size ? 'offline' : 'degraded';
    return {
      health,
      lastReadMs: this.lastReadMs,
      lastError: offline.length ? `offline: ${offline.join(', ')}` : this.lastError,
    };
  }

  async read(): Promise<Measurement[]> {
    const out: Measurement[] = [];
    for (const cp of this.cps.values()) {
      // Stamped with the last contact, not now: a charger that went silent must age like its data.
      if (cp.lastFrameMs !== undefined)
        out.push({
          assetId: cp.cfg.asset,
          measurement: 'online',
          value: cp.online ? 1 : 0,
          timeMs: cp.lastFrameMs,
          channel: this.chargerChannel(cp),
        });
      for (const [connectorId, c] of cp.connectors) {
        const channel = this.channel(cp, String(connectorId));
        for (const key of DETAIL_KEYS) {
          const v = c.latest.get(key);
          if (v)
            out.push({ assetId: cp.cfg.asset, measurement: key, value: v.value, timeMs: v.timeMs, channel });
        }
        const e = c.latest.get('energy_kwh');
        if (c.tx && e && c.tx.meterStartKwh !== undefined) {
          out.push({
            assetId: cp.cfg.asset,
            measurement: 'session_energy_kwh',
            value: e.value - c.tx.meterStartKwh,
            timeMs: e.timeMs,
            channel: this.channel(cp, sessionChannel(c.tx.id)),
          });
        }
      }
    }
    out.push(...this.endedSessions.splice(0));
    return out;
  }

  /**
   * One entry per transaction in progress. `channel` is always `<charger id>/<connector>`, the form
   * write() resolves to that connector (1.6J) or EVSE (2.0.1) whatever the asset's charger count.
   */
  sessions(): ChargingSessionInfo[] {
    const now = this.ctx.now();
    const out: ChargingSessionInfo[] = [];
    for (const cp of this.cps.values()) {
      // What a charger offline past the grace reported no longer describes its EVs.
      if (!cp.online && cp.offlineSinceMs !== undefined && now - cp.offlineSinceMs > OFFLINE_SESSION_GRACE_MS)
        continue;
      for (const [connectorId, c] of cp.connectors) {
        const tx = c.tx;
        if (!tx || connectorId === 0) continue;
        // Readings from before the transaction belong to the previous EV.
        const current = (m: MeterMeasurement) => {
          const v = c.latest.get(m);
          return v && v.timeMs >= tx.startMs ? v.value : undefined;
        };
        const imported = c.latest.get('energy_kwh')?.value;
        const exported = c.latest.get('energy_export_kwh')?.value;
        const importKwh =
          imported !== undefined && tx.meterStartKwh !== undefined ? imported - tx.meterStartKwh : 0;
        const exportKwh =
          exported !== undefined && tx.exportStartKwh !== undefined ? exported - tx.exportStartKwh : 0;
        const needs = c.needs;
        const ratingKw = cp.cfg.max_power_kw;
        out.push({
          assetId: cp.cfg.asset,
          channel: `${cp.cfg.id}/${connectorId}`,
          chargerId: cp.cfg.id,
          connectorId,
          transactionId: tx.id,
          startMs: tx.startMs,
          energyKwh: importKwh - exportKwh,
          powerKw: current('power_kw'),
          maxPowerKw: Math.min(ratingKw, needs?.evMaxPowerKw ?? Infinity),
          maxDischargeKw: cp.cfg.v2g ? ratingKw : 0,
          departureMs: needs?.departureMs,
          energyRequestKwh: needs?.energyRequestKwh,
          socFraction: current('soc_fraction') ?? needs?.socFraction,
          idToken: tx.idToken,
          updatedMs: tx.updatedMs,
        });
      }
    }
    return out;
  }

  accepts(sp: Setpoint): boolean {
    return sp.kind === 'charging_limit_kw' && this.assetCps.has(sp.assetId);
  }

  async write(sp: Setpoint): Promise<void> {
    if (!this.accepts(sp)) throw new Error(`ocpp ${this.id}: does not accept ${sp.kind} for ${sp.assetId}`);
    const { cp, connectorId } = this.resolve(sp);
    if (!Number.isFinite(sp.value)) throw new Error(`ocpp ${cp.cfg.id}: limit must be a finite number`);
    if (sp.value < 0 && !cp.cfg.v2g)
      throw new Error(
        `ocpp ${cp.cfg.id}: negative limit ${sp.value} kW (discharge) refused, charger is not V2G-capable (v2g: false)`,
      );
    if (sp.value < 0 && connectorId === 0)
      throw new Error(`ocpp ${cp.cfg.id}: a station-wide limit cannot be negative`);
    const client = this.liveClient(cp);
    const max = cp.cfg.max_power_kw;
    const limitKw = Math.max(-max, Math.min(max, sp.value));
    const connector = connectorId === 0 ? undefined : this.connector(cp, connectorId);
    const purpose: ProfilePurpose =
      connectorId === 0 ? 'ChargePointMaxProfile' : connector?.tx ? 'TxProfile' : 'TxDefaultProfile';
    const req: LimitRequest = {
      connectorId,
      purpose,
      limitKw,
      nowMs: this.ctx.now(),
      validUntilMs: sp.validUntilMs,
      transactionId: purpose === 'TxProfile' ? connector?.tx?.id : undefined,
    };
    const res =
      cp.cfg.protocol === 'ocpp1.6'
        ? await callOcpp<Ocpp16Calls, 'SetChargingProfile'>(
            client,
            'SetChargingProfile',
            setChargingProfile16(req, cp.cfg),
          )
        : await callOcpp<Ocpp201Calls, 'SetChargingProfile'>(
            client,
            'SetChargingProfile',
            setChargingProfile201(req, cp.cfg),
          );
    if (res.status !== 'Accepted') throw new Error(`ocpp ${cp.cfg.id}: SetChargingProfile ${res.status}`);
    if (connector) connector.limitKw = limitKw;
    else cp.stationLimitKw = limitKw;
    this.ctx.log.info(
      { chargePointId: cp.cfg.id, connectorId, purpose, limitKw },
      'ocpp: charging limit applied',
    );
  }

  /** Removes the charging profiles on one connector (0: the whole charger). Returns the charger's status. */
  async clearChargingLimit(chargePointId: string, connectorId: number): Promise<string> {
    const cp = this.cpById(chargePointId);
    const client = this.liveClient(cp);
    const res =
      cp.cfg.protocol === 'ocpp1.6'
        ? await callOcpp<Ocpp16Calls, 'ClearChargingProfile'>(client, 'ClearChargingProfile', { connectorId })
        : await callOcpp<Ocpp201Calls, 'ClearChargingProfile'>(client, 'ClearChargingProfile', {
            chargingProfileCriteria: { evseId: connectorId },
          });
    if (res.status === 'Accepted') {
      if (connectorId === 0) {
        cp.connectors.forEach((c) => (c.limitKw = undefined));
        cp.stationLimitKw = undefined;
      } else this.connector(cp, connectorId).limitKw = undefined;
    }
    return res.status;
  }

  /** The charger's composite schedule for a connector, in kW; undefined when the charger rejects. */
  async getCompositeSchedule(
    chargePointId: string,
    connectorId: number,
    durationS: number,
  ): Promise<CompositeSchedule | undefined> {
    const cp = this.cpById(chargePointId);
    const client = this.liveClient(cp);
    const unit = cp.cfg.charging_rate_unit;
    if (cp.cfg.protocol === 'ocpp1.6') {
      const res = await callOcpp<Ocpp16Calls, 'GetCompositeSchedule'>(client, 'GetCompositeSchedule', {
        connectorId,
        duration: durationS,
        chargingRateUnit: unit,
      });
      if (res.status !== 'Accepted' || !res.chargingSchedule) return undefined;
      return parseCompositeSchedule(
        res.scheduleStart ?? res.chargingSchedule.startSchedule,
        res.chargingSchedule,
        cp.cfg,
        this.ctx.now(),
      );
    }
    const res = await callOcpp<Ocpp201Calls, 'GetCompositeSchedule'>(client, 'GetCompositeSchedule', {
      evseId: connectorId,
      duration: durationS,
      chargingRateUnit: unit,
    });
    if (res.status !== 'Accepted' || !res.schedule) return undefined;
    return parseCompositeSchedule(res.schedule.scheduleStart, res.schedule, cp.cfg, this.ctx.now());
  }

  // ---- connection handling -------------------------------------------------------------------

  private async authenticate(
    accept: (session?: Record<string, unknown>, protocol?: string) => void,
    reject: (code: number, message: string) => void,
    handshake: import('./rpc.ts').Handshake,
  ): Promise<void> {
    try {
      const cp = this.cps.get(handshake.identity);
      if (!cp) return reject(404, 'Unknown charge point');
      if (cp.passwordHash && !(await verifyPassword(handshake.password, cp.passwordHash))) {
        return reject(401, 'Unauthorized');
      }
      if (!handshake.protocols.has(cp.cfg.protocol))
        return reject(400, `Subprotocol ${cp.cfg.protocol} required`);
      accept({ chargePointId: cp.cfg.id }, cp.cfg.protocol);
    } catch (err) {
      this.ctx.log.error({ err }, 'ocpp: authentication failed with an internal error');
      reject(500, 'Internal error');
    }
  }

  private attach(client: RpcServerClient): void {
    const cp = this.cps.get(client.identity);
    if (!cp) {
      void client.close({ code: 1008, reason: 'unknown' });
      return;
    }
    const previous = cp.client;
    cp.client = client;
    cp.online = true;
    cp.offlineSinceMs = undefined;
    cp.lastFrameMs = this.ctx.now();
    if (previous && previous !== client)
      void previous.close({ code: 1000, reason: 'replaced by a new connection' });
    installWireErrorCodes(client);
    const id = cp.cfg.id;
    client.on('message', (e: { message: string | Buffer; outbound: boolean }) => {
      const now = this.ctx.now();
      if (e.outbound) this.counters.framesOut++;
      else {
        this.counters.framesIn++;
        if (cp.client === client) cp.lastFrameMs = now;
        this.lastReadMs = now;
      }
      if (this.frameListeners.size === 0) return;
      let frame: unknown;
      try {
        frame = JSON.parse(e.message.toString());
      } catch {
        frame = e.message.toString();
      }
      const rec: FrameRecord = {
        chargePointId: id,
        direction: e.outbound ? 'out' : 'in',
        frame,
        timeMs: now,
      };
      this.frameListeners.forEach((l) => l(rec));
    });
    client.on(
      'strictValidationFailure',
      (e: { method: string; outbound: boolean; isCall: boolean; error: Error }) =>
        this.ctx.log.warn(
          {
            chargePointId: id,
            method: e.method,
            outbound: e.outbound,
            isCall: e.isCall,
            err: e.error.message,
          },
          'ocpp: frame failed schema validation',
        ),
    );
    // ocpp-rpc pings every 30 s; the pong is a frame from the charger, so an idle charger that
    // answers stays current between heartbeats.
    client.on('ping', () => {
      if (cp.client === client) cp.lastFrameMs = this.ctx.now();
    });
    client.on('close', () => {
      if (cp.client !== client) return;
      const now = this.ctx.now();
      cp.online = false;
      cp.client = undefined;
      cp.offlineSinceMs = now;
      // Its power is unknown from here on: one 0 kW at the disconnect, so the last charging power
      // does not keep counting in the import; nothing later is reported until it is back.
      for (const [connectorId, c] of cp.connectors)
        if (connectorId > 0) c.latest.set('power_kw', { value: 0, timeMs: now });
      this.ctx.log.warn({ chargePointId: id }, 'ocpp: charge point offline');
    });
    const onError = (err: unknown, method: string) => {
      this.lastError = `${id} ${method}: ${err instanceof Error ? err.message : String(err)}`;
      this.ctx.log.error({ err, chargePointId: id, method }, 'ocpp: handler failed');
    };
    const handlers =
      cp.cfg.protocol === 'ocpp1.6'
        ? handlerEntries(this.handlers16(cp))
        : handlerEntries(this.handlers201(cp));
    for (const [method, fn] of handlers) client.handle(method, guarded(method, fn, onError));
    this.ctx.log.info({ chargePointId: id, protocol: client.protocol }, 'ocpp: charge point connected');
  }

  // ---- OCPP 1.6J ---------------------------------------------------------------------------------

  private handlers16(cp: ChargePointState): OcppHandlers<Ocpp16Calls> {
    const now = () => this.ctx.now();
    const iso = () => new Date(now()).toISOString();
    return {
      BootNotification: (p) => {
        cp.boot = { vendor: p.chargePointVendor, model: p.chargePointModel, atMs: now() };
        return { status: 'Accepted', currentTime: iso(), interval: this.config.heartbeat_interval_s };
      },
      Heartbeat: () => ({ currentTime: iso() }),
      StatusNotification: (p) => {
        this.connectorStatus(this.connector(cp, p.connectorId), p.status);
        return {};
      },
      Authorize: (p) => ({ idTagInfo: { status: this.authorize(p.idTag) } }),
      StartTransaction: (p) => {
        const c = this.connector(cp, p.connectorId);
        const transactionId = this.nextTxId++;
        const status = this.authorize(p.idTag);
        const startMs = this.deviceTime(cp, p.timestamp);
        this.beginTx(c, { id: String(transactionId), idToken: p.idTag, startMs });
        // An implausible meterStart is refused; the first plausible register reading then starts it.
        this.store(cp, c, [{ measurement: 'energy_kwh', value: p.meterStart / WH_PER_KWH, timeMs: startMs }]);
        return { transactionId, idTagInfo: { status } };
      },
      StopTransaction: (p) => {
        const entry = this.findTx(cp, String(p.transactionId));
        const timeMs = this.deviceTime(cp, p.timestamp);
        if (entry) {
          const [connectorId, c] = entry;
          if (p.transactionData) this.store(cp, c, this.meterValues(cp, p.transactionData));
          this.store(cp, c, [
            { measurement: 'energy_kwh', value: p.meterStop / WH_PER_KWH, timeMs },
            { measurement: 'power_kw', value: 0, timeMs },
          ]);
          this.endSession(cp, connectorId, c, c.latest.get('energy_kwh')?.value, timeMs);
        }
        return p.idTag ? { idTagInfo: { status: this.authorize(p.idTag) } } : {};
      },
      MeterValues: (p) => {
        const c = this.connector(cp, p.connectorId);
        this.store(cp, c, this.meterValues(cp, p.meterValue));
        this.touch(c);
        return {};
      },
      DataTransfer: () => ({ status: 'UnknownVendorId' }),
      DiagnosticsStatusNotification: () => ({}),
      FirmwareStatusNotification: () => ({}),
    };
  }

  // ---- OCPP 2.0.1 --------------------------------------------------------------------------------

  private handlers201(cp: ChargePointState): OcppHandlers<Ocpp201Calls> {
    const now = () => this.ctx.now();
    const iso = () => new Date(now()).toISOString();
    return {
      BootNotification: (p) => {
        cp.boot = { vendor: p.chargingStation.vendorName, model: p.chargingStation.model, atMs: now() };
        return { status: 'Accepted', currentTime: iso(), interval: this.config.heartbeat_interval_s };
      },
      Heartbeat: () => ({ currentTime: iso() }),
      StatusNotification: (p) => {
        this.connectorStatus(this.connector(cp, p.evseId), p.connectorStatus);
        return {};
      },
      Authorize: (p) => ({ idTokenInfo: { status: this.authorize(p.idToken.idToken) } }),
      TransactionEvent: (p) => {
        const txId: string = p.transactionInfo.transactionId;
        const timeMs = this.deviceTime(cp, p.timestamp);
        let entry = this.findTx(cp, txId);
        if (!entry && p.evse?.id !== undefined) {
          const c = this.connector(cp, p.evse.id);
          this.beginTx(c, { id: txId, idToken: p.idToken?.idToken, startMs: timeMs });
          entry = [p.evse.id, c];
        }
        if (entry) {
          const [evseId, c] = entry;
          if (p.idToken?.idToken && c.tx) c.tx.idToken = p.idToken.idToken;
          const samples = p.meterValue ? this.meterValues(cp, p.meterValue) : [];
          this.store(cp, c, samples);
          this.touch(c);
          if (p.eventType === 'Ended') {
            this.store(cp, c, [{ measurement: 'power_kw', value: 0, timeMs }]);
            this.endSession(cp, evseId, c, c.latest.get('energy_kwh')?.value, timeMs);
          }
        }
        return p.idToken ? { idTokenInfo: { status: this.authorize(p.idToken.idToken) } } : {};
      },
      MeterValues: (p) => {
        const c = this.connector(cp, p.evseId);
        this.store(cp, c, this.meterValues(cp, p.meterValue));
        this.touch(c);
        return {};
      },
      NotifyEVChargingNeeds: (p) => {
        // "EvseId may not be 0" (2.0.1 schema): the needs belong to one EVSE.
        if (p.evseId === 0)
          throw createRPCError('PropertyConstraintViolation', 'evseId 0 cannot hold an EV', {});
        const c = this.connector(cp, p.evseId);
        c.needs = this.parseNeeds(cp, p.evseId, p.chargingNeeds);
        this.touch(c);
        this.ctx.log.info(
          { chargePointId: cp.cfg.id, evseId: p.evseId, ...c.needs },
          'ocpp: EV charging needs announced',
        );
        return { status: 'Accepted' };
      },
      DataTransfer: () => ({ status: 'UnknownVendorId' }),
      NotifyEvent: () => ({}),
      NotifyReport: () => ({}),
      SecurityEventNotification: () => ({}),
      FirmwareStatusNotification: () => ({}),
      LogStatusNotification: () => ({}),
    };
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private authorize(token: string | undefined): 'Accepted' | 'Invalid' {
    return token !== undefined && this.accepted.has(token) ? 'Accepted' : 'Invalid';
  }

  private connector(cp: ChargePointState, connectorId: number): ConnectorState {
    let c = cp.connectors.get(connectorId);
    if (!c) {
      if (!Number.isInteger(connectorId) || connectorId < 0 || connectorId > cp.cfg.connectors) {
        throw createRPCError('PropertyConstraintViolation', `unknown connector ${connectorId}`, {});
      }
      c = { latest: new Map() };
      cp.connectors.set(connectorId, c);
    }
    return c;
  }

  private findTx(cp: ChargePointState, txId: string): [number, ConnectorState] | undefined {
    for (const entry of cp.connectors) if (entry[1].tx?.id === txId) return entry;
    return undefined;
  }

  /** A frame's meter values in Bitgrid units, times bounded, unusable numbers and units counted. */
  private meterValues(cp: ChargePointState, meterValues: MeterValue[]): MeterSample[] {
    const hooks: MeterHooks = {
      timeOf: (iso) => this.deviceTime(cp, iso),
      refused: (reason, detail) => this.refuse(cp, reason, detail),
    };
    return normalizeMeterValues(meterValues, this.ctx.now(), hooks);
  }

  /** Keeps the plausible samples as the connector's latest; refuses and counts the rest. */
  private store(cp: ChargePointState, c: ConnectorState, samples: readonly MeterSample[]) {
    const tx = c.tx;
    const kept: MeterSample[] = [];
    for (const s of samples) {
      const prev = c.latest.get(s.measurement);
      // Out-of-order delivery must not replace a newer value with an older one.
      if (prev && prev.timeMs > s.timeMs) continue;
      // Registers are compared within the transaction only: a new EV may follow a meter reset.
      const inTx = tx !== undefined && prev !== undefined && prev.timeMs >= tx.startMs;
      const reason = refusal(s, cp.cfg, inTx ? prev : undefined);
      if (reason) {
        this.refuse(cp, reason, { measurement: s.measurement, value: s.value, previous: prev?.value });
        continue;
      }
      c.latest.set(s.measurement, { value: s.value, timeMs: s.timeMs });
      kept.push(s);
    }
    // 2.0.1 has no meterStart: the first register reading of the transaction is its start.
    if (!tx) return;
    const first = (m: MeterMeasurement) => kept.find((x) => x.measurement === m)?.value;
    tx.meterStartKwh ??= first('energy_kwh');
    tx.exportStartKwh ??= first('energy_export_kwh');
  }

  private tally(key: string): void {
    this.tallies.set(key, (this.tallies.get(key) ?? 0) + 1);
  }

  private countersSnapshot(): Record<string, number> {
    const out: Record<string, number> = {
      framesIn: this.counters.framesIn,
      framesOut: this.counters.framesOut,
    };
    for (const r of REFUSAL_REASONS) out[`refused_${r}`] = this.tallies.get(`refused_${r}`) ?? 0;
    for (const r of RETIME_REASONS) out[`retimed_${r}`] = this.tallies.get(`retimed_${r}`) ?? 0;
    return out;
  }

  /** Counts a refused value; the first of each reason per charger is logged and kept as lastError. */
  private refuse(cp: ChargePointState, reason: RefusalReason, detail: object): void {
    this.tally(`refused_${reason}`);
    const key = `${cp.cfg.id}\u0000${reason}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.lastError = `${cp.cfg.id}: meter value refused (${reason})`;
    this.ctx.log.warn(
      { chargePointId: cp.cfg.id, reason, ...detail, ratingKw: cp.cfg.max_power_kw, v2g: cp.cfg.v2g },
      'ocpp: implausible meter value refused (further ones from this charger for this reason are only counted)',
    );
  }

  private beginTx(c: ConnectorState, tx: Omit<Transaction, 'updatedMs' | 'exportStartKwh'>): void {
    c.tx = {
      ...tx,
      // The export register is cumulative per connector, so its last reading is this session's start.
      exportStartKwh: c.latest.get('energy_export_kwh')?.value,
      updatedMs: this.ctx.now(),
    };
  }

  /** Something was heard about the connector's session now. */
  private touch(c: ConnectorState): void {
    if (c.tx) c.tx.updatedMs = this.ctx.now();
  }

  private connectorStatus(c: ConnectorState, status: string): void {
    c.status = status;
    // The EV left: its announced needs go with it (a transaction may still be ending).
    if (status === 'Available') c.needs = undefined;
    this.touch(c);
  }

  /**
   * A charger's timestamp, bounded by the CSMS clock. Never later than now (a reading from the
   * future would look fresh for too long and hold back the next one); a time more than
   * MAX_CLOCK_AHEAD_MS ahead, more than MAX_CLOCK_BEHIND_MS behind, or unreadable is the charger's
   * clock failing, not a measurement time: it becomes now, counted and warned once per charger.
   */
  private deviceTime(cp: ChargePointState, iso: string | undefined): number {
    const now = this.ctx.now();
    const t = iso === undefined ? NaN : Date.parse(iso);
    const problem: RetimeReason | undefined = !Number.isFinite(t)
      ? 'time_unreadable'
      : t > now + MAX_CLOCK_AHEAD_MS
        ? 'clock_ahead'
        : t < now - MAX_CLOCK_BEHIND_MS
          ? 'clock_behind'
          : undefined;
    if (!problem) return Math.min(t, now);
    this.tally(`retimed_${problem}`);
    const key = `${cp.cfg.id}\u0000${problem}`;
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.ctx.log.warn(
        {
          chargePointId: cp.cfg.id,
          reason: problem,
          chargerTime: iso,
          csmsTime: new Date(now).toISOString(),
        },
        'ocpp: charger clock implausible, its times are replaced by the CSMS clock (warned once per charger)',
      );
    }
    return now;
  }

  private parseNeeds(
    cp: ChargePointState,
    evseId: number,
    needs: Ocpp201.ChargingNeedsType,
  ): EvChargingNeeds {
    const out: EvChargingNeeds = { timeMs: this.ctx.now() };
    if (needs.departureTime !== undefined) {
      const t = Date.parse(needs.departureTime);
      if (Number.isFinite(t)) out.departureMs = t;
      else
        this.ctx.log.warn(
          { chargePointId: cp.cfg.id, evseId, departureTime: needs.departureTime },
          'ocpp: NotifyEVChargingNeeds departureTime unreadable, ignored',
        );
    }
    const ac = needs.acChargingParameters;
    const dc = needs.dcChargingParameters;
    const energyWh: unknown = ac?.energyAmount ?? dc?.energyAmount;
    if (typeof energyWh === 'number' && Number.isFinite(energyWh) && energyWh >= 0)
      out.energyRequestKwh = energyWh / WH_PER_KWH;
    let maxW: number | undefined;
    if (dc) {
      // evMaxPower is "required for DC charging" (2.0.1 DCChargingParametersType); else the
      // current and voltage maxima bound it.
      maxW = dc.evMaxPower ?? dc.evMaxCurrent * dc.evMaxVoltage;
      if (typeof dc.stateOfCharge === 'number') out.socFraction = dc.stateOfCharge / PERCENT;
    } else if (ac) {
      // evMaxCurrent is per phase; the charger's configured phase voltage gives the power.
      const phases = AC_PHASES[needs.requestedEnergyTransfer as string] ?? cp.cfg.phases;
      maxW = ac.evMaxCurrent * cp.cfg.voltage_v * phases;
    }
    if (maxW !== undefined && Number.isFinite(maxW) && maxW > 0) out.evMaxPowerKw = maxW / W_PER_KW;
    return out;
  }

  private endSession(
    cp: ChargePointState,
    connectorId: number,
    c: ConnectorState,
    stopKwh: number | undefined,
    timeMs: number,
  ) {
    if (c.tx && stopKwh !== undefined && c.tx.meterStartKwh !== undefined) {
      this.endedSessions.push({
        assetId: cp.cfg.asset,
        measurement: 'session_energy_kwh',
        value: stopKwh - c.tx.meterStartKwh,
        timeMs,
        channel: this.channel(cp, sessionChannel(c.tx.id)),
      });
    }
    this.ctx.log.info(
      { chargePointId: cp.cfg.id, connectorId, transactionId: c.tx?.id },
      'ocpp: transaction ended',
    );
    c.tx = undefined;
    c.limitKw = undefined;
    c.needs = undefined;
  }

  /** Channel names: the connector id when the asset has one charger, else `<charger>/<connector>`. */
  private channel(cp: ChargePointState, sub: string): string {
    return (this.assetCps.get(cp.cfg.asset)?.length ?? 0) > 1 ? `${cp.cfg.id}/${sub}` : sub;
  }

  private chargerChannel(cp: ChargePointState): string | undefined {
    return (this.assetCps.get(cp.cfg.asset)?.length ?? 0) > 1 ? cp.cfg.id : undefined;
  }

  private resolve(sp: Setpoint): { cp: ChargePointState; connectorId: number } {
    const list = this.assetCps.get(sp.assetId) ?? [];
    const only = list.length === 1 ? list[0] : undefined;
    const ch = sp.channel;
    let cp: ChargePointState | undefined;
    let sub: string | undefined;
    if (ch === undefined) {
      cp = only;
    } else if (ch.includes('/')) {
      const [cpId, rest] = ch.split('/', 2);
      cp = list.find((c) => c.cfg.id === cpId);
      sub = rest;
    } else if (list.some((c) => c.cfg.id === ch)) {
      cp = list.find((c) => c.cfg.id === ch);
    } else {
      cp = only;
      sub = ch;
    }
    if (!cp)
      throw new Error(
        `ocpp ${this.id}: channel ${ch ?? '(none)'} does not name one charger of ${sp.assetId}`,
      );
    const connectorId = sub === undefined ? 0 : Number(sub);
    if (!Number.isInteger(connectorId) || connectorId < 0 || connectorId > cp.cfg.connectors) {
      throw new Error(`ocpp ${cp.cfg.id}: no connector ${sub}`);
    }
    return { cp, connectorId };
  }

  private cpById(id: string): ChargePointState {
    const cp = this.cps.get(id);
    if (!cp) throw new Error(`ocpp ${this.id}: unknown charge point ${id}`);
    return cp;
  }

  private liveClient(cp: ChargePointState): RpcServerClient {
    const c = cp.client;
    if (!cp.online || !c || c.state !== RPC_OPEN) throw new Error(`ocpp ${cp.cfg.id}: charge point offline`);
    return c;
  }
}
