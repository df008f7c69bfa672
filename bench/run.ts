// `npm run bench`: every benchmark in turn, each printing its figures. A benchmark whose module is
// missing or fails is reported and the rest still run.

type Bench = { name: string; run: () => Promise<Record<string, unknown>> };

const fmt = (v: unknown) =>
  typeof v === 'number'
    ? Math.abs(v) >= 100
      ? Math.round(v).toLocaleString('en-US')
      : v.toFixed(2)
    : String(v);

const benches: Bench[] = [
  {
    name: 'simulate: one year of the reference district at 15 min, rules',
    run: async () => (await import('./simulate-year.ts')).benchSimulateYear('rules'),
  },
  {
    name: 'simulate: one year of the reference district at 15 min, none',
    run: async () => (await import('./simulate-year.ts')).benchSimulateYear('none'),
  },
];

for (const extra of [
  './cli.ts',
  './mqtt-ingest.ts',
  './ocpp-scale.ts',
  './forecast.ts',
  './optimize.ts',
  './replan.ts',
  './live-cycle.ts',
  './store.ts',
  './api.ts',
  './web.ts',
  './fleet.ts',
]) {
  benches.push({
    name: extra.replace('./', '').replace('.ts', ''),
    run: async () => {
      const mod = (await import(extra)) as Record<string, unknown>;
      const fn = Object.entries(mod).find(
        ([k, v]) => k.startsWith('bench') && typeof v === 'function',
      )?.[1] as (() => Promise<Record<string, unknown>>) | undefined;
      if (!fn) throw new Error('no bench function exported');
      return fn();
    },
  });
}

let failed = 0;
for (const b of benches) {
  process.stdout.write(`\n== ${b.name}\n`);
  try {
    const out = await b.run();
    for (const [k, v] of Object.entries(out)) process.stdout.write(`  ${k.padEnd(28)} ${fmt(v)}\n`);
  } catch (e) {
    const msg = (e as Error).message;
    if (/Cannot find module|ERR_MODULE_NOT_FOUND/.test(msg)) process.stdout.write('  (not present yet)\n');
    else {
      failed++;
      process.stdout.write(`  FAILED: ${msg}\n`);
    }
  }
}
process.exit(failed ? 1 : 0);
