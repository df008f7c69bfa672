import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { networkInterfaces } from 'node:os';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { controllerLauncher, networkNamespaceCommand, permissionFlag } from '../../src/testbed/index.ts';
import { FIXTURES, runController } from './helpers.ts';

// A module controller runs in a child process of its own: Node's permission model (its own file
// and nothing else to read, nothing to write, no process or thread to start), an empty environment,
// and no network. Each controller below tries one of these in decide() and throws what it got, so
// the failure's message says whether it was denied; without the confinement each of them would
// leak the secret, reach the server or start the process.

const limits = { decisionTimeoutMs: 5_000 };
const SECRET = 'bitgrid-confinement-secret-7f3a';

let dir: string;
let secretFile: string;
let server: Server;
let port: number;
let connections = 0;

/** Writes a controller into a folder of its own (so "outside its folder" is a real other folder). */
function controller(name: string, body: string): string {
  const d = mkdtempSync(join(dir, 'controller-'));
  const file = join(d, `${name}.mjs`);
  writeFileSync(file, body);
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bitgrid-confinement-'));
  secretFile = join(dir, 'secret.txt');
  writeFileSync(secretFile, SECRET);
  server = createServer((socket) => {
    connections++;
    socket.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
  delete process.env.BITGRID_CONFINEMENT_SECRET;
});

describe('a module controller runs confined', () => {
  it('cannot read a file outside its own module, nor /etc/passwd', async () => {
    const file = controller(
      'reads',
      `import { readFileSync } from 'node:fs';
       export function decide() {
         const out = [];
         for (const f of [${JSON.stringify(secretFile)}, '/etc/passwd']) {
           try { out.push('READ ' + readFileSync(f, 'utf8').slice(0, 40)); } catch (e) { out.push(e.code); }
         }
         throw new Error(out.join(', '));
       }`,
    );
    const r = await runController(file, limits);
    expect(r.stats.failure).toMatchObject({ reason: 'threw', decision: 0 });
    expect(r.stats.failure!.message).toBe('Error: ERR_ACCESS_DENIED, ERR_ACCESS_DENIED');
    expect(r.stats.failure!.message).not.toContain(SECRET);
  });

  it('cannot write a file', async () => {
    const target = join(dir, 'written.txt');
    const file = controller(
      'writes',
      `import { writeFileSync } from 'node:fs';
       export function decide() { writeFileSync(${JSON.stringify(target)}, 'x'); return {}; }`,
    );
    const r = await runController(file, limits);
    expect(r.stats.failure).toMatchObject({ reason: 'threw', decision: 0 });
    expect(r.stats.failure!.message).toMatch(/Access to this API has been restricted/);
  });

  it('sees none of the caller’s environment, secrets included', async () => {
    process.env.BITGRID_CONFINEMENT_SECRET = SECRET;
    const file = controller(
      'env',
      `export function decide() {
         throw new Error('secret=' + process.env.BITGRID_CONFINEMENT_SECRET + ' keys=' + Object.keys(process.env).length);
       }`,
    );
    const r = await runController(file, limits);
    expect(r.stats.failure!.message).toBe('Error: secret=undefined keys=0');
  });

  it('cannot open a connection: the server it aims at sees none', async () => {
    const before = connections;
    const file = controller(
      'connects',
      `import net, { connect } from 'node:net';
       import http from 'node:http';
       import dgram from 'node:dgram';
       import dns from 'node:dns';
       const port = ${port};
       const tries = {
         connect: () => connect(port, '127.0.0.1'),
         socket: () => new net.Socket().connect(port, '127.0.0.1'),
         http: () => http.get('http://127.0.0.1:' + port + '/'),
         agent: () => new http.Agent().createConnection({ port, host: '127.0.0.1' }),
         fetch: () => fetch('http://127.0.0.1:' + port + '/'),
         udp: () => dgram.createSocket('udp4'),
         dns: () => dns.lookup('example.org', () => {}),
         listen: () => net.createServer().listen(0),
         restore: () => { net.connect = () => 'restored'; return net.connect(); },
       };
       export async function decide() {
         const out = [];
         for (const [name, f] of Object.entries(tries)) {
           try { await f(); out.push(name + ':OPEN'); } catch (e) { out.push(name + ':' + (e.code ?? e.name)); }
         }
         // Long enough for a connection that did get out to reach the server.
         await new Promise((r) => setTimeout(r, 200));
         throw new Error(out.join(' '));
       }`,
    );
    const r = await runController(file, limits);
    expect(r.stats.failure).toMatchObject({ reason: 'threw', decision: 0 });
    const got = Object.fromEntries(
      r.stats
        .failure!.message.replace(/^Error: /, '')
        .split(' ')
        .map((s) => s.split(':')),
    );
    expect(got).toEqual({
      connect: 'ERR_ACCESS_DENIED',
      socket: 'ERR_ACCESS_DENIED',
      http: 'ERR_ACCESS_DENIED',
      agent: 'ERR_ACCESS_DENIED',
      fetch: 'ERR_ACCESS_DENIED',
      udp: 'ERR_ACCESS_DENIED',
      dns: 'ERR_ACCESS_DENIED',
      listen: 'ERR_ACCESS_DENIED',
      // The locks cannot be replaced: assigning to a non-writable property throws in a module.
      restore: 'TypeError',
    });
    expect(connections).toBe(before);
  });

  // Where the machine lets an unprivileged process make one (Linux with user namespaces), the
  // operating system denies the network too: the process has a namespace of its own, whose only
  // interface (loopback) is down, so it has no address at all.
  it.skipIf(!networkNamespaceCommand())(
    'runs in a network namespace of its own where the machine allows one: no interface has an address',
    async () => {
      // Here, there is a network to be kept from it.
      expect(Object.keys(networkInterfaces()).length).toBeGreaterThan(0);
      const file = controller(
        'interfaces',
        `import { networkInterfaces } from 'node:os';
         export function decide() { throw new Error('interfaces=' + JSON.stringify(Object.keys(networkInterfaces()))); }`,
      );
      const r = await runController(file, limits);
      expect(r.stats.failure!.message).toBe('Error: interfaces=[]');
    },
  );

  it('cannot start a process or a thread', async () => {
    const file = controller(
      'spawns',
      `import { execFileSync } from 'node:child_process';
       import { Worker } from 'node:worker_threads';
       export function decide() {
         const out = [];
         try { out.push('RAN ' + execFileSync('/bin/echo', ['escaped'], { encoding: 'utf8' })); } catch (e) { out.push(e.code); }
         try { new Worker('1', { eval: true }); out.push('WORKER'); } catch (e) { out.push(e.code); }
         throw new Error(out.join(', '));
       }`,
    );
    const r = await runController(file, limits);
    expect(r.stats.failure!.message).toBe('Error: ERR_ACCESS_DENIED, ERR_ACCESS_DENIED');
  });

  it('permission flag: --permission where Node has it, --experimental-permission on Node 20', () => {
    expect(permissionFlag(new Set(['--permission', '--experimental-permission']))).toBe('--permission');
    expect(permissionFlag(new Set(['--permission']))).toBe('--permission');
    expect(permissionFlag(new Set(['--experimental-permission']))).toBe('--experimental-permission');
    expect(() => permissionFlag(new Set())).toThrow(/no permission model/);
    // The Node running these tests has one of them.
    expect(['--permission', '--experimental-permission']).toContain(permissionFlag());
  });
});

/** Processes whose parent is `ppid` and whose command line holds `marker`, alive (not zombies). */
function childrenOf(ppid: number, marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(parent) !== ppid || state === 'Z') continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker)) out.push(Number(d));
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The kernel signals at once; this leaves room for a busy machine to schedule the kill. */
const GONE_WITHIN_MS = 5_000;
const GONE_POLL_MS = 50;

describe('a controller does not outlive its host', () => {
  // The kernel ends it with the thread that started it (setpriv --pdeathsig), so even a host that
  // is killed outright, with no exit handler run, leaves no controller looping behind.
  it.skipIf(!controllerLauncher().diesWithParent)(
    'one that loops forever dies with a host that is killed outright',
    async () => {
      const host = spawn(
        process.execPath,
        [join(FIXTURES, 'host-that-dies.mjs'), join(FIXTURES, 'loops.mjs')],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let controllers: number[] = [];
      try {
        await new Promise<void>((resolve, reject) => {
          host.stdout.on('data', (b: Buffer) => b.toString().includes('deciding') && resolve());
          host.once('exit', (code) => reject(new Error(`the host exited (${code}) before deciding`)));
        });
        controllers = childrenOf(host.pid!, 'controller-process.mjs');
        expect(controllers).toHaveLength(1);
        host.kill('SIGKILL');
        const deadline = Date.now() + GONE_WITHIN_MS;
        while (alive(controllers[0]) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, GONE_POLL_MS));
        expect(alive(controllers[0])).toBe(false);
      } finally {
        host.kill('SIGKILL');
        // Without the guard the controller would loop on: it is not left behind by a failing test.
        for (const pid of controllers) if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    },
    30_000,
  );
});

describe('memory limits per decision and per run', () => {
  it('a decision that keeps more than its per-decision limit is stopped at that decision', async () => {
    const file = controller(
      'hoards-per-decision',
      `const kept = [];
       export function decide() { kept.push(Buffer.alloc(24 * 1024 * 1024, 1)); return {}; }`,
    );
    const r = await runController(file, { ...limits, memoryMb: 256, decisionMemoryMb: 16 });
    expect(r.stats.failure).toMatchObject({ reason: 'out-of-memory', decision: 0 });
    expect(r.stats.failure!.message).toMatch(
      /grew its memory by 2\d MB, over its limit of 16 MB per decision/,
    );
  });

  it('a run that keeps more than its limit, a little each decision, is stopped when it gets there', async () => {
    // Buffers live outside the JavaScript heap, so only the check after each decision sees them.
    const file = controller(
      'hoards-per-run',
      `const kept = [];
       export function decide() { kept.push(Buffer.alloc(10 * 1024 * 1024, 1)); return {}; }`,
    );
    const r = await runController(file, { ...limits, memoryMb: 48, decisionMemoryMb: 16 });
    expect(r.stats.failure).toMatchObject({ reason: 'out-of-memory' });
    expect(r.stats.failure!.decision).toBeGreaterThanOrEqual(3);
    expect(r.stats.failure!.message).toMatch(/over its limit of 48 MB per run/);
    expect(r.stats.answered).toBe(r.stats.failure!.decision);
  });
});
