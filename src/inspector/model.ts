/**
 * The loop inspector's snapshot model: what a debugged program's event loop is waiting on, the same
 * shape for Node (CDP) and Python (DAP) backends. The panel renders only this; backends produce only
 * this. Plain JSON (no classes, no Maps) so it crosses the webview boundary and test processes as is.
 */

/** What a row is. Node: handles, requests, timers, promises, suspended async functions. Python: tasks. */
export type ItemKind =
  | 'task' // Python asyncio.Task
  | 'async-function' // a suspended JS async function (its generator), at its await line
  | 'promise' // a pending JS promise not otherwise explained
  | 'timer' // setTimeout / setInterval, asyncio TimerHandle
  | 'immediate' // setImmediate, call_soon callbacks
  | 'server' // listening TCP/pipe server
  | 'socket' // connected socket, pipe, TTY
  | 'request' // pending libuv request (fs, dns, …)
  | 'process' // child process
  | 'thread' // Python: a thread or executor worker still running (listed after a shutdown request)
  | 'other';

export const ITEM_KINDS: readonly ItemKind[] = ['task', 'async-function', 'promise', 'timer', 'immediate', 'server', 'socket', 'request', 'process', 'thread', 'other'];

/** A place in source. `line` and `column` are 1-based, as users read them. */
export interface SourceLocation {
  /** Absolute path or URL as the runtime reports it (file:///… for Node ESM, a path for Python). */
  readonly file: string;
  readonly line: number;
  readonly column?: number;
  /** Function or coroutine name at this place, when known. */
  readonly function?: string;
}

export interface LoopItem {
  /** Stable across snapshots of the same program while the object lives (task id, heap id, handle id). */
  readonly id: string;
  readonly kind: ItemKind;
  /** Task name, `setInterval 1000 ms`, `TCP 127.0.0.1:8080 → 127.0.0.1:53122`, … */
  readonly label: string;
  /** Short state word: `pending`, `cancelling`, `waiting`, `listening`, `connected`, `unref`, … */
  readonly state: string;
  /** Where it is suspended (Python task, JS async function) or where its callback lives (timer). */
  readonly location?: SourceLocation;
  /** The whole await stack, innermost first, user code and library frames alike. */
  readonly stack?: readonly SourceLocation[];
  /** Human text for what it waits on: `asyncio.sleep (2.4 s left)`, `Queue.get`, `task "db-pool"`. */
  readonly waitsOn?: string;
  /** Ids of items this one awaits (edges of the who-awaits-whom tree). */
  readonly awaits?: readonly string[];
  /** Ids of items awaiting this one. */
  readonly awaitedBy?: readonly string[];
  /** Milliseconds since it was created, when the runtime knows. */
  readonly ageMs?: number;
  /** Python: `task.cancelling()` (3.11+). */
  readonly cancelling?: number;
  /** Cancelled (or cancel requested) some seconds ago and still running: the shutdown hang. */
  readonly ignoringCancellation?: boolean;
  /** The handler that swallowed the cancellation, when known. */
  readonly cancellationSwallowedAt?: SourceLocation;
  /** Whether the panel may offer a cancel button (Python tasks). */
  readonly cancellable?: boolean;
  /**
   * After a shutdown request (`LoopSnapshot.shutdown`): this item is one of the reasons the program
   * does not exit (a task still alive, a non-daemon thread or busy executor worker, a ref'd handle).
   */
  readonly blocksExit?: boolean;
  /** The static rule that would have caught the cause (`AW101`), when one applies; a key of `SHUTDOWN_RULES`. */
  readonly rule?: string;
  /** Extra facts shown in a detail view: `{ delayMs: 1000, repeat: true, ref: false }`. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/** What each tier cost: wall time of the snapshot and how long the program's loop was stalled by it. */
export interface SnapshotCost {
  readonly tier: 1 | 2;
  readonly durationMs: number;
  /** Measured or estimated loop stall in the debugged program; undefined when not measurable. */
  readonly programStallMs?: number;
}

export interface LoopHealth {
  /** Event-loop delay percentiles since the last snapshot, in ms. */
  readonly delayP50Ms?: number;
  readonly delayP99Ms?: number;
  readonly delayMaxMs?: number;
  /** Event-loop utilization 0..1 since the last snapshot (Node). */
  readonly utilization?: number;
}

export interface LoopSnapshot {
  readonly runtime: 'node' | 'python';
  /** Runtime version string, e.g. `v20.20.2`, `3.11.2`. */
  readonly runtimeVersion?: string;
  /** Tiers this snapshot includes: 1 (cheap, automatic) and/or 2 (on demand). */
  readonly tiers: readonly (1 | 2)[];
  /** Epoch ms when taken. */
  readonly takenAt: number;
  readonly costs: readonly SnapshotCost[];
  readonly health?: LoopHealth;
  /** Node: active resources by type as `process.getActiveResourcesInfo()` counts them (`{ Timeout: 3, TCPSocketWrap: 2 }`). */
  readonly resources?: Readonly<Record<string, number>>;
  /** Counts by kind (also for kinds whose rows were truncated). */
  readonly counts: Readonly<Partial<Record<ItemKind, number>>>;
  readonly items: readonly LoopItem[];
  /**
   * Whether the program was stopped in the debugger (a breakpoint, the user's pause) when the snapshot
   * was taken, and stays so. Not set for a pause the inspector makes only to read (Python's deep
   * snapshot): the program runs on at once, and that stall is in `costs`.
   */
  readonly whilePaused?: boolean;
  /** Set once the program was asked to stop (Simulate shutdown): what was done, and when. */
  readonly shutdown?: ShutdownState;
  /** Things the user should know: a tier unavailable on this runtime, a timeout, truncation. */
  readonly warnings: readonly string[];
}

/** A shutdown request the inspector made, as the snapshots taken after it report it. */
export interface ShutdownState {
  /** Epoch ms when the request was sent. */
  readonly requestedAt: number;
  /** What was done, in words: `SIGTERM sent (2 listeners)`, `cancelled 6 tasks, as asyncio.run() does`. */
  readonly how: string;
}

/**
 * The static rules a shutdown blocker can point to (code → name), so the panel can link a row to the
 * rule's docs without the catalog in its bundle. A unit test checks these against the catalog.
 */
export const SHUTDOWN_RULES: Readonly<Record<string, string>> = {
  AW101: 'swallowed-cancellation',
  AW305: 'thread-blocks-shutdown',
  AW306: 'interval-never-cleared',
};
