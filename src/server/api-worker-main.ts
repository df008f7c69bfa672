import { parentPort, workerData } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadScenarioFile } from '../model/load.ts';
import { openStore, type Store } from '../store/index.ts';
import type { ApiWorkerData, FromWorker, ToWorker } from './api-worker-protocol.ts';
import { createServer } from './index.ts';
import { SERVE_LOG_REDACT } from './logging.ts';
import { RemoteLive } from './remote-live.ts';

// The API worker (api-host.ts starts it): its own store connection, the live system as a mirror fed
// by the control thread, and the same createServer as an API in the control process.

const data = workerData as ApiWorkerData;
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const log = pino({ level: data.logLevel, redact: SERVE_LOG_REDACT }, pino.destination(2));

const live = new RemoteLive(data.mirror, (id, call) => send({ t: 'call', id, call }), data.clockPerWall);
let app: FastifyInstance | undefined;
let store: Store | undefined;
let closing = false;

async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  live.abandon('the API is stopping');
  await app?.close().catch((e: Error) => log.warn({ err: e.message }, 'api worker: close failed'));
  await store?.close().catch(() => undefined);
  send({ t: 'closed' });
  port.close();
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'close') void close();
  else live.receive(m);
});

try {
  const scenario = loadScenarioFile(data.scenarioFile);
  store = await openStore(data.storeUrl, { baseDir: data.storeBaseDir });
  app = await createServer({
    live,
    store,
    scenario,
    logger: log,
    now: () => live.now(),
    webRoot: data.webRoot,
    trustProxy: data.trustProxy,
    tls: data.tls,
    ...(data.rateLimit !== undefined ? { rateLimit: data.rateLimit } : {}),
  });
  const address = await app.listen({ port: data.port, host: data.host });
  send({ t: 'ready', address });
} catch (e) {
  send({ t: 'failed', message: (e as Error).message });
  await close();
}
