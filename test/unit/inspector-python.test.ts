/**
 * The Python loop inspector backend against real programs under Debian's debugpy: task names,
 * states, exact await lines, who-awaits-whom, cancel and ignored cancellation, the no-pause and the
 * pause paths, a breakpoint stop, and sessions that end mid-snapshot.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LoopItem, LoopSnapshot } from '../../src/inspector/model';
import { PythonBackend } from '../../src/inspector/python/backend';
import { debianDebugpyPath, startDebugpy, type DebugpyProgram } from '../../src/inspector/python/debugpyProcess';
import { repoRoot } from './helpers';

const FIXTURES = path.join(repoRoot(), 'test/fixtures/inspector/python');
const TASKS = path.join(FIXTURES, 'tasks.py');
const PYTHON = '/usr/bin/python3';
const hasDebugpy = fs.existsSync(PYTHON) && (() => {
  try {
    require('node:child_process').execFileSync(PYTHON, ['-c', 'import debugpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const NO_DEBUGPY = 'Debian python3-debugpy is not installed (apt-get install python3-debugpy; npm test installs it as root)';

/** Where pyenv keeps its interpreters: $PYENV_ROOT, as pyenv itself reads it, else ~/.pyenv. */
function pyenvVersions(): string {
  return path.join(process.env.PYENV_ROOT || path.join(os.homedir(), '.pyenv'), 'versions');
}

/**
 * Other interpreters to run the fixture under, with Debian's debugpy on PYTHONPATH: pyenv's 3.8+
 * (Debian's 3.11 is the main suite) by default, which this kind of machine ships;
 * `ASYNCWISE_TEST_PYTHONS` may name interpreter paths instead, separated by the platform's delimiter.
 */
function otherPythons(): string[] {
  const wanted = process.env.ASYNCWISE_TEST_PYTHONS ?? 'pyenv';
  if (wanted !== 'pyenv') return wanted.split(path.delimiter).filter(Boolean);
  const root = pyenvVersions();
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root)
    .filter((v) => /^3\.\d+\.\d+$/.test(v) && Number(v.split('.')[1]) >= 8 && !v.startsWith('3.11.'))
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
    .map((v) => path.join(root, v, 'bin', 'python3'))
    .filter((p) => fs.existsSync(p));
}

/** Why the other-Pythons suite cannot run, naming what is missing and where it looked; false when it can. */
function otherPythonsSkip(): string | false {
  if (!hasDebugpy) return NO_DEBUGPY;
  if (otherPythons().length) return false;
  return process.env.ASYNCWISE_TEST_PYTHONS
    ? `ASYNCWISE_TEST_PYTHONS names no interpreter (${process.env.ASYNCWISE_TEST_PYTHONS})`
    : `no Python 3.8+ other than 3.11 in ${pyenvVersions()} (install one with pyenv, or name interpreters in ASYNCWISE_TEST_PYTHONS)`;
}

/** 1-based line of the `# L:<name>` marker in a fixture. */
function line(file: string, name: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((l) => l.trimEnd().endsWith(`# L:${name}`));
  assert.ok(index >= 0, `marker L:${name} in ${file}`);
  return index + 1;
}

function byLabel(snapshot: LoopSnapshot, label: string): LoopItem {
  const item = snapshot.items.find((i) => i.label === label);
  assert.ok(item, `task ${label} in ${snapshot.items.map((i) => i.label).join(', ')}`);
  return item;
}

function byId(snapshot: LoopSnapshot, id: string): LoopItem {
  const item = snapshot.items.find((i) => i.id === id);
  assert.ok(item, `item ${id}`);
  return item;
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitForOutput(program: DebugpyProgram, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!program.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`program never printed ${text}: ${program.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The facts every snapshot of tasks.py must show, running or paused. */
function assertTasksFixture(snapshot: LoopSnapshot): void {
  const at = (name: string) => line(TASKS, name);
  assert.equal(snapshot.runtime, 'python');
  assert.match(snapshot.runtimeVersion ?? '', /^3\.\d+\.\d+$/);
  // 8 named tasks, the main task, `kid`, and gather's two children.
  assert.equal(snapshot.counts.task, 12);
  assert.equal(snapshot.items.length, 12);
  for (const item of snapshot.items) {
    assert.equal(item.kind, 'task');
    assert.match(item.id, /^task:0x[0-9a-f]+$/);
    assert.equal(item.cancellable, true);
    assert.equal(item.location?.file, TASKS, `${item.label} is located in user code`);
    assert.ok(item.stack && item.stack.length >= 1, `${item.label} has an await stack`);
  }

  const sleeper = byLabel(snapshot, 'sleeper');
  assert.equal(sleeper.state, 'pending');
  assert.deepEqual(sleeper.location, { file: TASKS, line: at('sleeper'), function: 'sleeper' });
  assert.match(sleeper.waitsOn ?? '', /^asyncio\.sleep \(\d+\.\d s left\)$/);
  assert.equal(sleeper.stack?.[0].function, 'sleep', 'innermost frame is asyncio.sleep');
  assert.deepEqual(sleeper.stack?.[1], { file: TASKS, line: at('sleeper'), function: 'sleeper' });
  assert.equal(sleeper.details?.coroutine, 'sleeper');

  assert.equal(byLabel(snapshot, 'consumer').waitsOn, 'Queue.get');
  assert.equal(byLabel(snapshot, 'consumer').location?.line, at('consumer'));
  assert.equal(byLabel(snapshot, 'waiter').waitsOn, 'Event.wait');
  assert.equal(byLabel(snapshot, 'waiter').location?.line, at('waiter'));
  const locker = byLabel(snapshot, 'locker');
  assert.equal(locker.waitsOn, 'Lock.acquire');
  assert.equal(locker.location?.line, at('locker'));
  assert.deepEqual(locker.stack?.map((f) => f.function), ['Lock.acquire', '_ContextManagerMixin.__aenter__', 'locker']);

  // parent awaits the task `kid`.
  const parent = byLabel(snapshot, 'parent');
  const kid = byLabel(snapshot, 'kid');
  assert.equal(parent.location?.line, at('parent'));
  assert.equal(parent.waitsOn, 'task "kid"');
  assert.deepEqual(parent.awaits, [kid.id]);
  assert.deepEqual(kid.awaitedBy, [parent.id]);
  assert.equal(kid.location?.line, at('child'));

  // gatherer awaits gather's two children.
  const gatherer = byLabel(snapshot, 'gatherer');
  assert.equal(gatherer.location?.line, at('gatherer'));
  assert.equal(gatherer.waitsOn, 'gather (2 of 2 pending)');
  assert.equal(gatherer.awaits?.length, 2);
  for (const id of gatherer.awaits ?? []) {
    const child = byId(snapshot, id);
    assert.equal(child.details?.coroutine, 'child');
    assert.equal(child.location?.line, at('child'));
    assert.deepEqual(child.awaitedBy, [gatherer.id]);
  }
  assert.equal(sleeper.awaitedBy, undefined, 'nobody awaits a top-level task');
}

describe('python inspector backend (real debugpy)', { skip: hasDebugpy ? false : NO_DEBUGPY }, () => {
  let program: DebugpyProgram;
  let backend: PythonBackend;
  const events: string[] = [];

  before(async () => {
    program = await startDebugpy(TASKS, { python: PYTHON });
    program.channel.onEvent((event) => { if (event === 'stopped' || event === 'continued') events.push(event); });
    await waitForOutput(program, 'READY');
    backend = new PythonBackend(program.channel, { ignoreCancelAfterMs: 600, timeoutMs: 8000 });
  });

  after(async () => {
    backend?.dispose();
    await program?.dispose();
  });

  it('tier 1 (no pause): every task with name, state, exact line, what it awaits and who awaits it', async () => {
    const snapshot = await backend.snapshot({ tier: 1 });
    assertTasksFixture(snapshot);
    assert.equal(snapshot.whilePaused, false);
    assert.deepEqual(snapshot.tiers, [1]);
    assert.equal(snapshot.costs[0].tier, 1);
    assert.ok(snapshot.costs[0].programStallMs !== undefined && snapshot.costs[0].programStallMs < 1000);
    assert.deepEqual(events, [], 'the no-pause path never stops the program');
    const main = snapshot.items.find((i) => i.location?.line === line(TASKS, 'main'));
    assert.ok(main, 'the main task sleeps in its heartbeat loop');
    assert.equal(main.details?.coroutine, 'main');
  });

  it('tier 2 (pause): the same tasks, then the program runs on, and the snapshot does not claim it is paused', async () => {
    const snapshot = await backend.snapshot({ tier: 2 });
    assertTasksFixture(snapshot);
    // Paused only to read, resumed before the snapshot returned: the panel must not say "program
    // paused", nor "running now" of the task the pause happened to catch mid-step.
    assert.equal(snapshot.whilePaused, false);
    assert.ok(snapshot.costs[0].programStallMs !== undefined, 'the stall is reported as a cost');
    for (const item of snapshot.items) {
      assert.notEqual(item.waitsOn, 'running now', item.label);
      if (item.state === 'running') assert.equal(item.waitsOn, 'was running when the deep snapshot paused the program', item.label);
    }
    await waitUntil(() => events.length >= 2, 'the continued event');
    assert.deepEqual(events, ['stopped', 'continued'], 'paused once and resumed');
    // Only a running loop answers a tier 1 snapshot.
    const after = await backend.snapshot({ tier: 1 });
    assert.equal(after.whilePaused, false);
    assert.equal(after.counts.task, 12);
    events.length = 0;
  });

  it('at a breakpoint: reads in place, shows the running task at the stopped line, leaves the program stopped', async () => {
    const tick = line(TASKS, 'tick');
    const stopped = program.channel.waitForEvent('stopped', 10_000);
    await program.channel.request('setBreakpoints', { source: { path: TASKS }, breakpoints: [{ line: tick }] });
    const stop = await stopped;
    assert.equal(stop.reason, 'breakpoint');
    try {
      const snapshot = await backend.snapshot({ tier: 1 });
      assert.equal(snapshot.whilePaused, true);
      assert.equal(snapshot.counts.task, 12);
      const main = snapshot.items.find((i) => i.details?.coroutine === 'main');
      assert.equal(main?.state, 'running');
      assert.equal(main?.waitsOn, 'running (the program is stopped here)');
      assert.equal(main?.location?.line, tick);
      assert.equal(byLabel(snapshot, 'sleeper').location?.line, line(TASKS, 'sleeper'));
      // A backend created while the program is already stopped is told so.
      const late = new PythonBackend(program.channel, { stoppedThreadId: stop.threadId, timeoutMs: 8000 });
      try {
        const atStop = await late.snapshot({ tier: 1 });
        assert.equal(atStop.whilePaused, true);
        assert.equal(atStop.items.find((i) => i.details?.coroutine === 'main')?.location?.line, tick);
      } finally {
        late.dispose();
      }
      // The user's stop is theirs: the backend did not resume it.
      const trace = await program.channel.request('stackTrace', { threadId: stop.threadId, levels: 1 });
      assert.equal(trace.stackFrames[0].line, tick);
    } finally {
      await program.channel.request('setBreakpoints', { source: { path: TASKS }, breakpoints: [] });
      await program.channel.request('continue', { threadId: stop.threadId });
    }
    const running = await backend.snapshot({ tier: 1 });
    assert.equal(running.whilePaused, false);
    events.length = 0;
  });

  it('cancel: a polite task ends; a task that swallows it shows cancelling and, later, ignoringCancellation at its handler', async () => {
    const before = await backend.snapshot({ tier: 1 });
    await backend.cancel(byLabel(before, 'polite').id, 'inspector test');
    await backend.cancel(byLabel(before, 'stubborn').id);
    await new Promise((r) => setTimeout(r, 100));
    const soon = await backend.snapshot({ tier: 1 });
    assert.equal(soon.items.find((i) => i.label === 'polite'), undefined, 'polite finished');
    assert.equal(soon.counts.task, 11);
    const stubborn = byLabel(soon, 'stubborn');
    assert.equal(stubborn.cancelling, 1);
    assert.equal(stubborn.state, 'cancelling');
    assert.equal(stubborn.ignoringCancellation, undefined, 'not yet: it may still be cleaning up');
    assert.equal(stubborn.location?.line, line(TASKS, 'stubborn'), 'back at its await after swallowing');

    await new Promise((r) => setTimeout(r, 700));
    const later = await backend.snapshot({ tier: 1 });
    const ignoring = byLabel(later, 'stubborn');
    assert.equal(ignoring.ignoringCancellation, true);
    assert.equal(ignoring.cancelling, 1);
    assert.deepEqual(ignoring.cancellationSwallowedAt, { file: TASKS, line: line(TASKS, 'stubborn-handler'), column: 9, function: 'stubborn' });
    assert.equal(byLabel(later, 'sleeper').ignoringCancellation, undefined);
    assert.equal(byLabel(later, 'sleeper').cancellationSwallowedAt, undefined);

    await assert.rejects(backend.cancel(byLabel(before, 'polite').id), /no such task|already finished/);
    assert.deepEqual(events, [], 'cancelling never paused the program');
  });
});

describe('python inspector backend: sessions that end', { skip: hasDebugpy ? false : NO_DEBUGPY }, () => {
  it('a program that exits mid-snapshot rejects clearly, well before the timeout', async () => {
    const program = await startDebugpy(path.join(FIXTURES, 'exits.py'), { python: PYTHON });
    const backend = new PythonBackend(program.channel, { timeoutMs: 20_000 });
    try {
      await waitForOutput(program, 'BLOCKING');
      const started = Date.now();
      await assert.rejects(backend.snapshot({ tier: 1 }), /python inspector: the (debugged program (exited|terminated)|debug session ended)/);
      assert.ok(Date.now() - started < 10_000, 'rejected on exit, not on timeout');
      await assert.rejects(backend.snapshot({ tier: 1 }), /python inspector: /, 'later snapshots reject at once');
    } finally {
      backend.dispose();
      await program.dispose();
    }
  });

  it('dispose mid-snapshot and an abort signal reject clearly', async () => {
    const program = await startDebugpy(path.join(FIXTURES, 'exits.py'), { python: PYTHON });
    try {
      await waitForOutput(program, 'BLOCKING');
      const aborting = new PythonBackend(program.channel, { timeoutMs: 20_000 });
      const controller = new AbortController();
      const aborted = aborting.snapshot({ tier: 1, signal: controller.signal });
      setTimeout(() => controller.abort(new Error('panel closed')), 100);
      await assert.rejects(aborted, /panel closed/);
      aborting.dispose();
      const backend = new PythonBackend(program.channel, { timeoutMs: 20_000 });
      const pending = backend.snapshot({ tier: 1 });
      setTimeout(() => backend.dispose(), 100);
      await assert.rejects(pending, /python inspector: the inspector was closed/);
    } finally {
      await program.dispose();
    }
  });
});

describe('python inspector backend: a program that imports asyncio late', { skip: hasDebugpy ? false : NO_DEBUGPY }, () => {
  it('a snapshot before the program imports asyncio neither imports it nor breaks the later import', async () => {
    const late = path.join(FIXTURES, 'late_asyncio.py');
    const program = await startDebugpy(late, { python: PYTHON });
    const backend = new PythonBackend(program.channel, { timeoutMs: 8000 });
    try {
      await waitForOutput(program, 'NO_LOOP_YET');
      const early = await backend.snapshot({ tier: 1 });
      assert.equal(early.items.length, 0);
      assert.ok(early.warnings.includes('No asyncio event loop is running in the program.'), early.warnings.join('; '));
      await waitForOutput(program, 'READY');
      assert.match(program.output(), /asyncio not imported yet/, 'the snapshot imported asyncio into the program');
      const later = await backend.snapshot({ tier: 1 });
      assert.equal(byLabel(later, 'late-main').location?.line, line(late, 'late'));
    } finally {
      backend.dispose();
      await program.dispose();
    }
  });
});

describe('python inspector backend: a program that prints all the time', { skip: hasDebugpy ? false : NO_DEBUGPY }, () => {
  it('alternating pause and no-pause snapshots leave its stdout alone and never crash it', async () => {
    const chatty = path.join(FIXTURES, 'chatty.py');
    const program = await startDebugpy(chatty, { python: PYTHON });
    const backend = new PythonBackend(program.channel, { timeoutMs: 8000 });
    let captured = '';
    program.channel.onEvent((event, body) => {
      if (event === 'output' && body.category !== 'telemetry' && /^(task|thread) \d+$/m.test(body.output)) captured += body.output;
    });
    try {
      await waitForOutput(program, 'CHATTY');
      for (let round = 0; round < 12; round++) {
        const snapshot = await backend.snapshot({ tier: round % 2 === 0 ? 2 : 1 });
        assert.ok(snapshot.items.some((i) => i.label === 'idle'), `round ${round}`);
      }
      const printedBefore = (program.output().match(/^task \d+$/gm) ?? []).length;
      await new Promise((r) => setTimeout(r, 300));
      const printedAfter = (program.output().match(/^task \d+$/gm) ?? []).length;
      assert.ok(printedAfter > printedBefore, 'still printing to its own stdout');
      assert.equal(program.process.exitCode, null);
      assert.equal(program.process.signalCode, null);
      assert.doesNotMatch(program.output(), /Traceback|RecursionError/);
      assert.equal(captured.slice(0, 200), '', 'no print of the program was diverted into the debugger while we evaluated');
    } finally {
      backend.dispose();
      await program.dispose();
    }
  });
});

describe('python inspector backend: a loop that does not come back', { skip: hasDebugpy ? false : NO_DEBUGPY }, () => {
  it('busy in Python: tier 1 gives up clearly; tier 2 pauses it, shows the running task at its line, and resumes it', async () => {
    const busy = path.join(FIXTURES, 'busy.py');
    const program = await startDebugpy(busy, { python: PYTHON });
    const backend = new PythonBackend(program.channel, { timeoutMs: 2500 });
    const events: string[] = [];
    program.channel.onEvent((event) => { if (event === 'stopped' || event === 'continued') events.push(event); });
    try {
      await waitForOutput(program, 'SPINNING');
      await assert.rejects(backend.snapshot({ tier: 1 }), /the event loop did not run the snapshot within \d+ ms: it is blocked by synchronous code or busy/);
      const snapshot = await backend.snapshot({ tier: 2 });
      assert.equal(snapshot.whilePaused, false, 'resumed: the program runs (and spins) on');
      const main = snapshot.items.find((i) => i.details?.coroutine === 'main');
      assert.equal(main?.state, 'running');
      assert.equal(main?.waitsOn, 'was running when the deep snapshot paused the program');
      assert.equal(main?.location?.line, line(busy, 'spin'));
      assert.equal(byLabel(snapshot, 'idle').location?.line, line(busy, 'idle'));
      await waitUntil(() => events.length >= 2, 'the continued event');
      assert.deepEqual(events, ['stopped', 'continued']);
    } finally {
      backend.dispose();
      await program.dispose();
    }
  });

  it('blocked in C: tier 2 gives up on the pause clearly, and resumes the program when the late pause lands', async () => {
    const blocked = path.join(FIXTURES, 'blocked.py');
    const program = await startDebugpy(blocked, { python: PYTHON });
    const backend = new PythonBackend(program.channel, { timeoutMs: 800 });
    const events: string[] = [];
    program.channel.onEvent((event) => { if (event === 'stopped' || event === 'continued') events.push(event); });
    try {
      await waitForOutput(program, 'BLOCKING');
      await assert.rejects(backend.snapshot({ tier: 2 }), /python inspector: the program did not pause within 800 ms/);
      await waitForOutput(program, 'UNBLOCKED');
      await waitUntil(() => events.length >= 2, 'the late pause to be resumed', 10_000);
      assert.deepEqual(events, ['stopped', 'continued']);
      const running = await backend.snapshot({ tier: 1 });
      assert.equal(running.whilePaused, false);
      assert.equal(byLabel(running, 'idle').location?.line, line(blocked, 'idle'));
    } finally {
      backend.dispose();
      await program.dispose();
    }
  });
  it('closing the inspector while its pause waits still resumes the program when the pause lands', async () => {
    const blocked = path.join(FIXTURES, 'blocked.py');
    const program = await startDebugpy(blocked, { python: PYTHON });
    const backend = new PythonBackend(program.channel, { timeoutMs: 10_000 });
    const events: string[] = [];
    program.channel.onEvent((event) => { if (event === 'stopped' || event === 'continued') events.push(event); });
    try {
      await waitForOutput(program, 'BLOCKING');
      const pending = backend.snapshot({ tier: 2 });
      setTimeout(() => backend.dispose(), 300);
      await assert.rejects(pending, /python inspector: the inspector was closed/);
      await waitForOutput(program, 'UNBLOCKED');
      await waitUntil(() => events.length >= 2, 'the late pause to be resumed', 10_000);
      assert.deepEqual(events, ['stopped', 'continued']);
    } finally {
      await program.dispose();
    }
  });
});

describe('python inspector backend on other Pythons (feature detection, 3.8+)', { concurrency: 2, skip: otherPythonsSkip() }, () => {
  const debugpyPath = debianDebugpyPath();
  for (const python of hasDebugpy ? otherPythons() : []) {
    it(`${python}: tasks, lines and edges on both paths; cancel and ignored cancellation`, async () => {
      // Debian's debugpy under an older interpreter needs what Debian unvendored from it (on 3.8/3.9,
      // typing_extensions): say so plainly instead of timing out waiting for a debugger that died.
      const imported = spawnSync(python, ['-c', 'import debugpy.adapter, debugpy.server'], { env: { ...process.env, PYTHONPATH: debugpyPath }, encoding: 'utf8' });
      assert.equal(imported.status, 0, `Debian's debugpy does not import under ${python} (apt-get install python3-typing-extensions?):\n${imported.stderr}`);
      const program = await startDebugpy(TASKS, { python, env: { PYTHONPATH: debugpyPath }, timeoutMs: 40_000 });
      const backend = new PythonBackend(program.channel, { ignoreCancelAfterMs: 600, timeoutMs: 8000 });
      try {
        await waitForOutput(program, 'READY');
        const running = await backend.snapshot({ tier: 1 });
        assertTasksFixture(running);
        assert.equal(running.whilePaused, false);
        const minor = Number(running.runtimeVersion?.split('.')[1]);
        assert.ok(minor >= 8, running.runtimeVersion);
        assert.equal(running.warnings.some((w) => /no Task\.cancelling\(\)/.test(w)), minor < 11);
        const paused = await backend.snapshot({ tier: 2 });
        assertTasksFixture(paused);
        assert.equal(paused.whilePaused, false, 'paused only to read');

        await backend.cancel(byLabel(running, 'stubborn').id, 'inspector test');
        await new Promise((r) => setTimeout(r, 800));
        const later = await backend.snapshot({ tier: 1 });
        assert.equal(later.whilePaused, false, 'resumed after the tier 2 snapshot');
        const stubborn = byLabel(later, 'stubborn');
        assert.equal(stubborn.cancelling, minor >= 11 ? 1 : undefined);
        assert.equal(stubborn.state, 'cancelling');
        assert.equal(stubborn.ignoringCancellation, true);
        assert.equal(stubborn.cancellationSwallowedAt?.line, line(TASKS, 'stubborn-handler'));
      } finally {
        backend.dispose();
        await program.dispose();
      }
    });
  }
});
