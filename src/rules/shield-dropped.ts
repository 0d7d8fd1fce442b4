/**
 * AW104 shield-dropped: `asyncio.shield(...)` whose result is thrown away, or that shields a
 * coroutine. `shield()` wraps a coroutine in a task it keeps only through the outer future's done
 * callback; once the caller is cancelled — the very case shield exists for — that callback is gone,
 * nothing holds the inner task (the loop keeps weak references only), and its outcome is never seen.
 */
import type { Node } from 'web-tree-sitter';
import type { PythonContext, FixSpec } from '../python/context';
import { callsCoroutine } from '../python/tasks';
import { freshName, ownsItsLine, taskSet } from './dangling-task';
import { defineRule } from './define';

/** Calls whose callee ends in one of the names (`shield`, or a local alias of `asyncio.shield`). */
const shields = (names: readonly string[]) => `((call function: (_) @callee arguments: (argument_list) @args) @call (#match? @callee "(^|[.])(${names.join('|')})$"))`;
const SHIELD = new Set(['asyncio.shield', 'asyncio.tasks.shield']);

const rule = defineRule({
  code: 'AW104',
  name: 'shield-dropped',
  languages: ['python'],
  severity: 'hint',
  aliases: [],
  fixable: 'sometimes',
  summary: 'asyncio.shield() of a coroutine, or whose result is dropped: once the caller is cancelled, nothing holds the shielded task.',
  messages: {
    discarded: 'The future `asyncio.shield()` returns is dropped: nothing awaits the shielded work, and a task shield made for it is held by nobody, so it can be garbage-collected mid-flight and its error is never seen.',
    coroutine: '`asyncio.shield()` wraps this coroutine in a task that only the shield\'s outer future refers to: once the caller is cancelled, nothing holds the task, so it can be garbage-collected mid-flight and an error it raises is never seen.',
    fixHold: 'Start the task first and hold it in `{set}` until it is done',
  },
  docs: `## What it does
Flags \`asyncio.shield(x)\` (any import spelling) when
- its result is thrown away (the call is a statement of its own): nothing waits for the shielded work; or
- \`x\` is a call that certainly returns a coroutine, such as \`asyncio.shield(self.close())\` with \`close\`
  an \`async def\` of the caller's class: \`shield()\` turns it into a task that nobody else holds. The
  callee must be an undecorated \`async def\` of the same file that the call names without doubt (a
  function of that name visible from the call, or \`self.m()\` with \`m\` a method of the caller's class),
  or one of asyncio's coroutine functions (\`asyncio.sleep\`, \`wait_for\`, \`wait\`…).

Left alone: shielding a name or attribute (a task or future the code holds, as the asyncio documentation
advises), and calls whose result may be a task, a future or another awaitable (\`create_task\`,
\`run_in_executor\`, a method of another object, a sync \`def\` returning an awaitable).

**A hint by default** (the CLI reports it with \`--hints\` or when the rule is named): on the ecosystem
check ([docs/ecosystem.md](../ecosystem.md), 20 Python projects) it made 8 findings, all of them
\`await asyncio.shield(self.<method>())\` and all debatable: the documented hazard is there (once the
caller is cancelled nothing holds the task), but in each the shielded task waited on a lock, a
connection or a transport its owner holds, which keeps the task reachable while it waits, so a
collection mid-flight was unlikely; and an error it raises after the caller is gone goes unseen
whether or not a set holds it. No finding was wrong, no dropped \`shield()\` result was found. Turn it
on to follow the asyncio documentation's advice to the letter, or where shielded work awaits futures
only it refers to.

## Why is this bad?
\`shield(coro)\` calls \`ensure_future(coro)\`, which starts a task, and returns an outer future; the task
is referenced from the outer future's done callback and the outer future from the task's. When the
caller is cancelled — the case shield exists for — the outer future is cancelled and its callback
removes that link (CPython's \`tasks.shield\`, the same in 3.8–3.14). From then on the inner task is held
by nobody: the event loop keeps only weak references to tasks, so it can be garbage-collected before
it finishes (its \`finally\` blocks may never run), and when it fails its exception is never retrieved
("Task exception was never retrieved", at some later garbage collection, at best). The asyncio
documentation of \`shield()\` says: *"Save a reference to tasks passed to this function, to avoid a
task disappearing mid-execution."* A dropped \`shield()\` result is the same loss without even the
caller waiting.

## Example
\`\`\`py
import asyncio

async def commit(db):
    await db.execute("COMMIT")

async def handle(request, db):
    await asyncio.shield(commit(db))
\`\`\`

## Use instead
\`\`\`py
import asyncio

_background_tasks: set[asyncio.Task] = set()

async def commit(db):
    await db.execute("COMMIT")

async def handle(request, db):
    task = asyncio.ensure_future(commit(db))
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
    await asyncio.shield(task)
\`\`\`

## Fix safety
For \`await asyncio.shield(<call>)\` making up a whole statement (an expression statement, the value of
an assignment or of a \`return\`), the fix starts the task the way \`shield()\` itself does
(\`asyncio.ensure_future(<call>)\`, which \`shield()\` calls first and which returns a task or future
\`shield()\` then uses as is), holds it in a module-level set until it is done (as AW302's fix does:
reusing a module-level task set, or adding \`_background_tasks\`), and shields the held task. It is safe:
the same task runs, started at the same point, and the set forgets it as soon as it is done. No fix
is offered for other shapes (a shield inside a larger expression, a line shared with other code) or
for a dropped result (what should wait for the work is the author's call).
`,
  python(ctx) {
    if (!ctx.source.includes('shield')) return;
    const names = ['shield', ...[...ctx.names.imports].filter(([, q]) => SHIELD.has(q)).map(([local]) => local)];
    for (const match of ctx.matches(shields([...new Set(names)]))) {
      const call = match.captures.find((c) => c.name === 'call')?.node;
      const callee = match.captures.find((c) => c.name === 'callee')?.node;
      const args = match.captures.find((c) => c.name === 'args')?.node;
      if (!call || !callee || !args || !SHIELD.has(ctx.resolve(callee) ?? '')) continue;
      if (call.parent?.type === 'expression_statement') {
        ctx.report(call, 'discarded');
        continue;
      }
      const inner = args.namedChildren.find((a) => a !== null && a.type !== 'comment');
      if (inner?.type !== 'call' || !callsCoroutine(ctx, inner)) continue;
      ctx.report(inner, 'coroutine', {}, holdFix(ctx, call, inner));
    }
  },
});
export default rule;

/**
 * `task = asyncio.ensure_future(<inner>)`, the task added to a module-level set that forgets it when
 * it is done, then `await asyncio.shield(task)`: only when the awaited shield is the whole value of
 * an expression statement, an assignment or a `return` that owns its line, in a coroutine.
 */
function holdFix(ctx: PythonContext, call: Node, inner: Node): FixSpec[] {
  const awaited = call.parent;
  if (awaited?.type !== 'await') return [];
  let statement = awaited.parent;
  if (statement?.type === 'assignment' && statement.childForFieldName('right')?.equals(awaited) && statement.parent?.type === 'expression_statement') statement = statement.parent;
  else if (statement?.type !== 'expression_statement' && statement?.type !== 'return_statement') return [];
  if (!statement || !ctx.isAsync(statement)) return [];
  if (statement.type === 'expression_statement' && statement.namedChildCount !== 1) return [];
  if (!ownsItsLine(ctx, statement)) return [];
  const holder = taskSet(ctx);
  if (!holder) return [];
  const fn = ctx.scopes.functionAt(statement.startIndex);
  const task = freshName(fn ? fn.node.text : ctx.source, ['task', 'shielded_task', 'inner_task']);
  if (!task) return [];
  const ensure = ctx.spell('asyncio.ensure_future');
  const eol = ctx.eol();
  const indent = ctx.indentOf(statement);
  const lines = [`${task} = ${ensure.text}(${inner.text})`, `${holder.name}.add(${task})`, `${task}.add_done_callback(${holder.name}.discard)`];
  const title = rule.messages.fixHold.replace('{set}', holder.name);
  return [{
    title,
    safety: 'safe',
    edits: [
      ...holder.edits,
      ...ensure.edits,
      { start: statement.startIndex, end: statement.startIndex, newText: lines.map((l) => l + eol + indent).join('') },
      { start: inner.startIndex, end: inner.endIndex, newText: task },
    ],
  }];
}
