import type { Scenario } from '../model/schema.ts';
import type { GridSignal } from '../drivers/types.ts';
import type { District } from '../sim/district.ts';
import { DateTime } from 'luxon';
import { MS_PER_HOUR } from '../model/time.ts';

// The challenge set: the situations a controller is scored on, versioned so two scorecards with the
// same version compare like for like. Each case is a stretch of the reference district (or the one
// given) with its own seed (weather, loads, arrivals, jobs) and twists:
// - forecasts from the learned forecasters on issued weather forecasts, with their errors (the
//   twin's and `optimal`'s own); `--quick` uses persistence to skip training;
// - DR events: an import limit announced the afternoon before (OpenADR style), scored as the energy
//   imported above it;
// - unannounced EVs: a share of sessions whose driver gave no departure or energy;
// - late jobs: training jobs submitted with little slack before their deadline.

export const CHALLENGE_SET_VERSION = '2026.1';

export interface DrEvent {
  /** Day of the case (0-based) and local hours the limit holds. */
  day: number;
  fromHour: number;
  toHour: number;
  /** The import limit, as a share of the contract demand. */
  importLimitShare: number;
  /** Local hour of the day before at which it is announced. */
  announcedHour: number;
}

export interface ChallengeCase {
  id: string;
  description: string;
  /** First local day, YYYY-MM-DD. */
  start: string;
  days: number;
  seed: number;
  /** Share of EV sessions without a known departure or energy. */
  unannouncedEvShare: number;
  /** Deadline slack of training jobs, [min, max] × their run time (the reference has 1.5–3). */
  jobDeadlineSlack?: [number, number];
  drEvents: DrEvent[];
}

export interface ChallengeSet {
  version: string;
  name: string;
  /** Built-in strategies scored beside the controller. */
  baselines: string[];
  /** Whether observations carry the learned forecasts (true) or persistence (false, faster). */
  learnedForecasts: boolean;
  cases: ChallengeCase[];
}

/** A third of sessions unannounced: about what public AC chargers without ISO 15118 see. */
const UNANNOUNCED_SHARE = 0.3;
/** Tight deadlines: a job may wait a tenth to a fifth of its run time. */
const LATE_JOB_SLACK: [number, number] = [1.1, 1.2];
/** A DR event holding import to half the contract demand over the afternoon peak, announced at 17:00 the day before (OpenADR day-ahead). */
const AFTERNOON_DR: DrEvent = { day: 1, fromHour: 14, toHour: 17, importLimitShare: 0.5, announcedHour: 17 };

export const DEFAULT_CHALLENGE_SET: ChallengeSet = {
  version: CHALLENGE_SET_VERSION,
  name: 'default',
  baselines: ['none', 'rules', 'optimal', 'oracle'],
  learnedForecasts: true,
  cases: [
    {
      id: 'winter',
      description: 'January weekdays, heating load, short PV days; DR event on day 2',
      start: '2026-01-13',
      days: 2,
      seed: 101,
      unannouncedEvShare: UNANNOUNCED_SHARE,
      drEvents: [AFTERNOON_DR],
    },
    {
      id: 'summer',
      description: 'August weekdays (a ratchet month: a new peak costs 12 months); DR event on day 2',
      start: '2026-08-04',
      days: 2,
      seed: 202,
      unannouncedEvShare: UNANNOUNCED_SHARE,
      drEvents: [AFTERNOON_DR],
    },
    {
      id: 'spring-late-jobs',
      description: 'April weekdays, strong PV, training jobs with tight deadlines',
      start: '2026-04-14',
      days: 2,
      seed: 303,
      unannouncedEvShare: UNANNOUNCED_SHARE,
      jobDeadlineSlack: LATE_JOB_SLACK,
      drEvents: [],
    },
  ],
};

/** For tests and a first try: one day, the fast baselines, persistence forecasts. */
export const QUICK_CHALLENGE_SET: ChallengeSet = {
  version: CHALLENGE_SET_VERSION,
  name: 'quick',
  baselines: ['none', 'rules'],
  learnedForecasts: false,
  cases: [
    {
      id: 'summer-day',
      description: 'one August weekday with a DR event in the afternoon and tight job deadlines',
      start: '2026-08-04',
      days: 1,
      seed: 202,
      unannouncedEvShare: UNANNOUNCED_SHARE,
      jobDeadlineSlack: LATE_JOB_SLACK,
      drEvents: [{ ...AFTERNOON_DR, day: 0, announcedHour: 0 }],
    },
  ],
};

/** The scenario of a case: the district file with the case's twists applied. */
export function caseScenario(base: Scenario, c: ChallengeCase): Scenario {
  const s = structuredClone(base);
  if (c.jobDeadlineSlack)
    for (const site of s.sites)
      for (const a of site.assets)
        if (a.type === 'datacenter') {
          a.training.deadline_slack_min = c.jobDeadlineSlack[0];
          a.training.deadline_slack_max = c.jobDeadlineSlack[1];
        }
  return s;
}

/** The DR events of a case as grid signals, each visible from its announcement. */
export function caseSignals(d: District, c: ChallengeCase): (GridSignal & { announcedMs: number })[] {
  const day0 = DateTime.fromMillis(d.grid.startMs, { zone: d.zone });
  return c.drEvents.map((e, k) => {
    const day = day0.plus({ days: e.day });
    const startMs = day.plus({ hours: e.fromHour }).toMillis();
    const endMs = day.plus({ hours: e.toHour }).toMillis();
    // Announced the day before at announcedHour; an event on the first day is known from the start.
    const announcedMs =
      e.day === 0 ? d.grid.startMs : day.minus({ days: 1 }).plus({ hours: e.announcedHour }).toMillis();
    return {
      kind: 'import_limit_kw' as const,
      startMs,
      endMs,
      value: e.importLimitShare * d.scenario.grid.contract_demand_kw,
      source: `testbed:${c.id}:dr${k + 1}`,
      announcedMs: Math.min(announcedMs, startMs - MS_PER_HOUR),
    };
  });
}

/** FNV-1a, 32 bits: a stable hash to pick unannounced sessions without consuming any seeded stream. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function unannouncedPicker(c: ChallengeCase): (sessionId: string) => boolean {
  const UINT32 = 2 ** 32;
  return (id) => fnv1a(`${c.seed}:${id}`) / UINT32 < c.unannouncedEvShare;
}
