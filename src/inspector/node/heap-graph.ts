/**
 * Reads a V8 heap snapshot (`HeapProfiler.takeHeapSnapshot`) for what the loop is waiting on: every
 * suspended async function and who awaits whom. The snapshot holds no await positions (those come
 * later, per function, from `[[GeneratorLocation]]`), but its edges hold the whole awaiter graph:
 *
 *   awaited Promise --reactions_or_result--> PromiseReaction --handler--> closure
 *     closure code AsyncFunctionAwait{Resolve,Reject}Closure: context --extension--> Generator (the awaiter)
 *     closure code PromiseAll{,Settled}ResolveElementClosure / PromiseAny…: context → PromiseCapability → Promise
 *     closure code PromiseCapabilityDefault{Resolve,Reject}: context → Promise (resolve functions passed on)
 *     any other handler (`then(fn)`): the reaction's derived promise
 *
 * An async function's state object is a `Generator` node with an internal `function` edge to its
 * closure and an edge to its outer `Promise`. Measured on Node 20 (V8 11.3) and Node 24 (V8 13.6).
 * Only reachable objects are in a snapshot: a chain whose innermost promise nobody can resolve is
 * garbage and is (rightly) not shown.
 */
import { Worker } from 'node:worker_threads';

export interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] }; node_count?: number };
  nodes: number[];
  edges: number[];
  strings: string[];
  locations?: number[];
}

/** Where a function is defined, 0-based as V8 reports it. */
export interface ScriptPosition {
  readonly scriptId: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

export interface SuspendedAsyncFunction {
  /** Heap object id of the async function's state object (stable while it lives). */
  readonly heapId: number;
  readonly name: string;
  readonly definedAt?: ScriptPosition;
  /** Heap id of its outer promise (what callers await). */
  readonly promiseHeapId: number;
  /** Heap id of the promise it awaits, when found. */
  readonly awaitedPromiseHeapId?: number;
}

/** What an async function (or a combinator) waits on, after looking through combinators. */
export type AwaitTarget =
  | { readonly kind: 'function'; readonly heapId: number; readonly via?: string }
  | { readonly kind: 'promise'; readonly heapId: number; readonly via?: string; readonly resolvedBy?: string };

export interface AwaitGraph {
  readonly functions: readonly SuspendedAsyncFunction[];
  /** Async function heap id → what it waits on (functions it awaits, or leaf promises). */
  readonly awaits: ReadonlyMap<number, readonly AwaitTarget[]>;
  /** Async function heap id → heap ids of the async functions awaiting it. */
  readonly awaitedBy: ReadonlyMap<number, readonly number[]>;
  /** Text for what each async function waits on (`Promise.all [2]`, `loadUser()`, `setTimeout 1000 ms`). */
  readonly waitsOn: ReadonlyMap<number, string>;
  /** scriptId → script name (path or URL) for the functions above. */
  readonly scripts: ReadonlyMap<string, string>;
  /** Promises in the snapshot that have reactions (certainly pending). */
  readonly promisesWithReactions: number;
  readonly nodeCount: number;
}

type Waiter = { kind: 'generator'; node: number } | { kind: 'promise'; node: number; via: string };

/**
 * Self-contained on purpose (no reference outside its body): `analyseHeapSnapshotInWorker` runs its
 * source text in a worker thread, so a big snapshot never blocks the extension host.
 */
export function analyseHeapSnapshot(json: HeapSnapshotJson): AwaitGraph {
  const COMBINATORS: readonly [RegExp, string][] = [
    [/PromiseAllSettled/, 'Promise.allSettled'],
    [/PromiseAll/, 'Promise.all'],
    [/PromiseAny/, 'Promise.any'],
  ];
  const meta = json.snapshot.meta;
  const NF = meta.node_fields.length;
  const EF = meta.edge_fields.length;
  const fType = meta.node_fields.indexOf('type');
  const fName = meta.node_fields.indexOf('name');
  const fId = meta.node_fields.indexOf('id');
  const fEdgeCount = meta.node_fields.indexOf('edge_count');
  const eType = meta.edge_fields.indexOf('type');
  const eName = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = json;
  const nodeCount = nodes.length / NF;

  const T_OBJECT = nodeTypes.indexOf('object');
  const T_CLOSURE = nodeTypes.indexOf('closure');
  const E_ELEMENT = edgeTypes.indexOf('element');
  const E_HIDDEN = edgeTypes.indexOf('hidden');
  const E_WEAK = edgeTypes.indexOf('weak');

  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let n = 0, e = 0; n < nodeCount; n++) {
    firstEdge[n] = e;
    e += nodes[n * NF + fEdgeCount] * EF;
    firstEdge[n + 1] = e;
  }
  const nameOf = (n: number): string => strings[nodes[n * NF + fName]];
  const typeOf = (n: number): number => nodes[n * NF + fType];
  const idOf = (n: number): number => nodes[n * NF + fId];
  const edgeName = (e: number): string | number => {
    const t = edges[e + eType];
    return t === E_ELEMENT || t === E_HIDDEN ? edges[e + eName] : strings[edges[e + eName]];
  };
  /** Strong edges of a node as [name, target node index]. */
  const edgesOf = (n: number): [string | number, number][] => {
    const out: [string | number, number][] = [];
    for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += EF) {
      if (edges[e + eType] === E_WEAK) continue;
      out.push([edgeName(e), edges[e + eTo] / NF]);
    }
    return out;
  };
  const edgeTo = (n: number, name: string): number | undefined => {
    for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += EF) if (edges[e + eType] !== E_WEAK && edgeName(e) === name) return edges[e + eTo] / NF;
    return undefined;
  };
  const isPromise = (n: number): boolean => typeOf(n) === T_OBJECT && nameOf(n) === 'Promise';
  const codeName = (closure: number): string => {
    const code = edgeTo(closure, 'code');
    return code === undefined ? '' : nameOf(code);
  };

  // Closure definition sites (the `locations` section), and script names via SharedFunctionInfo → Script.
  const definedAt = new Map<number, ScriptPosition>();
  const scripts = new Map<string, string>();
  const locations = json.locations ?? [];
  const closureOfInterest = new Set<number>();

  // 1. Suspended async functions.
  const generators: number[] = [];
  const outerPromise = new Map<number, number>();
  for (let n = 0; n < nodeCount; n++) {
    if (typeOf(n) !== T_OBJECT || nameOf(n) !== 'Generator') continue;
    const fn = edgeTo(n, 'function');
    if (fn === undefined || typeOf(fn) !== T_CLOSURE) continue;
    let promise: number | undefined;
    for (const [name, to] of edgesOf(n)) if (name !== 'function' && name !== 'context' && name !== 'receiver' && isPromise(to)) promise = to;
    if (promise === undefined) continue; // a sync generator
    generators.push(n);
    outerPromise.set(n, promise);
    closureOfInterest.add(fn);
  }
  const generatorOfPromise = new Map<number, number>();
  for (const [g, p] of outerPromise) generatorOfPromise.set(p, g);

  // 2. Who waits on each promise.
  const waitersOf = (promise: number): Waiter[] => {
    const out: Waiter[] = [];
    let reaction = edgeTo(promise, 'reactions_or_result');
    const seen = new Set<number>();
    while (reaction !== undefined && nameOf(reaction) === 'system / PromiseReaction' && !seen.has(reaction)) {
      seen.add(reaction);
      let next: number | undefined;
      let derived: number | undefined;
      for (const [, to] of edgesOf(reaction)) {
        const name = nameOf(to);
        if (name === 'system / PromiseReaction') next = to;
        else if (isPromise(to)) derived = to;
        else if (name === 'system / PromiseCapability') derived = capabilityPromise(to) ?? derived;
        else if (typeOf(to) === T_CLOSURE) {
          const code = codeName(to);
          const context = edgeTo(to, 'context');
          if (/AsyncFunctionAwait(Resolve|Reject)Closure/.test(code)) {
            const g = context === undefined ? undefined : edgeTo(context, 'extension');
            if (g !== undefined && outerPromise.has(g) && !out.some((w) => w.kind === 'generator' && w.node === g)) out.push({ kind: 'generator', node: g });
          } else if (/^\(Promise(All|Any)|^\(PromiseAllSettled/.test(code) || /PromiseCapabilityDefault(Resolve|Reject)/.test(code)) {
            const target = context === undefined ? undefined : promiseInContext(context);
            const via = COMBINATORS.find(([re]) => re.test(code))?.[1] ?? 'resolve';
            const existing = out.find((w) => w.node === target);
            // A combinator's element closure names the edge better than the capability's reject function.
            if (existing && existing.kind === 'promise' && existing.via === 'resolve') existing.via = via;
            else if (target !== undefined && !existing) out.push({ kind: 'promise', node: target, via });
          }
          // Any other handler is user code (`then(fn)`): the derived promise below is the waiter.
        }
      }
      if (derived !== undefined && !out.some((w) => w.node === derived)) out.push({ kind: 'promise', node: derived, via: 'then' });
      reaction = next;
    }
    return out;
  };
  function capabilityPromise(capability: number): number | undefined {
    for (const [, to] of edgesOf(capability)) if (isPromise(to)) return to;
    return undefined;
  }
  function promiseInContext(context: number): number | undefined {
    for (const [name, to] of edgesOf(context)) {
      if (name === 'previous' || name === 'scope_info' || name === 'map') continue;
      if (isPromise(to)) return to;
      if (nameOf(to) === 'system / PromiseCapability') return capabilityPromise(to);
    }
    return undefined;
  }

  // Forward edges promise → waiters for every promise with reactions; inverse: what feeds a promise.
  const feeders = new Map<number, { node: number; via: string }[]>();
  const awaitedPromise = new Map<number, number>();
  let promisesWithReactions = 0;
  for (let n = 0; n < nodeCount; n++) {
    if (!isPromise(n)) continue;
    const waiters = waitersOf(n);
    if (waiters.length) promisesWithReactions++;
    for (const w of waiters) {
      if (w.kind === 'generator') awaitedPromise.set(w.node, n);
      else {
        let list = feeders.get(w.node);
        if (!list) feeders.set(w.node, (list = []));
        list.push({ node: n, via: w.via });
      }
    }
  }

  // 3. What each async function waits on, looking through combinators and then-chains.
  /**
   * Who holds the resolve function of a leaf promise (a timer tells its delay). Only edges into
   * promise-resolving closures and their contexts are indexed: a full reverse index costs seconds.
   */
  let resolverIndex: { contextOf: Map<number, number[]>; holdersOf: Map<number, number[]> } | undefined;
  function resolvedBy(promise: number): string | undefined {
    if (!resolverIndex) {
      const contextOf = new Map<number, number[]>(); // promise → resolve closures
      const resolveClosures = new Set<number>();
      for (let n = 0; n < nodeCount; n++) {
        if (typeOf(n) !== T_CLOSURE || !/PromiseCapabilityDefaultResolve/.test(codeName(n))) continue;
        const context = edgeTo(n, 'context');
        const p = context === undefined ? undefined : promiseInContext(context);
        if (p === undefined) continue;
        resolveClosures.add(n);
        const list = contextOf.get(p);
        if (list) list.push(n);
        else contextOf.set(p, [n]);
      }
      const holdersOf = new Map<number, number[]>(); // resolve closure → objects holding it
      for (let from = 0; from < nodeCount; from++) {
        for (let e = firstEdge[from]; e < firstEdge[from + 1]; e += EF) {
          const to = edges[e + eTo] / NF;
          if (!resolveClosures.has(to) || edges[e + eType] === E_WEAK) continue;
          const list = holdersOf.get(to);
          if (list) list.push(from);
          else holdersOf.set(to, [from]);
        }
      }
      resolverIndex = { contextOf, holdersOf };
    }
    for (const closure of resolverIndex.contextOf.get(promise) ?? []) {
      for (const holder of resolverIndex.holdersOf.get(closure) ?? []) {
        if (nameOf(holder) === 'Timeout') return 'setTimeout';
      }
    }
    return undefined;
  }

  const targetsOf = (promise: number, via: string | undefined, depth: number, seen: Set<number>): AwaitTarget[] => {
    if (seen.has(promise)) return [];
    seen.add(promise);
    const g = generatorOfPromise.get(promise);
    if (g !== undefined) return [{ kind: 'function', heapId: idOf(g), via }];
    const inputs = feeders.get(promise);
    if (!inputs || depth > 8) {
      const resolved = resolvedBy(promise);
      return [{ kind: 'promise', heapId: idOf(promise), via, ...(resolved ? { resolvedBy: resolved } : {}) }];
    }
    // Several promises resolving one (Promise.race, or resolve functions handed to several `then`s): the first settled wins.
    const race = inputs.length > 1 && inputs.every((i) => i.via === 'resolve') ? 'first settled of' : undefined;
    return inputs.flatMap((i) => targetsOf(i.node, via ?? race ?? (i.via === 'then' || i.via === 'resolve' ? undefined : i.via), depth + 1, seen));
  };

  const functions: SuspendedAsyncFunction[] = [];
  const awaits = new Map<number, AwaitTarget[]>();
  const awaitedBy = new Map<number, number[]>();
  const waitsOn = new Map<number, string>();
  const fnName = (g: number): string => nameOf(edgeTo(g, 'function')!) || '(anonymous)';
  const nameByHeapId = new Map<number, string>(generators.map((g) => [idOf(g), fnName(g)]));
  for (const g of generators) {
    const awaited = awaitedPromise.get(g);
    functions.push({ heapId: idOf(g), name: fnName(g), promiseHeapId: idOf(outerPromise.get(g)!), ...(awaited !== undefined ? { awaitedPromiseHeapId: idOf(awaited) } : {}) });
    if (awaited === undefined) continue;
    const targets = targetsOf(awaited, undefined, 0, new Set());
    awaits.set(idOf(g), targets);
    for (const t of targets) {
      if (t.kind !== 'function') continue;
      let list = awaitedBy.get(t.heapId);
      if (!list) awaitedBy.set(t.heapId, (list = []));
      list.push(idOf(g));
    }
    waitsOn.set(idOf(g), describeTargets(targets, (id) => nameByHeapId.get(id) ?? 'async function'));
  }

  // 4. Definition sites of the async functions' closures, and their scripts' names.
  for (let i = 0; i + 3 < locations.length; i += 4) {
    const n = locations[i] / NF;
    if (!closureOfInterest.has(n)) continue;
    const scriptId = String(locations[i + 1]);
    definedAt.set(n, { scriptId, lineNumber: locations[i + 2], columnNumber: locations[i + 3] });
    if (!scripts.has(scriptId)) {
      const shared = edgeTo(n, 'shared');
      const script = shared === undefined ? undefined : edgeTo(shared, 'script_or_debug_info') ?? edgeTo(shared, 'script');
      const name = script === undefined ? undefined : nameOf(script);
      if (name && !name.startsWith('system /')) scripts.set(scriptId, name);
    }
  }
  const withDefinitions = functions.map((f, i) => {
    const at = definedAt.get(edgeTo(generators[i], 'function')!);
    return at ? { ...f, definedAt: at } : f;
  });

  return { functions: withDefinitions, awaits, awaitedBy, waitsOn, scripts, promisesWithReactions, nodeCount };

  function describeTargets(targets: readonly AwaitTarget[], nameOf: (heapId: number) => string): string {
    if (targets.length === 0) return 'a promise';
    const via = targets[0].via;
    const parts = targets.map((t) => (t.kind === 'function' ? `${nameOf(t.heapId)}()` : t.resolvedBy ? `a promise (${t.resolvedBy})` : 'a promise'));
    const unique = [...new Set(parts)];
    const list = unique.length > 3 ? `${unique.slice(0, 3).join(', ')}, …` : unique.join(', ');
    if (via) return `${via} [${targets.length}]: ${list}`;
    return targets.length === 1 ? list : `${targets.length}: ${list}`;
  }
}

/**
 * Parses and analyses a snapshot's chunks in a worker thread: a 10,000-function snapshot is ~13 MB of
 * JSON and a second or more of work that must not block the extension host. Rejects on `signal` or
 * after `timeoutMs`, terminating the worker.
 */
export function analyseHeapSnapshotInWorker(chunks: readonly string[], options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<AwaitGraph> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const analyse = (${analyseHeapSnapshot.toString()});
    try {
      parentPort.postMessage({ graph: analyse(JSON.parse(workerData.join(''))) });
    } catch (e) {
      parentPort.postMessage({ error: String(e && e.stack || e) });
    }`;
  return new Promise<AwaitGraph>((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: chunks });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      fn();
    };
    const onAbort = () => finish(() => reject(new Error('The snapshot was cancelled.')));
    const timer = setTimeout(() => finish(() => reject(new Error(`Analysing the heap snapshot took longer than ${options.timeoutMs} ms.`))), options.timeoutMs ?? 120_000);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (m: { graph?: AwaitGraph; error?: string }) => finish(() => (m.graph ? resolve(m.graph) : reject(new Error(`heap snapshot analysis failed: ${m.error}`)))));
    worker.once('error', (e) => finish(() => reject(e)));
    worker.once('exit', (code) => finish(() => reject(new Error(`heap snapshot analysis stopped (exit ${code})`))));
  });
}
