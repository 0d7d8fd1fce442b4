/**
 * What the task-lifetime rules need to know about tasks held in locals (AW104, AW106): which calls
 * make a task, which local names hold one (or a collection of them) in a function, and every place a
 * function mentions a name, sorted into the ways a task can be used.
 */
import type { Node } from 'web-tree-sitter';
import { ancestors } from './ancestors';
import type { PythonContext } from './context';
import { isEventLoop } from './loops';
import type { Scope } from './scopes';

/** Module-level functions that make a task (or return the future they are given). */
export const TASK_FACTORIES = new Set(['asyncio.create_task', 'asyncio.ensure_future', 'asyncio.tasks.create_task', 'asyncio.tasks.ensure_future']);
const WAIT = new Set(['asyncio.wait', 'asyncio.tasks.wait']);

/**
 * `asyncio.create_task(…)`/`ensure_future(…)` in any import spelling, or `create_task` on an event
 * loop. A TaskGroup's `create_task` is not one: the group awaits its tasks at its exit.
 */
export function makesTask(ctx: PythonContext, call: Node | null): boolean {
  if (call?.type !== 'call') return false;
  const callee = call.childForFieldName('function');
  if (!callee) return false;
  const q = ctx.resolve(callee);
  if (q) return TASK_FACTORIES.has(q);
  if (callee.type !== 'attribute' || callee.childForFieldName('attribute')?.text !== 'create_task') return false;
  const receiver = callee.childForFieldName('object');
  return receiver !== null && isEventLoop(ctx, receiver);
}

/** `asyncio.wait(…)` in any import spelling. */
export function isWait(ctx: PythonContext, call: Node | null): boolean {
  return call?.type === 'call' && WAIT.has(ctx.resolve(call.childForFieldName('function')) ?? '');
}

/** Every use of the name in the function's body (nested defs, lambdas and classes included: callers decide); not attribute or keyword names. */
export function mentions(ctx: PythonContext, fn: Scope, name: string): readonly Node[] {
  let perFunction = identifierCache.get(ctx);
  if (!perFunction) identifierCache.set(ctx, (perFunction = new Map()));
  let byName = perFunction.get(fn);
  if (!byName) {
    // One query per function, indexed by name: a query per name would compile one per name.
    byName = new Map();
    const body = fn.node.childForFieldName('body');
    if (body) {
      for (const c of ctx.captures('(identifier) @id', body)) {
        // `x.task` and `f(task=…)` spell the word but are not the name.
        const parent = c.node.parent;
        if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.equals(c.node)) continue;
        if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.equals(c.node)) continue;
        const list = byName.get(c.node.text);
        if (list) list.push(c.node);
        else byName.set(c.node.text, [c.node]);
      }
    }
    perFunction.set(fn, byName);
  }
  return byName.get(name) ?? [];
}

const identifierCache = new WeakMap<PythonContext, Map<Scope, Map<string, Node[]>>>();

/** The innermost `await` expression around a node, within its function. */
export function enclosingAwait(node: Node): Node | undefined {
  for (const n of ancestors(node)) {
    if (n.type === 'await') return n;
    if (n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') return undefined;
  }
  return undefined;
}

const ASYNCIO_COROUTINES = new Set(['asyncio.sleep', 'asyncio.wait_for', 'asyncio.wait', 'asyncio.open_connection', 'asyncio.to_thread', 'asyncio.tasks.sleep', 'asyncio.tasks.wait_for', 'asyncio.tasks.wait']);

/**
 * Whether a call certainly returns a coroutine: asyncio's own coroutine functions, or an undecorated
 * `async def` of this file that the call names without doubt (a function of that name, the only
 * one in the file, visible from the call; or `self.m()` with `m` an `async def` of the caller's class).
 */
export function callsCoroutine(ctx: PythonContext, call: Node): boolean {
  const callee = call.childForFieldName('function');
  if (!callee) return false;
  const q = ctx.resolve(callee);
  if (q) return ASYNCIO_COROUTINES.has(q);
  const caller = ctx.scopes.functionAt(call.startIndex);
  let candidates: Scope[];
  if (callee.type === 'identifier') {
    const visible = new Set<Scope | undefined>([undefined]);
    for (let s = caller; s; s = s.parent) visible.add(s);
    candidates = ctx.scopes.all.filter((s) => (s.kind === 'async-function' || s.kind === 'function') && s.node.childForFieldName('name')?.text === callee.text);
    if (!candidates.every((s) => visible.has(s.parent))) return false;
  } else if (callee.type === 'attribute' && callee.childForFieldName('object')?.text === 'self') {
    let method = caller;
    while (method && method.parent?.kind !== 'class') method = method.parent;
    const cls = method?.parent;
    const name = callee.childForFieldName('attribute')?.text;
    candidates = cls ? ctx.scopes.all.filter((s) => s.parent === cls && s.kind !== 'class' && s.node.childForFieldName('name')?.text === name) : [];
  } else return false;
  return candidates.length === 1 && candidates[0].kind === 'async-function' && candidates[0].node.parent?.type !== 'decorated_definition';
}
