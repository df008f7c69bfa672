import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ControlLoop, ControlLoopOptions } from '../control/loop.ts';
import type { SetpointKind } from '../drivers/types.ts';
import type { FleetEdge } from '../fleet/edge.ts';
import type { LiveController } from '../live/controller.ts';
import type { LoadedScenario } from '../model/load.ts';
import type { Store } from '../store/index.ts';
import { UsageError } from './errors.ts';

// `serve --backend`: the site as an edge of a fleet backend (docs/fleet.md). The fleet code loads only
// when a site is one, so these import nothing of it but types.

/** This site as an edge of a fleet backend (docs/fleet.md); its commands go through the loop. */
export async function fleetEdge(
  opts: { backend?: string; edgeId?: string; fleetNamespace?: string },
  loaded: LoadedScenario,
  log: Logger,
  loop: () => ControlLoop,
  now: () => number,
  store: Store,
): Promise<FleetEdge> {
  if (!opts.edgeId) throw new UsageError("--backend needs --edge-id (this site's id at the backend)");
  const { FleetEdge } = await import('../fleet/edge.ts');
  return new FleetEdge({
    edgeId: opts.edgeId,
    natsUrl: opts.backend!,
    outboxFile: join(loaded.baseDir, '.bitgrid', `fleet-outbox-${opts.edgeId}.db`),
    namespace: opts.fleetNamespace,
    log,
    now,
    // Each share the edge applies (a feeder's, or of the fleet's OpenADR event) goes in the site's audit log.
    audit: (e) => store.appendAudit({ ...e, actor: 'fleet-backend', role: 'operator' }),
    onCommand: async (cmd) => {
      const actor = { id: 'fleet-backend', role: 'operator' } as const;
      if (cmd.kind === 'override.set')
        await loop().setOverride({ ...cmd.override, kind: cmd.override.kind as SetpointKind }, actor);
      else if (cmd.kind === 'override.clear') await loop().clearOverride(cmd.overrideId, actor);
      // import_limit.*: the edge holds the share itself (edge.importLimit, a signal source of the loop).
    },
  });
}

/** The site's KPI summary and plan in force, sent up (src/fleet/site.ts). */
export async function siteUpstream(
  edge: FleetEdge,
  scenario: LoadedScenario['scenario'],
  loop: ControlLoop,
  controller: LiveController,
  store: Store,
  log: Logger,
) {
  const { SiteUpstream } = await import('../fleet/site.ts');
  return new SiteUpstream({
    timezone: scenario.timezone,
    snapshot: () => loop.snapshot(),
    plannerStatus: () => controller.status(),
    schedule: (id) => store.getSchedule(id),
    publishKpi: (k) => edge.publishKpi(k),
    publishSchedule: (s) => edge.publishSchedule(s),
    log,
  });
}

/** What this site tells its feeder's coordinator each cycle (src/fleet/site.ts). */
export async function siteReporter(
  edge: FleetEdge,
  opts: { flexValueKrwPerKwh?: number },
  scenario: LoadedScenario['scenario'],
  loop: () => ControlLoop,
) {
  const { SiteReporter } = await import('../fleet/site.ts');
  return new SiteReporter({
    connectionLimitKw: scenario.grid.import_limit_kw,
    valueKrwPerKwh: (t) => opts.flexValueKrwPerKwh ?? loop().demand.tariff.importPriceKrwPerKwh(t),
    guards: () => loop().guards,
    overrides: () => loop().overrides(),
    publish: (r) => edge.publishReport(r),
  });
}

/** What the loop hands the fleet edge: every accepted measurement and every event. */
export function edgeTap(edge: FleetEdge): NonNullable<ControlLoopOptions['tap']> {
  return {
    telemetry: (points) => edge.publishTelemetry(points),
    event: (e) => edge.publishEvent(e),
  };
}
