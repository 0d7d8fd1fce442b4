/**
 * AW106 cancel-not-awaited: a coroutine cancels a task it holds in a local (or the tasks of a local
 * collection) and never awaits it afterwards. `Task.cancel()` only asks: the task's cleanup runs
 * later, after this function has moved on, its outcome is never seen, and if the loop closes first
 * asyncio reports "Task was destroyed but it is pending!".
 */
import type { Node } from 'web-tree-sitter';
import { ancestors } from '../python/ancestors';
import type { PythonContext } from '../python/context';
import type { Scope } from '../python/scopes';
import { enclosingAwait, isWait, makesTask, mentions } from '../python/tasks';
import { defineRule } from './define';

const CANCELS = '(call function: (attribute object: (identifier) @receiver attribute: (identifier) @method) (#eq? @method "cancel")) @call';

/** Methods of a task or a collection of tasks that neither wait for the task nor hand it on. */
const HARMLESS_METHODS = new Set(['cancel', 'done', 'cancelled', 'result', 'exception', 'get_name', 'set_name', 'cancelling', 'append', 'add', 'extend', 'update', 'discard', 'remove', 'clear']);
/** Calls that only look at a value (`len(pending)`, a log line). */
const LOOKING_CALLS = /^(len|bool|isinstance|repr|str|print|id|type|(\w+\.)*(log|logger|_log|_logger|logging)\.(debug|info|warning|warn|error|exception|critical|log))$/;
const SCOPES = new Set(['function_definition', 'lambda', 'class_definition']);
const LOOPS = new Set(['for_statement', 'while_statement']);

const rule = defineRule({
  code: 'AW106',
  name: 'cancel-not-awaited',
  languages: ['python'],
  severity: 'hint',
  inTests: false,
  aliases: [],
  fixable: 'never',
  summary: 'A coroutine cancels a task it holds and never awaits it: the task winds down unobserved, after the function has moved on.',
  messages: {
    notAwaited: '`{name}.cancel()` only requests cancellation and nothing awaits `{name}` afterwards: its cleanup runs unobserved after this function moves on, an error it raises is lost, and if the loop closes first asyncio reports it destroyed while pending.',
    collectionNotAwaited: 'The tasks of `{collection}` are cancelled and never awaited afterwards: their cleanup runs unobserved after this function moves on, errors they raise are lost, and if the loop closes first asyncio reports them destroyed while pending.',
  },
  docs: `## What it does
Flags \`task.cancel()\` in an \`async def\` when \`task\` is a local the function made with
\`asyncio.create_task\`, \`asyncio.ensure_future\` or \`loop.create_task\`, or a loop variable over a local
collection of such tasks (a list, set or tuple built from them, or the \`pending\` set of
\`done, pending = await asyncio.wait(…)\`), and nothing after the cancel awaits it: no \`await task\`, no
\`await asyncio.gather(…)\`, \`asyncio.wait(…)\` or \`wait_for(…)\` naming the task, its collection or the
collection it came from.

Left alone:
- a task handed on anywhere in the function: returned, yielded, stored in an attribute or another
  collection, passed to a call (other than \`len()\` or a log call), given a done callback, or used in
  a nested function or lambda: its new owner may await it;
- tasks of a \`TaskGroup\` (the group awaits them at its exit), and names bound any other way (a
  parameter, \`self._task\`, a \`global\`): their owner is elsewhere;
- cancels in a sync \`def\` or a lambda (a done callback, a signal handler): nothing can be awaited
  there;
- tasks that only wait — \`asyncio.sleep(…)\`, or a method called without arguments named \`wait\`, \`get\`,
  \`acquire\`, \`join\` or \`wait_closed\` (\`event.wait()\`, \`queue.get()\`): cancelling them loses no cleanup
  and no error, so awaiting them would change nothing (the race of two \`event.wait()\` tasks under
  \`asyncio.wait(…, return_when=FIRST_COMPLETED)\`);
- test code, unless the rule is named in the settings: the test runner cancels and drains what a test
  leaves behind.

**A hint by default** (the CLI reports it with \`--hints\` or when the rule is named): on the ecosystem
check ([docs/ecosystem.md](../ecosystem.md), 20 Python projects) it made 7 findings: 6 right, none
wrong, 1 debatable (a send loop that catches its own errors and mostly waits on a queue). Precision
1.00, but one debatable finding in 7 (14 %) is over the 10 % bar. Turn it on for services that
must shut down cleanly: a cancelled-and-forgotten task is how cleanup races the next step (a cancelled
read still marked in progress when the next read starts) and how "Task was destroyed but it is
pending!" ends a run.

## Why is this bad?
\`Task.cancel()\` does not stop the task: it schedules a \`CancelledError\` to be thrown into it at its
next suspension point. The task then runs its \`except\`/\`finally\` blocks — closing a connection,
flushing a buffer, awaiting more work — on its own, after the function that cancelled it has moved
on. Nobody sees how it ends: an exception its cleanup raises is only logged as "Task exception was
never retrieved" when the task is garbage-collected, a task that swallows the cancellation keeps
running, and when the program exits right after (a \`close()\` that returns, then \`asyncio.run\` ends),
the loop may be closed with the task still pending: "Task was destroyed but it is pending!", its
cleanup cut short. Awaiting the task after cancelling it waits for the cleanup to finish and surfaces
its errors; the awaiting function sees \`CancelledError\` from the awaited task, which it suppresses.

## Example
\`\`\`py
import asyncio

async def fetch_with_heartbeat(conn):
    beat = asyncio.create_task(conn.heartbeat())
    try:
        return await conn.fetch()
    finally:
        beat.cancel()
\`\`\`

## Use instead
\`\`\`py
import asyncio
import contextlib

async def fetch_with_heartbeat(conn):
    beat = asyncio.create_task(conn.heartbeat())
    try:
        return await conn.fetch()
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
\`\`\`
For several tasks, \`await asyncio.gather(*pending, return_exceptions=True)\` after cancelling them; on
Python 3.11+, a \`TaskGroup\` cancels and awaits its children for you.

## Fix safety
No fix is offered: awaiting the task makes this function wait for the task's cleanup, which can take
long (or for ever, if the task ignores its cancellation), and which exceptions to suppress depends on
the code.
`,
  python(ctx) {
    if (!ctx.source.includes('.cancel(')) return;
    for (const match of ctx.matchesInAsync(CANCELS)) {
      const call = match.captures.find((c) => c.name === 'call')?.node;
      const receiver = match.captures.find((c) => c.name === 'receiver')?.node;
      if (!call || !receiver) continue;
      const fn = ctx.scopes.functionAt(call.startIndex);
      if (fn?.kind !== 'async-function') continue;
      const held = heldTasks(ctx, fn, receiver);
      if (!held) continue;
      const related = relatedNames(ctx, fn, held.names);
      if (awaitedLater(ctx, fn, call, related) || handedOn(ctx, fn, related)) continue;
      if (onlyWaits(ctx, fn, held.names)) continue;
      if (held.collection) ctx.report(call, 'collectionNotAwaited', { collection: held.collection });
      else ctx.report(call, 'notAwaited', { name: receiver.text });
    }
  },
});
export default rule;

interface Held {
  /** The names through which the function reaches the cancelled task(s). */
  readonly names: string[];
  /** For a loop variable over a collection: the collection's name. */
  readonly collection?: string;
}

/**
 * What the receiver of `.cancel()` is: a local holding a task the function made, or the variable of
 * a loop over a local collection of such tasks. Undefined for anything else.
 */
function heldTasks(ctx: PythonContext, fn: Scope, receiver: Node): Held | undefined {
  const name = receiver.text;
  if (!ownLocal(ctx, fn, name)) return undefined;
  const bindings = bindingsOf(ctx, fn, name);
  if (bindings.length === 0) return undefined;
  if (bindings.every((b) => b.kind === 'value' && (makesTask(ctx, b.value) || b.value?.type === 'none')) && bindings.some((b) => b.kind === 'value' && makesTask(ctx, b.value))) {
    return { names: [name] };
  }
  // A loop variable: the cancel sits in the loop, and the loop is the name's only binding.
  if (bindings.length !== 1 || bindings[0].kind !== 'loop') return undefined;
  const loop = bindings[0].node;
  if (!(loop.startIndex <= receiver.startIndex && receiver.endIndex <= loop.endIndex)) return undefined;
  const iterable = bindings[0].value;
  if (iterable?.type !== 'identifier' || !ownLocal(ctx, fn, iterable.text)) return undefined;
  const sources = taskCollection(ctx, fn, iterable.text);
  if (!sources) return undefined;
  return { names: [name, iterable.text, ...sources], collection: iterable.text };
}

/** A name the function binds itself: not a parameter, nor declared `global`/`nonlocal`. */
function ownLocal(ctx: PythonContext, fn: Scope, name: string): boolean {
  const params = fn.node.childForFieldName('parameters');
  if (params && ctx.captures('(identifier) @id', params).some((c) => c.node.text === name)) return false;
  const body = fn.node.childForFieldName('body');
  if (!body) return false;
  return !ctx.captures('[(global_statement) (nonlocal_statement)] @decl', body).some((c) => ctx.scopes.functionAt(c.node.startIndex) === fn && c.node.namedChildren.some((n) => n?.text === name));
}

type Binding =
  /** `name = value` (also annotated). */
  | { kind: 'value'; node: Node; value: Node | null }
  /** `for name in value` (a statement or a comprehension clause); `node` is the loop or the comprehension. */
  | { kind: 'loop'; node: Node; value: Node | null }
  /** `a, name = value` */
  | { kind: 'unpack'; node: Node; value: Node | null; index: number; count: number }
  /** Anything else: `with … as`, `except … as`, `:=`, `+=`, `import`, `del`… */
  | { kind: 'other'; node: Node };

/** Every place the function (not a nested one) binds the name. */
function bindingsOf(ctx: PythonContext, fn: Scope, name: string): Binding[] {
  const out: Binding[] = [];
  for (const id of mentions(ctx, fn, name)) {
    if (ctx.scopes.functionAt(id.startIndex) !== fn) continue;
    const parent = id.parent;
    if (!parent) continue;
    const field = fieldOf(id);
    if (parent.type === 'assignment' && field === 'left') out.push({ kind: 'value', node: parent, value: parent.childForFieldName('right') });
    else if ((parent.type === 'for_statement' || parent.type === 'for_in_clause') && field === 'left') {
      out.push({ kind: 'loop', node: parent.type === 'for_statement' ? parent : (parent.parent ?? parent), value: parent.childForFieldName('right') });
    } else if ((parent.type === 'pattern_list' || parent.type === 'tuple_pattern') && parent.parent?.type === 'assignment' && fieldOf(parent) === 'left') {
      const parts = parent.namedChildren.filter((c): c is Node => c !== null);
      out.push({ kind: 'unpack', node: parent.parent, value: parent.parent.childForFieldName('right'), index: parts.findIndex((p) => p.equals(id)), count: parts.length });
    } else if (
      field === 'alias' || field === 'name' || parent.type === 'augmented_assignment' && field === 'left' || parent.type === 'named_expression' ||
      parent.type === 'as_pattern_target' || parent.type === 'delete_statement' || parent.type === 'aliased_import' || parent.type === 'dotted_name' ||
      (parent.type === 'pattern_list' || parent.type === 'tuple_pattern' || parent.type === 'list_pattern')
    ) {
      out.push({ kind: 'other', node: parent });
    }
  }
  return out;
}

function fieldOf(node: Node): string | null {
  const parent = node.parent;
  if (!parent) return null;
  for (const f of ['left', 'right', 'alias', 'name', 'value', 'body', 'function', 'object', 'attribute']) {
    if (parent.childForFieldName(f)?.equals(node)) return f;
  }
  return null;
}

/**
 * A local collection of tasks: every binding builds it from tasks (`[create_task(…) for …]`, a
 * literal of them, an empty collection later filled with `.append(create_task(…))`/`.add(…)`), or it
 * is the `pending` (or `done`) set of `done, pending = await asyncio.wait(aws)`. Returns the names
 * the tasks also live under (the identifiers in `aws`), or undefined when it is not such a collection.
 */
function taskCollection(ctx: PythonContext, fn: Scope, name: string): string[] | undefined {
  const bindings = bindingsOf(ctx, fn, name);
  if (bindings.length === 0) return undefined;
  const sources: string[] = [];
  let holdsTasks = false;
  for (const b of bindings) {
    if (b.kind === 'unpack') {
      const waited = b.value?.type === 'await' ? b.value.namedChild(0) : null;
      if (b.count !== 2 || !isWait(ctx, waited)) return undefined;
      const aws = waited?.childForFieldName('arguments')?.namedChildren.find((a) => a !== null && a.type !== 'comment' && a.type !== 'keyword_argument');
      if (aws?.type === 'identifier') {
        // `futures = [up_task]; futures.append(stop_task)`: the tasks also live under their own names.
        sources.push(aws.text, ...memberNames(ctx, fn, aws.text));
      } else if (aws && (aws.type === 'list' || aws.type === 'tuple' || aws.type === 'set' || aws.type === 'parenthesized_expression')) {
        for (const item of aws.namedChildren) if (item?.type === 'identifier') sources.push(item.text);
      }
      holdsTasks = true;
    } else if (b.kind === 'value') {
      const v = b.value;
      if (!v) return undefined;
      if (isEmptyCollection(v)) continue;
      if (!tasksIn(ctx, v)) return undefined;
      holdsTasks = true;
    } else return undefined;
  }
  if (!holdsTasks) holdsTasks = filledWithTasks(ctx, fn, name);
  return holdsTasks ? sources : undefined;
}

/** Names put into a local collection: `c = [a, b]`, `c.append(a)`, `c.add(a)`. */
function memberNames(ctx: PythonContext, fn: Scope, collection: string): string[] {
  const out: string[] = [];
  for (const id of mentions(ctx, fn, collection)) {
    if (ctx.scopes.functionAt(id.startIndex) !== fn) continue;
    for (const element of elementsPut(id)) if (element.type === 'identifier') out.push(element.text);
  }
  return out;
}

/** What a mention of a collection puts into it: the items of `c = [a, b]`, the argument of `c.append(a)`. */
function elementsPut(id: Node): Node[] {
  const parent = id.parent;
  if (parent?.type === 'assignment' && fieldOf(id) === 'left') {
    const v = parent.childForFieldName('right');
    if (v && (v.type === 'list' || v.type === 'set' || v.type === 'tuple')) return v.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
    return [];
  }
  if (parent?.type === 'attribute' && /^(append|add)$/.test(parent.childForFieldName('attribute')?.text ?? '') && parent.parent?.type === 'call') {
    const arg = parent.parent.childForFieldName('arguments')?.namedChild(0);
    return arg ? [arg] : [];
  }
  return [];
}

function isEmptyCollection(v: Node): boolean {
  if ((v.type === 'list' || v.type === 'set' || v.type === 'tuple') && v.namedChildCount === 0) return true;
  return v.type === 'call' && /^(list|set)$/.test(v.childForFieldName('function')?.text ?? '') && v.childForFieldName('arguments')?.namedChildCount === 0;
}

/** A list/set/tuple literal of task-making calls, or a comprehension whose element makes a task. */
function tasksIn(ctx: PythonContext, v: Node): boolean {
  if (v.type === 'list' || v.type === 'set' || v.type === 'tuple') {
    const items = v.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
    return items.length > 0 && items.every((i) => makesTask(ctx, i));
  }
  if (v.type === 'list_comprehension' || v.type === 'set_comprehension' || v.type === 'generator_expression') return makesTask(ctx, v.childForFieldName('body'));
  if (v.type === 'call' && /^(list|set|tuple)$/.test(v.childForFieldName('function')?.text ?? '')) {
    const arg = v.childForFieldName('arguments');
    if (arg?.type === 'generator_expression') return makesTask(ctx, arg.childForFieldName('body'));
  }
  return false;
}

/** An empty collection that the function fills with `.append(create_task(…))` or `.add(…)`. */
function filledWithTasks(ctx: PythonContext, fn: Scope, name: string): boolean {
  return mentions(ctx, fn, name).some((id) => {
    const attr = id.parent;
    if (attr?.type !== 'attribute' || !/^(append|add)$/.test(attr.childForFieldName('attribute')?.text ?? '')) return false;
    const call = attr.parent;
    const arg = call?.type === 'call' ? call.childForFieldName('arguments')?.namedChild(0) : null;
    return makesTask(ctx, arg ?? null);
  });
}

/**
 * The names plus the variables of the loops over them (`for t in pending: await t`), twice over:
 * the ways the function can reach the same tasks.
 */
function relatedNames(ctx: PythonContext, fn: Scope, names: readonly string[]): Set<string> {
  const related = new Set(names);
  const body = fn.node.childForFieldName('body');
  if (!body) return related;
  const loops = ctx.captures('[(for_statement left: (_) @left right: (_) @right) (for_in_clause left: (_) @left right: (_) @right)]', body);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i + 1 < loops.length; i += 2) {
      const left = loops[i].node;
      const right = loops[i + 1].node;
      if (right.type === 'identifier' && related.has(right.text) && left.type === 'identifier') related.add(left.text);
    }
  }
  return related;
}

/**
 * An `await` that names one of the tasks' names after the cancel (or anywhere in a loop around it,
 * which runs again): `await task`, `await asyncio.gather(*pending)`, `await asyncio.wait(tasks)`.
 */
function awaitedLater(ctx: PythonContext, fn: Scope, call: Node, related: ReadonlySet<string>): boolean {
  let loopStart = call.startIndex;
  for (const n of ancestors(call)) {
    if (SCOPES.has(n.type)) break;
    if (LOOPS.has(n.type)) loopStart = n.startIndex;
  }
  for (const name of related) {
    for (const id of mentions(ctx, fn, name)) {
      if (ctx.scopes.functionAt(id.startIndex) !== fn) continue;
      if (id.startIndex < loopStart) continue;
      if (id.startIndex < call.startIndex && !insideLoopOf(id, call)) continue;
      if (enclosingAwait(id)) return true;
    }
  }
  return false;
}

/**
 * True when a loop (in the function) encloses both nodes and, after `b`, can come round again:
 * no `raise`, `return` or `break` follows `b` in a block between it and that loop.
 */
function insideLoopOf(a: Node, b: Node): boolean {
  let child: Node = b;
  for (const n of ancestors(b)) {
    if (SCOPES.has(n.type)) break;
    if (LOOPS.has(n.type) && n.startIndex <= a.startIndex && a.endIndex <= n.endIndex) return true;
    if (n.type === 'block' && n.namedChildren.some((s) => s !== null && s.startIndex >= child.endIndex && LEAVING.has(s.type))) return false;
    child = n;
  }
  return false;
}

const LEAVING = new Set(['raise_statement', 'return_statement', 'break_statement']);

/**
 * Whether a task leaves the function's hands: one of its names used in a nested scope, or in any
 * way other than binding it, looping over it, awaiting it, testing it, or calling one of the task or
 * collection methods that neither wait for it nor hand it on.
 */
function handedOn(ctx: PythonContext, fn: Scope, related: ReadonlySet<string>): boolean {
  for (const name of related) {
    for (const id of mentions(ctx, fn, name)) {
      if (ctx.scopes.functionAt(id.startIndex) !== fn) return true;
      if (enclosingAwait(id)) continue;
      if (!harmlessUse(id, related)) return true;
    }
  }
  return false;
}

function harmlessUse(id: Node, related: ReadonlySet<string>): boolean {
  const parent = id.parent;
  if (!parent) return true;
  if (intoRelatedCollection(id, related)) return true;
  const field = fieldOf(id);
  switch (parent.type) {
    case 'assignment':
    case 'for_statement':
    case 'for_in_clause':
      return field === 'left' || field === 'right' && parent.type !== 'assignment';
    case 'pattern_list':
    case 'tuple_pattern':
      return parent.parent?.type === 'assignment' || parent.parent?.type === 'for_statement' || parent.parent?.type === 'for_in_clause';
    case 'attribute':
      return field === 'object' && HARMLESS_METHODS.has(parent.childForFieldName('attribute')?.text ?? '') && parent.parent?.type === 'call';
    case 'if_statement':
    case 'elif_clause':
    case 'while_statement':
    case 'not_operator':
    case 'boolean_operator':
    case 'comparison_operator':
    case 'delete_statement':
    case 'expression_statement':
      return true;
    case 'argument_list': {
      const callee = parent.parent?.childForFieldName('function');
      return callee !== null && callee !== undefined && LOOKING_CALLS.test(callee.text.replace(/\s+/g, ''));
    }
    default:
      return false;
  }
}

/** `pending = [a, b]` or `pending.append(a)` with `pending` one of the related names. */
function intoRelatedCollection(id: Node, related: ReadonlySet<string>): boolean {
  let item = id.parent;
  if (item && (item.type === 'list' || item.type === 'set' || item.type === 'tuple')) {
    const assignment = item.parent;
    const left = assignment?.type === 'assignment' && assignment.childForFieldName('right')?.equals(item) ? assignment.childForFieldName('left') : null;
    return left?.type === 'identifier' && related.has(left.text);
  }
  if (item?.type === 'argument_list') {
    item = item.parent;
    const callee = item?.type === 'call' ? item.childForFieldName('function') : null;
    if (callee?.type !== 'attribute' || !/^(append|add)$/.test(callee.childForFieldName('attribute')?.text ?? '')) return false;
    const owner = callee.childForFieldName('object');
    return owner?.type === 'identifier' && related.has(owner.text);
  }
  return false;
}

/** Coroutines whose cancellation loses nothing: they only wait (a sleep, an event, a queue, a lock). */
const WAITING_METHODS = new Set(['wait', 'get', 'acquire', 'join', 'wait_closed']);
const SLEEPS = new Set(['asyncio.sleep', 'asyncio.tasks.sleep']);

/**
 * Every task the names can hold is known, and each runs a coroutine that only waits:
 * `asyncio.sleep(…)`, or a method call without arguments named `wait`, `get`, `acquire`, `join` or
 * `wait_closed` (`event.wait()`, `queue.get()`). Cancelling such a task loses no cleanup and no
 * error, so not awaiting it costs nothing.
 */
function onlyWaits(ctx: PythonContext, fn: Scope, names: readonly string[]): boolean {
  const coroutines: (Node | null)[] = [];
  const seen = new Set<string>();
  const collect = (name: string, depth: number): void => {
    if (seen.has(name) || depth > 3) return;
    seen.add(name);
    for (const b of bindingsOf(ctx, fn, name)) {
      if (b.kind === 'loop') continue;
      if (b.kind === 'other') coroutines.push(null);
      else if (b.kind === 'unpack') {
        const waited = b.value?.type === 'await' ? b.value.namedChild(0) : null;
        const aws = waited?.childForFieldName('arguments')?.namedChild(0) ?? null;
        element(aws, depth);
      } else if (b.value && !isEmptyCollection(b.value) && b.value.type !== 'none') element(b.value, depth);
    }
    for (const id of mentions(ctx, fn, name)) {
      if (ctx.scopes.functionAt(id.startIndex) === fn && id.parent?.type === 'attribute') for (const e of elementsPut(id)) element(e, depth);
    }
  };
  const element = (node: Node | null, depth: number): void => {
    if (!node) coroutines.push(null);
    else if (node.type === 'identifier') collect(node.text, depth + 1);
    else if (makesTask(ctx, node)) coroutines.push(node.childForFieldName('arguments')?.namedChild(0) ?? null);
    else if (node.type === 'list' || node.type === 'set' || node.type === 'tuple') for (const c of node.namedChildren) element(c, depth);
    else if (node.type === 'list_comprehension' || node.type === 'set_comprehension' || node.type === 'generator_expression') element(node.childForFieldName('body'), depth);
    else coroutines.push(null);
  };
  for (const name of names) collect(name, 0);
  return coroutines.length > 0 && coroutines.every((c) => c !== null && waitsOnly(ctx, c));
}

function waitsOnly(ctx: PythonContext, coroutine: Node): boolean {
  if (coroutine.type !== 'call') return false;
  const callee = coroutine.childForFieldName('function');
  if (SLEEPS.has(ctx.resolve(callee) ?? '')) return true;
  const args = coroutine.childForFieldName('arguments');
  return callee?.type === 'attribute' && WAITING_METHODS.has(callee.childForFieldName('attribute')?.text ?? '') && args?.namedChildCount === 0;
}
