/**
 * The loop inspector's Python backend: asyncio tasks of a program debugged by debugpy, over DAP.
 *
 * Two paths, both running `snapshot.py` inside the program (it only reads; see its header):
 * - tier 1, no pause: DAP `evaluate` without a frame while the program runs. The script schedules the
 *   reading onto each event loop's thread and the results come back as `output` events. When the
 *   program is already stopped at a breakpoint, tier 1 evaluates in the stopped frame instead.
 * - tier 2, pause: `pause` (waking an idle loop so it stops), evaluate in the stopped frame, and
 *   `continue` — always, whatever fails. Works when the loop is too busy to run a callback.
 *
 * The backend never leaves the program paused, bounds every wait, and turns a session that ends
 * mid-snapshot into a clear rejection.
 */
import { randomBytes } from 'node:crypto';
import type { DapChannel, Disposable, InspectorBackend } from '../channel';
import type { LoopItem, LoopSnapshot, ShutdownState, SnapshotCost } from '../model';
import SNAPSHOT_SCRIPT from './snapshot.py';

export interface PythonBackendOptions {
  /** A task cancelled this long ago and still alive is marked `ignoringCancellation`. Default 3000. */
  readonly ignoreCancelAfterMs?: number;
  /** Bound on each DAP request and on waiting for the script's results. Default 5000. */
  readonly timeoutMs?: number;
  /** Rows read and sent per snapshot (counts still cover every task): bounds the loop stall. Default 2000. */
  readonly maxItems?: number;
  /**
   * Set when the backend is created while the program is already stopped (the panel opened at a
   * breakpoint): debugpy answers `stackTrace` for running threads too, so this cannot be probed.
   * Later stops and resumes are followed through `stopped` / `continued` events.
   */
  readonly stoppedThreadId?: number;
  readonly log?: (message: string) => void;
}

/** What the script prints, one JSON message per line, after `@@asyncwise <nonce> `. */
type ScriptMessage =
  | { kind: 'plan'; loops: number; version: string; here: boolean; registries: boolean }
  | { kind: 'part'; loop: number; of: number; total: number; items: LoopItem[]; workMs: number; loopThread: string }
  | { kind: 'threads'; items: LoopItem[]; error?: string }
  | { kind: 'result'; ok?: boolean; message?: string; loops?: number; cancelled?: string[] }
  | { kind: 'error'; message: string; loop?: number };

interface ScriptRun {
  readonly plan?: Extract<ScriptMessage, { kind: 'plan' }>;
  readonly parts: Extract<ScriptMessage, { kind: 'part' }>[];
  /** Threads still running (asked for after a shutdown request). */
  readonly threads?: Extract<ScriptMessage, { kind: 'threads' }>;
  readonly result?: Extract<ScriptMessage, { kind: 'result' }>;
  readonly errors: string[];
}

const MARK = '@@asyncwise ';
/** How long after giving up on a pause its late `stopped` is still taken for ours. */
const LATE_PAUSE_WINDOW_MS = 15_000;
/** How long after a simulated shutdown a stop on its CancelledError is taken for ours and resumed. */
const SHUTDOWN_EXCEPTION_WINDOW_MS = 120_000;
/** How long a failed request waits for the end-of-session event that may explain it. */
const END_EVENT_GRACE_MS = 500;

export class PythonBackend implements InspectorBackend {
  readonly runtime = 'python' as const;
  private readonly timeoutMs: number;
  private readonly ignoreCancelAfterMs: number;
  private readonly maxItems: number;
  private readonly log: (message: string) => void;
  private readonly subscriptions: Disposable[] = [];
  /** The thread the program is stopped on (a breakpoint, a step, a user's pause), or undefined while it runs. */
  private stoppedThreadId: number | undefined;
  /** Why the session cannot answer any more, once it ended. */
  private endedReason: string | undefined;
  /** The session itself is over (not just this backend disposed): nothing can be resumed any more. */
  private sessionOver = false;
  private disposed = false;
  /** A `pause` of ours was sent and its `stopped` has not been handled yet. */
  private pauseInFlight = false;
  /** Until then, a `stopped` for a pause is our own pause landing late, and is resumed at once. */
  private lateOwnPauseUntil = 0;
  /** Task id → epoch ms when its cancellation was first requested or seen. */
  private readonly cancelSeen = new Map<string, number>();
  /** Set by `shutdown()`: later snapshots list threads and mark what keeps the program from exiting. */
  private shutdownState: ShutdownState | undefined;
  /** Ends-of-session listeners for runs in flight. */
  private readonly endListeners = new Set<(reason: string) => void>();
  /** One request at a time: pauses and snapshots must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly channel: DapChannel, options: PythonBackendOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.ignoreCancelAfterMs = options.ignoreCancelAfterMs ?? 3000;
    this.maxItems = options.maxItems ?? 2000;
    this.stoppedThreadId = options.stoppedThreadId;
    this.log = options.log ?? (() => undefined);
    this.subscriptions.push(
      channel.onEvent((event, body) => this.onEvent(event, body)),
      channel.onClose((reason) => { this.sessionOver = true; this.end(`the debug session ended (${reason})`); }),
    );
  }

  snapshot(options: { tier: 1 | 2; signal?: AbortSignal }): Promise<LoopSnapshot> {
    return this.serialize(() => this.takeSnapshot(options.tier, options.signal));
  }

  cancel(id: string, message?: string): Promise<void> {
    return this.serialize(async () => {
      const frameId = this.stoppedThreadId !== undefined ? await this.topFrameId(this.stoppedThreadId) : undefined;
      const run = await this.runScript({ op: 'cancel', id, msg: message ?? null }, { frameId, awaitResult: true });
      if (!run.result?.ok) throw new Error(`cancel ${id}: ${run.result?.message ?? (run.errors.join('; ') || 'failed')}`);
      if (!this.cancelSeen.has(id)) this.cancelSeen.set(id, Date.now());
    });
  }

  /**
   * Cancels every pending task, as `asyncio.run()` does when its main coroutine ends or is
   * interrupted: each `task.cancel()` is scheduled on its loop's thread. Nothing else is touched: a
   * program that handles cancellation well then exits on its own.
   */
  shutdown(): Promise<ShutdownState> {
    return this.serialize(async () => {
      const frameId = this.stoppedThreadId !== undefined ? await this.topFrameId(this.stoppedThreadId) : undefined;
      const loopWaitMs = Math.max(200, this.timeoutMs - 1000);
      const run = await this.runScript({ op: 'shutdown', msg: 'shutdown simulated by the asyncwise loop inspector', where: frameId !== undefined ? 'here' : 'loop', loopWaitMs }, { frameId, awaitResult: true });
      if (!run.result?.ok) throw new Error(`shutdown: ${run.result?.message ?? (run.errors.join('; ') || 'failed')}`);
      const now = Date.now();
      const cancelled = run.result.cancelled ?? [];
      for (const id of cancelled) if (!this.cancelSeen.has(id)) this.cancelSeen.set(id, now);
      const loops = run.result.loops ?? 0;
      this.shutdownState = {
        requestedAt: now,
        how: loops === 0 ? 'no event loop is running: nothing to cancel' : `cancelled ${cancelled.length === 1 ? '1 task' : `${cancelled.length} tasks`}, as asyncio.run() does at exit`,
      };
      return this.shutdownState;
    });
  }

  markShutdown(state: ShutdownState): void {
    this.shutdownState ??= state;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.end('the inspector was closed');
    // A pause of ours may still land: keep listening long enough to resume it.
    const keepListeningMs = this.pauseInFlight ? LATE_PAUSE_WINDOW_MS : Math.max(0, this.lateOwnPauseUntil - Date.now());
    if (this.pauseInFlight) this.lateOwnPauseUntil = Date.now() + LATE_PAUSE_WINDOW_MS;
    const release = (): void => { for (const s of this.subscriptions) s.dispose(); };
    if (keepListeningMs > 0) setTimeout(release, keepListeningMs).unref?.();
    else release();
  }

  // ---- session state -------------------------------------------------------------------------

  private onEvent(event: string, body: any): void {
    if (event === 'stopped') {
      const threadId: number = typeof body?.threadId === 'number' ? body.threadId : this.stoppedThreadId ?? 0;
      this.stoppedThreadId = threadId;
      if (body?.reason === 'exception' && this.shutdownState && Date.now() - this.shutdownState.requestedAt < SHUTDOWN_EXCEPTION_WINDOW_MS) {
        void this.resumeOwnShutdownException(threadId);
      } else if (body?.reason === 'pause' && Date.now() < this.lateOwnPauseUntil) {
        // A pause of ours that landed after we gave up waiting for it: resume at once.
        this.lateOwnPauseUntil = 0;
        void this.resume(threadId);
      }
    } else if (event === 'continued') {
      this.stoppedThreadId = undefined;
    } else if (event === 'terminated' || event === 'exited') {
      this.sessionOver = true;
      this.end(`the debugged program ${event === 'exited' ? `exited (code ${body?.exitCode ?? '?'})` : 'terminated'}`);
    }
  }

  /**
   * Cancelling the main task makes `asyncio.run()` raise CancelledError (KeyboardInterrupt on 3.11+
   * when it came from SIGINT): with "uncaught exceptions" on, the debugger stops on it. That stop is
   * ours, not the user's: resume it, so the program goes on exiting (or hanging, which is the point).
   */
  private async resumeOwnShutdownException(threadId: number): Promise<void> {
    try {
      const info = await this.channel.request<{ exceptionId?: string; description?: string }>('exceptionInfo', { threadId }, this.timeoutMs);
      if (!/CancelledError|KeyboardInterrupt/.test(`${info.exceptionId ?? ''} ${info.description ?? ''}`)) return;
      this.log(`resuming the stop on ${info.exceptionId} that the simulated shutdown caused`);
      await this.resume(threadId);
    } catch (e) {
      this.log(`exception stop after the simulated shutdown: ${(e as Error).message}`);
    }
  }

  private end(reason: string): void {
    if (this.endedReason !== undefined) return;
    this.endedReason = reason;
    for (const listener of [...this.endListeners]) listener(reason);
    this.endListeners.clear();
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private checkAlive(): void {
    if (this.endedReason !== undefined) throw new Error(`python inspector: ${this.endedReason}`);
  }

  // ---- snapshots ------------------------------------------------------------------------------

  private async takeSnapshot(tier: 1 | 2, signal?: AbortSignal): Promise<LoopSnapshot> {
    this.checkAlive();
    signal?.throwIfAborted();
    const started = performance.now();
    const warnings: string[] = [];
    let run: ScriptRun;
    let whilePaused = false;
    let stallMs: number | undefined;
    let readInPlace: ScriptRun | undefined;
    if (this.stoppedThreadId !== undefined) {
      // Stopped at a breakpoint (or paused by the user): read in place, on the stopped thread.
      try {
        readInPlace = await this.runScript(this.snapshotArgs('here', 'user'), { frameId: await this.topFrameId(this.stoppedThreadId), signal });
        whilePaused = true;
      } catch (e) {
        // DAP sends `continued` after the `continue` response: a program resumed a moment ago still
        // looks stopped here. Its frames are gone; read it as a running program instead.
        if (!/unable to find thread|not suspended|unknown thread|invalid thread/i.test((e as Error).message)) throw e;
        this.stoppedThreadId = undefined;
      }
    }
    if (readInPlace) {
      run = readInPlace;
    } else if (tier === 1) {
      run = await this.runScript(this.snapshotArgs('loop'), { signal });
      stallMs = run.parts.reduce((sum, p) => sum + p.workMs, 0);
    } else {
      // Paused for this read only and resumed before it returns: the program is running, so the
      // snapshot is not `whilePaused` (that is the user's stop); its cost says how long it stalled.
      const paused = await this.pauseAndRun(signal);
      run = paused.run;
      stallMs = paused.stallMs;
    }
    if (run.plan && run.plan.loops > 0 && run.parts.length === 0 && run.errors.length > 0) {
      // No loop answered: an empty list would read as "no tasks", which is wrong.
      throw new Error(`python inspector: ${run.errors[0]}`);
    }
    const durationMs = performance.now() - started;
    const costs: SnapshotCost[] = [{ tier, durationMs, programStallMs: stallMs }];
    return this.toSnapshot(tier, run, costs, whilePaused, warnings);
  }

  private snapshotArgs(where: 'loop' | 'here', pausedBy?: 'user' | 'inspector'): Record<string, unknown> {
    const loopWaitMs = Math.max(200, this.timeoutMs - 1000);
    return { op: 'snapshot', where, ...(pausedBy ? { pausedBy } : {}), maxItems: this.maxItems, loopWaitMs, handlerFor: [...this.cancelSeen.keys()], threads: this.shutdownState !== undefined };
  }

  /** Tier 2 on a running program: pause, read in the stopped frame, continue (always). */
  private async pauseAndRun(signal?: AbortSignal): Promise<{ run: ScriptRun; stallMs: number }> {
    const threads = await this.channel.request<{ threads: { id: number; name: string }[] }>('threads', {}, this.timeoutMs);
    const target = threads.threads.find((t) => t.name === 'MainThread') ?? threads.threads[0];
    if (!target) throw new Error('python inspector: the program has no threads to pause');
    const stopped = this.waitForStop(signal);
    stopped.catch(() => undefined); // awaited below; may reject before that
    let stoppedOn: number | undefined;
    let stoppedAt = 0;
    this.pauseInFlight = true;
    try {
      await this.channel.request('pause', { threadId: target.id }, this.timeoutMs);
      // An idle loop sits in select() and only stops when it next runs Python code: wake it.
      this.runScript({ op: 'wake' }, { awaitResult: true }).catch((e) => this.log(`wake failed: ${(e as Error).message}`));
      stoppedOn = await stopped;
      this.pauseInFlight = false;
      stoppedAt = performance.now();
      const frameId = await this.topFrameId(stoppedOn);
      const run = await this.runScript(this.snapshotArgs('here', 'inspector'), { frameId, signal });
      return { run, stallMs: performance.now() - stoppedAt };
    } catch (e) {
      if (stoppedOn === undefined) {
        // The pause may still land later: the stop handler resumes it then.
        this.lateOwnPauseUntil = Date.now() + LATE_PAUSE_WINDOW_MS;
        this.pauseInFlight = false;
      }
      throw e;
    } finally {
      if (stoppedOn !== undefined) await this.resume(stoppedOn);
    }
  }

  private waitForStop(signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const cleanup = (): void => { clearTimeout(timer); sub.dispose(); this.endListeners.delete(onEnd); signal?.removeEventListener('abort', onAbort); };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`python inspector: the program did not pause within ${this.timeoutMs} ms`)); }, this.timeoutMs);
      const sub = this.channel.onEvent((event, body) => {
        if (event === 'stopped') { cleanup(); resolve(typeof body?.threadId === 'number' ? body.threadId : 0); }
      });
      const onEnd = (reason: string): void => { cleanup(); reject(new Error(`python inspector: ${reason}`)); };
      const onAbort = (): void => { cleanup(); reject(signal?.reason ?? new Error('aborted')); };
      this.endListeners.add(onEnd);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Resumes the program; retried once, because leaving it paused is the one unforgivable failure. */
  private async resume(threadId: number): Promise<void> {
    for (let attempt = 0; attempt < 2 && !this.sessionOver; attempt++) {
      try {
        await this.channel.request('continue', { threadId }, this.timeoutMs);
        this.stoppedThreadId = undefined;
        return;
      } catch (e) {
        this.log(`continue failed (attempt ${attempt + 1}): ${(e as Error).message}`);
      }
    }
  }

  private async topFrameId(threadId: number): Promise<number> {
    const trace = await this.channel.request<{ stackFrames: { id: number }[] }>('stackTrace', { threadId, startFrame: 0, levels: 1 }, this.timeoutMs);
    const frame = trace.stackFrames[0];
    if (!frame) throw new Error('python inspector: the stopped thread has no frame to evaluate in');
    return frame.id;
  }

  /**
   * Evaluates the snapshot script with `args` and collects its messages: a plan then one part per
   * loop (snapshots), or one result (cancel, wake). Rejects on timeout, abort, or end of session.
   */
  private runScript(args: Record<string, unknown>, options: { frameId?: number; signal?: AbortSignal; awaitResult?: boolean }): Promise<ScriptRun> {
    this.checkAlive();
    const nonce = randomBytes(8).toString('hex');
    const mark = `${MARK}${nonce} `;
    const expression = `exec(${pyString(SNAPSHOT_SCRIPT)}, {'__name__': '__asyncwise_inspector__', 'ARGS': ${pyString(JSON.stringify({ ...args, nonce }))}})`;
    return new Promise<ScriptRun>((resolve, reject) => {
      let plan: Extract<ScriptMessage, { kind: 'plan' }> | undefined;
      let threads: Extract<ScriptMessage, { kind: 'threads' }> | undefined;
      const parts: Extract<ScriptMessage, { kind: 'part' }>[] = [];
      const errors: string[] = [];
      let pending = '';
      let settled = false;
      const finish = (error?: Error, result?: Extract<ScriptMessage, { kind: 'result' }>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sub.dispose();
        this.endListeners.delete(onEnd);
        options.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve({ plan, parts, threads, result, errors });
      };
      const onMessage = (message: ScriptMessage): void => {
        if (message.kind === 'plan') plan = message;
        else if (message.kind === 'threads') threads = message;
        else if (message.kind === 'part') parts.push(message);
        else if (message.kind === 'result') return finish(undefined, message);
        else if (message.kind === 'error') {
          errors.push(message.message);
          if (message.loop === undefined) return finish(new Error(`python inspector: ${message.message}`));
        }
        if (plan && !options.awaitResult && parts.length + errors.length >= plan.loops) finish();
      };
      const sub = this.channel.onEvent((event, body) => {
        if (event !== 'output' || typeof body?.output !== 'string') return;
        const text: string = body.output;
        if (!pending && !text.includes(mark)) return;
        pending += text;
        for (;;) {
          const start = pending.indexOf(mark);
          if (start < 0) { pending = ''; return; }
          const end = pending.indexOf('\n', start);
          if (end < 0) { pending = pending.slice(start); return; }
          const json = pending.slice(start + mark.length, end);
          pending = pending.slice(end + 1);
          try {
            onMessage(JSON.parse(json) as ScriptMessage);
          } catch (e) {
            return finish(new Error(`python inspector: unreadable result (${(e as Error).message})`));
          }
          if (settled) return;
        }
      });
      const onEnd = (reason: string): void => finish(new Error(`python inspector: ${reason}`));
      const onAbort = (): void => finish(options.signal?.reason instanceof Error ? options.signal.reason : new Error('python inspector: snapshot aborted'));
      const timer = setTimeout(() => {
        const what = !plan ? 'the debugger did not run the inspector script' : `the event loop did not run the snapshot (${parts.length} of ${plan.loops} loops answered; is the loop blocked by synchronous code? a tier 2 snapshot pauses it)`;
        finish(new Error(`python inspector: timed out after ${this.timeoutMs} ms: ${what}`));
      }, this.timeoutMs);
      this.endListeners.add(onEnd);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // Not 'repl': for the REPL pydevd swaps sys.stdout/sys.stderr while it evaluates, which races
      // with the program's own prints (RecursionError in pydevd_io, SIGSEGV in the bench program)
      // and captures them. Without a frame pydevd execs whatever the context; with one, exec() is an expression.
      const evaluateArgs: Record<string, unknown> = { expression, context: 'watch' };
      if (options.frameId !== undefined) evaluateArgs.frameId = options.frameId;
      this.channel.request('evaluate', evaluateArgs, this.timeoutMs).catch((e) => {
        // A program that dies mid-evaluate fails the request ("No more messages") a moment before
        // the `terminated` event that says what happened: give that event a chance to explain.
        const failure = new Error(`python inspector: ${(e as Error).message}`);
        setTimeout(() => finish(failure), END_EVENT_GRACE_MS).unref?.();
      });
    });
  }

  private toSnapshot(tier: 1 | 2, run: ScriptRun, costs: SnapshotCost[], whilePaused: boolean, warnings: string[]): LoopSnapshot {
    const now = Date.now();
    const items: LoopItem[] = [];
    let total = 0;
    for (const part of run.parts) {
      total += part.total;
      items.push(...part.items);
    }
    for (const error of run.errors) warnings.push(error);
    if (run.plan && run.plan.loops === 0) warnings.push('No asyncio event loop is running in the program.');
    if (run.plan && run.plan.loops > 1) warnings.push(`${run.plan.loops} event loops are running; tasks of all are listed.`);
    if (items.length < total) warnings.push(`Showing ${items.length} of ${total} tasks.`);
    const version = run.plan?.version;
    if (version && compareVersion(version, [3, 8]) < 0) warnings.push(`Python ${version}: the inspector needs 3.8 or later; some fields are missing.`);
    if (version && compareVersion(version, [3, 11]) < 0) warnings.push(`Python ${version} has no Task.cancelling(): only cancels sent from the inspector are tracked.`);

    // Who awaits whom: invert the `awaits` edges.
    const awaitedBy = new Map<string, string[]>();
    for (const item of items) for (const target of item.awaits ?? []) {
      const list = awaitedBy.get(target) ?? [];
      list.push(item.id);
      awaitedBy.set(target, list);
    }
    // Cancellation bookkeeping: first time a cancel was seen; still alive some seconds later means ignored.
    const alive = new Set(items.map((i) => i.id));
    // A cancel first seen after a stop request came from that request (the editor's Stop interrupts the
    // program, and asyncio.run() cancels its tasks): it dates from the request, not from this snapshot.
    const since = this.shutdownState && this.shutdownState.requestedAt <= now ? this.shutdownState.requestedAt : now;
    for (const item of items) if ((item.cancelling ?? 0) > 0 && !this.cancelSeen.has(item.id)) this.cancelSeen.set(item.id, since);
    if (items.length === total) for (const id of [...this.cancelSeen.keys()]) if (!alive.has(id)) this.cancelSeen.delete(id);

    const shutdown = this.shutdownState;
    const finalItems = items.map((item): LoopItem => {
      const by = awaitedBy.get(item.id);
      const cancelledAt = this.cancelSeen.get(item.id);
      const ignoring = cancelledAt !== undefined && now - cancelledAt >= this.ignoreCancelAfterMs;
      // After a shutdown request, a task cancelled a grace period ago and still alive holds the
      // program: asyncio.run() waits for every task it cancelled. One whose cancellation a handler
      // swallowed is what AW101 catches. (Tasks asyncio itself starts while it shuts down, such as
      // shutdown_default_executor's, were never cancelled: they are consequences, not causes.)
      const blocker = shutdown !== undefined && ignoring;
      const details = { ...(item.details ?? {}) };
      if (cancelledAt !== undefined) details.cancelRequestedMsAgo = now - cancelledAt;
      return {
        ...item,
        state: ignoring && item.state !== 'running' ? 'cancelling' : item.state,
        ...(by ? { awaitedBy: by } : {}),
        ...(ignoring ? { ignoringCancellation: true } : {}),
        ...(cancelledAt === undefined ? { cancellationSwallowedAt: undefined } : {}),
        ...(blocker ? { blocksExit: true } : {}),
        ...(blocker && cancelledAt !== undefined && item.cancellationSwallowedAt ? { rule: 'AW101' } : {}),
        details,
      };
    }).map(dropUndefined);
    if (run.threads) {
      finalItems.push(...run.threads.items);
      if (run.threads.error) warnings.push(run.threads.error);
    }
    return {
      runtime: 'python',
      runtimeVersion: version,
      tiers: [tier],
      takenAt: now,
      costs,
      counts: { task: total, ...(run.threads ? { thread: run.threads.items.length } : {}) },
      items: finalItems,
      whilePaused,
      ...(shutdown ? { shutdown } : {}),
      warnings,
    };
  }
}

/** A Python string literal for any text (JSON's escapes are valid Python escapes for these strings). */
function pyString(text: string): string {
  return JSON.stringify(text);
}

function compareVersion(version: string, [major, minor]: [number, number]): number {
  const [a, b] = version.split('.').map(Number);
  return a !== major ? a - major : b - minor;
}

function dropUndefined(item: LoopItem): LoopItem {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (value !== undefined) out[key] = value;
  return out as unknown as LoopItem;
}
