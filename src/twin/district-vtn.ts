import { VtnTwin } from './openadr/index.ts';
import type { DistrictContext } from './district-parts.ts';

// The utility's OpenADR 3 VTN: the import price as a PRICE event per day the world has prepared,
// renewed as it prepares more and withdrawn when it forgets a day.

const VTN_CLIENT_ID = 'bitgrid-ven';
const VTN_PROGRAM = 'gwangju-dr';
const MINUTES_PER_HOUR = 60;
/**
 * How often the district's VEN polls the VTN, seconds of wall time (the driver's timer is not scaled
 * by the twin's clock speed). It also posts an ended event's report at a poll, so at 600× a report
 * comes up to 50 simulated minutes after the event.
 */
export const VTN_POLL_INTERVAL_S = 5;

export interface DistrictVtn {
  vtn: VtnTwin;
  /** Brings the price events in line with the days the world holds now. */
  syncPrices(): Promise<void>;
}

export async function startVtnTwin(ctx: DistrictContext): Promise<DistrictVtn> {
  const secret = 'twin-secret-' + Math.random().toString(36).slice(2);
  const vtn = new VtnTwin({ clients: { [VTN_CLIENT_ID]: secret }, now: ctx.now, discovery: true });
  await vtn.start(0);
  ctx.parts.stoppers.push(() => vtn.stop());
  vtn.createProgram({ programName: VTN_PROGRAM, id: VTN_PROGRAM });
  const priceEvents = new Map<string, string>();
  const syncPrices = () => syncPriceEvents(ctx, vtn, priceEvents);
  await syncPrices();
  ctx.parts.devices.push({
    id: 'kepco-vtn',
    type: 'openadr_ven',
    vtn_url: vtn.url,
    client_id: VTN_CLIENT_ID,
    client_secret: secret,
    ven_name: 'bitgrid-gwangju',
    poll_interval_s: VTN_POLL_INTERVAL_S,
    subscribe: true,
  });
  return { vtn, syncPrices };
}

/** `priceEvents`: the event id of each day's prices, by date. */
async function syncPriceEvents(ctx: DistrictContext, vtn: VtnTwin, priceEvents: Map<string, string>) {
  const days = ctx.world.days();
  const held = new Set(days.map((d) => d.date));
  for (const [date, id] of priceEvents)
    if (!held.has(date)) {
      priceEvents.delete(date);
      await vtn.deleteEvent(id);
    }
  for (const d of days) {
    if (priceEvents.has(d.date)) continue;
    const perHour = Math.max(1, Math.round(MINUTES_PER_HOUR / d.intervalMinutes));
    const hours = Math.floor(d.importPriceKrwPerKwh.length / perHour);
    const event = await vtn.issuePriceEvent({
      programID: VTN_PROGRAM,
      startMs: d.startMs,
      intervalMinutes: MINUTES_PER_HOUR,
      pricesKrwPerKwh: Array.from({ length: hours }, (_, h) => d.importPriceKrwPerKwh[h * perHour]),
      eventName: `price-${d.date}`,
    });
    priceEvents.set(d.date, String((event as { id: unknown }).id));
  }
}
