import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Driver, DriverContext, DriverHealth, DriverStatus, Measurement, Setpoint } from '../types.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.ts';
import type { MqttConfig } from './config.ts';
import { isoWithOffset, parseTelemetry, parseTelemetryTopic, setpointTopic } from './payload.ts';
import {
  MAX_CLOCK_AHEAD_MS,
  MAX_CLOCK_BEHIND_MS,
  MQTT_REFUSAL_REASONS,
  MQTT_RETIME_REASONS,
  PHYSICAL_RANGE,
  type MqttRefusalReason,
  type MqttRetimeReason,
} from './plausibility.ts';
import { Backoff } from '../backoff.ts';

// MQTT telemetry in, setpoints out (docs/drivers.md). Telemetry is kept as the latest value per
// asset, measurement and channel; malformed messages are counted and logged, never thrown.
// Setpoints are published retained at the configured QoS, with `valid_until` when they expire.

export interface MqttDriverStats {
  /** Messages on telemetry topics. */
  received: number;
  accepted: number;
  malformed: number;
  malformedByReason: Record<string, number>;
}

/** Malformed messages logged in full; after that every 1000th is logged (all are counted). */
const MALFORMED_LOG_FIRST = 20;

export class MqttDriver implements Driver {
  readonly id: string;
  readonly type = 'mqtt';
  private client: MqttClient | undefined;
  private broker: EmbeddedBroker | undefined;
  private health: DriverHealth = 'stopped';
  private lastReadMs: number | undefined;
  private lastError: string | undefined;
  private running = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  /** Latest per series; `retimed` when its time is the server's because the device's was wrong. */
  private readonly latest = new Map<string, { m: Measurement; retimed: boolean }>();
  private readonly knownAssets: ReadonlySet<string> | undefined;
  private readonly tallies = new Map<string, number>();
  /** `<asset>\0<reason>` already logged. */
  private readonly warned = new Set<string>();
  private readonly tally: MqttDriverStats = {
    received: 0,
    accepted: 0,
    malformed: 0,
    malformedByReason: {},
  };
  private readonly listeners = new Set<(m: Measurement) => void>();

  constructor(
    readonly config: MqttConfig,
    private readonly ctx: DriverContext,
  ) {
    this.id = config.id;
    this.backoff = new Backoff(config.reconnect_min_ms, config.reconnect_max_ms);
    this.knownAssets = config.assets ? new Set(config.assets) : undefined;
  }

  /** Broker URL in use (the embedded broker's when no url is configured); after start(). */
  get url(): string | undefined {
    return this.config.url ?? this.broker?.url;
  }

  status(): DriverStatus {
    return {
      health: this.health,
      ...(this.lastReadMs !== undefined ? { lastReadMs: this.lastReadMs } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  stats(): MqttDriverStats {
    return { ...this.tally, malformedByReason: { ...this.tally.malformedByReason } };
  }

  /**
   * Counters since start: `received`, `accepted`, `malformed` (stats() has them by reason),
   * `refused_<reason>` (unknown_asset, out_of_range, retained_time_implausible) and
   * `retimed_<reason>` (clock_ahead, clock_behind: device times replaced by the server's).
   */
  counters(): Record<string, number> {
    const out: Record<string, number> = {
      received: this.tally.received,
      accepted: this.tally.accepted,
      malformed: this.tally.malformed,
    };
    for (const r of MQTT_REFUSAL_REASONS) out[`refused_${r}`] = this.tallies.get(`refused_${r}`) ?? 0;
    for (const r of MQTT_RETIME_REASONS) out[`retimed_${r}`] = this.tallies.get(`retimed_${r}`) ?? 0;
    return out;
  }

  /** Called for every accepted measurement as it arrives; returns an unsubscribe function. */
  onMeasurement(listener: (m: Measurement) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once connected and subscribed, or after timeout_ms with the driver offline (never throws). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.health = 'starting';
    let url = this.config.url;
    if (!url) {
      try {
        this.broker = await startEmbeddedBroker({
          host: this.config.broker_host ?? '127.0.0.1',
          port: this.config.broker_port ?? 1883,
        });
        url = this.broker.url;
        this.ctx.log.info({ device: this.id, url }, 'embedded MQTT broker started');
      } catch (e) {
        this.setDown('offline', `embedded broker: ${(e as Error).message}`);
        return;
      }
    }
    const options: IClientOptions = {
      clientId: this.config.client_id ?? `bitgrid-${this.id}-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      keepalive: this.config.keepalive_s,
      connectTimeout: this.config.timeout_ms,
      // Reconnects are ours, with exponential backoff (mqtt.js retries at a fixed period).
      reconnectPeriod: 0,
      ...(this.config.username !== undefined ? { username: this.config.username } : {}),
      ...(this.config.password !== undefined ? { password: this.config.password } : {}),
    };
    const client = mqtt.connect(url, options);
    this.client = client;
    client.on('error', (e) => this.setDown(this.health === 'online' ? 'degraded' : 'offline', e.message));
    client.on('close', () => {
      if (!this.running) return;
      this.setDown(
        'offline',
        this.lastError && this.health !== 'online' ? this.lastError : 'connection closed',
      );
      this.scheduleReconnect();
    });
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
    client.on('connect', () => {
      this.backoff.reset();
      void this.subscribe(client);
    });
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        client.off('connect', done);
        resolve();
      };
      const timer = setTimeout(done, this.config.timeout_ms);
      client.on('connect', done);
    });
    // Subscription follows the connect event; give it the same bound.
    const end = Date.now() + this.config.timeout_ms;
    while (this.running && this.health === 'starting' && client.connected && Date.now() < end)
      await new Promise((r) => setTimeout(r, 5));
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true).catch(() => {});
    if (this.broker) {
      await this.broker.close();
      this.broker = undefined;
    }
    this.health = 'stopped';
  }

  /** Latest value of every measurement received (timeMs says when it was measured). */
  async read(): Promise<Measurement[]> {
    return [...this.latest.values()].map((e) => e.m);
  }

  accepts(sp: Setpoint): boolean {
    return this.config.setpoints.some((s) => s.asset === sp.assetId && s.kinds.includes(sp.kind));
  }

  /** Publishes the setpoint (retained); resolves when the broker acknowledged it (QoS ≥ 1). */
  async write(sp: Setpoint): Promise<void> {
    if (!this.accepts(sp))
      throw new Error(`${this.id}: not configured to send ${sp.kind} for "${sp.assetId}"`);
    if (!Number.isFinite(sp.value))
      throw new RangeError(`${this.id}: setpoint value must be a finite number`);
    const client = this.client;
    if (!client || !client.connected) throw new Error(`${this.id}: broker not connected (${this.health})`);
    const now = this.ctx.now();
    if (sp.validUntilMs !== undefined && sp.validUntilMs <= now)
      throw new RangeError(`${this.id}: setpoint already expired`);
    const payload = {
      value: sp.value,
      unit: 'kW',
      ts: isoWithOffset(now),
      ...(sp.validUntilMs !== undefined ? { valid_until: isoWithOffset(sp.validUntilMs) } : {}),
      ...(sp.channel !== undefined ? { channel: sp.channel } : {}),
    };
    const topic = setpointTopic(this.config.topic_prefix, this.config.site, sp.assetId, sp.kind);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.publishAsync(topic, JSON.stringify(payload), { qos: this.config.qos, retain: true }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${this.id}: no PUBACK for ${topic} in ${this.config.timeout_ms} ms`)),
            this.config.timeout_ms,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  // -------------------------------------------------------------------------------------------

  private topicFilters(): string[] {
    const { topic_prefix: prefix, site } = this.config;
    return [...new Set(this.config.subscribe.map((s) => `${prefix}/${site}/${s.asset}/${s.measurement}`))];
  }

  private async subscribe(client: MqttClient): Promise<void> {
    try {
      const granted = await client.subscribeAsync(this.topicFilters(), { qos: this.config.qos });
      const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length) this.setDown('degraded', `subscription refused: ${refused.join(', ')}`);
      else if (this.running && this.client === client) {
        this.health = 'online';
        this.ctx.log.info({ device: this.id, url: this.url, topics: this.topicFilters() }, 'MQTT subscribed');
      }
    } catch (e) {
      this.setDown('degraded', `subscribe: ${(e as Error).message}`);
    }
  }

  /** `retained`: replayed from the broker's store at subscription (MQTT sets the flag only then). */
  private onMessage(topic: string, payload: Buffer, retained = false): void {
    const parts = parseTelemetryTopic(this.config.topic_prefix, topic);
    if (!parts || parts.site !== this.config.site) return;
    // An empty retained message only clears the broker's retained state.
    if (payload.length === 0) return;
    this.tally.received++;
    const now = this.ctx.now();
    const r = parseTelemetry(parts.measurement, payload, now);
    if (!r.ok) {
      this.tally.malformed++;
      const n = (this.tally.malformedByReason[r.reason] ?? 0) + 1;
      this.tally.malformedByReason[r.reason] = n;
      if (this.tally.malformed <= MALFORMED_LOG_FIRST || this.tally.malformed % 1000 === 0)
        this.ctx.log.warn(
          { device: this.id, topic, reason: r.reason, malformed: this.tally.malformed },
          'malformed MQTT telemetry ignored',
        );
      return;
    }
    const asset = parts.asset;
    if (this.knownAssets && !this.knownAssets.has(asset))
      return this.refuse(asset, 'unknown_asset', { topic });
    const range = PHYSICAL_RANGE[r.measurement];
    if (range && (r.value < range[0] || r.value > range[1]))
      return this.refuse(asset, 'out_of_range', { topic, value: r.value, range });
    let timeMs = r.timeMs;
    let retimed = false;
    if (r.stamped) {
      const problem: MqttRetimeReason | undefined =
        timeMs > now + MAX_CLOCK_AHEAD_MS
          ? 'clock_ahead'
          : timeMs < now - MAX_CLOCK_BEHIND_MS
            ? 'clock_behind'
            : undefined;
      // A replayed retained reading is as old as it says; the receive time would make it look fresh.
      if (problem === 'clock_behind' && retained)
        return this.refuse(asset, 'retained_time_implausible', { topic, ts: new Date(timeMs).toISOString() });
      if (problem) {
        this.retime(asset, problem, topic, timeMs, now);
        timeMs = now;
        retimed = true;
      } else if (timeMs > now) {
        // Within the skew: never later than now, so it cannot hold back the readings after it.
        timeMs = now;
      }
    }
    const m: Measurement = {
      assetId: asset,
      measurement: r.measurement,
      value: r.value,
      timeMs,
      ...(r.channel !== undefined ? { channel: r.channel } : {}),
    };
    const key = `${m.assetId}\u0000${m.measurement}\u0000${m.channel ?? ''}`;
    const prev = this.latest.get(key);
    // Out-of-order delivery must not replace a newer value with an older one; a held value whose
    // time was the server's (its device clock was wrong) does not order anything.
    if (!prev || prev.retimed || prev.m.timeMs <= m.timeMs) this.latest.set(key, { m, retimed });
    this.tally.accepted++;
    this.lastReadMs = now;
    for (const l of this.listeners) l(m);
  }

  /** Counts a refused reading; the first per asset and reason is logged and kept as lastError. */
  private refuse(asset: string, reason: MqttRefusalReason, detail: object): void {
    const key = `refused_${reason}`;
    this.tallies.set(key, (this.tallies.get(key) ?? 0) + 1);
    if (this.firstTime(asset, reason)) {
      this.lastError = `telemetry for ${asset} refused (${reason})`;
      this.ctx.log.warn(
        { device: this.id, asset, reason, ...detail },
        'MQTT telemetry refused (further ones for this asset and reason are only counted)',
      );
    }
  }

  private retime(asset: string, reason: MqttRetimeReason, topic: string, deviceMs: number, nowMs: number) {
    const key = `retimed_${reason}`;
    this.tallies.set(key, (this.tallies.get(key) ?? 0) + 1);
    if (this.firstTime(asset, reason))
      this.ctx.log.warn(
        {
          device: this.id,
          asset,
          topic,
          reason,
          deviceTime: new Date(deviceMs).toISOString(),
          serverTime: new Date(nowMs).toISOString(),
        },
        'MQTT device clock implausible, its readings take the server time (warned once per asset)',
      );
  }

  private firstTime(asset: string, reason: string): boolean {
    const key = `${asset}\u0000${reason}`;
    if (this.warned.has(key)) return false;
    this.warned.add(key);
    return true;
  }

  private setDown(health: DriverHealth, error: string): void {
    if (!this.running) return;
    if (this.health !== health || this.lastError !== error)
      this.ctx.log.warn({ device: this.id, health, error }, 'MQTT status');
    this.health = health;
    this.lastError = error;
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.running && this.client && !this.client.connected) this.client.reconnect();
    }, delay);
  }
}
