import { afterEach } from 'vitest';
import {
  OpenAdrVenDriver,
  openAdrVenConfigSchema,
  type OpenAdrVenConfigInput,
} from '../../src/drivers/openadr/index.ts';
import { ManualClock } from '../../src/twin/ocpp/index.ts';
import { VtnTwin } from '../../src/twin/openadr/index.ts';
import { testContext } from './ocpp-helpers.ts';

export const MIN = 60_000;
export const H = 3_600_000;

export interface VenSetupOptions {
  vtn?: Partial<ConstructorParameters<typeof VtnTwin>[0]>;
  ven?: Partial<OpenAdrVenConfigInput>;
}

/**
 * A VTN twin on loopback with one program and a VEN driver pointed at it, both stopped after each
 * test. Call at the top of a test file: it registers the afterEach that stops them.
 */
export function venAgainstVtn(
  t0: number,
  defaults: { program: Record<string, unknown>; ven?: Partial<OpenAdrVenConfigInput> },
) {
  let cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    cleanup = [];
  });
  return async function setup(opts: VenSetupOptions = {}) {
    const clock = new ManualClock(t0);
    const vtn = new VtnTwin({ clients: { 'bitgrid-ven': 's3cret-ven' }, ...opts.vtn });
    await vtn.start();
    cleanup.push(() => vtn.stop());
    const program = vtn.createProgram(defaults.program);
    const ctx = testContext(clock);
    const config = openAdrVenConfigSchema.parse({
      id: 'kepco-vtn',
      type: 'openadr_ven',
      vtn_url: vtn.url,
      client_id: 'bitgrid-ven',
      client_secret: 's3cret-ven',
      ven_name: 'bitgrid-gwangju',
      poll_interval_s: 3600,
      ...defaults.ven,
      ...opts.ven,
    });
    const ven = new OpenAdrVenDriver(config, ctx);
    cleanup.push(() => ven.stop());
    return { clock, vtn, program, ctx, ven };
  };
}

/** An IMPORT_CAPACITY_LIMIT event with the twin's default report descriptors. */
export function issueImportLimit(
  vtn: VtnTwin,
  programID: string,
  startMs: number,
  durationMinutes: number,
  limitKw: number,
  extra: { reportDescriptors?: Array<Record<string, unknown>> } = {},
) {
  return vtn.issueCapacityLimitEvent({
    programID,
    startMs,
    durationMinutes,
    limitKw,
    direction: 'import',
    ...extra,
  });
}

/** The log lines whose message matches `re`. */
export const logLines = (ctx: ReturnType<typeof testContext>, re: RegExp) =>
  ctx.lines.filter((l) => re.test(l.msg ?? ''));
