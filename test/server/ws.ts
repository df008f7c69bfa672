import type WebSocket from 'ws';

/** Messages of a WebSocket, awaited one at a time. */
export function inbox(ws: WebSocket) {
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- stream messages are asserted field by field
    next(timeoutMs = 5_000): Promise<any> {
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no message in time')), timeoutMs);
        waiters.push((m) => {
          clearTimeout(t);
          resolve(m);
        });
      });
    },
  };
}

/** Resolves once the socket is open; rejects on its first error. */
export function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}
