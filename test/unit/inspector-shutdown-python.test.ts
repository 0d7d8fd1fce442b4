/**
 * The Python backend's shutdown view against real programs under Debian's debugpy that hang on
 * shutdown, one cause each: "Simulate shutdown" cancels every task as asyncio.run() does, and the
 * snapshots after it name what keeps the program alive, at the right line, with the rule that would
 * have caught it; the program is never left paused, and a program that shuts down well just exits.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { LoopSnapshot } from '../../src/inspector/model';
import { PythonBackend } from '../../src/inspector/python/backend';
import { debianDebugpyPath, launchUnderAdapter, startDebugpy, type DebugpyProgram } from '../../src/inspector/python/debugpyProcess';
import { repoRoot } from './helpers';

const FIXTURES = path.join(repoRoot(), 'test/fixtures/inspector/python');
const PYTHON = '/usr/bin/python3';
const hasDebugpy = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import debugpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const NO_DEBUGPY = 'Debian python3-debugpy is not installed (apt-get install python3-debugpy; npm test installs it as root)';
const GRACE_MS = 800;

interface Python { readonly path: string; readonly env?: NodeJS.ProcessEnv }
const DEBIAN: Python = { path: PYTHON };

/** pyenv's 3.8+ other than 3.11 (as inspector-python.test.ts picks them), with Debian's debugpy on PYTHONPATH. */
function otherPythons(): Python[] {
  const root = path.join(process.env.PYENV_ROOT || path.join(os.homedir(), '.pyenv'), 'versions');
  const debugpyPath = debianDebugpyPath();
  if (!fs.existsSync(root) || !debugpyPath) return [];
  return fs.readdirSync(root)
    .filter((v) => /^3\.\d+\.\d+$/.test(v) && Number(v.split('.')[1]) >= 8 && !v.startsWith('3.11.'))
    .map((v) => path.join(root, v, 'bin', 'python3'))
    .filter((p) => fs.existsSync(p))
    .map((p) => ({ path: p, env: { PYTHONPATH: debugpyPath } }));
}

function line(file: string, name: string): number {
  const index = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.trimEnd().endsWith(`# L:${name}`));
  assert.ok(index >= 0, `marker L:${name} in ${file}`);
  return index + 1;
}

async function waitForOutput(program: DebugpyProgram, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!program.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`program never printed ${text}: ${program.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const describeItems = (s: LoopSnapshot) => s.items.map((i) => `${i.kind} ${i.label} ${i.state}${i.blocksExit ? ' BLOCKS' : ''} @${i.location?.file}:${i.location?.line}`).join('\n');

/** Starts `file` under debugpy, simulates a shutdown, waits out the grace period, and returns the report. */
async function shutdownReport(file: string, events: string[], python: Python = DEBIAN): Promise<{ program: DebugpyProgram; backend: PythonBackend; report: LoopSnapshot; before: LoopSnapshot }> {
  const program = await startDebugpy(file, { python: python.path, env: python.env, timeoutMs: 40_000 });
  program.channel.onEvent((event) => { if (event === 'stopped' || event === 'continued') events.push(event); });
  await waitForOutput(program, 'READY');
  const backend = new PythonBackend(program.channel, { ignoreCancelAfterMs: GRACE_MS, timeoutMs: 8000 });
  const before = await backend.snapshot({ tier: 1 });
  assert.equal(before.shutdown, undefined);
  assert.ok(before.items.every((i) => i.kind === 'task' && !i.blocksExit), 'before the request nothing is marked');
  const state = await backend.shutdown();
  assert.ok(Date.now() - state.requestedAt < 5000);
  await new Promise((r) => setTimeout(r, GRACE_MS + 300));
  const report = await backend.snapshot({ tier: 1 });
  return { program, backend, report, before };
}


/** The two one-cause programs, under `python`: what the report lists, and that the program is left running, never paused. */
function hangCases(python: Python): void {
  const label = python === DEBIAN ? '' : `${python.path}: `;
    it(`${label}a swallowed cancel: the task still alive, its line, the handler that swallowed it, AW101`, async () => {
      const file = path.join(FIXTURES, 'hang_swallow.py');
      const events: string[] = [];
      const { program, backend, report, before } = await shutdownReport(file, events, python);
      try {
        assert.equal(before.counts.task, 3, describeItems(before));
        assert.match(report.shutdown?.how ?? "", /^cancelled 3 tasks, as asyncio\.run\(\) does at exit$/, describeItems(before));
        const blockers = report.items.filter((i) => i.blocksExit);
        assert.deepEqual(blockers.map((i) => i.label), ['poller'], describeItems(report));
        const poller = blockers[0]!;
        assert.equal(poller.ignoringCancellation, true);
        assert.equal(poller.rule, 'AW101');
        assert.equal(poller.location?.file, file);
        assert.equal(poller.location?.line, line(file, 'poll'));
        assert.deepEqual(poller.cancellationSwallowedAt && { file: poller.cancellationSwallowedAt.file, line: poller.cancellationSwallowedAt.line }, { file, line: line(file, 'swallow') });
        // ticker ended; main ended too (its cancellation propagated): only poller is left, and no thread.
        assert.ok(!report.items.some((i) => i.label === 'ticker'), describeItems(report));
        assert.equal(report.counts.thread, 0);
        assert.ok(program.process.exitCode === null, 'the program still runs (it hangs, as it would in production)');
        assert.deepEqual(events, [], 'never paused');
      } finally {
        backend.dispose();
        await program.dispose();
      }
    });

    it(`${label}a thread in an endless loop: the executor worker and the non-daemon thread with their stacks, AW305; the tasks are gone`, async () => {
      const file = path.join(FIXTURES, 'hang_thread.py');
      const events: string[] = [];
      const { program, backend, report } = await shutdownReport(file, events, python);
      try {
        assert.match(report.shutdown?.how ?? '', /^cancelled 1 task,/, 'main: the executor job is a future, not a task');
        const blockers = report.items.filter((i) => i.blocksExit);
        assert.ok(blockers.every((i) => i.kind === 'thread' && i.rule === 'AW305'), describeItems(report));
        const worker = blockers.find((i) => i.location?.line === line(file, 'watch'));
        assert.ok(worker, `a worker at watch(): ${describeItems(report)}`);
        assert.match(worker.label, /^(asyncio_\d+|ThreadPoolExecutor-\d+_\d+)$/);
        assert.equal(worker.location?.function, 'watch');
        assert.equal(worker.details?.executorWorker, true);
        assert.ok(worker.stack!.length >= 3, 'the whole stack, innermost first');
        assert.equal(worker.stack![0]!.line, line(file, 'watch'));
        const sampler = blockers.find((i) => i.label === 'sampler');
        assert.ok(sampler, describeItems(report));
        assert.equal(sampler.location?.line, line(file, 'sample'));
        assert.equal(sampler.details?.daemon, false);
        assert.equal(blockers.length, 2, describeItems(report));
        assert.ok(!report.items.some((i) => i.kind === 'task' && i.blocksExit), 'the tasks all ended');
        assert.ok(program.process.exitCode === null, 'the program still runs');
        assert.deepEqual(events, [], 'never paused');
      } finally {
        backend.dispose();
        await program.dispose();
      }
    });
}

describe('python shutdown view (real debugpy, programs that hang on shutdown)', { skip: hasDebugpy ? false : NO_DEBUGPY }, () => {
  hangCases(DEBIAN);

  it("the editor's Stop (DAP terminate, onTerminate KeyboardInterrupt) on the demo service: both causes reported; the second Stop kills it", async () => {
    const file = path.join(repoRoot(), 'demo', 'python', 'inspector', 'service.py');
    const source = fs.readFileSync(file, 'utf8').split('\n');
    const lineOf = (snippet: string) => source.findIndex((l) => l.includes(snippet)) + 1;
    const program = await launchUnderAdapter(file, { python: PYTHON, launch: { onTerminate: 'KeyboardInterrupt' } });
    const backend = new PythonBackend(program.channel, { ignoreCancelAfterMs: GRACE_MS, timeoutMs: 8000 });
    const stops: string[] = [];
    program.channel.onEvent((event) => { if (event === 'stopped') stops.push(event); });
    try {
      const deadline = Date.now() + 15_000;
      while (!program.output().includes('ingest service running')) {
        assert.ok(Date.now() < deadline, `the demo never started: ${program.output().slice(-1000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal((await backend.snapshot({ tier: 1 })).counts.task, 6);
      const requestedAt = Date.now();
      await program.channel.request('terminate', {}); // what the Stop button sends first
      backend.markShutdown({ requestedAt, how: 'Stop pressed' });
      await new Promise((r) => setTimeout(r, GRACE_MS + 500));
      const report = await backend.snapshot({ tier: 1 });
      const blockers = report.items.filter((i) => i.blocksExit);
      assert.deepEqual(blockers.map((i) => `${i.kind} ${i.rule} ${i.location?.line}`).sort(), [
        `task AW101 ${lineOf('await asyncio.sleep(5)')}`,
        `thread AW305 ${lineOf('time.sleep(0.5)')}`,
      ], describeItems(report));
      assert.equal(blockers.find((i) => i.kind === 'task')?.cancellationSwallowedAt?.line, lineOf('except asyncio.CancelledError:'));
      assert.deepEqual(stops, [], 'never paused');
      await program.channel.request('disconnect', { terminateDebuggee: true }); // the second Stop
      const code = await Promise.race([program.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
      assert.notEqual(code, 'still running');
    } finally {
      backend.dispose();
      await program.dispose();
    }
  });

  it('a program that handles cancellation exits after the request: no report, no crash', async () => {
    const file = path.join(FIXTURES, 'clean_exit.py');
    const program = await startDebugpy(file, { python: PYTHON });
    const backend = new PythonBackend(program.channel, { ignoreCancelAfterMs: GRACE_MS, timeoutMs: 8000 });
    try {
      await waitForOutput(program, 'READY');
      // As the editor sets it by default: stop on uncaught exceptions. The CancelledError that
      // asyncio.run() raises once its main task is cancelled must not leave the program stopped.
      await program.channel.request('setExceptionBreakpoints', { filters: ['uncaught'] });
      const stops: string[] = [];
      program.channel.onEvent((event, body) => { if (event === 'stopped') stops.push(body?.reason); });
      await backend.shutdown();
      const code = await Promise.race([program.exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
      assert.notEqual(code, 'still running', program.output().slice(-2000));
      assert.match(program.output(), /ticker stopped/, 'the task ran its cleanup');
      // asyncio.run() raises the main task's CancelledError, as it does on Ctrl-C (KeyboardInterrupt since 3.11).
      assert.doesNotMatch(program.output(), /Segmentation|pydevd.*Error|Internal error/i);
      assert.ok(stops.every((r) => r === 'exception'), `only the exception stop, resumed: ${stops}`);
      await assert.rejects(backend.snapshot({ tier: 1 }), /ended|exited|terminated|closed/);
    } finally {
      backend.dispose();
      await program.dispose();
    }
  });
});

describe('python shutdown view on other Pythons (3.8+; executor workers are daemon threads on 3.8, joined all the same)', { concurrency: 2, skip: hasDebugpy && otherPythons().length ? false : 'no pyenv Python 3.8+ besides 3.11, or no Debian debugpy' }, () => {
  for (const python of otherPythons()) hangCases(python);
});
