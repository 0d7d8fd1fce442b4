/**
 * AW403 gather-orphans (hint, off by default): `await asyncio.gather(...)` without
 * `return_exceptions=True` on a Python 3.11+ target, where an `asyncio.TaskGroup` fits.
 *
 * The semantics the message states (and that several write-ups get wrong): when one awaitable
 * fails, `gather` raises that exception to its awaiter at once and the other awaitables keep
 * running, orphaned; it does not cancel them. Only cancelling the gather itself cancels its
 * children. A `TaskGroup` cancels the remaining tasks when one fails and waits for them.
 */
import type { Node } from 'web-tree-sitter';
import type { TextEdit } from '../core/finding';
import type { FixSpec, PythonContext } from '../python/context';
import { holdsComment, mayNotBeCoroutine, targetNames } from '../python/concurrency-shape';
import { defineRule } from './define';

const GATHERS = '(await (call function: (_) @fn arguments: (argument_list) @args) @call) @await';
const GATHER = new Set(['asyncio.gather', 'asyncio.tasks.gather']);
const CANCEL_CALLS = '(call function: (attribute attribute: (identifier) @method (#eq? @method "cancel")))  @call';

const rule = defineRule({
  code: 'AW403',
  name: 'gather-orphans',
  languages: ['python'],
  severity: 'hint',
  enabledByDefault: false,
  aliases: [],
  fixable: 'sometimes',
  summary: 'asyncio.gather without return_exceptions leaves the other awaitables running when one fails; a TaskGroup cancels them (3.11+).',
  messages: {
    orphans: 'When one awaitable fails, `asyncio.gather()` raises at once and leaves the others running, orphaned (it does not cancel them): an `asyncio.TaskGroup` cancels the rest and waits for them.',
    fixTaskGroup: 'Rewrite as an `asyncio.TaskGroup` (failures then raise an `ExceptionGroup`)',
  },
  docs: `## What it does
Flags \`await asyncio.gather(…)\` with two or more awaitables (or a \`*\` argument) and without
\`return_exceptions=True\`, when the target Python is 3.11 or newer (where \`asyncio.TaskGroup\`
exists; on older targets the rule does not fire). Off by default: enable it with a severity in the
settings or \`--select AW403\`.

Left alone: \`return_exceptions=True\` (every outcome is collected, nothing is abandoned), a
\`return_exceptions\` computed at run time, gathers whose \`try\` cancels the rest itself (an \`except\` or
\`finally\` that calls \`.cancel()\`), a gather of a single awaitable, and a gather that is not awaited
where it is made (its future can be cancelled, which cancels the children).

## Why is this bad?
When one awaitable raises, \`gather\` propagates that exception to its awaiter immediately. It does
**not** cancel the others: they keep running, orphaned, and their own failures are never retrieved
(the loop logs "exception was never retrieved"). Requests keep going to a backend after the caller
gave up; a shutdown path leaves work behind. An \`asyncio.TaskGroup\` cancels the remaining tasks when
one fails, waits for them to finish, and raises every failure together in an \`ExceptionGroup\`.

## Example
\`\`\`py
import asyncio

async def load(user_id):
    profile, orders = await asyncio.gather(get_profile(user_id), get_orders(user_id))
    return profile, orders
\`\`\`

## Use instead
\`\`\`py
import asyncio

async def load(user_id):
    async with asyncio.TaskGroup() as tg:
        profile_task = tg.create_task(get_profile(user_id))
        orders_task = tg.create_task(get_orders(user_id))
    return profile_task.result(), orders_task.result()
\`\`\`

Or, to collect every outcome: \`await asyncio.gather(…, return_exceptions=True)\`.

## Fix safety
The \`TaskGroup\` rewrite is offered for \`await asyncio.gather(f(), g())\` as a statement or as the value
of an assignment to a name or to one name per awaitable, when every argument is a call. It is unsafe:
a failure now cancels the other tasks and surfaces as an \`ExceptionGroup\` (\`except ValueError\` around
it must become \`except* ValueError\`), the results are read with \`task.result()\`, and
\`create_task\` accepts only coroutines: calls known to return a future or task, or another awaitable
(aiohttp's \`session.get(…)\` and the other HTTP-verb methods), are not rewritten.
`,
  python(ctx) {
    if (!ctx.targetAtLeast(3, 11)) return;
    for (const match of ctx.matchesInAsync(GATHERS)) {
      const get = (name: string): Node => match.captures.find((c) => c.name === name)!.node;
      const call = get('call');
      if (!ctx.isAsync(call) || !GATHER.has(ctx.resolve(get('fn')) ?? '')) continue;
      const args = get('args').namedChildren.filter((a): a is Node => a !== null && a.type !== 'comment');
      const returnExceptions = args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'return_exceptions');
      if (returnExceptions && returnExceptions.childForFieldName('value')?.type !== 'false') continue;
      const positional = args.filter((a) => a.type !== 'keyword_argument');
      if (!positional.some((a) => a.type === 'list_splat') && positional.length < 2) continue;
      if (cancelsOnFailure(ctx, get('await')) || inCleanup(get('await')) || !ownsItsWork(ctx, get('await'), positional)) continue;
      ctx.report(call, 'orphans', {}, fixesFor(ctx, get('await'), args));
    }
  },
});
export default rule;

/**
 * In a `finally` or `except` block: cleanup, where every step should run to the end; a TaskGroup
 * would cancel the other steps when one fails (`return_exceptions=True` is the fix there).
 */
function inCleanup(awaitNode: Node): boolean {
  for (let n = awaitNode.parent; n; n = n.parent) {
    if (n.type === 'function_definition' || n.type === 'lambda') return false;
    if (n.type === 'finally_clause' || n.type === 'except_clause' || n.type === 'except_group_clause') return true;
  }
  return false;
}

/**
 * Whether the gather starts and owns its awaitables, so that a TaskGroup could take its place.
 * Not when they are cleanup calls (close, shutdown…: all should finish), tasks this function just
 * cancelled (the gather only waits for them to stop), the finished set from `asyncio.wait`, or
 * tasks held by an object (`*self._tasks.values()`), whose lifetime is managed elsewhere.
 */
function ownsItsWork(ctx: PythonContext, awaitNode: Node, positional: readonly Node[]): boolean {
  const fn = ctx.scopes.functionAt(awaitNode.startIndex);
  const scope = fn ? fn.node : ctx.root;
  const works: Node[] = [];
  for (const arg of positional) {
    const inner = arg.type === 'list_splat' ? arg.namedChild(0) : arg;
    if (!inner) return false;
    if (arg.type === 'list_splat' && (inner.type === 'attribute' || (inner.type === 'call' && rootIsAttribute(inner)))) return false;
    if (inner.type === 'identifier') {
      const name = inner.text;
      if (cancelledBefore(ctx, scope, name, awaitNode) || boundByWait(ctx, scope, name)) return false;
      const value = lastAssignment(ctx, scope, name, awaitNode);
      if (value) works.push(value);
      continue;
    }
    works.push(inner);
  }
  const calls = works.flatMap((w) => elementCalls(w));
  return !(calls.length > 0 && calls.every((c) => CLEANUP.test(methodName(c))));
}

const CLEANUP = /^(close|aclose|shutdown|stop|cleanup|wait_closed|disconnect|terminate|kill|cancel|unsubscribe|release|_close)$/;

/** `self._tasks.values()`, `self.pending.copy()`: a collection an object holds. */
function rootIsAttribute(call: Node): boolean {
  const receiver = call.childForFieldName('function')?.childForFieldName('object');
  return receiver?.type === 'attribute';
}

function methodName(call: Node): string {
  const fn = call.childForFieldName('function');
  return fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text ?? '' : fn?.text ?? '';
}

/** The calls an argument makes per awaitable: itself, or the element of a comprehension or generator. */
function elementCalls(node: Node): Node[] {
  if (node.type === 'call') return [node];
  if (node.type === 'generator_expression' || node.type === 'list_comprehension') {
    const body = node.childForFieldName('body');
    return body?.type === 'call' ? [body] : [];
  }
  if (node.type === 'list' || node.type === 'tuple') return node.namedChildren.filter((c): c is Node => c?.type === 'call');
  return [];
}

const CANCEL_EACH = `(for_statement left: (identifier) @item right: (identifier) @collection
  body: (block (expression_statement (call function: (attribute object: (identifier) @receiver attribute: (identifier) @method))))
  (#eq? @method "cancel")) @loop`;

/** `t.cancel()`, or `for t in tasks: t.cancel()`, before the gather. */
function cancelledBefore(ctx: PythonContext, scope: Node, name: string, before: Node): boolean {
  const direct = ctx
    .captures(CANCEL_CALLS, scope)
    .some((c) => c.name === 'call' && c.node.startIndex < before.startIndex && c.node.childForFieldName('function')?.childForFieldName('object')?.text === name);
  if (direct) return true;
  return ctx.matches(CANCEL_EACH, scope).some((m) => {
    const get = (n: string): Node | undefined => m.captures.find((c) => c.name === n)?.node;
    return get('loop')!.startIndex < before.startIndex && get('collection')?.text === name && get('item')?.text === get('receiver')?.text;
  });
}

const WAIT_RESULTS = '(assignment left: (pattern_list . (identifier) @done) right: (await (call function: (_) @fn)))';

/** `done, pending = await asyncio.wait(...)`: `done` holds finished awaitables only. */
function boundByWait(ctx: PythonContext, scope: Node, name: string): boolean {
  return ctx.matches(WAIT_RESULTS, scope).some((m) => {
    const done = m.captures.find((c) => c.name === 'done')?.node;
    const fn = m.captures.find((c) => c.name === 'fn')?.node;
    return done?.text === name && ['asyncio.wait', 'asyncio.tasks.wait'].includes(ctx.resolve(fn) ?? '');
  });
}

/** The value last assigned to a plain name before a node, in the same function. */
function lastAssignment(ctx: PythonContext, scope: Node, name: string, before: Node): Node | undefined {
  let value: Node | undefined;
  for (const m of ctx.matches('(assignment left: (identifier) @name right: (_) @value)', scope)) {
    const n = m.captures.find((c) => c.name === 'name')?.node;
    const v = m.captures.find((c) => c.name === 'value')?.node;
    if (n?.text === name && v && n.startIndex < before.startIndex) value = v;
  }
  return value;
}

/** Inside a `try` whose handlers or `finally` call `.cancel()`: the code cancels the rest itself. */
function cancelsOnFailure(ctx: PythonContext, awaitNode: Node): boolean {
  let child: Node = awaitNode;
  for (let n = awaitNode.parent; n; child = n, n = n.parent) {
    if (n.type === 'function_definition' || n.type === 'lambda') return false;
    if (n.type !== 'try_statement' || !n.childForFieldName('body')?.equals(child)) continue;
    for (const clause of n.namedChildren) {
      if (clause && (clause.type === 'except_clause' || clause.type === 'except_group_clause' || clause.type === 'finally_clause') && ctx.captures(CANCEL_CALLS, clause).length > 0) return true;
    }
  }
  return false;
}

function fixesFor(ctx: PythonContext, awaitNode: Node, args: readonly Node[]): FixSpec[] {
  if (args.some((a) => a.type !== 'call' || mayNotBeCoroutine(a)) || args.length < 2) return [];
  if (holdsComment(ctx, awaitNode)) return [];
  const parent = awaitNode.parent;
  let statement: Node;
  let targets: string[] | undefined;
  let target: Node | undefined;
  if (parent?.type === 'expression_statement') statement = parent;
  else if (parent?.type === 'assignment' && parent.parent?.type === 'expression_statement' && !parent.childForFieldName('type')) {
    statement = parent.parent;
    target = parent.childForFieldName('left') ?? undefined;
    targets = target ? targetNames(target) : undefined;
    if (!target || !targets || (target.type !== 'identifier' && targets.length !== args.length)) return [];
  } else return [];
  if (statement.parent?.type !== 'block') return [];

  const fn = ctx.scopes.functionAt(awaitNode.startIndex);
  const fnText = fn ? fn.node.text : ctx.source;
  const chosen = new Set<string>();
  const fresh = (base: string): string => {
    for (let i = 1; ; i++) {
      const name = i === 1 ? base : `${base}_${i}`;
      if (chosen.has(name) || new RegExp(`\\b${name}\\b`).test(fnText)) continue;
      chosen.add(name);
      return name;
    }
  };
  const group = ctx.spell('asyncio.TaskGroup');
  const indent = ctx.indentOf(statement);
  const unit = ctx.indentUnit();
  const eol = ctx.eol();
  const tg = fresh('tg');
  const lines = [`async with ${group.text}() as ${tg}:`];
  if (!target) {
    for (const a of args) lines.push(`${indent}${unit}${tg}.create_task(${a.text})`);
  } else if (target.type === 'identifier') {
    const tasks = fresh('tasks');
    const task = fresh('task');
    const creates = args.map((a) => `${tg}.create_task(${a.text})`);
    const oneLine = `${indent}${unit}${tasks} = [${creates.join(', ')}]`;
    if (oneLine.length <= 88 && !oneLine.includes('\n')) lines.push(oneLine);
    else lines.push(`${indent}${unit}${tasks} = [`, ...creates.map((c) => `${indent}${unit}${unit}${c},`), `${indent}${unit}]`);
    lines.push(`${indent}${target.text} = [${task}.result() for ${task} in ${tasks}]`);
  } else {
    const names = targets!.map((t) => fresh(`${t.replace(/^_+/, '') || 'result'}_task`));
    args.forEach((a, i) => lines.push(`${indent}${unit}${names[i]} = ${tg}.create_task(${a.text})`));
    lines.push(`${indent}${target.text} = ${names.map((n) => `${n}.result()`).join(', ')}`);
  }
  const edit: TextEdit = { start: statement.startIndex, end: statement.endIndex, newText: lines.join(eol) };
  return [{ title: rule.messages.fixTaskGroup, safety: 'unsafe', edits: [...group.edits, edit] }];
}
