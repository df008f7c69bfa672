import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Driver, DriverContext, DriverHealth, DriverStatus, Measurement, Setpoint } from '../types.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.ts';
import type { MqttConfig } from './config.ts';
import { isoWithOffset, parseTelemetry, parseTelemetryTopic, setpointTopic } from './payload.ts';

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
  private backoffMs: number;
  private readonly latest = new Map<string, Measurement>();
  private readonly counters: MqttDriverStats = {
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
    this.backoffMs = config.reconnect_min_ms;
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
    return { ...this.counters, malformedByReason: { ...this.counters.malformedByReason } };
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
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('connect', () => {
      this.backoffMs = this.config.reconnect_min_ms;
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
    return [...this.latest.values()];
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

  private onMessage(topic: string, payload: Buffer): void {
    const parts = parseTelemetryTopic(this.config.topic_prefix, topic);
    if (!parts || parts.site !== this.config.site) return;
    // An empty retained message only clears the broker's retained state.
    if (payload.length === 0) return;
    this.counters.received++;
    const now = this.ctx.now();
    const r = parseTelemetry(parts.measurement, payload, now);
    if (!r.ok) {
      this.counters.malformed++;
      const n = (this.counters.malformedByReason[r.reason] ?? 0) + 1;
      this.counters.malformedByReason[r.reason] = n;
      if (this.counters.malformed <= MALFORMED_LOG_FIRST || this.counters.malformed % 1000 === 0)
        this.ctx.log.warn(
          { device: this.id, topic, reason: r.reason, malformed: this.counters.malformed },
          'malformed MQTT telemetry ignored',
        );
      return;
    }
    const m: Measurement = {
      assetId: parts.asset,
      measurement: r.measurement,
      value: r.value,
      timeMs: r.timeMs,
      ...(r.channel !== undefined ? { channel: r.channel } : {}),
    };
    const key = `${m.assetId}\u0000${m.measurement}\u0000${m.channel ?? ''}`;
    const prev = this.latest.get(key);
    // Out-of-order delivery must not replace a newer value with an older one.
    if (!prev || prev.timeMs <= m.timeMs) this.latest.set(key, m);
    this.counters.accepted++;
    this.lastReadMs = now;
    for (const l of this.listeners) l(m);
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
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.config.reconnect_max_ms);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.running && this.client && !this.client.connected) this.client.reconnect();
    }, delay);
  }
}
