/**
 * The Node loop-inspector backend against real programs: each test starts
 * `node --inspect=127.0.0.1:0 test/fixtures/inspector/node/pending.js` (a server and two sockets,
 * timers with known callbacks, a pending fs request on a FIFO, async functions suspended at known
 * await lines in an awaiter chain with a Promise.all) and drives `NodeBackend` over a real WebSocket
 * CDP channel. Expected lines come from the fixture's `MARK:` comments.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LoopItem, LoopSnapshot } from '../../src/inspector/model';
import { NodeBackend, SessionEndedError } from '../../src/inspector/node/backend';
import { WebSocketCdpChannel } from '../../src/inspector/node/cdp';
import { spawnInspected, type InspectedProgram } from '../../src/inspector/node/spawn';
import { repoRoot } from './helpers';

const FIXTURE = path.join(repoRoot(), 'test', 'fixtures', 'inspector', 'node', 'pending.js');
const SOURCE = fs.readFileSync(FIXTURE, 'utf8').split('\n');
/** 1-based line of the fixture's `// MARK:name` comment. */
function line(mark: string): number {
  const i = SOURCE.findIndex((l) => l.includes(`// MARK:${mark}`));
  assert.ok(i >= 0, `no MARK:${mark} in the fixture`);
  return i + 1;
}

let tmp: string;
let fifo: string;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-inspector-node-'));
  fifo = path.join(tmp, 'fifo');
  const r = spawnSync('mkfifo', [fifo]);
  assert.equal(r.status, 0, `mkfifo failed: ${r.stderr}`);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Starts the fixture; with `withFifo` it also blocks a libuv thread on the FIFO, which also blocks its exit. */
async function start(withFifo = true): Promise<{ program: InspectedProgram; port: number; clientPort: number }> {
  const program = await spawnInspected(FIXTURE, { env: withFifo ? { FIFO: fifo } : {} });
  const m = await program.waitForLine(/^READY (\d+) (\d+)$/);
  return { program, port: Number(m[1]), clientPort: Number(m[2]) };
}

/**
 * Reads a global of the program over the raw channel (a second CDP user, as js-debug would be). The
 * program answers in order, so a read sent during a snapshot waits behind its heap snapshot: the
 * timeout is generous (a loaded machine takes seconds for that).
 */
async function readGlobal(channel: WebSocketCdpChannel, expression: string): Promise<any> {
  const r = await channel.send<{ result: { value: unknown } }>('Runtime.evaluate', { expression, returnByValue: true }, 30_000);
  return r.result.value;
}

/** The fixture's interval count (a number from the program's start on). */
async function readTicks(channel: WebSocketCdpChannel): Promise<number> {
  const ticks = await readGlobal(channel, 'globalThis.__ticks');
  assert.ok(Number.isInteger(ticks), `globalThis.__ticks is ${ticks}`);
  return ticks;
}

function byLabel(snapshot: LoopSnapshot, label: string): LoopItem {
  const item = snapshot.items.find((i) => i.label === label);
  assert.ok(item, `no item "${label}" in ${snapshot.items.map((i) => i.label).join(', ')}`);
  return item;
}

function asyncFunctions(snapshot: LoopSnapshot, name: string): LoopItem[] {
  return snapshot.items.filter((i) => i.kind === 'async-function' && i.label === `async ${name}()`);
}

describe('Node inspector backend (real node --inspect programs)', { timeout: 120_000 }, () => {
  it('tier 1: servers, sockets with addresses, fs requests, timers with delay, repeat and callback line', async () => {
    const { program, port, clientPort } = await start();
    const backend = new NodeBackend(program.channel);
    try {
      const s = await backend.snapshot({ tier: 1 });
      assert.equal(s.runtime, 'node');
      assert.equal(s.runtimeVersion, process.version);
      assert.deepEqual(s.tiers, [1]);
      assert.equal(s.costs.length, 1);
      assert.equal(s.costs[0].tier, 1);
      assert.ok(s.costs[0].durationMs > 0);
      assert.equal(typeof s.costs[0].programStallMs, 'number');

      assert.deepEqual(s.resources, { FSReqCallback: 1, TCPServerWrap: 1, TCPSocketWrap: 2, PipeWrap: 1, Timeout: 4 });

      const server = byLabel(s, `TCP server 127.0.0.1:${port}`);
      assert.equal(server.kind, 'server');
      assert.equal(server.state, 'listening');
      assert.equal(byLabel(s, `TCP 127.0.0.1:${clientPort} → 127.0.0.1:${port}`).state, 'connected');
      assert.equal(byLabel(s, `TCP 127.0.0.1:${port} → 127.0.0.1:${clientPort}`).state, 'connected');
      assert.equal(byLabel(s, 'stdout (pipe)').kind, 'socket');
      const request = byLabel(s, 'fs request');
      assert.equal(request.kind, 'request');
      assert.equal(request.state, 'pending');

      const interval = byLabel(s, 'setInterval 20 ms');
      assert.equal(interval.kind, 'timer');
      assert.equal(interval.state, 'scheduled');
      assert.deepEqual({ ...interval.location, column: undefined }, { file: FIXTURE, line: line('interval'), column: undefined, function: 'tick' });
      assert.deepEqual(interval.details, { delayMs: 20, repeat: true, ref: true, callback: 'tick' });
      assert.match(interval.id, /^node:timer:\d+$/, 'timers are identified by their async id');
      const late = byLabel(s, 'setTimeout 3600000 ms');
      assert.equal(late.state, 'scheduled');
      assert.equal(late.location?.line, line('timeout'));
      assert.equal(late.location?.function, 'lateTimer');
      const unref = byLabel(s, 'setTimeout 7200000 ms');
      assert.equal(unref.state, 'unref');
      assert.equal(unref.location?.line, line('unref-timer'));
      for (const label of ['setTimeout 1000001 ms', 'setTimeout 1000002 ms']) {
        const sleep = byLabel(s, label);
        assert.equal(sleep.location, undefined, 'a promise resolve function has no source');
        assert.equal(sleep.details?.callback, '(native: resolves a promise or similar)');
      }
      assert.deepEqual(s.counts, { server: 1, socket: 3, request: 1, timer: 5 });
      assert.ok(!s.items.some((i) => i.kind === 'async-function'), 'tier 1 reads no heap snapshot');

      // The second snapshot reports loop health measured in between.
      await new Promise((r) => setTimeout(r, 150));
      const s2 = await backend.snapshot({ tier: 1 });
      assert.ok(s2.health && typeof s2.health.utilization === 'number' && s2.health.utilization >= 0 && s2.health.utilization <= 1, JSON.stringify(s2.health));
      assert.ok(typeof s2.health.delayMaxMs === 'number' && s2.health.delayMaxMs >= 0);
      assert.deepEqual(s2.items.map((i) => i.id).sort(), s.items.map((i) => i.id).sort(), 'ids are stable across snapshots');
    } finally {
      backend.dispose();
      await program.stop();
    }
  });

  it('tier 2: every suspended async function at its exact await line, with the awaiter graph through Promise.all', async () => {
    const { program } = await start();
    const backend = new NodeBackend(program.channel);
    try {
      const s = await backend.snapshot({ tier: 2 });
      assert.deepEqual(s.tiers, [1, 2]);
      assert.deepEqual(s.costs.map((c) => c.tier), [1, 2]);
      assert.ok(s.costs.every((c) => c.durationMs > 0 && typeof c.programStallMs === 'number'));
      assert.equal(s.counts['async-function'], 4);
      // main, loadUser, 2 × fetchRow outer promises, 2 sleeps, the Promise.all.
      assert.equal(s.counts.promise, 7);

      const [main] = asyncFunctions(s, 'main');
      const [loadUser] = asyncFunctions(s, 'loadUser');
      const fetchRows = asyncFunctions(s, 'fetchRow');
      assert.ok(main && loadUser);
      assert.equal(fetchRows.length, 2);
      const at = (item: LoopItem) => ({ file: item.location?.file, line: item.location?.line, function: item.location?.function, state: item.state });
      assert.deepEqual(at(main), { file: FIXTURE, line: line('await-all'), function: 'main', state: 'awaiting' });
      assert.deepEqual(at(loadUser), { file: FIXTURE, line: line('await-fetchRow'), function: 'loadUser', state: 'awaiting' });
      for (const f of fetchRows) assert.deepEqual(at(f), { file: FIXTURE, line: line('await-sleep'), function: 'fetchRow', state: 'awaiting' });

      // Who awaits whom: main ← Promise.all [loadUser, fetchRow(2)]; loadUser ← fetchRow(1).
      const inner = fetchRows.find((f) => f.awaitedBy?.[0] === loadUser.id)!;
      const direct = fetchRows.find((f) => f.awaitedBy?.[0] === main.id)!;
      assert.ok(inner && direct && inner !== direct);
      assert.deepEqual([...main.awaits!].sort(), [loadUser.id, direct.id].sort());
      assert.equal(main.waitsOn, 'Promise.all [2]: loadUser(), fetchRow()');
      assert.deepEqual(main.awaitedBy, []);
      assert.deepEqual(loadUser.awaits, [inner.id]);
      assert.deepEqual(loadUser.awaitedBy, [main.id]);
      assert.equal(loadUser.waitsOn, 'fetchRow()');
      assert.deepEqual(inner.stack?.map((f) => `${f.function}:${f.line}`), [`fetchRow:${line('await-sleep')}`, `loadUser:${line('await-fetchRow')}`, `main:${line('await-all')}`]);
      assert.equal(inner.details?.definedAt, `${FIXTURE}:${line('await-sleep') - 1}`);

      // The leaves: the sleeps' promises, resolved by a timer.
      for (const f of fetchRows) {
        assert.equal(f.waitsOn, 'a promise (setTimeout)');
        assert.equal(f.awaits?.length, 1);
        const leaf = s.items.find((i) => i.id === f.awaits![0])!;
        assert.deepEqual({ kind: leaf.kind, state: leaf.state, waitsOn: leaf.waitsOn, awaitedBy: leaf.awaitedBy }, { kind: 'promise', state: 'pending', waitsOn: 'setTimeout', awaitedBy: [f.id] });
        assert.deepEqual(leaf.location, f.location, 'a pending promise is located where it is awaited');
      }
      assert.deepEqual(s.warnings, []);
    } finally {
      backend.dispose();
      await program.stop();
    }
  });

  it('never pauses the program: its interval keeps ticking during and after a tier-2 snapshot', async () => {
    const { program } = await start();
    const backend = new NodeBackend(program.channel);
    try {
      // Read the count over and over while the snapshot runs. The program answers in order, so a read
      // answered before the snapshot settled was evaluated while it was under way; `started` says the
      // snapshot's first evaluation (which creates the backend's state) came before it. A paused program
      // shows one count in every such read; a running one ticks between them (how often depends on the
      // load, so at least once is all that is asked: pausing gives exactly none).
      const sample = `({ ticks: globalThis.__ticks, started: typeof globalThis[Symbol.for('asyncwise.inspector')] === 'object' })`;
      const snapshotting = backend.snapshot({ tier: 2 });
      let settled = false;
      snapshotting.then(() => (settled = true), () => (settled = true));
      const during: number[] = [];
      while (!settled) {
        const read: { ticks: number; started: boolean } = await readGlobal(program.channel, sample);
        if (settled) break;
        if (read.started) during.push(read.ticks);
        await new Promise((r) => setTimeout(r, 20));
      }
      await snapshotting;
      assert.ok(during.length >= 2, `too few reads during the snapshot to tell: ${during}`);
      assert.ok(during.every(Number.isInteger) && Math.max(...during) > during[0], `ticks in ${during.length} reads during the snapshot: ${during.slice(0, 20).join(' ')}${during.length > 20 ? ` … ${during.at(-1)}` : ''}`);
      // The interval keeps running after the snapshot (on a loaded machine a 20 ms interval may be late, never stopped).
      const rightAfter = await readTicks(program.channel);
      await waitFor(async () => (await readTicks(program.channel)) >= rightAfter + 3, 'the interval ticks after the snapshot');
      const later = await readTicks(program.channel);
      // Nothing of ours is left behind but the observers, and dispose takes those back.
      assert.equal(await readGlobal(program.channel, `typeof globalThis[Symbol.for('asyncwise.inspector')]`), 'object');
      backend.dispose();
      const second = await WebSocketCdpChannel.connect(program.url);
      try {
        await waitFor(async () => (await readGlobal(second, `typeof globalThis[Symbol.for('asyncwise.inspector')]`)) === 'undefined', 'dispose removes the observers');
        await waitFor(async () => (await readTicks(second)) > later + 2, 'the interval ticks after dispose');
      } finally {
        second.close();
      }
    } finally {
      backend.dispose();
      await program.stop();
    }
  });

  it('a program that exits mid-snapshot gives a clear rejection, not a hang; later snapshots reject at once', async () => {
    const { program } = await start(false);
    const backend = new NodeBackend(program.channel);
    try {
      // The program exits on its own a moment after the snapshot starts.
      await readGlobal(program.channel, 'setTimeout(() => process.exit(0), 30), 1');
      const started = Date.now();
      await assert.rejects(backend.snapshot({ tier: 2 }), (e: Error) => {
        assert.ok(e instanceof SessionEndedError, `${e.name}: ${e.message}`);
        assert.match(e.message, /^The debug session ended/);
        return true;
      });
      assert.ok(Date.now() - started < 15_000, 'no hang');
      await assert.rejects(backend.snapshot({ tier: 1 }), SessionEndedError);
      // The backend let go of the connection, so the program is not kept "waiting for the debugger to disconnect".
      await waitFor(async () => program.child.exitCode !== null, 'the program exits');
      assert.equal(program.child.exitCode, 0);
    } finally {
      backend.dispose();
      await program.stop();
    }
  });

  it('a program killed during the heap snapshot gives a clear rejection, not a hang', async () => {
    const { program } = await start();
    const backend = new NodeBackend(program.channel);
    try {
      // Killed as the heap snapshot arrives (a fixed delay could land before it, or after the snapshot on a fast machine).
      const chunk = program.channel.on('HeapProfiler.addHeapSnapshotChunk', () => {
        chunk.dispose();
        program.child.kill('SIGKILL');
      });
      const snapshot = backend.snapshot({ tier: 2 });
      const started = Date.now();
      await assert.rejects(snapshot, (e: Error) => e instanceof SessionEndedError && /^The debug session ended during the snapshot/.test(e.message));
      assert.ok(Date.now() - started < 15_000, 'no hang');
    } finally {
      backend.dispose();
      await program.stop();
    }
  });

  it('a program paused at a breakpoint (by another debugger client) is inspected in place and never resumed by us', async () => {
    const { program } = await start();
    // The other client plays js-debug: it owns the Debugger domain and the pause.
    const debuggerClient = await WebSocketCdpChannel.connect(program.url);
    let paused = false;
    debuggerClient.on('Debugger.paused', () => (paused = true));
    debuggerClient.on('Debugger.resumed', () => (paused = false));
    const backend = new NodeBackend(program.channel, { isPaused: () => paused });
    const unaware = new NodeBackend(program.channel); // a backend not told about the pause
    try {
      await debuggerClient.send('Debugger.enable');
      await debuggerClient.send('Debugger.pause');
      await waitFor(async () => paused, 'the program pauses');
      const ticksPaused = await readTicks(program.channel);
      const s = await backend.snapshot({ tier: 2 });
      assert.equal(s.whilePaused, true);
      assert.ok(s.costs.every((c) => c.programStallMs === undefined), 'no stall to measure while paused');
      assert.equal(asyncFunctions(s, 'main')[0]?.location?.line, line('await-all'));
      const t1 = await unaware.snapshot({ tier: 1 });
      assert.equal(t1.costs[0].programStallMs, undefined, 'the stall probe gives up instead of failing the snapshot');
      assert.ok(paused, 'still paused: the backend never resumes the program');
      assert.equal(await readTicks(program.channel), ticksPaused);
      await debuggerClient.send('Debugger.resume');
      await waitFor(async () => (await readTicks(program.channel)) > ticksPaused + 2, 'the interval ticks after the resume');
    } finally {
      await debuggerClient.send('Debugger.resume').catch(() => {});
      debuggerClient.close();
      unaware.dispose();
      backend.dispose();
      await program.stop();
    }
  });

  it('a cancelled snapshot rejects as cancelled and leaves the backend usable', async () => {
    const { program } = await start();
    const backend = new NodeBackend(program.channel);
    try {
      const controller = new AbortController();
      const snapshot = backend.snapshot({ tier: 2, signal: controller.signal });
      // Cancelled while the snapshot is under way in the program (its stall probe runs), however loaded the machine.
      await waitFor(async () => (await readGlobal(program.channel, `typeof globalThis[Symbol.for('asyncwise.inspector')]?.stall`)) === 'object', 'the snapshot starts its stall probe', 30_000, 5);
      controller.abort();
      await assert.rejects(snapshot, /The snapshot was cancelled/);
      assert.equal(await readGlobal(program.channel, `typeof globalThis[Symbol.for('asyncwise.inspector')].stall`), 'undefined', 'the 1 ms stall probe stopped with the snapshot');
      const s = await backend.snapshot({ tier: 1 });
      assert.ok(s.items.some((i) => i.label === 'setInterval 20 ms'));
      const ticks = await readTicks(program.channel);
      await waitFor(async () => (await readTicks(program.channel)) > ticks + 2, 'the interval ticks after the cancelled snapshot');
    } finally {
      backend.dispose();
      await program.stop();
    }
  });

  it('opt-in creation stacks: an async function called after attach shows where it was called', async () => {
    const { program } = await start();
    const backend = new NodeBackend(program.channel, { creationStacks: true });
    try {
      await backend.snapshot({ tier: 1 }); // the hook is installed by now
      assert.equal(await readGlobal(program.channel, 'startLater()'), true);
      const s = await backend.snapshot({ tier: 2 });
      const [later] = asyncFunctions(s, 'later');
      assert.ok(later, 'later() is suspended');
      assert.equal(later.location?.line, line('await-later'));
      const created = String(later.details?.createdAt ?? '');
      assert.match(created, new RegExp(`startLater \\(${escape(FIXTURE)}:${line('call-later')}:\\d+\\)`));
      // The promise later() awaits was created in sleep().
      const leaf = s.items.find((i) => i.id === later.awaits?.[0]);
      assert.match(String(leaf?.details?.createdAt ?? ''), new RegExp(`sleep \\(${escape(FIXTURE)}:${line('sleep-timer')}:\\d+\\)`));
      // Functions started before attach have no creation stack.
      assert.equal(asyncFunctions(s, 'main')[0].details?.createdAt, undefined);
    } finally {
      backend.dispose();
      await program.stop();
    }
  });

  it('Node has no task to cancel: cancel rejects with a clear message', async () => {
    const { program } = await start();
    const backend = new NodeBackend(program.channel);
    try {
      await assert.rejects(backend.cancel(), /cannot be cancelled/);
    } finally {
      backend.dispose();
      await program.stop();
    }
  });
});

/**
 * Waits for observable progress. The deadline only bounds a failure: it is generous, because a loaded
 * machine (other builds and suites on 2 cores) may be many times slower than an idle one.
 */
async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
