import modbusSerial from 'modbus-serial';

// modbus-serial is CommonJS: its default export is module.exports, whose `default` is the class.
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

// A small promise wrapper over modbus-serial's TCP client: one request at a time, every request
// bounded by a timeout, and every failure classified so a driver can turn it into a status.

export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export type ModbusErrorKind =
  /** The device answered with a Modbus exception response (it is there, but refused). */
  | 'exception'
  /** No answer in time. */
  | 'timeout'
  /** No connection, or it was lost. */
  | 'connection';

export class ModbusError extends Error {
  readonly code = 'BITGRID_ERR_MODBUS';
  constructor(
    message: string,
    readonly kind: ModbusErrorKind,
    /** Modbus exception code (kind = exception). */
    readonly exceptionCode?: number,
  ) {
    super(message);
    this.name = 'ModbusError';
  }
}

export function exceptionMessage(code: number): string {
  return `Modbus exception ${String(code).padStart(2, '0')} (${MODBUS_EXCEPTIONS[code] ?? 'unknown'})`;
}

/** Turns whatever modbus-serial or the socket rejected with into a ModbusError. */
export function classifyModbusError(e: unknown, what: string): ModbusError {
  if (e instanceof ModbusError) return e;
  const err = (e ?? {}) as {
    modbusCode?: number;
    errno?: string;
    code?: string;
    name?: string;
    message?: string;
  };
  if (typeof err.modbusCode === 'number')
    return new ModbusError(`${what}: ${exceptionMessage(err.modbusCode)}`, 'exception', err.modbusCode);
  if (err.errno === 'ETIMEDOUT' || err.code === 'ETIMEDOUT' || /timed out/i.test(err.message ?? ''))
    return new ModbusError(`${what}: timed out`, 'timeout');
  return new ModbusError(`${what}: ${err.message || err.code || err.name || String(e)}`, 'connection');
}

export interface ModbusTcpOptions {
  host: string;
  port: number;
  unitId: number;
  timeoutMs: number;
}

/** Largest register counts per request (Modbus application protocol limits). */
const MAX_READ = 125;
const MAX_WRITE = 123;

export class ModbusTcpClient {
  private client: ModbusRTU | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closeListeners: (() => void)[] = [];
  /** Rejecters of requests in flight, so a lost connection fails them at once instead of by timeout. */
  private readonly inFlight = new Set<(why: string) => void>();

  constructor(readonly opts: ModbusTcpOptions) {}

  get connected(): boolean {
    return this.client?.isOpen === true;
  }

  /** Called once when an open connection is lost (not when close() is called). */
  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  async connect(): Promise<void> {
    await this.close();
    const client = new ModbusRTU();
    // modbus-serial re-emits socket errors; without a listener they would crash the process.
    client.on('error', () => {});
    let opened = false;
    client.on('close', () => {
      if (this.client !== client || !opened) return;
      this.client = undefined;
      this.failInFlight('connection closed');
      for (const l of this.closeListeners) l();
    });
    this.client = client;
    const what = `connect ${this.opts.host}:${this.opts.port}`;
    try {
      await withTimeout(
        client.connectTCP(this.opts.host, { port: this.opts.port, timeout: this.opts.timeoutMs }),
        this.opts.timeoutMs,
        what,
      );
      if (!client.isOpen) throw new ModbusError(`${what}: connection closed`, 'connection');
    } catch (e) {
      this.client = undefined;
      destroy(client);
      throw classifyModbusError(e, what);
    }
    opened = true;
    client.setID(this.opts.unitId);
    client.setTimeout(this.opts.timeoutMs);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) destroy(client);
    this.failInFlight('connection closed');
  }

  private failInFlight(why: string): void {
    for (const fail of this.inFlight) fail(why);
    this.inFlight.clear();
  }

  /** Reads holding registers (FC 3), splitting long ranges into several requests. */
  async readHoldingRegisters(address: number, count: number): Promise<number[]> {
    const out: number[] = [];
    for (let done = 0; done < count; done += MAX_READ) {
      const n = Math.min(MAX_READ, count - done);
      const at = address + done;
      const res = await this.request(`read ${n} register(s) at ${at}`, (c) => c.readHoldingRegisters(at, n));
      if (res.data.length !== n)
        throw new ModbusError(`read at ${at}: expected ${n} registers, got ${res.data.length}`, 'connection');
      out.push(...res.data);
    }
    return out;
  }

  /** Writes holding registers (FC 16). */
  async writeRegisters(address: number, values: number[]): Promise<void> {
    for (let done = 0; done < values.length; done += MAX_WRITE) {
      const chunk = values.slice(done, done + MAX_WRITE);
      const at = address + done;
      await this.request(`write ${chunk.length} register(s) at ${at}`, (c) => c.writeRegisters(at, chunk));
    }
  }

  private request<T>(what: string, fn: (c: ModbusRTU) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const client = this.client;
      if (!client || !client.isOpen) throw new ModbusError(`${what}: not connected`, 'connection');
      let rejectLost: (why: string) => void = () => {};
      const lost = new Promise<never>(
        (_, reject) => (rejectLost = (why) => reject(new ModbusError(`${what}: ${why}`, 'connection'))),
      );
      this.inFlight.add(rejectLost);
      try {
        return await withTimeout(Promise.race([fn(client), lost]), this.opts.timeoutMs + 50, what);
      } catch (e) {
        throw classifyModbusError(e, what);
      } finally {
        this.inFlight.delete(rejectLost);
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }
}

function destroy(client: ModbusRTU): void {
  try {
    client.destroy(() => {});
  } catch {
    // already gone
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ModbusError(`${what}: timed out after ${ms} ms`, 'timeout')), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
