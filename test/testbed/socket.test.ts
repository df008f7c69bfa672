import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { loadScenarioFile } from '../../src/model/load.ts';
import { controllerSpec, QUICK_CHALLENGE_SET, runTestbed } from '../../src/testbed/index.ts';
import { EXAMPLES, runController } from './helpers.ts';

// The out-of-process way in: a controller behind HTTP on loopback, one POST per decision. The peer
// is the shipped Python example (python3, standard library only) and, for the failures, small Node
// servers in their own processes (the simulator blocks this thread while it waits for an answer).

/** Starts a process that prints its URL as its first line; resolves with the URL. */
function start(cmd: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code} before it listened`)));
    createInterface({ input: child.stdout! }).once('line', (url) => resolve({ child, url: url.trim() }));
  });
}

/** A Node HTTP server in a child process answering every POST with `body` (or never, for 'hang'). */
function nodeServer(
  behaviour: 'hang' | 'not-json' | 'error-500',
): Promise<{ child: ChildProcess; url: string }> {
  const src = `
    const http = require('node:http');
    const s = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (${JSON.stringify(behaviour)} === 'hang') return;
        if (${JSON.stringify(behaviour)} === 'not-json') { res.end('{"batteryKw": NaN}'); return; }
        res.statusCode = 500; res.end('internal error');
      });
    });
    s.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + s.address().port + '/'));
  `;
  return start(process.execPath, ['-e', src]);
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill();
});

describe('a controller over HTTP', () => {
  let python: { child: ChildProcess; url: string };
  beforeAll(async () => {
    python = await start('python3', [join(EXAMPLES, 'peak_shaver.py'), '--port', '0']);
    children.push(python.child);
  });

  it('the Python example scores through the socket protocol, the same as its JavaScript twin', async () => {
    const { scenario, baseDir } = loadScenarioFile();
    const common = { scenario, baseDir, set: QUICK_CHALLENGE_SET, baselines: ['rules'] };
    const py = await runTestbed({ ...common, controller: controllerSpec(python.url) });
    const js = await runTestbed({ ...common, controller: controllerSpec(join(EXAMPLES, 'peak-shaver.mjs')) });
    const pyRow = py.leaderboard.find((c) => c.kind === 'controller')!;
    const jsRow = js.leaderboard.find((c) => c.kind === 'controller')!;
    expect(pyRow).toMatchObject({ strategy: python.url, status: 'ok', failedDecisions: 0 });
    expect(pyRow.decisions).toBe(96);
    // Same rules in two languages: the same setpoints, so the same bill.
    expect(pyRow.totalCostKrw).toBeCloseTo(jsRow.totalCostKrw, -2);
    expect(py.leaderboard.map((c) => c.strategy).sort()).toEqual(['rules', python.url].sort());
  });

  it('an endpoint that never answers is stopped at the timeout; rules take the run', async () => {
    const s = await nodeServer('hang');
    children.push(s.child);
    const r = await runController(s.url, { decisionTimeoutMs: 500 });
    expect(r.stats.failure).toMatchObject({ reason: 'timeout', decision: 0 });
    expect(r.stats.failedDecisions).toBe(96);
  });

  it('an answer that is not JSON is an invalid answer', async () => {
    const s = await nodeServer('not-json');
    children.push(s.child);
    const r = await runController(s.url, { decisionTimeoutMs: 2_000 });
    expect(r.stats.failure).toMatchObject({ reason: 'invalid-answer' });
    expect(r.stats.failure!.message).toMatch(/not JSON/);
  });

  it('an HTTP error is a failure with its status', async () => {
    const s = await nodeServer('error-500');
    children.push(s.child);
    const r = await runController(s.url, { decisionTimeoutMs: 2_000 });
    expect(r.stats.failure).toMatchObject({ reason: 'threw' });
    expect(r.stats.failure!.message).toMatch(/HTTP 500/);
  });

  it('nothing listening is unreachable', async () => {
    const r = await runController('http://127.0.0.1:9/', { decisionTimeoutMs: 2_000 });
    expect(r.stats.failure).toMatchObject({ reason: 'unreachable' });
  });
});
