/**
 * The inspector webview's view model, free of the DOM so unit tests drive it: which rows a snapshot
 * shows for a filter, a grouping (by kind, by location, or the who-awaits-whom tree) and a sort, and
 * how values read. The DOM side (inspector.ts) only draws the rows this returns, a screenful at a time.
 */
import { SHUTDOWN_RULES, type ItemKind, type LoopItem, type LoopSnapshot, type SourceLocation } from '../../src/inspector/model';

export type GroupBy = 'kind' | 'location' | 'tree' | 'none';
export type SortKey = 'kind' | 'label' | 'state' | 'location' | 'waitsOn' | 'age';

export interface ViewOptions {
  readonly filter: string;
  readonly groupBy: GroupBy;
  readonly sortBy: SortKey;
  readonly sortDescending: boolean;
  /** Keys of collapsed groups (`kind:timer`, `loc:/a/b.py:12`) and of collapsed tree nodes (`item:<id>`). */
  readonly collapsed: ReadonlySet<string>;
}

export const DEFAULT_OPTIONS: ViewOptions = { filter: '', groupBy: 'kind', sortBy: 'age', sortDescending: true, collapsed: new Set() };

export type Row =
  | { readonly type: 'group'; readonly key: string; readonly label: string; readonly count: number; readonly collapsed: boolean; /** How many the program has when the backend sent fewer rows. */ readonly total?: number }
  | { readonly type: 'item'; readonly item: LoopItem; readonly depth: number; readonly key?: string; readonly hasChildren: boolean; readonly collapsed: boolean };

const KIND_LABELS: Record<ItemKind, string> = {
  task: 'Tasks',
  'async-function': 'Suspended async functions',
  promise: 'Pending promises',
  timer: 'Timers',
  immediate: 'Immediates',
  server: 'Servers',
  socket: 'Sockets',
  request: 'Requests',
  process: 'Child processes',
  thread: 'Threads',
  other: 'Other',
};

export function kindLabel(kind: ItemKind): string {
  return KIND_LABELS[kind] ?? kind;
}

/** `worker.py:42` for a path or file URL; the full text goes into the tooltip. */
export function shortLocation(location: SourceLocation | undefined): string {
  if (!location) return '';
  let file = location.file;
  if (file.startsWith('file://')) {
    try {
      file = decodeURIComponent(new URL(file).pathname);
    } catch {
      // Keep it as the runtime reported it.
    }
  }
  const base = file.split(/[\\/]/).pop() || file;
  return `${base}:${location.line}`;
}

/** `flush_once — inspector/service.py:27`: the function and the file's last two path parts (the tooltip has it all). */
export function mediumLocation(location: SourceLocation | undefined): string {
  if (!location) return '';
  let file = location.file;
  if (file.startsWith('file://')) {
    try {
      file = decodeURIComponent(new URL(file).pathname);
    } catch {
      // Keep it as the runtime reported it.
    }
  }
  const tail = file.split(/[\\/]/).filter(Boolean).slice(-2).join('/') || file;
  const where = `${tail}:${location.line}`;
  return location.function ? `${location.function} — ${where}` : where;
}

export function fullLocation(location: SourceLocation | undefined): string {
  if (!location) return '';
  const where = `${location.file}:${location.line}${location.column !== undefined ? `:${location.column}` : ''}`;
  return location.function ? `${location.function} — ${where}` : where;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} m`;
}

/** The lowercase text a filter matches against: everything a row shows. */
function haystack(item: LoopItem): string {
  return [item.kind, item.label, item.state, item.waitsOn ?? '', fullLocation(item.location), item.id].join('\u0000').toLowerCase();
}

function compare(a: LoopItem, b: LoopItem, key: SortKey): number {
  switch (key) {
    case 'age':
      return (a.ageMs ?? -1) - (b.ageMs ?? -1);
    case 'location': {
      const byFile = (a.location?.file ?? '').localeCompare(b.location?.file ?? '');
      return byFile || (a.location?.line ?? 0) - (b.location?.line ?? 0);
    }
    case 'waitsOn':
      return (a.waitsOn ?? '').localeCompare(b.waitsOn ?? '');
    default:
      return String(a[key]).localeCompare(String(b[key]));
  }
}

function sorted(items: readonly LoopItem[], options: ViewOptions): LoopItem[] {
  const sign = options.sortDescending ? -1 : 1;
  // Ties keep the backend's order (Array.prototype.sort is stable), so rows do not jump between refreshes.
  return [...items].sort((a, b) => sign * compare(a, b, options.sortBy));
}

/** The rows to draw, in order. Linear in the number of items apart from the sort. */
export function buildRows(snapshot: LoopSnapshot, options: ViewOptions): Row[] {
  const needle = options.filter.trim().toLowerCase();
  const matches = (item: LoopItem) => !needle || haystack(item).includes(needle);
  if (options.groupBy === 'tree') return buildTree(snapshot.items, options, matches);
  const items = sorted(snapshot.items.filter(matches), options);
  if (options.groupBy === 'none') return items.map((item) => ({ type: 'item', item, depth: 0, hasChildren: false, collapsed: false }));

  const groups = new Map<string, { label: string; items: LoopItem[] }>();
  for (const item of items) {
    const [key, label] =
      options.groupBy === 'kind'
        ? [`kind:${item.kind}`, kindLabel(item.kind)]
        : item.location
          ? [`loc:${item.location.file}:${item.location.line}`, fullLocation({ ...item.location, function: item.location.function })]
          : ['loc:', '(no location)'];
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { label, items: [] }));
    group.items.push(item);
  }
  const keys = [...groups.keys()];
  if (options.groupBy === 'kind') keys.sort((a, b) => KIND_ORDER(a) - KIND_ORDER(b));
  else keys.sort((a, b) => groups.get(b)!.items.length - groups.get(a)!.items.length || a.localeCompare(b));
  const rows: Row[] = [];
  for (const key of keys) {
    const group = groups.get(key)!;
    const collapsed = options.collapsed.has(key);
    const kind = key.startsWith('kind:') ? (key.slice('kind:'.length) as ItemKind) : undefined;
    const total = kind && !needle ? snapshot.counts[kind] : undefined;
    rows.push({ type: 'group', key, label: group.label, count: group.items.length, collapsed, ...(total !== undefined && total > group.items.length ? { total } : {}) });
    if (!collapsed) for (const item of group.items) rows.push({ type: 'item', item, depth: 1, hasChildren: false, collapsed: false });
  }
  return rows;
}

const NO_ITEMS: LoopItem[] = [];

function KIND_ORDER(key: string): number {
  const at = (Object.keys(KIND_LABELS) as string[]).indexOf(key.slice('kind:'.length));
  return at < 0 ? 99 : at;
}

/**
 * Who awaits whom: roots are the items nobody (present in the snapshot) awaits; children are what an
 * item awaits. Shared children appear under each awaiter; cycles are cut at the repeat. With a filter,
 * a node stays when it or anything below it matches.
 */
function buildTree(all: readonly LoopItem[], options: ViewOptions, matches: (item: LoopItem) => boolean): Row[] {
  const byId = new Map(all.map((item) => [item.id, item]));
  const children = new Map<string, LoopItem[]>();
  const awaited = new Set<string>();
  const link = (parent: string, child: string) => {
    const p = byId.get(parent);
    const c = byId.get(child);
    if (!p || !c || parent === child) return;
    let list = children.get(parent);
    if (!list) children.set(parent, (list = []));
    if (!list.includes(c)) list.push(c);
    awaited.add(child);
  };
  for (const item of all) {
    for (const child of item.awaits ?? []) link(item.id, child);
    for (const parent of item.awaitedBy ?? []) link(parent, item.id);
  }
  // Memoised "this subtree has a match", cycle-safe (a node on the current path counts as no match).
  const keep = new Map<string, boolean>();
  const onPath = new Set<string>();
  const subtreeMatches = (item: LoopItem): boolean => {
    const known = keep.get(item.id);
    if (known !== undefined) return known;
    if (onPath.has(item.id)) return false;
    onPath.add(item.id);
    let result = matches(item);
    for (const child of children.get(item.id) ?? []) if (subtreeMatches(child)) result = true;
    onPath.delete(item.id);
    keep.set(item.id, result);
    return result;
  };
  const rows: Row[] = [];
  const path = new Set<string>();
  const visit = (item: LoopItem, depth: number, parentKey: string) => {
    if (!subtreeMatches(item)) return;
    const direct = children.get(item.id);
    const kids = direct ? sorted(direct.filter((c) => !path.has(c.id)), options) : NO_ITEMS;
    // Tree keys carry the path: the same task under two awaiters collapses independently.
    const key = `item:${parentKey}/${item.id}`;
    const collapsed = options.collapsed.has(key);
    rows.push({ type: 'item', item, depth, key, hasChildren: kids.length > 0, collapsed });
    if (collapsed || depth > 200) return;
    path.add(item.id);
    for (const child of kids) visit(child, depth + 1, `${parentKey}/${item.id}`);
    path.delete(item.id);
  };
  const roots = all.filter((item) => !awaited.has(item.id));
  // Members of a pure cycle are reachable from no root: each unreached one starts a tree of its own.
  const reached = new Set<string>();
  const stack = roots.map((r) => r.id);
  while (stack.length) {
    const id = stack.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    for (const child of children.get(id) ?? []) stack.push(child.id);
  }
  for (const item of sorted(roots, options)) visit(item, 0, '');
  for (const item of all) {
    if (reached.has(item.id)) continue;
    const before = rows.length;
    visit(item, 0, '');
    // Everything this tree showed is now reached.
    for (let i = before; i < rows.length; i++) {
      const row = rows[i]!;
      if (row.type === 'item') reached.add(row.item.id);
    }
    reached.add(item.id);
  }
  return rows;
}

/** Each kind counted: `1 server`, `2 servers`. */
const KIND_NOUNS: Record<ItemKind, readonly [string, string]> = {
  task: ['task', 'tasks'],
  'async-function': ['suspended async function', 'suspended async functions'],
  promise: ['pending promise', 'pending promises'],
  timer: ['timer', 'timers'],
  immediate: ['immediate', 'immediates'],
  server: ['server', 'servers'],
  socket: ['socket', 'sockets'],
  request: ['request', 'requests'],
  process: ['child process', 'child processes'],
  thread: ['thread', 'threads'],
  other: ['other handle', 'other handles'],
};

export function countOf(kind: ItemKind, n: number): string {
  const [one, many] = KIND_NOUNS[kind] ?? [kind, kind];
  return `${n} ${n === 1 ? one : many}`;
}

/** The summary line: counts by kind, loop lag and utilisation, what each tier cost. */
export function summary(snapshot: LoopSnapshot): { counts: string; health: string; costs: string } {
  const counts = (Object.keys(KIND_LABELS) as ItemKind[])
    .filter((k) => (snapshot.counts[k] ?? 0) > 0)
    .map((k) => countOf(k, snapshot.counts[k]!))
    .join(' · ');
  const h = snapshot.health;
  const health: string[] = [];
  if (h?.delayP50Ms !== undefined || h?.delayP99Ms !== undefined) health.push(`loop lag p50 ${formatDuration(h.delayP50Ms)} · p99 ${formatDuration(h.delayP99Ms)}${h.delayMaxMs !== undefined ? ` · max ${formatDuration(h.delayMaxMs)}` : ''}`);
  if (h?.utilization !== undefined) health.push(`busy ${Math.round(h.utilization * 100)}%`);
  const costs = snapshot.costs
    .map((c) => `tier ${c.tier}: ${formatDuration(c.durationMs)}${c.programStallMs !== undefined ? `, program stalled ${formatDuration(c.programStallMs)}` : ''}`)
    .join(' · ');
  return { counts: counts || 'nothing pending', health: health.join(' · '), costs };
}

/** The kind column's short word. */
export function kindWord(kind: ItemKind): string {
  return kind === 'async-function' ? 'async fn' : kind;
}

/** The state as a row shows it, short enough for a narrow side bar; the tooltip has the long form. */
export function stateText(item: LoopItem): { text: string; title: string } {
  if (item.ignoringCancellation) return { text: '⚠ ignores cancel', title: `cancel requested${item.cancelling ? ` ${item.cancelling}×` : ''}, still running: it ignores the cancellation (a shutdown hang)` };
  const text = item.cancelling && item.state !== 'cancelling' ? `${item.state}, cancelling` : item.state;
  return { text, title: item.cancelling ? `${text}: cancel requested ${item.cancelling}×` : text };
}

const yesNo = (v: string | number | boolean) => (v === true ? 'yes' : v === false ? 'no' : String(v));
const ms = (v: string | number | boolean) => (typeof v === 'number' ? formatDuration(v) : String(v));

/** Human labels for the backends' detail fields; anything else is spelled out from its name. */
const DETAIL_LABELS: Record<string, { label: string; value?: (v: string | number | boolean) => string; hide?: (v: string | number | boolean) => boolean }> = {
  coroutine: { label: 'coroutine' },
  // The waits-on text says it already: `asyncio.sleep (2.5 s left)`.
  wakesInMs: { label: 'wakes in', value: ms, hide: () => true },
  cancelRequestedMsAgo: { label: 'cancel requested', value: (v) => `${ms(v)} ago` },
  delayMs: { label: 'interval', value: ms },
  repeat: { label: 'repeats', value: yesNo },
  ref: { label: 'keeps the process alive', value: yesNo },
  callback: { label: 'callback' },
  definedAt: { label: 'defined at', value: (v) => shortPath(String(v)) },
  // "resolved" is what every row with a location shows anyway: only its absence is news.
  awaitLine: { label: 'await line', hide: (v) => v === 'resolved' },
  createdAt: { label: 'created at' },
  type: { label: 'handle type' },
  connections: { label: 'open connections' },
  bytesRead: { label: 'bytes read' },
  bytesWritten: { label: 'bytes written' },
  pid: { label: 'process id' },
};

/** `/work/app/node/service.js:34` → `node/service.js:34`. */
function shortPath(text: string): string {
  const parts = text.split(/[\\/]/).filter(Boolean);
  return parts.length > 2 ? parts.slice(-2).join('/') : text;
}

/** `fooBarMs` → `foo bar` (a duration), so no raw field name reaches the panel. */
function spelledOut(key: string, value: string | number | boolean): [string, string] {
  const isMs = /Ms$/.test(key) && typeof value === 'number';
  const words = key.replace(/Ms$/, '').replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  return [words, isMs ? formatDuration(value) : yesNo(value)];
}

/** The detail pane's facts about an item's `details`, with human labels, in the backend's order. */
export function detailFacts(details: LoopItem['details']): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(details ?? {})) {
    const known = DETAIL_LABELS[key];
    if (!known) {
      out.push(spelledOut(key, value));
      continue;
    }
    if (known.hide?.(value)) continue;
    out.push([known.label, known.value ? known.value(value) : String(value)]);
  }
  return out;
}

/** What the "why it does not exit" section shows after a shutdown request. */
export interface ShutdownReport {
  /** `Asked to stop 4.1 s ago: SIGTERM sent to a program with 1 SIGTERM listener.` */
  readonly asked: string;
  /** `2 things keep it running:` or that nothing does. */
  readonly verdict: string;
  /** The blockers, causes first (tasks, threads), then what holds the loop (timers, handles). */
  readonly blockers: readonly { readonly item: LoopItem; readonly why: string; readonly rule?: { readonly code: string; readonly name: string } }[];
}

const BLOCKER_ORDER: readonly ItemKind[] = ['task', 'thread', 'timer', 'server', 'socket', 'process', 'request', 'immediate', 'other', 'async-function', 'promise'];

/** One short reason per blocker, in the words of the runtime's shutdown. */
export function blockerReason(item: LoopItem): string {
  switch (item.kind) {
    case 'task':
      return item.cancellationSwallowedAt ? 'ignores its cancellation: a handler swallows it' : 'cancelled, still running: asyncio.run() waits for it';
    case 'thread':
      return item.details?.executorWorker === true ? 'executor worker in an endless job: asyncio.run() and the interpreter wait for it' : 'non-daemon thread: the interpreter joins it at exit';
    case 'timer':
      return item.details?.repeat === true ? 'ref\'d interval, never cleared' : 'ref\'d timer, still pending';
    case 'server':
      return 'still listening: server.close() was not called';
    case 'socket':
      return 'open connection: server.close() waits for it';
    case 'process':
      return 'child process still running';
    case 'request':
      return 'pending request';
    default:
      return 'ref\'d handle';
  }
}

export function shutdownReport(snapshot: LoopSnapshot): ShutdownReport | undefined {
  const asked = snapshot.shutdown;
  if (!asked) return undefined;
  const order = (item: LoopItem) => {
    const at = BLOCKER_ORDER.indexOf(item.kind);
    return at < 0 ? 99 : at;
  };
  // Stable sort: within a kind the backend's order stays, so cards do not jump between refreshes.
  const items = snapshot.items.filter((i) => i.blocksExit).sort((a, b) => order(a) - order(b));
  const ago = formatDuration(Math.max(0, snapshot.takenAt - asked.requestedAt));
  const n = items.length;
  return {
    asked: `Asked to stop ${ago} ago: ${asked.how}.`,
    verdict: n === 0 ? 'Nothing the inspector sees holds it any more: it should exit.' : `${n === 1 ? '1 thing keeps' : `${n} things keep`} it running:`,
    blockers: items.map((item) => ({
      item,
      why: blockerReason(item),
      ...(item.rule && SHUTDOWN_RULES[item.rule] ? { rule: { code: item.rule, name: SHUTDOWN_RULES[item.rule]! } } : {}),
    })),
  };
}
