import { OcppCsmsDriver, ocppConfigSchema } from '../../src/drivers/ocpp/index.ts';
import type { OcppConfigInput } from '../../src/drivers/ocpp/index.ts';
import type { DriverContext } from '../../src/drivers/types.ts';
import type { TwinClock } from '../../src/twin/ocpp/index.ts';

/** A decoded OCPP payload in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions on free-form JSON
export type Json = any;

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg?: string;
  o: object;
}

export function testContext(
  clock: TwinClock = { now: () => Date.now() },
): DriverContext & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    now: () => clock.now(),
    log: {
      info: (o, msg) => lines.push({ level: 'info', o, msg }),
      warn: (o, msg) => lines.push({ level: 'warn', o, msg }),
      error: (o, msg) => lines.push({ level: 'error', o, msg }),
    },
  };
}

export async function startCsms(
  config: Omit<OcppConfigInput, 'id' | 'type' | 'port'> & { port?: number },
  clock?: TwinClock,
) {
  const ctx = testContext(clock);
  const driver = new OcppCsmsDriver(
    ocppConfigSchema.parse({ id: 'test-csms', type: 'ocpp', port: 0, host: '127.0.0.1', ...config }),
    ctx,
  );
  await driver.start();
  const port = driver.address().port;
  return { driver, ctx, port, url: `ws://127.0.0.1:${port}/ocpp` };
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One line per frame: `out CALL Authorize`, `in RESULT Authorize`, `in ERROR NotImplemented`. */
export function summarize(frames: Array<{ direction: string; frame: unknown }>): string[] {
  const actions = new Map<string, string>();
  return frames.map(({ direction, frame }) => {
    if (!Array.isArray(frame)) return `${direction} ?`;
    const [type, id] = frame as [number, string];
    if (type === 2) {
      actions.set(id, frame[2] as string);
      return `${direction} CALL ${frame[2]}`;
    }
    if (type === 3) return `${direction} RESULT ${actions.get(id) ?? '?'}`;
    return `${direction} ERROR ${actions.get(id) ?? '?'} ${frame[2]}`;
  });
}

export function callsOf(frames: Array<{ direction: string; frame: unknown }>, action: string): Json[] {
  return frames
    .map((f) => f.frame)
    .filter((f): f is unknown[] => Array.isArray(f) && f[0] === 2 && f[2] === action)
    .map((f) => f[3]);
}

export function resultOf(
  frames: Array<{ direction: string; frame: unknown }>,
  action: string,
  nth = 0,
): Json {
  const ids = frames
    .map((f) => f.frame)
    .filter((f): f is unknown[] => Array.isArray(f) && f[0] === 2 && f[2] === action)
    .map((f) => f[1]);
  const id = ids[nth];
  const res = frames
    .map((f) => f.frame)
    .find((f): f is unknown[] => Array.isArray(f) && f[0] === 3 && f[1] === id);
  return res?.[2];
}
