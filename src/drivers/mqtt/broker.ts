import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

// An in-process MQTT broker (aedes) for a driver configured without a broker URL, for tests and
// for the bench. It listens on loopback unless told otherwise.

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(
  opts: { port?: number; host?: string } = {},
): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  // Client and connection errors are the clients' problem; never let them crash the process.
  broker.on('clientError', () => {});
  broker.on('connectionError', () => {});
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    broker.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await new Promise<void>((r) => broker.close(() => r()));
    throw e;
  }
  server.on('error', () => {});
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      if (closed) return;
      closed = true;
      const serverClosed = new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
      for (const s of sockets) s.destroy();
      await serverClosed;
    },
  };
}
