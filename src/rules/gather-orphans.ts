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
import { holdsComment, targetNames } from '../python/concurrency-shape';
import { defineRule } from './define';

const GATHERS = '(await (call function: (_) @fn arguments: (argument_list) @args) @call) @await';
const GATHER = new Set(['asyncio.gather', 'asyncio.tasks.gather']);
const CANCEL_CALLS = '(call function: (attribute attribute: (identifier) @method (#eq? @method "cancel")))  @call';
/** Calls that return a future or task, which `TaskGroup.create_task` would reject (it wants a coroutine). */
const FUTURE_FACTORIES = /(^|\.)(create_task|ensure_future|run_in_executor|shield|gather|wrap_future|create_future|run_coroutine_threadsafe)$/;

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
\`create_task\` accepts only coroutines (calls known to return a future or task are not rewritten).
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
      if (cancelsOnFailure(ctx, get('await'))) continue;
      ctx.report(call, 'orphans', {}, fixesFor(ctx, get('await'), args));
    }
  },
});
export default rule;

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
  if (args.some((a) => a.type !== 'call' || FUTURE_FACTORIES.test(a.childForFieldName('function')?.text ?? '')) || args.length < 2) return [];
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
    lines.push(`${indent}${unit}${tasks} = [${args.map((a) => `${tg}.create_task(${a.text})`).join(', ')}]`);
    lines.push(`${indent}${target.text} = [${task}.result() for ${task} in ${tasks}]`);
  } else {
    const names = targets!.map((t) => fresh(`${t.replace(/^_+/, '') || 'result'}_task`));
    args.forEach((a, i) => lines.push(`${indent}${unit}${names[i]} = ${tg}.create_task(${a.text})`));
    lines.push(`${indent}${target.text} = ${names.map((n) => `${n}.result()`).join(', ')}`);
  }
  const edit: TextEdit = { start: statement.startIndex, end: statement.endIndex, newText: lines.join(eol) };
  return [{ title: rule.messages.fixTaskGroup, safety: 'unsafe', edits: [...group.edits, edit] }];
}
