import type { ProcessImage } from '../../src/control/loop.ts';
import type { ChargingSessionInfo } from '../../src/drivers/types.ts';
import type { LoadedScenario } from '../../src/model/load.ts';
import { SessionDefaults } from '../../src/live/session-defaults.ts';
import { BusTracker, buildLiveView, type KnownJob } from '../../src/live/site-state.ts';
import { PlanningCalendar } from '../../src/live/window.ts';

/**
 * The live view at `nowMs` over `horizonMs`, from a process image holding only `values` and
 * `sessions`: no grid signals, no month peak yet, and the job book's `jobs` (none by default).
 */
export function liveViewAt(
  loaded: LoadedScenario,
  nowMs: number,
  opts: {
    horizonMs: number;
    values?: ProcessImage['values'];
    sessions?: ChargingSessionInfo[];
    buses?: BusTracker;
    jobs?: KnownJob[];
  },
) {
  const { scenario } = loaded;
  const d = new PlanningCalendar(scenario, loaded.baseDir).at(nowMs, opts.horizonMs);
  const sessions = opts.sessions ?? [];
  const image: ProcessImage = {
    timeMs: nowMs,
    values: opts.values ?? new Map(),
    signals: [],
    sessions,
    monthPeakKw: 0,
    monthMaxKw: 0,
    billingDemandKw: 0,
  };
  return buildLiveView({
    district: d,
    index: PlanningCalendar.indexAt(d, nowMs),
    nowMs,
    image,
    sessions,
    demand: { monthPeakKw: 0, monthMaxKw: 0, billingDemandKw: 0 },
    jobs: opts.jobs ?? [],
    needs: new Map(),
    defaults: new SessionDefaults(scenario),
    buses: opts.buses ?? new BusTracker(),
  });
}
