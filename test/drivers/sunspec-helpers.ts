import type { DriverContext } from '../../src/drivers/types.ts';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg?: string;
}

/** A driver context with a steppable clock and a log that tests can inspect. */
export function testContext(startMs = Date.UTC(2026, 5, 1, 3)): DriverContext & {
  logs: LogEntry[];
  clock: { t: number; advance(ms: number): void };
} {
  const logs: LogEntry[] = [];
  const clock = {
    t: startMs,
    advance(ms: number) {
      clock.t += ms;
    },
  };
  return {
    logs,
    clock,
    now: () => clock.t,
    log: {
      info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
      warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
      error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
    },
  };
}

export { waitFor } from './ocpp-helpers.ts';
