/**
 * Code that runs while the loop has no other task to stall. `asyncio.run(main())` starts a new loop
 * whose only task is `main()`: until `main` reaches its first await point nothing else can run on
 * that loop, and after it nothing else does either as long as `main` has started nothing that is
 * still running. A server's startup hook runs before the server accepts connections. A blocking
 * call there (reading a config or credentials file, compiling assets, writing a report at the end
 * of a script) stalls nobody, and the blocking rules leave it alone.
 */
import type { Node } from 'web-tree-sitter';
import { ancestors } from './ancestors';
import type { PythonContext } from './context';

/** Runners that start a loop with the given coroutine (or coroutine function) as its only task. */
const RUNNERS = new Set(['asyncio.run', 'asyncio.runners.run', 'uvloop.run', 'anyio.run', 'trio.run']);
const RUN_CALLS = '(call function: (_) @fn arguments: (argument_list . [(call function: (_) @inner) (identifier) @inner])) @call';
const AWAIT_POINTS = '[(await) (for_statement "async") (with_statement "async") (for_in_clause "async")] @point';
const LOOPS = new Set(['for_statement', 'while_statement']);
/**
 * Calls that start work which keeps running after they return: tasks, servers, connections (a client
 * often starts a reader or keepalive task), scheduled callbacks, task groups and nurseries. Matched
 * by name in the source text, awaited or not (`await asyncio.start_server(…)` returns a running server).
 */
const STARTERS = /\b(create_task|ensure_future|start_soon|start|spawn|start_server|start_unix_server|create_server|create_unix_server|create_datagram_endpoint|create_connection|open_connection|open_unix_connection|connect|serve|serve_forever|subscribe|call_soon|call_soon_threadsafe|call_later|call_at|add_reader|add_writer|run_in_executor|TaskGroup|create_task_group|open_nursery)\s*\(/;
/** Decorators that register a coroutine as a server startup hook (Sanic, FastAPI/Starlette). */
const HOOK_DECORATOR = /^@\s*[\w.]+\.(before_server_start|main_process_start)\s*(\(|$)|^@\s*[\w.]+\.(listener\(\s*["'](before_server_start|main_process_start)["']|on_event\(\s*["']startup["'])/;
/**
 * Calls that register a coroutine function as a startup hook: `app.on_startup.append(f)` (aiohttp),
 * `on_startup=[f]` (Starlette, FastAPI), `app.add_event_handler("startup", f)`,
 * `app.register_listener(f, "before_server_start")` and `app.before_server_start(f)` (Sanic).
 */
const HOOK_REGISTRATIONS = [
  /\.on_startup\s*\.\s*append\(\s*([A-Za-z_]\w*)\s*\)/g,
  /\bon_startup\s*=\s*\[([^\]]*)\]/g,
  /\.add_event_handler\(\s*["']startup["']\s*,\s*([A-Za-z_]\w*)\s*\)/g,
  /\.register_listener\(\s*([A-Za-z_]\w*)\s*,\s*["'](?:before_server_start|main_process_start)["']/g,
  /\.(?:before_server_start|main_process_start)\(\s*([A-Za-z_]\w*)\s*[,)]/g,
];

const entries = new WeakMap<PythonContext, ReadonlySet<string>>();
const hooks = new WeakMap<PythonContext, ReadonlySet<string>>();

/** Names of the coroutine functions this module runs as a program's entry point. */
function entryCoroutines(ctx: PythonContext): ReadonlySet<string> {
  let names = entries.get(ctx);
  if (names) return names;
  const found = new Set<string>();
  if (/\brun(_until_complete)?\s*\(/.test(ctx.source)) {
    for (const match of ctx.matches(RUN_CALLS)) {
      const fn = match.captures.find((c) => c.name === 'fn')?.node;
      const inner = match.captures.find((c) => c.name === 'inner')?.node;
      if (!fn || !inner) continue;
      const isRunner = RUNNERS.has(ctx.resolve(fn) ?? '') || (fn.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'run_until_complete');
      if (!isRunner) continue;
      const name = inner.type === 'identifier' ? inner.text : inner.type === 'attribute' ? inner.childForFieldName('attribute')?.text : undefined;
      if (name) found.add(name);
    }
  }
  entries.set(ctx, (names = found));
  return names;
}

/**
 * True when `node` runs in an entry coroutine before its first suspension: the coroutine is run by
 * `asyncio.run(...)` (or `run_until_complete`, `anyio.run`, `trio.run`) in this module, `node` is not
 * inside a loop of it, and it comes before the coroutine's first await point.
 */
function beforeEntrySuspends(ctx: PythonContext, node: Node): boolean {
  const scope = ctx.scopes.functionAt(node.startIndex);
  if (scope?.kind !== 'async-function') return false;
  const name = scope.node.childForFieldName('name')?.text;
  if (!name || !entryCoroutines(ctx).has(name)) return false;
  for (const n of ancestors(node)) {
    if (n.id === scope.node.id) break;
    if (LOOPS.has(n.type)) return false;
  }
  const body = scope.node.childForFieldName('body');
  if (!body) return false;
  for (const { node: point } of ctx.captures(AWAIT_POINTS, body)) {
    if (ctx.scopes.functionAt(point.startIndex) !== scope) continue;
    if (point.startIndex <= node.startIndex) return false;
  }
  return true;
}

/**
 * True when `node`, a call in a coroutine, stalls no other task: it runs before the entry coroutine
 * first suspends (`beforeEntrySuspends`), or it sits at the top level of the entry coroutine or of a
 * server startup hook — not inside a loop, a nested function or an open `async with` (a connection
 * or server it opens may run tasks of its own) — and nothing the coroutine started before it may
 * still be running: no task, server, connection, scheduled callback or task group is started
 * earlier in its body or in a function of this file it calls there. Awaited work that finished
 * (`await asyncio.gather(…)`, a query) does not count.
 */
export function stallsNoOtherTask(ctx: PythonContext, node: Node): boolean {
  if (beforeEntrySuspends(ctx, node)) return true;
  const scope = ctx.scopes.functionAt(node.startIndex);
  if (scope?.kind !== 'async-function') return false;
  const name = scope.node.childForFieldName('name')?.text;
  if (!name || !(entryCoroutines(ctx).has(name) || isStartupHook(ctx, scope.node, name))) return false;
  for (const n of ancestors(node)) {
    if (n.id === scope.node.id) break;
    if (LOOPS.has(n.type) || (n.type === 'with_statement' && n.child(0)?.type === 'async')) return false;
  }
  const body = scope.node.childForFieldName('body');
  if (!body) return false;
  const before = ctx.source.slice(body.startIndex, node.startIndex);
  if (STARTERS.test(before)) return false;
  // One level into the functions of this file called before it (`await setup()` may start a task).
  for (const s of ctx.scopes.all) {
    const callee = s.kind === 'class' || s.kind === 'lambda' ? undefined : s.node.childForFieldName('name')?.text;
    if (callee && s !== scope && new RegExp(`\\b${callee}\\s*\\(`).test(before) && STARTERS.test(s.node.text)) return false;
  }
  return true;
}

/** Whether the `async def` is registered as a server startup hook, by decorator or by a registration call in this file. */
function isStartupHook(ctx: PythonContext, fn: Node, name: string): boolean {
  const decorated = fn.parent?.type === 'decorated_definition' ? fn.parent : undefined;
  if (decorated?.namedChildren.some((d) => d?.type === 'decorator' && HOOK_DECORATOR.test(d.text))) return true;
  let names = hooks.get(ctx);
  if (!names) {
    const found = new Set<string>();
    if (/startup|before_server_start|main_process_start/.test(ctx.source)) {
      for (const pattern of HOOK_REGISTRATIONS) {
        for (const m of ctx.source.matchAll(pattern)) for (const n of m[1].split(',')) if (/^\s*[A-Za-z_]\w*\s*$/.test(n)) found.add(n.trim());
      }
    }
    hooks.set(ctx, (names = found));
  }
  return names.has(name);
}
