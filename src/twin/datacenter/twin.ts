import mqtt, { type MqttClient } from 'mqtt';
import type { AssetOf } from '../../model/schema.ts';
import { MS_PER_HOUR } from '../../model/time.ts';
import { isoWithOffset, parseIsoWithOffset, telemetryTopic } from '../../drivers/mqtt/payload.ts';
import {
  datacenterLayout,
  throughputAtCap,
  trainingItKw,
  type DatacenterLayout,
} from '../../sim/assets/datacenter.ts';

// The AI data center as an MQTT device: its scheduler takes Bitgrid's setpoints for the asset
// (`<prefix>/<site>/<asset>/set/job_gpus` with channel = job id, and `.../set/gpu_power_cap_fraction`),
// runs the commanded training jobs on the training pool at the commanded GPU power cap, and reports
// the facility's power, its energy and each job's cumulative work on the telemetry topics. A setpoint
// past its `valid_until` no longer holds: the job stops, the cap returns to full power.
//
// Physics are the simulator's (src/sim/assets/datacenter.ts): a GPU at cap c does c^exponent of its
// full-speed work and draws idle + c × dynamic power; facility power = (inference IT + training IT) × PUE.

export type DatacenterConfig = AssetOf<'datacenter'>;

/** Telemetry segment of a job's cumulative work (channel = job id), GPU-hours at full speed. */
export const JOB_DONE_MEASUREMENT = 'job_done_gpu_hours';
/** Unit written with it. */
export const JOB_DONE_UNIT = 'GPUh';
/** A finished job (or one past its deadline) is still reported for this long, so its last value is heard. */
const JOB_REPORT_RETENTION_MS = 24 * MS_PER_HOUR;
/** With no cap in force the GPUs run at their full power limit. */
const UNCAPPED_FRACTION = 1;

export interface DatacenterTwinJob {
  id: string;
  gpus: number;
  /** Work at full speed, GPU-hours. */
  gpuHours: number;
  deadlineMs?: number;
}

export interface DatacenterTwinOptions {
  url: string;
  site: string;
  asset: string;
  cfg: DatacenterConfig;
  now: () => number;
  /** Inference IT power at a time, kW (the world's). */
  inferenceItKw: (t: number) => number;
  /** PUE at a time (the world's outdoor temperature). */
  pue: (t: number) => number;
  topicPrefix?: string;
  qos?: 0 | 1 | 2;
  log?: (msg: string, detail?: object) => void;
}

export interface DatacenterJobState {
  id: string;
  channel: string;
  gpus: number;
  gpuHours: number;
  doneGpuHours: number;
  /** GPUs it runs on now. */
  runningGpus: number;
  finished: boolean;
}

interface Command {
  value: number;
  validUntilMs?: number;
}

interface JobState extends DatacenterTwinJob {
  /** The id Bitgrid knows the job by: its setpoint and report channel. */
  channel: string;
  doneGpuHours: number;
  finishedMs?: number;
}

export class DatacenterTwin {
  readonly layout: DatacenterLayout;
  /** Facility energy since start, kWh. */
  energyKwh = 0;
  /** Training work its jobs have done since start, GPU-hours (jobs it has forgotten included). */
  workDoneGpuHours = 0;
  /** Setpoint messages taken / refused (malformed or for an unknown kind). */
  readonly counters = { setpoints: 0, refused: 0, published: 0 };
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly jobs = new Map<string, JobState>();
  private readonly jobCommands = new Map<string, Command>();
  private capCommand: Command | undefined;
  private lastMs: number;
  private readonly prefix: string;

  constructor(private readonly opts: DatacenterTwinOptions) {
    this.layout = datacenterLayout(opts.cfg);
    this.prefix = opts.topicPrefix ?? 'bitgrid';
    this.lastMs = opts.now();
  }

  /** Connects to the broker and subscribes to the asset's setpoint topics (retained ones arrive at once). */
  async connect(): Promise<void> {
    const client = await mqtt.connectAsync(this.opts.url, { reconnectPeriod: 0, connectTimeout: 5000 });
    client.on('error', () => {});
    client.on('message', (topic, payload) => this.onSetpoint(topic, payload));
    await client.subscribeAsync(`${this.prefix}/${this.opts.site}/${this.opts.asset}/set/+`, {
      qos: this.opts.qos ?? 1,
    });
    this.client = client;
  }

  /** A job the team has submitted: the scheduler runs it once Bitgrid gives it GPUs. */
  addJob(job: DatacenterTwinJob): void {
    if (this.jobs.has(job.id)) return;
    this.advance(this.opts.now());
    this.jobs.set(job.id, { ...job, channel: job.id, doneGpuHours: 0 });
  }

  /**
   * The job is known to Bitgrid as `channel` (the id its job API gave it): setpoints and reports for
   * the job use that id from now on.
   */
  setJobChannel(id: string, channel: string): void {
    const j = this.jobs.get(id);
    if (!j) throw new Error(`no job "${id}" at the data-center twin`);
    j.channel = channel;
  }

  /** A job by its id or its channel. */
  job(id: string): DatacenterJobState | undefined {
    const j = this.jobs.get(id) ?? [...this.jobs.values()].find((x) => x.channel === id);
    if (!j) return undefined;
    this.advance(this.opts.now());
    return {
      id: j.id,
      gpus: j.gpus,
      gpuHours: j.gpuHours,
      doneGpuHours: j.doneGpuHours,
      channel: j.channel,
      runningGpus: this.allocation(this.lastMs).get(j.id) ?? 0,
      finished: j.finishedMs !== undefined,
    };
  }

  /** GPU power cap in force at `t`, fraction of full power. */
  capFraction(t = this.opts.now()): number {
    const c = this.capCommand;
    if (!c || !valid(c, t)) return UNCAPPED_FRACTION;
    return Math.min(1, Math.max(this.opts.cfg.gpu_power_cap_min, c.value));
  }

  /** Facility power at `t`, kW: (inference IT + training IT) × PUE. */
  powerKw(t = this.opts.now()): number {
    this.advance(t);
    const cap = this.capFraction(t);
    let busyGpuCapSum = 0;
    for (const gpus of this.allocation(t).values()) busyGpuCapSum += gpus * cap;
    const itKw = this.opts.inferenceItKw(t) + trainingItKw(this.opts.cfg, this.layout, busyGpuCapSum);
    return itKw * this.opts.pue(t);
  }

  /** Publishes power, energy and every job's work at the clock's time. */
  async publish(): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('data-center twin not connected');
    const t = this.opts.now();
    const kw = this.powerKw(t);
    const ts = isoWithOffset(t);
    const o = { qos: this.opts.qos ?? 1, retain: true } as const;
    const topic = (m: string) => telemetryTopic(this.prefix, this.opts.site, this.opts.asset, m);
    await client.publishAsync(topic('power'), JSON.stringify({ value: kw, unit: 'kW', ts }), o);
    await client.publishAsync(topic('energy'), JSON.stringify({ value: this.energyKwh, unit: 'kWh', ts }), o);
    for (const j of [...this.jobs.values()]) {
      const over = Math.max(j.finishedMs ?? -Infinity, j.deadlineMs ?? -Infinity);
      if (j.finishedMs !== undefined || (j.deadlineMs !== undefined && j.deadlineMs < t))
        if (t - over > JOB_REPORT_RETENTION_MS) {
          this.jobs.delete(j.id);
          this.jobCommands.delete(j.channel);
          continue;
        }
      // Not retained: a job's progress is a stream, and a retained one would outlive the job.
      await client.publishAsync(
        topic(JOB_DONE_MEASUREMENT),
        JSON.stringify({ value: j.doneGpuHours, unit: JOB_DONE_UNIT, ts, channel: j.channel }),
        { qos: o.qos },
      );
    }
    this.counters.published++;
  }

  /** Publishes every intervalMs of wall time until stop(). */
  start(intervalMs: number): void {
    clearInterval(this.timer);
    this.timer = setInterval(
      () => void this.publish().catch((e) => this.opts.log?.('publish failed', { err: String(e) })),
      intervalMs,
    );
  }

  /** Goes off the broker (the data center's state is kept, as a real one's would be). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync().catch(() => {});
  }

  // -----------------------------------------------------------------------------------------------

  /** GPUs each job runs on at `t`: commanded, valid, unfinished jobs in submission order, pool permitting. */
  private allocation(t: number): Map<string, number> {
    const out = new Map<string, number>();
    let free = this.layout.trainingGpus;
    for (const j of this.jobs.values()) {
      if (j.finishedMs !== undefined) continue;
      const c = this.jobCommands.get(j.channel);
      if (!c || !valid(c, t) || c.value <= 0) continue;
      const gpus = Math.min(Math.floor(c.value), j.gpus, free);
      if (gpus <= 0) continue;
      free -= gpus;
      out.set(j.id, gpus);
    }
    return out;
  }

  /** Runs the jobs and integrates energy from the last step to `t`, split where a setpoint expires. */
  private advance(t: number): void {
    if (t <= this.lastMs) return;
    const cuts = [...this.jobCommands.values(), ...(this.capCommand ? [this.capCommand] : [])]
      .map((c) => c.validUntilMs)
      .filter((ms): ms is number => ms !== undefined && ms > this.lastMs && ms < t)
      .sort((a, b) => a - b);
    for (const cut of [...cuts, t]) this.step(cut);
  }

  /** Runs from the last step to `t` with the setpoints constant, splitting where a job finishes (its GPUs free up). */
  private step(t: number): void {
    while (this.lastMs < t) {
      const from = this.lastMs;
      const cap = this.capFraction(from);
      const speed = throughputAtCap(this.opts.cfg, cap);
      const running = this.allocation(from);
      let end = t;
      for (const [id, gpus] of running) {
        const j = this.jobs.get(id)!;
        end = Math.min(end, from + ((j.gpuHours - j.doneGpuHours) / (gpus * speed)) * MS_PER_HOUR);
      }
      end = Math.max(end, from + 1);
      const dtH = (Math.min(end, t) - from) / MS_PER_HOUR;
      let busyGpuCapSum = 0;
      for (const [id, gpus] of running) {
        const j = this.jobs.get(id)!;
        const before = j.doneGpuHours;
        j.doneGpuHours = Math.min(j.gpuHours, j.doneGpuHours + gpus * speed * dtH);
        busyGpuCapSum += gpus * cap;
        if (j.gpuHours - j.doneGpuHours <= 1e-9) {
          j.doneGpuHours = j.gpuHours;
          j.finishedMs = Math.min(end, t);
        }
        this.workDoneGpuHours += j.doneGpuHours - before;
      }
      const itKw = this.opts.inferenceItKw(from) + trainingItKw(this.opts.cfg, this.layout, busyGpuCapSum);
      this.energyKwh += itKw * this.opts.pue(from) * dtH;
      this.lastMs = Math.min(end, t);
    }
  }

  private onSetpoint(topic: string, payload: Buffer): void {
    const kind = topic.slice(topic.lastIndexOf('/') + 1);
    // An empty retained message clears a setpoint: nothing holds for it any more.
    if (payload.length === 0) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    } catch {
      this.refuse('not JSON', topic);
      return;
    }
    if (typeof o.value !== 'number' || !Number.isFinite(o.value))
      return this.refuse('no finite value', topic);
    let validUntilMs: number | undefined;
    if (o.valid_until !== undefined) {
      validUntilMs = typeof o.valid_until === 'string' ? parseIsoWithOffset(o.valid_until) : undefined;
      if (validUntilMs === undefined) return this.refuse('valid_until is not ISO 8601 with an offset', topic);
    }
    this.advance(this.opts.now());
    const cmd: Command = { value: o.value, ...(validUntilMs !== undefined ? { validUntilMs } : {}) };
    if (kind === 'job_gpus') {
      if (typeof o.channel !== 'string' || o.channel === '')
        return this.refuse('job_gpus without channel', topic);
      this.jobCommands.set(o.channel, cmd);
    } else if (kind === 'gpu_power_cap_fraction') {
      this.capCommand = cmd;
    } else {
      return this.refuse(`unknown setpoint kind "${kind}"`, topic);
    }
    this.counters.setpoints++;
  }

  private refuse(reason: string, topic: string): void {
    this.counters.refused++;
    this.opts.log?.('setpoint refused', { topic, reason });
  }
}

function valid(c: Command, t: number): boolean {
  return c.validUntilMs === undefined || t < c.validUntilMs;
}
