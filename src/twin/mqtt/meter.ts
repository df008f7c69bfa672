import mqtt, { type MqttClient } from 'mqtt';
import { isoWithOffset, telemetryTopic } from '../../drivers/mqtt/payload.ts';

// An MQTT power meter: publishes `power` (and the integrated `energy`) for one asset on the
// Bitgrid topic scheme, retained at QoS 1, from a power function of time. publish() sends one
// reading at the clock's time (tests step the clock); start({ intervalMs }) publishes on a timer.

export interface MqttMeterTwinOptions {
  url: string;
  site: string;
  asset: string;
  /** Power at a time, kW (sign as the asset's convention: import/consumption +). */
  powerKw: (timeMs: number) => number;
  now?: () => number;
  topicPrefix?: string;
  /** Unit the meter reports power in (default W, as many meters do). */
  unit?: 'W' | 'kW';
  qos?: 0 | 1 | 2;
}

export class MqttMeterTwin {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private lastMs: number | undefined;
  /** Energy integrated from the published power, kWh. */
  energyKwh = 0;
  published = 0;

  constructor(private readonly opts: MqttMeterTwinOptions) {
    this.now = opts.now ?? Date.now;
  }

  async connect(): Promise<void> {
    this.client = await mqtt.connectAsync(this.opts.url, { reconnectPeriod: 0, connectTimeout: 5000 });
    this.client.on('error', () => {});
  }

  /** Publishes power and energy at the clock's time. */
  async publish(): Promise<{ powerKw: number; timeMs: number }> {
    if (!this.client) throw new Error('meter twin not connected');
    const t = this.now();
    const kw = this.opts.powerKw(t);
    if (this.lastMs !== undefined && t > this.lastMs)
      this.energyKwh += (this.opts.powerKw(this.lastMs) * (t - this.lastMs)) / 3_600_000;
    this.lastMs = t;
    const unit = this.opts.unit ?? 'W';
    const ts = isoWithOffset(t);
    const prefix = this.opts.topicPrefix ?? 'bitgrid';
    const o = { qos: this.opts.qos ?? 1, retain: true } as const;
    await this.client.publishAsync(
      telemetryTopic(prefix, this.opts.site, this.opts.asset, 'power'),
      JSON.stringify({ value: unit === 'W' ? kw * 1000 : kw, unit, ts }),
      o,
    );
    await this.client.publishAsync(
      telemetryTopic(prefix, this.opts.site, this.opts.asset, 'energy'),
      JSON.stringify({ value: this.energyKwh * 1000, unit: 'Wh', ts }),
      o,
    );
    this.published++;
    return { powerKw: kw, timeMs: t };
  }

  /** Publishes every intervalMs of wall time until stop(). */
  start(intervalMs: number): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.publish().catch(() => {}), intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync().catch(() => {});
  }
}
