/**
 * The program's entry coroutine before it first suspends. `asyncio.run(main())` starts a new loop
 * whose only task is `main()`: until `main` reaches its first await point nothing else can run on
 * that loop, so a blocking call there (reading a config or credentials file, parsing arguments at
 * start-up) stalls nobody. The blocking rules leave such calls alone.
 */
import type { Node } from 'web-tree-sitter';
import type { PythonContext } from './context';

/** Runners that start a loop with the given coroutine (or coroutine function) as its only task. */
const RUNNERS = new Set(['asyncio.run', 'asyncio.runners.run', 'uvloop.run', 'anyio.run', 'trio.run']);
const RUN_CALLS = '(call function: (_) @fn arguments: (argument_list . [(call function: (_) @inner) (identifier) @inner])) @call';
const AWAIT_POINTS = '[(await) (for_statement "async") (with_statement "async") (for_in_clause "async")] @point';
const LOOPS = new Set(['for_statement', 'while_statement']);

const entries = new WeakMap<PythonContext, ReadonlySet<string>>();

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
export function beforeEntrySuspends(ctx: PythonContext, node: Node): boolean {
  const scope = ctx.scopes.functionAt(node.startIndex);
  if (scope?.kind !== 'async-function') return false;
  const name = scope.node.childForFieldName('name')?.text;
  if (!name || !entryCoroutines(ctx).has(name)) return false;
  for (let n = node.parent; n && n.id !== scope.node.id; n = n.parent) if (LOOPS.has(n.type)) return false;
  const body = scope.node.childForFieldName('body');
  if (!body) return false;
  for (const { node: point } of ctx.captures(AWAIT_POINTS, body)) {
    if (ctx.scopes.functionAt(point.startIndex) !== scope) continue;
    if (point.startIndex <= node.startIndex) return false;
  }
  return true;
}
