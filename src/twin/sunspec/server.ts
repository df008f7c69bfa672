import type { AddressInfo, Server } from 'node:net';
import { ServerTCP } from 'modbus-serial';

// Serves a register handler over Modbus TCP (modbus-serial ServerTCP) on loopback. Port 0 binds
// an ephemeral port; after stop(), start() binds the same port again so a client can reconnect.

export interface RegisterHandler {
  /** Holding registers; throw an object with `modbusErrorCode` to answer with an exception. */
  read(address: number, count: number): number[];
  write(address: number, values: number[]): void;
}

export interface ModbusTwinServerOptions {
  host?: string;
  /** 0 (default) = ephemeral. */
  port?: number;
  /** Unit id the server answers to (requests for other ids go unanswered, as on a real bus). */
  unitId?: number;
}

export class ModbusTwinServer {
  private server: ServerTCP | undefined;
  private boundPort: number | undefined;
  /** Requests served, for tests. */
  requests = 0;

  constructor(
    private readonly handler: RegisterHandler,
    private readonly opts: ModbusTwinServerOptions = {},
  ) {}

  get host(): string {
    return this.opts.host ?? '127.0.0.1';
  }

  /** The bound TCP port (after start()). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('twin server not started');
    return this.boundPort;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<number> {
    if (this.server) return this.port;
    const h = this.handler;
    // Arity matters: modbus-serial calls handlers with a callback when they declare one more
    // parameter, so these take exactly (address, …, unitID).
    const vector = {
      getHoldingRegister: (addr: number, _unit: number): number => {
        this.requests++;
        return h.read(addr, 1)[0];
      },
      getMultipleHoldingRegisters: (addr: number, length: number, _unit: number): number[] => {
        this.requests++;
        return h.read(addr, length);
      },
      setRegister: (addr: number, value: number, _unit: number): void => {
        this.requests++;
        h.write(addr, [value]);
      },
      setRegisterArray: (addr: number, values: number[], _unit: number): void => {
        this.requests++;
        h.write(addr, values);
      },
    };
    const port = this.boundPort ?? this.opts.port ?? 0;
    const server = new ServerTCP(vector, {
      host: this.host,
      // ServerTCP replaces a falsy port by 502; net.listen accepts the port as a numeric string.
      port: String(port) as unknown as number,
      unitID: this.opts.unitId ?? 1,
    } as ConstructorParameters<typeof ServerTCP>[1]);
    // Without listeners these events would throw.
    server.on('socketError', () => {});
    server.on('error', () => {});
    const net = (server as unknown as { _server: Server })._server;
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('serverError', (e) => reject(e ?? new Error('server error')));
    });
    this.boundPort = (net.address() as AddressInfo).port;
    this.server = server;
    return this.boundPort;
  }

  /** Closes the listener and every open connection (the clients see the connection drop). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
