/**
 * The loop inspector's Node backend: what a `node`/`pwa-node` program's event loop waits on, read over
 * CDP (js-debug's proxy in the editor, `node --inspect` in tests) without ever pausing the program.
 *
 * Tier 1 (cheap, polled while the panel is visible): resources by type, servers and sockets with
 * addresses, pending requests, timers (delay, repeat, callback location), loop delay and utilization.
 * Tier 2 (on demand): pending promises (a forced GC), every suspended async function with the awaiter
 * graph (a heap snapshot), and the exact await line of each, resolved per function within a budget
 * (each lookup walks the heap) and later on request (`resolveLocation`).
 *
 * Rules kept here (INSPECTOR.md): never `Runtime.disable`/`Debugger.disable`, never `Debugger.*` at all,
 * own object groups released after each snapshot, a timeout on every request, a clear rejection when
 * the session ends mid-snapshot. The program is never paused: everything runs as evaluations between
 * its own tasks, and what it costs the program is measured in the program and reported per tier.
 */
import { fileURLToPath } from 'node:url';
import type { CdpChannel, Disposable, InspectorBackend } from '../channel';
import type { ItemKind, LoopHealth, LoopItem, LoopSnapshot, ShutdownState, SnapshotCost, SourceLocation } from '../model';
import { analyseHeapSnapshotInWorker, type AwaitGraph, type ScriptPosition } from './heap-graph';
import * as program from './in-program';

export interface NodeBackendOptions {
  /** Timeout of each ordinary CDP request. */
  readonly requestTimeoutMs?: number;
  /** Timeout of the heap snapshot (it grows with the heap: ~1 s per 100 MB here). */
  readonly heapSnapshotTimeoutMs?: number;
  /** Rows per kind at most; counts stay exact. */
  readonly maxRowsPerKind?: number;
  /** Await lines resolved during one tier-2 snapshot: at most this many lookups, within this time. */
  readonly locationLookups?: number;
  readonly locationBudgetMs?: number;
  /**
   * Timers are found with `queryObjects`, which runs full GCs in the program (~0.5 s with 10,000 pending
   * promises on a loaded machine). Tier 1 re-reads them when the number of active `Timeout`s changed or
   * the last read is older than `timerRefreshMs`, and never spends more than `timerStallShare` of the
   * time on it (the next read waits lastCost / share). `timerRefreshMs: 0` re-reads every time.
   */
  readonly timerRefreshMs?: number;
  readonly timerStallShare?: number;
  /** Opt-in: record creation stacks of promises created from now on (costs the program ~100× on promise-heavy code). */
  readonly creationStacks?: boolean;
  /** Whether the program is paused at a breakpoint now (the editor knows; a raw connection does not). */
  readonly isPaused?: () => boolean;
  readonly log?: (line: string) => void;
}

/** Rejections carry this name so the panel can tell "the session went away" from a real failure. */
export class SessionEndedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionEndedError';
  }
}

const GROUP = 'asyncwise-inspector';
const CREATION_GROUP = 'asyncwise-inspector-creation';
const STALL_PROBE_TIMEOUT_MS = 2000;
const CONTEXT_GONE = /Cannot find context with specified id|Execution context was destroyed|Inspected target navigated or closed/;

interface RemoteObject {
  type: string;
  subtype?: string;
  value?: any;
  objectId?: string;
  description?: string;
}
interface EvaluateResult {
  result: RemoteObject;
  exceptionDetails?: { text: string; exception?: RemoteObject };
}
interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}
interface GetPropertiesResult {
  result: PropertyDescriptor[];
  internalProperties?: PropertyDescriptor[];
}

interface Tier1Raw {
  version: string;
  pid: number;
  resources: string[];
  handles: any[];
  requests: { type: string; hostname?: string; path?: string }[];
  health: LoopHealth;
}

interface Tier1Result {
  items: LoopItem[];
  /** Live timers, also those beyond the rows shown. */
  timerTotal: number;
  resources: Record<string, number>;
  version: string;
  health: LoopHealth;
  warnings: string[];
}

interface ResolvedAwait {
  readonly location: SourceLocation;
  readonly state: string;
}

export class NodeBackend implements InspectorBackend {
  readonly runtime = 'node' as const;
  private readonly requestTimeoutMs: number;
  private readonly heapSnapshotTimeoutMs: number;
  private readonly maxRows: number;
  private readonly locationLookups: number;
  private readonly locationBudgetMs: number;
  private readonly log: (line: string) => void;
  private readonly subscriptions: Disposable[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private endedReason: string | undefined;
  private readonly ended: Promise<never>;
  private disposed = false;
  private subscribed: Promise<void> | undefined;
  private readonly scripts = new Map<string, string>();
  /** `heapId:awaitedPromiseHeapId` → where that async function is suspended (same await while it awaits the same promise). */
  private readonly awaitCache = new Map<string, ResolvedAwait>();
  /** The last tier-2 graph, for lazy `resolveLocation`. */
  private lastGraph: AwaitGraph | undefined;
  private creationHook: Promise<unknown> | undefined;
  private readonly timerRefreshMs: number;
  private readonly timerStallShare: number;
  /** A stall probe started and not yet read: stopped in the program if the snapshot fails. */
  private probeRunning = false;
  /** Set by `shutdown()`: later snapshots mark what keeps the process alive. */
  private shutdownState: ShutdownState | undefined;
  private timerCache: { items: LoopItem[]; total: number; activeTimeouts: number; at: number; costMs: number } | undefined;

  constructor(private readonly channel: CdpChannel, private readonly options: NodeBackendOptions = {}) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.heapSnapshotTimeoutMs = options.heapSnapshotTimeoutMs ?? 120_000;
    this.maxRows = options.maxRowsPerKind ?? 500;
    this.locationLookups = options.locationLookups ?? 40;
    this.locationBudgetMs = options.locationBudgetMs ?? 3000;
    this.timerRefreshMs = options.timerRefreshMs ?? 10_000;
    this.timerStallShare = options.timerStallShare ?? 0.05;
    this.log = options.log ?? (() => {});
    let fail: (e: Error) => void = () => {};
    this.ended = new Promise<never>((_, reject) => (fail = reject));
    this.ended.catch(() => {}); // observed by whoever races it
    this.subscriptions.push(
      channel.onClose((reason) => {
        this.endedReason = reason;
        fail(new SessionEndedError(`The debug session ended (${reason}).`));
      }),
    );
    if (options.creationStacks) {
      this.creationHook = this.evaluate(program.CREATION_HOOK_START).catch((e) => this.log(`creation stacks unavailable: ${(e as Error).message}`));
    }
  }

  snapshot(options: { tier: 1 | 2; signal?: AbortSignal }): Promise<LoopSnapshot> {
    const run = this.queue.then(() => this.take(options.tier, options.signal));
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Sends the program SIGTERM (what `docker stop`, systemd or Kubernetes send). A program without a
   * SIGTERM listener exits at once; one with a listener runs its shutdown code, and the snapshots
   * after this mark the ref'd handles and timers still keeping its loop alive.
   */
  shutdown(): Promise<ShutdownState> {
    const run = this.queue.then(async () => {
      if (this.endedReason !== undefined) throw new SessionEndedError(`The debug session ended (${this.endedReason}).`);
      const requestedAt = Date.now();
      const listeners = await this.evaluate<number>(program.SEND_SIGTERM);
      this.timerCache = undefined; // the shutdown code clears (or forgets) its timers: read them afresh
      this.shutdownState = {
        requestedAt,
        how: listeners === 0 ? 'SIGTERM sent; the program has no SIGTERM listener, so Node exits at once' : `SIGTERM sent to a program with ${listeners === 1 ? '1 SIGTERM listener' : `${listeners} SIGTERM listeners`}`,
      };
      return this.shutdownState;
    });
    this.queue = run.catch(() => {});
    return run;
  }

  markShutdown(state: ShutdownState): void {
    this.shutdownState ??= state;
  }

  cancel(): Promise<void> {
    return Promise.reject(new Error('Node has no task to cancel: promises and async functions cannot be cancelled from outside.'));
  }

  /**
   * Resolves the await line of one async function from the last tier-2 snapshot (`node:async:<heapId>`),
   * for rows the snapshot's budget left unresolved. One heap walk in the program (~40 ms).
   */
  async resolveLocation(itemId: string): Promise<SourceLocation | undefined> {
    const match = /^node:async:(\d+)$/.exec(itemId);
    const graph = this.lastGraph;
    if (!match || !graph) return undefined;
    const fn = graph.functions.find((f) => f.heapId === Number(match[1]));
    if (!fn) return undefined;
    try {
      return (await this.resolveAwait(fn.heapId, fn.awaitedPromiseHeapId))?.location;
    } finally {
      await this.release();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.subscriptions) s.dispose();
    if (this.endedReason === undefined) {
      // Best effort: take back what we installed, then let go of the channel.
      this.evaluate(program.CLEANUP)
        .catch(() => {})
        .then(() => this.release())
        .finally(() => this.channel.close());
    } else {
      this.channel.close();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private async take(tier: 1 | 2, signal?: AbortSignal): Promise<LoopSnapshot> {
    if (this.disposed) throw new Error('The inspector backend was disposed.');
    if (this.endedReason !== undefined) throw new SessionEndedError(`The debug session ended (${this.endedReason}).`);
    const takenAt = Date.now();
    const paused = this.options.isPaused?.() ?? false;
    const costs: SnapshotCost[] = [];
    const warnings: string[] = [];
    try {
      if (tier === 2) this.timerCache = undefined; // tier 2 pays for GCs anyway: read timers afresh
      const t1Start = performance.now();
      const stall1 = await this.startStallProbe(paused, signal);
      const tier1 = await this.tier1(signal);
      costs.push({ tier: 1, durationMs: round(performance.now() - t1Start), ...(await this.endStallProbe(stall1, signal)) });
      warnings.push(...tier1.warnings);
      let items = tier1.items;
      const counts: Partial<Record<ItemKind, number>> = {};
      for (const item of items) counts[item.kind] = (counts[item.kind] ?? 0) + 1;
      if (tier1.timerTotal) counts.timer = tier1.timerTotal;

      if (tier === 2) {
        if (this.creationHook) await this.creationHook;
        const t2Start = performance.now();
        const stall2 = await this.startStallProbe(paused, signal);
        const tier2 = await this.tier2(signal, warnings);
        costs.push({ tier: 2, durationMs: round(performance.now() - t2Start), ...(await this.endStallProbe(stall2, signal)) });
        items = [...items, ...tier2.items];
        counts['async-function'] = tier2.asyncFunctions;
        counts.promise = tier2.pendingPromises;
      }
      if (this.shutdownState) {
        this.timerCache = undefined; // what holds the process must be current, not a cached read
        items = await this.markBlockers(items, signal);
      }
      return {
        runtime: 'node',
        runtimeVersion: tier1.version,
        tiers: tier === 2 ? [1, 2] : [1],
        takenAt,
        costs,
        health: tier1.health,
        resources: tier1.resources,
        counts,
        items: truncate(items, this.maxRows, warnings, counts),
        ...(this.options.isPaused ? { whilePaused: paused } : {}),
        ...(this.shutdownState ? { shutdown: this.shutdownState } : {}),
        warnings,
      };
    } catch (e) {
      throw this.explain(e, signal);
    } finally {
      if (this.probeRunning && this.endedReason === undefined) {
        this.probeRunning = false;
        await this.evaluate(program.STALL_PROBE_STOP).catch((e) => this.log(`stall probe stop: ${(e as Error).message}`));
      }
      await this.release();
      if (this.creationHook) await this.release(CREATION_GROUP);
    }
  }

  /**
   * After SIGTERM: what keeps the process alive is every ref'd handle (a server, a socket, a child
   * process, a pending request) and every ref'd timer, stdio aside. Servers and the sockets they
   * accepted get the location of their request handler; a ref'd interval links to AW306.
   */
  private async markBlockers(items: LoopItem[], signal?: AbortSignal): Promise<LoopItem[]> {
    const handlerAt = new Map<string, SourceLocation>();
    try {
      const list = await this.evaluateRemote(program.HANDLE_LISTENERS, signal);
      const ids = await this.callOn<number[]>(list.objectId!, 'function () { return this.map((x) => x.id); }', [], signal);
      const fns = await this.callOnRemote(list.objectId!, 'function () { return this.map((x) => x.fn); }', [], signal);
      const props = await this.send<GetPropertiesResult>('Runtime.getProperties', { objectId: fns.objectId, ownProperties: true }, signal);
      const byIndex = new Map(props.result.filter((p) => /^\d+$/.test(p.name)).map((p) => [Number(p.name), p.value]));
      const positions = await Promise.all(ids.map((_, i) => this.functionLocation(byIndex.get(i), signal)));
      await this.ensureScripts(positions, signal);
      ids.forEach((id, i) => {
        const position = positions[i];
        const fn = byIndex.get(i)?.description;
        const name = fn ? /^(?:async\s+)?function\s*\*?\s*([\w$]+)/.exec(fn)?.[1] : undefined;
        if (position) handlerAt.set(`node:handle:${id}`, this.toLocation(position, name));
      });
    } catch (e) {
      if (this.endedReason !== undefined || signal?.aborted) throw e;
      this.log(`handler locations unavailable: ${(e as Error).message}`);
    }
    return items.map((item) => {
      const stdio = item.kind === 'socket' && /^(stdin|stdout|stderr) /.test(item.label);
      const ref = item.details?.ref !== false && item.state !== 'unref';
      const holds = ref && !stdio && (item.kind === 'timer' || item.kind === 'server' || item.kind === 'socket' || item.kind === 'process' || item.kind === 'request' || item.kind === 'other');
      const location = item.location ?? handlerAt.get(item.id);
      return {
        ...item,
        ...(location ? { location } : {}),
        ...(holds ? { blocksExit: true } : {}),
        ...(holds && item.kind === 'timer' && item.details?.repeat === true ? { rule: 'AW306' } : {}),
      };
    });
  }

  /** Turns any failure into one the panel can show: the session ended, aborted, or what failed. */
  private explain(e: unknown, signal?: AbortSignal): Error {
    // A program that exits while a debugger is attached waits for it to detach ("Waiting for the
    // debugger to disconnect..."): the socket stays open, but its JavaScript context is gone.
    if (this.endedReason === undefined && e instanceof Error && CONTEXT_GONE.test(e.message)) {
      this.endedReason = 'the program exited';
      this.channel.close(); // let it finish exiting
    }
    if (this.endedReason !== undefined) return new SessionEndedError(`The debug session ended during the snapshot (${this.endedReason}).`);
    if (signal?.aborted) return new Error('The snapshot was cancelled.');
    return e instanceof Error ? e : new Error(String(e));
  }

  // --- tier 1 ----------------------------------------------------------------------------------

  private async tier1(signal?: AbortSignal): Promise<Tier1Result> {
    const raw = await this.evaluate<Tier1Raw>(program.TIER1_SUMMARY, signal);
    const resources: Record<string, number> = {};
    for (const r of raw.resources) resources[r] = (resources[r] ?? 0) + 1;
    const items: LoopItem[] = [];
    raw.handles.forEach((h, i) => items.push(handleItem(h, i)));
    raw.requests.forEach((r, i) => items.push(requestItem(r, i)));
    const warnings: string[] = [];
    const activeTimeouts = resources.Timeout ?? 0;
    const cached = this.timerCache;
    const age = cached ? Date.now() - cached.at : Infinity;
    let timers: NonNullable<typeof cached>;
    if (cached && this.timerRefreshMs > 0 && !((cached.activeTimeouts !== activeTimeouts || age >= this.timerRefreshMs) && age >= cached.costMs / this.timerStallShare)) {
      timers = cached;
      warnings.push(`Timers as of ${Math.round(age / 1000)} s ago (reading them costs the program full GCs, so they are re-read sparingly).`);
    } else {
      const start = performance.now();
      const read = await this.timers(signal, warnings);
      timers = { ...read, activeTimeouts, at: Date.now(), costMs: performance.now() - start };
      this.timerCache = timers;
      this.log(`timers: ${read.total} read in ${round(timers.costMs)} ms`);
    }
    items.push(...timers.items);
    return { items, timerTotal: timers.total, resources, version: raw.version, health: raw.health, warnings };
  }

  /** Timers are not handles in Node 20: find them on the heap through `Timeout.prototype`. */
  private async timers(signal: AbortSignal | undefined, warnings: string[]): Promise<{ items: LoopItem[]; total: number }> {
    const proto = await this.evaluateRemote(program.TIMEOUT_PROTOTYPE, signal);
    const all = await this.send<{ objects: RemoteObject }>('Runtime.queryObjects', { prototypeObjectId: proto.objectId, objectGroup: GROUP }, signal);
    const summary = await this.callOn<{ total: number; timers: { index: number; asyncId?: number; delay: number; repeat: boolean; ref?: boolean; name?: string }[] }>(
      all.objects.objectId!, program.SUMMARISE_TIMERS, [{ value: this.maxRows }], signal);
    if (summary.total > summary.timers.length) warnings.push(`${summary.total} timers; showing the first ${summary.timers.length}.`);
    // Callback locations: one getProperties per callback, limited to the rows shown.
    const callbacks = await this.callOnRemote(all.objects.objectId!, program.TIMER_CALLBACKS, [{ value: summary.timers.map((t) => t.index) }], signal);
    const callbackProps = await this.send<GetPropertiesResult>('Runtime.getProperties', { objectId: callbacks.objectId, ownProperties: true }, signal);
    const byIndex = new Map(callbackProps.result.filter((p) => /^\d+$/.test(p.name)).map((p) => [Number(p.name), p.value]));
    const positions = await Promise.all(summary.timers.map((_, i) => this.functionLocation(byIndex.get(i), signal)));
    await this.ensureScripts(positions, signal);
    const items = summary.timers.map((t, i): LoopItem => {
      const position = positions[i];
      const location = position ? this.toLocation(position, t.name) : undefined;
      const label = `${t.repeat ? 'setInterval' : 'setTimeout'} ${t.delay} ms`;
      return {
        id: t.asyncId !== undefined ? `node:timer:${t.asyncId}` : `node:timer:#${i}`,
        kind: 'timer',
        label,
        state: t.ref === false ? 'unref' : 'scheduled',
        ...(location ? { location } : {}),
        details: { delayMs: t.delay, repeat: t.repeat, ref: t.ref !== false, callback: t.name || (position ? '(anonymous)' : '(native: resolves a promise or similar)') },
      };
    });
    return { items, total: summary.total };
  }

  /** `[[FunctionLocation]]` of a function, through bound functions (`setInterval(fn.bind(x))`, Node's own timers). */
  private async functionLocation(fn: RemoteObject | undefined, signal?: AbortSignal, depth = 0): Promise<ScriptPosition | undefined> {
    if (!fn?.objectId || fn.type !== 'function' || depth > 3) return undefined;
    const props = await this.send<GetPropertiesResult>('Runtime.getProperties', { objectId: fn.objectId, ownProperties: true }, signal);
    const internal = props.internalProperties ?? [];
    const loc = internal.find((p) => p.name === '[[FunctionLocation]]')?.value?.value;
    if (loc) return { scriptId: String(loc.scriptId), lineNumber: loc.lineNumber, columnNumber: loc.columnNumber };
    return this.functionLocation(internal.find((p) => p.name === '[[TargetFunction]]')?.value, signal, depth + 1);
  }

  // --- tier 2 ----------------------------------------------------------------------------------

  private async tier2(signal: AbortSignal | undefined, warnings: string[]): Promise<{ items: LoopItem[]; asyncFunctions: number; pendingPromises: number }> {
    // Pending promises: queryObjects forces a full GC, then util.inspect reads each state.
    const t0 = performance.now();
    const proto = await this.evaluateRemote('Promise.prototype', signal);
    const all = await this.send<{ objects: RemoteObject }>('Runtime.queryObjects', { prototypeObjectId: proto.objectId, objectGroup: GROUP }, signal);
    const util = await this.evaluateRemote(program.UTIL_MODULE, signal);
    const promises = await this.callOn<{ total: number; pending: number }>(all.objects.objectId!, program.COUNT_PENDING_PROMISES, [{ objectId: util.objectId }], signal);
    // Creation stacks (opt-in): the pending promises that have one, held in their own group across the
    // snapshot, because heap ids exist only once a snapshot has assigned them.
    const withCreation = this.creationHook
      ? await this.callOnRemote(all.objects.objectId!, program.PENDING_WITH_CREATION, [{ objectId: util.objectId }, { value: this.maxRows }], signal, CREATION_GROUP)
      : undefined;
    await this.release(); // let the array of every promise go before the snapshot
    const phase = (name: string, since: number) => this.log(`tier 2 ${name}: ${round(performance.now() - since)} ms`);
    phase('pending promises', t0);

    const t1 = performance.now();
    const chunks = await this.heapSnapshot(signal);
    phase('heap snapshot', t1);
    const t2 = performance.now();
    const graph = await Promise.race([analyseHeapSnapshotInWorker(chunks, { signal, timeoutMs: this.heapSnapshotTimeoutMs }), this.ended]);
    phase(`graph of ${graph.nodeCount} nodes`, t2);
    const creations = withCreation ? await this.creationStacks(withCreation.objectId!, signal, warnings) : new Map<number, string>();
    this.lastGraph = graph;
    for (const [id, name] of graph.scripts) if (!this.scripts.has(id)) this.scripts.set(id, name);

    // Await lines: one lookup per distinct function first, then more instances, within the budget.
    const t3 = performance.now();
    const order = lookupOrder(graph);
    const deadline = performance.now() + this.locationBudgetMs;
    let lookups = 0;
    const resolved = new Map<number, ResolvedAwait>();
    for (const fn of order) {
      const cached = this.awaitCache.get(`${fn.heapId}:${fn.awaitedPromiseHeapId}`);
      if (cached) {
        resolved.set(fn.heapId, cached);
        continue;
      }
      if (lookups >= this.locationLookups || performance.now() > deadline) continue;
      lookups++;
      const r = await this.resolveAwait(fn.heapId, fn.awaitedPromiseHeapId, signal);
      if (r) resolved.set(fn.heapId, r);
    }
    phase(`${lookups} await-line lookups`, t3);
    const unresolved = graph.functions.length - resolved.size;
    if (unresolved > 0) warnings.push(`${unresolved} of ${graph.functions.length} await lines not resolved yet (each costs a heap walk); they resolve on request.`);
    return { items: this.asyncItems(graph, resolved, creations), asyncFunctions: graph.functions.length, pendingPromises: promises.pending };
  }

  private async heapSnapshot(signal?: AbortSignal): Promise<string[]> {
    await this.subscribe();
    const chunks: string[] = [];
    const listener = this.channel.on('HeapProfiler.addHeapSnapshotChunk', (p: { chunk: string }) => chunks.push(p.chunk));
    try {
      await this.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false }, signal, this.heapSnapshotTimeoutMs);
    } finally {
      listener.dispose();
    }
    if (!chunks.length) throw new Error('The heap snapshot arrived empty (no HeapProfiler.addHeapSnapshotChunk events).');
    return chunks;
  }

  /** js-debug's proxy forwards events only after `JsDebug.subscribe`; plain Node rejects the method, harmlessly. */
  private subscribe(): Promise<void> {
    this.subscribed ??= this.channel
      .send('JsDebug.subscribe', { events: ['HeapProfiler.addHeapSnapshotChunk'] }, 2000)
      .then(() => undefined, () => undefined);
    return this.subscribed;
  }

  /** `[[GeneratorLocation]]` of one suspended async function, via its heap id. */
  private async resolveAwait(heapId: number, awaitedPromiseHeapId: number | undefined, signal?: AbortSignal): Promise<ResolvedAwait | undefined> {
    let object: { result: RemoteObject };
    try {
      object = await this.send('HeapProfiler.getObjectByHeapObjectId', { objectId: String(heapId), objectGroup: GROUP }, signal);
    } catch (e) {
      if (this.endedReason !== undefined || signal?.aborted) throw e;
      return undefined; // collected since the snapshot: it finished
    }
    const props = await this.send<GetPropertiesResult>('Runtime.getProperties', { objectId: object.result.objectId, ownProperties: true }, signal);
    const internal = new Map((props.internalProperties ?? []).map((p) => [p.name, p.value]));
    const loc = internal.get('[[GeneratorLocation]]')?.value;
    const state = String(internal.get('[[GeneratorState]]')?.value ?? 'suspended');
    const fnName = internal.get('[[GeneratorFunction]]')?.description;
    if (!loc) return undefined;
    const position = { scriptId: String(loc.scriptId), lineNumber: loc.lineNumber, columnNumber: loc.columnNumber };
    await this.ensureScripts([position], signal);
    const name = fnName ? /(?:async\s+)?(?:function\s*\*?\s*)?([\w$]+)?\s*\(/.exec(fnName)?.[1] : undefined;
    const resolved = { location: this.toLocation(position, name), state };
    this.awaitCache.set(`${heapId}:${awaitedPromiseHeapId}`, resolved);
    if (this.awaitCache.size > 50_000) this.awaitCache.clear();
    return resolved;
  }

  /**
   * Opt-in creation stacks of pending promises created since attach, by heap id. An async function's
   * outer promise is created where it was called. `getHeapObjectId` is a table lookup, not a heap walk.
   */
  private async creationStacks(list: string, signal: AbortSignal | undefined, warnings: string[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    try {
      const stacks = await this.callOn<(string | null)[]>(list, program.CREATION_STACKS, [], signal);
      const props = await this.send<GetPropertiesResult>('Runtime.getProperties', { objectId: list, ownProperties: true }, signal);
      for (const p of props.result) {
        if (!/^\d+$/.test(p.name) || !p.value?.objectId) continue;
        const stack = stacks[Number(p.name)];
        if (!stack) continue;
        const { heapSnapshotObjectId } = await this.send<{ heapSnapshotObjectId: string }>('HeapProfiler.getHeapObjectId', { objectId: p.value.objectId }, signal);
        if (heapSnapshotObjectId !== '0') out.set(Number(heapSnapshotObjectId), stack);
      }
      if (stacks.length >= this.maxRows) warnings.push(`Creation stacks read for ${this.maxRows} pending promises.`);
    } finally {
      await this.release(CREATION_GROUP);
    }
    return out;
  }

  private asyncItems(graph: AwaitGraph, resolved: Map<number, ResolvedAwait>, creations: Map<number, string>): LoopItem[] {
    const items: LoopItem[] = [];
    const leafPromises = new Map<number, { awaitedBy: number[]; resolvedBy?: string }>();
    const fnId = (heapId: number) => `node:async:${heapId}`;
    for (const fn of graph.functions) {
      const targets = graph.awaits.get(fn.heapId) ?? [];
      for (const t of targets) {
        if (t.kind !== 'promise') continue;
        const leaf = leafPromises.get(t.heapId) ?? { awaitedBy: [], ...(t.resolvedBy ? { resolvedBy: t.resolvedBy } : {}) };
        leaf.awaitedBy.push(fn.heapId);
        leafPromises.set(t.heapId, leaf);
      }
    }
    for (const fn of graph.functions) {
      const r = resolved.get(fn.heapId);
      const stack: SourceLocation[] = [];
      for (let at: number | undefined = fn.heapId, depth = 0; at !== undefined && depth < 64; depth++) {
        const frame = resolved.get(at);
        if (!frame) break;
        stack.push(frame.location);
        const awaiters: readonly number[] = graph.awaitedBy.get(at) ?? [];
        at = awaiters.length === 1 ? awaiters[0] : undefined;
      }
      const targets = graph.awaits.get(fn.heapId) ?? [];
      const definedAt = fn.definedAt ? this.toLocation(fn.definedAt) : undefined;
      const creation = creations.get(fn.promiseHeapId);
      items.push({
        id: fnId(fn.heapId),
        kind: 'async-function',
        label: `async ${fn.name}()`,
        state: r?.state === 'running' ? 'running' : 'awaiting',
        ...(r ? { location: r.location } : {}),
        ...(stack.length ? { stack } : {}),
        ...(graph.waitsOn.has(fn.heapId) ? { waitsOn: graph.waitsOn.get(fn.heapId)! } : {}),
        awaits: targets.map((t) => (t.kind === 'function' ? fnId(t.heapId) : `node:promise:${t.heapId}`)),
        awaitedBy: (graph.awaitedBy.get(fn.heapId) ?? []).map(fnId),
        details: {
          ...(definedAt ? { definedAt: `${definedAt.file}:${definedAt.line}` } : {}),
          awaitLine: r ? 'resolved' : 'not resolved yet',
          ...(creation ? { createdAt: creation } : {}),
        },
      });
    }
    for (const [heapId, leaf] of leafPromises) {
      // A promise has no place of its own (its creation site needs the opt-in hook): where it is
      // awaited is the line a reader wants, the await line of the first async function awaiting it.
      const awaitedAt = leaf.awaitedBy.map((fn) => resolved.get(fn)?.location).find((l) => l !== undefined);
      items.push({
        id: `node:promise:${heapId}`,
        kind: 'promise',
        label: 'Promise',
        state: 'pending',
        ...(awaitedAt ? { location: awaitedAt } : {}),
        ...(leaf.resolvedBy ? { waitsOn: leaf.resolvedBy } : {}),
        awaitedBy: leaf.awaitedBy.map(fnId),
        ...(creations.has(heapId) ? { details: { createdAt: creations.get(heapId)! } } : {}),
      });
    }
    return items;
  }

  // --- loop stall probe --------------------------------------------------------------------------

  private async startStallProbe(paused: boolean, signal?: AbortSignal): Promise<boolean> {
    if (paused) return false; // a paused loop has no delay to measure, and the probe's timer would never fire
    try {
      this.probeRunning = true;
      await this.evaluate(program.STALL_PROBE_START, signal);
      return true;
    } catch (e) {
      if (this.endedReason !== undefined || signal?.aborted) throw e;
      return false;
    }
  }

  /**
   * The probe waits for one of the program's timer turns; if the program got paused at a breakpoint
   * meanwhile, no turn comes: the stall stays unmeasured rather than failing the snapshot.
   */
  private async endStallProbe(started: boolean, signal?: AbortSignal): Promise<{ programStallMs?: number }> {
    if (!started) return {};
    try {
      const ms = await this.evaluate<number | null>(program.STALL_PROBE_END, signal, true, STALL_PROBE_TIMEOUT_MS);
      this.probeRunning = false;
      return typeof ms === 'number' ? { programStallMs: round(ms) } : {};
    } catch (e) {
      if (this.endedReason !== undefined || signal?.aborted || (e instanceof Error && CONTEXT_GONE.test(e.message))) throw e;
      this.log(`stall probe: ${(e as Error).message}`);
      return {};
    }
  }

  // --- CDP helpers -----------------------------------------------------------------------------

  /** Sends one request; rejects on timeout, on abort, or when the session ends. */
  private send<T>(method: string, params: Record<string, unknown>, signal?: AbortSignal, timeoutMs = this.requestTimeoutMs): Promise<T> {
    if (signal?.aborted) return Promise.reject(new Error('The snapshot was cancelled.'));
    const racers: Promise<T>[] = [this.channel.send<T>(method, params, timeoutMs), this.ended];
    if (signal) {
      racers.push(new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('The snapshot was cancelled.')), { once: true })));
    }
    return Promise.race(racers);
  }

  private async evaluate<T>(expression: string, signal?: AbortSignal, awaitPromise = false, timeoutMs = this.requestTimeoutMs): Promise<T> {
    const r = await this.send<EvaluateResult>('Runtime.evaluate', {
      expression, returnByValue: true, includeCommandLineAPI: true, silent: true, awaitPromise,
      // V8 terminates our own evaluation if it runs away: the program must not stall on our account.
      timeout: this.requestTimeoutMs,
    }, signal, timeoutMs);
    if (r.exceptionDetails) throw new Error(`evaluation failed in the program: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  private async evaluateRemote(expression: string, signal?: AbortSignal): Promise<RemoteObject> {
    const r = await this.send<EvaluateResult>('Runtime.evaluate', { expression, includeCommandLineAPI: true, silent: true, objectGroup: GROUP }, signal);
    if (r.exceptionDetails || !r.result.objectId) throw new Error(`evaluation failed in the program: ${r.exceptionDetails?.exception?.description ?? r.exceptionDetails?.text ?? 'no object'}`);
    return r.result;
  }

  private async callOn<T>(objectId: string, fn: string, args: { value?: unknown; objectId?: string }[], signal?: AbortSignal): Promise<T> {
    const r = await this.send<EvaluateResult>('Runtime.callFunctionOn', { objectId, functionDeclaration: fn, arguments: args, returnByValue: true, silent: true }, signal);
    if (r.exceptionDetails) throw new Error(`evaluation failed in the program: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  private async callOnRemote(objectId: string, fn: string, args: { value?: unknown; objectId?: string }[], signal?: AbortSignal, group = GROUP): Promise<RemoteObject> {
    const r = await this.send<EvaluateResult>('Runtime.callFunctionOn', { objectId, functionDeclaration: fn, arguments: args, silent: true, objectGroup: group }, signal);
    if (r.exceptionDetails) throw new Error(`evaluation failed in the program: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result;
  }

  /** Releases every object the backend holds in the program (never leaves anything alive on our account). */
  private async release(group = GROUP): Promise<void> {
    if (this.endedReason !== undefined) return;
    try {
      await this.channel.send('Runtime.releaseObjectGroup', { objectGroup: group }, this.requestTimeoutMs);
    } catch (e) {
      this.log(`releaseObjectGroup failed: ${(e as Error).message}`);
    }
  }

  /**
   * Script ids → URLs without the Debugger domain (which is js-debug's, and on a raw connection would
   * honour `debugger;` statements): best-effort coverage lists every script with its URL, read only
   * when an unknown id shows up.
   */
  private async ensureScripts(positions: readonly (ScriptPosition | undefined)[], signal?: AbortSignal): Promise<void> {
    if (positions.every((p) => !p || this.scripts.has(p.scriptId))) return;
    try {
      const coverage = await this.send<{ result: { scriptId: string; url: string }[] }>('Profiler.getBestEffortCoverage', {}, signal);
      for (const s of coverage.result) if (s.url) this.scripts.set(s.scriptId, s.url);
    } catch (e) {
      if (this.endedReason !== undefined || signal?.aborted) throw e;
      this.log(`script URLs unavailable: ${(e as Error).message}`);
    }
  }

  private toLocation(position: ScriptPosition, functionName?: string): SourceLocation {
    const url = this.scripts.get(position.scriptId);
    return {
      file: url ? toFile(url) : `<script ${position.scriptId}>`,
      line: position.lineNumber + 1,
      column: position.columnNumber + 1,
      ...(functionName ? { function: functionName } : {}),
    };
  }
}

// --- rows --------------------------------------------------------------------------------------

const STDIO = ['stdin', 'stdout', 'stderr'];

function handleItem(h: any, index: number): LoopItem {
  const id = h.asyncId !== undefined ? `node:handle:${h.asyncId}` : `node:handle:#${index}`;
  const ref = h.ref === false ? { state: 'unref' } : undefined;
  switch (h.kind) {
    case 'server': {
      const where = h.port !== undefined ? `${hostPort(h.address, h.port)}` : String(h.address ?? '?');
      return {
        id, kind: 'server',
        label: `${h.rawType === 'Pipe' ? 'pipe' : 'TCP'} server ${where}`,
        state: ref?.state ?? (h.listening ? 'listening' : 'not listening'),
        details: clean({ type: h.type, connections: h.connections, ref: h.ref }),
      };
    }
    case 'socket': {
      if (typeof h.fd === 'number' && h.fd >= 0 && h.fd <= 2) {
        return { id, kind: 'socket', label: `${STDIO[h.fd]} (${h.isTTY ? 'TTY' : String(h.rawType ?? 'stream').replace(/Wrap$/, '').toLowerCase()})`, state: ref?.state ?? 'open', details: clean({ type: h.type, ref: h.ref }) };
      }
      const local = h.localPort !== undefined ? hostPort(h.localAddress, h.localPort) : undefined;
      const remote = h.remotePort !== undefined ? hostPort(h.remoteAddress, h.remotePort) : undefined;
      const label = local || remote ? `TCP ${local ?? '?'} → ${remote ?? '?'}` : `${h.rawType ?? h.type}`;
      const state = h.destroyed ? 'destroyed' : h.connecting ? 'connecting' : h.pending ? 'pending' : 'connected';
      return { id, kind: 'socket', label, state: ref?.state ?? state, details: clean({ type: h.type, bytesRead: h.bytesRead, bytesWritten: h.bytesWritten, ref: h.ref }) };
    }
    case 'process':
      return { id, kind: 'process', label: `child process ${h.pid ?? '?'} (${h.file ?? '?'})`, state: ref?.state ?? 'running', details: clean({ pid: h.pid, ref: h.ref }) };
    default:
      return { id, kind: 'other', label: String(h.type ?? 'handle'), state: ref?.state ?? 'active', details: clean({ type: h.rawType, ref: h.ref }) };
  }
}

function requestItem(r: { type: string; hostname?: string; path?: string }, index: number): LoopItem {
  const label =
    r.type === 'GetAddrInfoReqWrap' ? `dns.lookup ${r.hostname ?? ''}`.trim()
    : r.type === 'GetNameInfoReqWrap' ? 'dns.lookupService'
    : r.type === 'QueryReqWrap' ? `dns query ${r.hostname ?? ''}`.trim()
    : /^FSReq/.test(r.type) ? `fs request${r.path ? ` ${r.path}` : ''}`
    : r.type;
  return { id: `node:request:#${index}`, kind: 'request', label, state: 'pending', details: { type: r.type } };
}

function hostPort(address: string | undefined, port: number): string {
  if (!address) return `:${port}`;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function clean(o: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  return out;
}

/** Distinct functions first (one lookup each tells the most), then further instances. */
function lookupOrder(graph: AwaitGraph): AwaitGraph['functions'] {
  const firsts: AwaitGraph['functions'][number][] = [];
  const rest: AwaitGraph['functions'][number][] = [];
  const seen = new Set<string>();
  for (const fn of graph.functions) {
    const key = `${fn.name}@${fn.definedAt?.scriptId}:${fn.definedAt?.lineNumber}:${fn.definedAt?.columnNumber}`;
    if (seen.has(key)) rest.push(fn);
    else {
      seen.add(key);
      firsts.push(fn);
    }
  }
  return [...firsts, ...rest];
}

function truncate(items: LoopItem[], maxPerKind: number, warnings: string[], counts: Partial<Record<ItemKind, number>>): LoopItem[] {
  const perKind = new Map<ItemKind, number>();
  const out: LoopItem[] = [];
  for (const item of items) {
    const n = (perKind.get(item.kind) ?? 0) + 1;
    perKind.set(item.kind, n);
    if (n <= maxPerKind) out.push(item);
  }
  for (const [kind, n] of perKind) if (n > maxPerKind) warnings.push(`${counts[kind] ?? n} ${kind} rows; showing ${maxPerKind}.`);
  return out;
}

function toFile(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
