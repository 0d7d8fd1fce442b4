/**
 * The JavaScript the Node backend evaluates inside the debugged program, kept as source text (not
 * functions serialised with `toString()`, which a bundler may rewrite). Every piece only reads, except
 * the observers it installs and removes itself: an event-loop delay histogram, a stall probe while a
 * snapshot runs, and the opt-in promise creation hook. Their state lives on one non-enumerable global
 * keyed by a registered symbol, so a second backend (a reattach) finds and reuses it.
 *
 * `require` comes from the inspector's command-line API (`includeCommandLineAPI: true`), which Node
 * provides in CommonJS and ESM programs alike; `process.getBuiltinModule` (Node 22.3+) is preferred.
 */

/** Gets or creates the shared state. Evaluated as a prefix of every program below. */
const STATE = `
  const load = (name) => (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(name) : require(name));
  const KEY = Symbol.for('asyncwise.inspector');
  const asyncIdOf = (o) => {
    if (!o || typeof o !== 'object') return undefined;
    const sym = Object.getOwnPropertySymbols(o).find((s) => s.description === 'async_id_symbol' || s.description === 'asyncId');
    const id = sym ? o[sym] : undefined;
    return typeof id === 'number' ? id : undefined;
  };
  let state = globalThis[KEY];
  if (!state) {
    state = { version: 1 };
    Object.defineProperty(globalThis, KEY, { value: state, configurable: true, enumerable: false, writable: false });
  }
`;

/**
 * Tier 1, one round trip: resource counts, handles (servers, sockets, child processes), requests, and
 * loop health since the previous call. Returns plain JSON.
 */
export const TIER1_SUMMARY = `(() => {${STATE}
  const { monitorEventLoopDelay, performance } = load('node:perf_hooks');
  const net = load('node:net');
  const health = {};
  if (!state.delay) {
    state.delay = monitorEventLoopDelay({ resolution: 10 });
    state.delay.enable();
    state.elu = performance.eventLoopUtilization();
  } else {
    const h = state.delay;
    if (h.count > 0) {
      health.delayP50Ms = h.percentile(50) / 1e6;
      health.delayP99Ms = h.percentile(99) / 1e6;
      health.delayMaxMs = h.max / 1e6;
    }
    h.reset();
    const now = performance.eventLoopUtilization();
    health.utilization = performance.eventLoopUtilization(now, state.elu).utilization;
    state.elu = now;
  }
  const handles = [];
  let handleList = [];
  try { handleList = process._getActiveHandles(); } catch {}
  for (const h of handleList) {
    try {
      const type = (h && h.constructor && h.constructor.name) || typeof h;
      const asyncId = asyncIdOf(h) ?? asyncIdOf(h && h._handle);
      const raw = h && h._handle;
      const rawType = raw && raw.constructor && raw.constructor.name;
      const ref = raw && typeof raw.hasRef === 'function' ? raw.hasRef() : undefined;
      if (net.Server && h instanceof net.Server) {
        const a = h.address();
        handles.push({ kind: 'server', type, asyncId, rawType, ref, listening: !!h.listening,
          address: a && typeof a === 'object' ? a.address : a, port: a && typeof a === 'object' ? a.port : undefined,
          family: a && typeof a === 'object' ? a.family : undefined, connections: h._connections });
      } else if (net.Socket && h instanceof net.Socket) {
        handles.push({ kind: 'socket', type, asyncId, rawType, ref, fd: typeof h.fd === 'number' ? h.fd : (raw && typeof raw.fd === 'number' && raw.fd >= 0 && raw.fd <= 2 ? raw.fd : undefined),
          isTTY: !!h.isTTY, connecting: !!h.connecting, destroyed: !!h.destroyed, pending: !!h.pending,
          localAddress: h.localAddress, localPort: h.localPort, remoteAddress: h.remoteAddress, remotePort: h.remotePort,
          bytesRead: h.bytesRead, bytesWritten: h.bytesWritten });
      } else if (type === 'ChildProcess') {
        handles.push({ kind: 'process', type, asyncId, ref, pid: h.pid, file: h.spawnfile, args: Array.isArray(h.spawnargs) ? h.spawnargs.slice(1, 4) : undefined });
      } else {
        handles.push({ kind: 'other', type, asyncId, rawType, ref });
      }
    } catch (e) {
      handles.push({ kind: 'other', type: 'unreadable handle', error: String(e) });
    }
  }
  const requests = [];
  let requestList = [];
  try { requestList = process._getActiveRequests(); } catch {}
  for (const r of requestList) {
    const type = (r && r.constructor && r.constructor.name) || typeof r;
    requests.push({ type, hostname: typeof r.hostname === 'string' ? r.hostname : undefined,
      path: r.context && typeof r.context.path === 'string' ? r.context.path : undefined });
  }
  return { version: process.version, pid: process.pid, resources: process.getActiveResourcesInfo(), handles, requests, health };
})()`;

/**
 * Returns a `Timeout` prototype without keeping a timer: a throw-away timer is created and cleared at
 * once (the only way to reach the class in Node 20, where it is internal).
 */
export const TIMEOUT_PROTOTYPE = `(() => { const t = setTimeout(() => {}, 0); clearTimeout(t); return Object.getPrototypeOf(t); })()`;

/**
 * Called on the array `Runtime.queryObjects` returns for `Timeout.prototype`: reads each live timer.
 * Returns `{ timers: [{index, delay, repeat, ref, name}] }` for timers not yet fired or cleared.
 */
export const SUMMARISE_TIMERS = `function (limit) {
  const asyncIdOf = (o) => {
    const sym = Object.getOwnPropertySymbols(o).find((s) => s.description === 'async_id_symbol' || s.description === 'asyncId');
    const id = sym ? o[sym] : undefined;
    return typeof id === 'number' ? id : undefined;
  };
  const out = [];
  let total = 0;
  for (let i = 0; i < this.length; i++) {
    const t = this[i];
    if (!t || t._destroyed || t._idleTimeout === -1) continue;
    total++;
    if (out.length >= limit) continue;
    const cb = t._onTimeout;
    let ref;
    try { ref = typeof t.hasRef === 'function' ? t.hasRef() : undefined; } catch {}
    out.push({ index: i, asyncId: asyncIdOf(t), delay: t._idleTimeout, repeat: t._repeat != null, ref, name: typeof cb === 'function' ? cb.name : undefined });
  }
  return { total, timers: out };
}`;

/** Called on the timers array with `(indexes)`: those timers' callbacks, as an array. */
export const TIMER_CALLBACKS = `function (indexes) { return indexes.map((i) => this[i] && this[i]._onTimeout); }`;

/**
 * Called on the array `Runtime.queryObjects` returns for `Promise.prototype`, with `util` as argument:
 * counts pending promises. `util.inspect` is the only public way to read a promise's state.
 */
export const COUNT_PENDING_PROMISES = `function (util) {
  let pending = 0;
  for (let i = 0; i < this.length; i++) {
    const text = util.inspect(this[i], { depth: 0, customInspect: false, showProxy: false, maxStringLength: 0, maxArrayLength: 0 });
    // 'Promise { <pending> }' (or 'MyPromise [Promise] { <pending> }'), not a result that mentions it.
    const brace = text.indexOf('{');
    if (brace >= 0 && text.slice(brace + 1).trimStart().startsWith('<pending>')) pending++;
  }
  return { total: this.length, pending };
}`;

export const UTIL_MODULE = `(() => { ${STATE} return load('node:util'); })()`;

/** Starts a 1 ms loop-delay monitor for the duration of one snapshot: the program's stall, measured in the program. */
export const STALL_PROBE_START = `(() => {${STATE}
  if (state.stall) { state.stall.disable(); }
  state.stall = load('node:perf_hooks').monitorEventLoopDelay({ resolution: 1 });
  state.stall.enable();
  return true;
})()`;

/**
 * Waits a few loop turns (so the monitor's timer has fired after the last stall), then returns the
 * largest delay seen in ms and stops the monitor. The wait uses an unref'd timer: it never keeps the
 * program alive.
 */
export const STALL_PROBE_END = `(() => {${STATE}
  const h = state.stall;
  if (!h) return null;
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      state.stall = undefined;
      h.disable();
      resolve(h.count > 0 ? h.max / 1e6 : 0);
    }, 5);
    if (t && t.unref) t.unref();
  });
})()`;

/** Stops a stall probe a failed or cancelled snapshot left running (its 1 ms timer must not outlive the snapshot). */
export const STALL_PROBE_STOP = `(() => {${STATE}
  if (state.stall) { state.stall.disable(); state.stall = undefined; }
  return true;
})()`;

/**
 * Opt-in: records a creation stack for every promise created from now on (`v8.promiseHooks.onInit`),
 * in a WeakMap so nothing is kept alive. Stack capture is expensive; the panel says so.
 */
export const CREATION_HOOK_START = `(() => {${STATE}
  if (state.stopCreationHook) return true;
  const created = state.created || (state.created = new WeakMap());
  const started = Date.now();
  state.creationSince = started;
  const limit = Error.stackTraceLimit;
  const hook = (promise) => {
    const holder = {};
    Error.stackTraceLimit = 12;
    Error.captureStackTrace(holder, hook); // frames from the promise's creator on, not the hook's
    Error.stackTraceLimit = limit;
    created.set(promise, { at: Date.now(), stack: holder.stack });
  };
  state.stopCreationHook = load('node:v8').promiseHooks.onInit(hook);
  return true;
})()`;

/**
 * Called on the array of every promise with `(util, limit)`: the pending ones that have a recorded
 * creation, at most `limit`, as an array (kept remote, to map each to its heap id).
 */
export const PENDING_WITH_CREATION = `function (util, limit) {
  const state = globalThis[Symbol.for('asyncwise.inspector')];
  const out = [];
  if (!state || !state.created) return out;
  for (let i = 0; i < this.length && out.length < limit; i++) {
    const p = this[i];
    if (!state.created.has(p)) continue;
    const text = util.inspect(p, { depth: 0, customInspect: false, showProxy: false, maxStringLength: 0, maxArrayLength: 0 });
    const brace = text.indexOf('{');
    if (brace >= 0 && text.slice(brace + 1).trimStart().startsWith('<pending>')) out.push(p);
  }
  return out;
}`;

/** Called on that array: each promise's creation stack, in the same order. */
export const CREATION_STACKS = `function () {
  const state = globalThis[Symbol.for('asyncwise.inspector')];
  return this.map((p) => {
    const c = state && state.created && state.created.get(p);
    if (!c || typeof c.stack !== 'string') return null;
    return c.stack.split('\\n').slice(1).map((l) => l.trim()).join('\\n'); // without the 'Error' line
  });
}`;

/** Removes everything the backend installed in the program. */
export const CLEANUP = `(() => {
  const KEY = Symbol.for('asyncwise.inspector');
  const state = globalThis[KEY];
  if (!state) return false;
  try { if (state.delay) state.delay.disable(); } catch {}
  try { if (state.stall) state.stall.disable(); } catch {}
  try { if (state.stopCreationHook) state.stopCreationHook(); } catch {}
  delete globalThis[KEY];
  return true;
})()`;

/**
 * Sends the program SIGTERM, as an orchestrator stopping it would, once this evaluation has returned
 * (so the answer gets out first). Returns how many SIGTERM listeners it has: none means Node's default,
 * exit at once.
 */
export const SEND_SIGTERM = `(() => {
  const listeners = process.listenerCount('SIGTERM');
  setImmediate(() => process.kill(process.pid, 'SIGTERM'));
  return listeners;
})()`;

/**
 * For servers, and sockets a server accepted: the function that handles their traffic (a server's
 * 'request' or 'connection' listener), which is where the code that made the server lives. Returns
 * `[{ id, fn }]` by handle async id, kept remote to read each function's location.
 */
export const HANDLE_LISTENERS = `(() => {${STATE}
  const net = load('node:net');
  const out = [];
  let list = [];
  try { list = process._getActiveHandles(); } catch {}
  for (const h of list) {
    try {
      const server = net.Server && h instanceof net.Server ? h : net.Socket && h instanceof net.Socket && h.server instanceof net.Server ? h.server : undefined;
      if (!server) continue;
      const fn = server.listeners('request')[0] || server.listeners('connection').find((f) => !/^connectionListener/.test(f.name));
      const id = asyncIdOf(h) ?? asyncIdOf(h._handle);
      if (typeof fn === 'function' && id !== undefined) out.push({ id, fn });
    } catch {}
  }
  return out;
})()`;
