import type { DatacenterTwin } from './datacenter/index.ts';
import { busIdToken, EV_ID_TOKEN, type DistrictChargers } from './district-chargers.ts';
import { MIN_TIMER_MS, type DistrictContext } from './district-parts.ts';
import type { TwinChargePoint } from './ocpp/index.ts';
import type { WorldBusStay } from './world.ts';

// The world's arrivals, fed to the devices as the clock reaches them: EVs to the campus chargers,
// buses to the depot chargers (and their SoC back to the world when they leave), training jobs to
// the data centers and to Bitgrid's job API, and the day's prices to the VTN.

/**
 * The world is consulted every minute of simulated time: arrivals land on 15-minute interval
 * boundaries, so a minute's lateness is within a charger's own meter period.
 */
const WORLD_FEED_SIM_MS = 60_000;
/** EVs are handed to their charger this far ahead; the charger plugs them in at their arrival. */
const EV_FEED_AHEAD_SIM_MS = 2 * WORLD_FEED_SIM_MS;

export interface TwinJobSubmission {
  id: string;
  datacenterId: string;
  gpus: number;
  /** Work at full speed, GPU-hours. */
  gpuHours: number;
  earliestStartMs: number;
  deadlineMs: number;
}

export interface FeedCounters {
  evSessionsPlugged: number;
  /** Sessions whose charger slot has no twin charge point (maxAcChargers). */
  evSessionsWithoutCharger: number;
  busStaysPlugged: number;
  busStaysWithoutCharger: number;
  jobsSubmitted: number;
  jobSubmitErrors: number;
}

export interface FeedTargets {
  chargers: DistrictChargers;
  datacenters: Map<string, DatacenterTwin>;
  syncPrices(): Promise<void>;
  submitJob?: (job: TwinJobSubmission) => Promise<string | void>;
}

class WorldFeed {
  readonly counters: FeedCounters = {
    evSessionsPlugged: 0,
    evSessionsWithoutCharger: 0,
    busStaysPlugged: 0,
    busStaysWithoutCharger: 0,
    jobsSubmitted: 0,
    jobSubmitErrors: 0,
  };
  private readonly onCharger: { stay: WorldBusStay; cp: TwinChargePoint; socFraction: number }[] = [];
  private evFedUntil: number;
  private staysFedUntil: number;
  private jobsFedUntil: number;

  constructor(
    private readonly ctx: DistrictContext,
    private readonly to: FeedTargets,
  ) {
    this.evFedUntil = ctx.clock.now();
    this.staysFedUntil = ctx.world.startMs;
    this.jobsFedUntil = ctx.world.startMs;
  }

  async step(): Promise<void> {
    const t = this.ctx.clock.now();
    this.ctx.world.advanceTo(t);
    this.busesLeave(t);
    this.evsArrive(t + EV_FEED_AHEAD_SIM_MS);
    this.busesArrive(t);
    this.jobsArrive(t);
    await this.to.syncPrices();
  }

  /** Buses leaving their chargers take the SoC the charger last reported. */
  private busesLeave(t: number): void {
    for (let k = this.onCharger.length - 1; k >= 0; k--) {
      const x = this.onCharger[k];
      const snap = x.cp.connector(1);
      if (snap.evPresent && snap.socFraction !== undefined) x.socFraction = snap.socFraction;
      if (t >= x.stay.plug!.unplugMs) {
        this.ctx.world.busCharged(x.stay.depotId, x.stay.busIndex, x.socFraction);
        this.onCharger.splice(k, 1);
      }
    }
  }

  private evsArrive(evTo: number): void {
    for (const s of this.ctx.world.evSessions(this.evFedUntil, evTo)) {
      const target = this.to.chargers.slotTargets.get(s.assetId)?.[s.chargerIndex];
      if (!target) {
        this.counters.evSessionsWithoutCharger++;
        continue;
      }
      target.charger.cp.plugIn({
        connectorId: target.connectorId,
        arrivalMs: s.arrivalMs,
        departureMs: s.departureMs,
        energyNeededKwh: s.energyKwh,
        maxPowerKw: s.maxPowerKw,
        v2g: s.maxDischargeKw > 0,
        idTag: EV_ID_TOKEN,
        // An ISO 15118 EV on a 2.0.1 charger tells its departure and need; a 1.6J charger cannot.
        announce: target.charger.protocol === 'ocpp2.0.1',
      });
      this.counters.evSessionsPlugged++;
    }
    this.evFedUntil = Math.max(this.evFedUntil, evTo);
  }

  /** Buses come back at their arrival: their SoC is known only then, from what they left with. */
  private busesArrive(t: number): void {
    for (const stay of this.ctx.world.busStays(this.staysFedUntil, t + 1)) {
      const depot = this.to.chargers.depots.get(stay.depotId);
      const soc = this.ctx.world.busArrives(stay);
      const charger = stay.plug ? depot?.chargers[stay.plug.chargerIndex] : undefined;
      if (!stay.plug || !depot || !charger) {
        this.counters.busStaysWithoutCharger++;
        continue;
      }
      const { cfg } = depot;
      charger.cp.plugIn({
        connectorId: 1,
        arrivalMs: stay.plug.plugMs,
        departureMs: stay.plug.unplugMs,
        // The bus takes what fills it to soc_max (the twin's charger meters the battery's energy).
        energyNeededKwh: Math.max(0, cfg.soc_max - soc) * cfg.battery_kwh,
        maxPowerKw: cfg.charger_kw,
        v2g: charger.v2g,
        idTag: busIdToken(stay.depotId, stay.busIndex),
        announce: true,
        batteryKwh: cfg.battery_kwh,
        initialSocFraction: soc,
      });
      this.onCharger.push({ stay, cp: charger.cp, socFraction: soc });
      this.counters.busStaysPlugged++;
    }
    this.staysFedUntil = Math.max(this.staysFedUntil, t + 1);
  }

  /** The data center's team submits its jobs at their submit time. */
  private jobsArrive(t: number): void {
    for (const job of this.ctx.world.trainingJobs(this.jobsFedUntil, t + 1)) {
      this.to.datacenters.get(job.datacenterId)?.addJob(job);
      this.counters.jobsSubmitted++;
      if (!this.to.submitJob) continue;
      this.to
        .submitJob({
          id: job.id,
          datacenterId: job.datacenterId,
          gpus: job.gpus,
          gpuHours: job.gpuHours,
          earliestStartMs: job.submitMs,
          deadlineMs: job.deadlineMs,
        })
        .then((given) => {
          if (typeof given === 'string' && given !== job.id)
            this.to.datacenters.get(job.datacenterId)?.setJobChannel(job.id, given);
        })
        .catch((err: unknown) => {
          this.counters.jobSubmitErrors++;
          this.ctx.log('training job submission failed', { jobId: job.id, err: String(err) });
        });
    }
    this.jobsFedUntil = Math.max(this.jobsFedUntil, t + 1);
  }
}

/** Feeds the world to the devices now and then every minute of simulated time, until the district stops. */
export async function startWorldFeed(ctx: DistrictContext, to: FeedTargets): Promise<FeedCounters> {
  const feed = new WorldFeed(ctx, to);
  let feeding: Promise<void> = Promise.resolve();
  const runFeed = () =>
    (feeding = feeding
      .then(() => feed.step())
      .catch((err: unknown) => ctx.log('twin world feed failed', { err: String(err) })));
  await runFeed();
  const timer = setInterval(runFeed, Math.max(MIN_TIMER_MS, WORLD_FEED_SIM_MS / ctx.speed));
  timer.unref();
  ctx.parts.stoppers.push(async () => {
    clearInterval(timer);
    await feeding;
  });
  return feed.counters;
}
