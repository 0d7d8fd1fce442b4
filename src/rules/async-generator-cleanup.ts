/**
 * AW107 async-generator-cleanup (hint, off by default): a `yield` inside `async with` or inside a
 * `try` with a `finally` in an async generator. When its consumer stops early (a `break`, an error,
 * a cancellation while the loop body awaits), the generator is left suspended at that `yield`, and
 * its cleanup runs only when it is closed: at garbage collection, in a task of the loop's own, or in
 * `shutdown_asyncgens()` at the very end of `asyncio.run()` (PEP 525, PEP 533).
 */
import type { Node } from 'web-tree-sitter';
import type { PythonContext } from '../python/context';
import type { Scope } from '../python/scopes';
import { defineRule } from './define';

const YIELDS = '(yield) @yield';
const SCOPES = new Set(['function_definition', 'lambda', 'class_definition']);
/** Decorators whose wrapper drives the generator and closes it itself. */
const ACLOSING = new Set(['contextlib.aclosing']);
/** Decorators that return the function itself (or mark it): they drive nothing. */
const PASS_THROUGH = /^((typing|typing_extensions|abc)\.)?(override|classmethod|staticmethod|abstractmethod|final)$/;

const rule = defineRule({
  code: 'AW107',
  name: 'async-generator-cleanup',
  languages: ['python'],
  severity: 'hint',
  enabledByDefault: false,
  aliases: ['ASYNC119'],
  fixable: 'never',
  summary: 'yield inside async with or try/finally in an async generator: if the consumer stops early, the cleanup runs later, in another task.',
  messages: {
    inContext: '`yield` inside `{block}` in an async generator: if the consumer stops iterating early, this cleanup is deferred until the generator is garbage-collected or `asyncio.run()` shuts down async generators, in another task; iterate it inside `contextlib.aclosing()`.',
  },
  docs: `## What it does
Flags a \`yield\` in an async generator (an \`async def\` that yields) that sits inside the body of an
\`async with\` or a \`with\` block, or inside a \`try\` statement that has a \`finally\` clause (its body,
handlers or \`else\`), in the generator's own code.

Left alone:
- decorated generators: the decorator receives the generator function and drives it
  (\`@asynccontextmanager\`, a test fixture, a benchmark harness), closing it when it is done
  (\`@override\`, \`@classmethod\`, \`@staticmethod\`, \`@abstractmethod\` and \`@final\` drive nothing and
  do not count);
- generators whose function the same file hands on by name (\`Depends(session)\`,
  \`app.cleanup_ctx.append(gen)\`, \`timed(gen)\`): the code it is handed to drives it;
- generators every call of which in the same file is wrapped in \`contextlib.aclosing(…)\`.

**Off by default**: whether the cleanup is ever deferred depends on the callers (a consumer that
always runs the generator to its end loses nothing), which a look at the generator cannot see. On
the ecosystem check's 20 Python projects ([docs/ecosystem.md](../ecosystem.md); measured with
\`asyncwise check --select AW107\`, since the check runs only rules that are on) it made 21 findings:
12 right (a lock, a streamed HTTP response or a connection held across the yield of a public
iterator that users leave with \`break\`: sanic's websocket \`read_mutex\`, websockets' reconnect loop,
nonebot's and aiogram's download streams), none wrong, 9 debatable (a file or trace context whose
only consumer reads it to the end): precision 1.00 with 43 % debatable. Turn it on (\`--select AW107\`, or a severity in the settings) for libraries whose async
generators hold connections, locks or files, and whose users may \`break\` out of the loop.

## Why is this bad?
An async generator's \`finally\` blocks and \`async with\` exits run when the generator finishes or is
closed. When the consumer stops early — a \`break\`, a \`return\`, an exception, or a cancellation
while the loop body awaits — the generator stays suspended at its \`yield\`, and nothing closes it.
asyncio's async-generator hooks (PEP 525) close it later: when it is garbage-collected, by
scheduling \`aclose()\` as a new task, or, for generators still alive at the end of \`asyncio.run()\`,
in \`loop.shutdown_asyncgens()\`. The cleanup then runs in another task (a context variable, a
\`current_task()\` or an \`asyncio.timeout\` of the consumer no longer apply), at an unpredictable time (a
connection is returned to its pool, a lock released, a file closed much later), and at shutdown
possibly after the resources it needs are gone. PEP 533 describes the problem; \`contextlib.aclosing()\`
(3.10+) closes the generator when the consumer's block ends. flake8-async's \`ASYNC119\` is the same
check in the Trio world.

## Example
\`\`\`py
import asyncio

async def rows(pool, query):
    async with pool.acquire() as conn:
        async for row in conn.cursor(query):
            yield row
\`\`\`

## Use instead
\`\`\`py
import asyncio
import contextlib

async def rows(pool, query):
    async with pool.acquire() as conn:
        return [row async for row in conn.cursor(query)]

async def first_match(pool, query, wanted):
    # Or keep the generator and close it deterministically where it is consumed.
    async with contextlib.aclosing(stream(pool, query)) as items:
        async for row in items:
            if row == wanted:
                return row
\`\`\`

## Fix safety
No fix is offered: wrapping every consumer in \`aclosing()\` or restructuring the generator is a
change of design.
`,
  python(ctx) {
    if (!ctx.source.includes('yield')) return;
    const checked = new Map<Scope, boolean>();
    for (const { node } of ctx.captures(YIELDS)) {
      const fn = ctx.scopes.functionAt(node.startIndex);
      if (fn?.kind !== 'async-function') continue;
      let applies = checked.get(fn);
      if (applies === undefined) checked.set(fn, (applies = !drivenOrClosed(ctx, fn)));
      if (!applies) continue;
      const block = guardingBlock(node);
      if (block) ctx.report(node, 'inContext', { block });
    }
  },
});
export default rule;

/** The innermost `async with`/`with` or `try … finally` around a `yield`, within its function, described. */
function guardingBlock(yieldNode: Node): string | undefined {
  let child: Node = yieldNode;
  for (let n = yieldNode.parent; n && !SCOPES.has(n.type); child = n, n = n.parent) {
    if (n.type === 'with_statement' && n.childForFieldName('body')?.equals(child)) return n.children.some((c) => c?.type === 'async') ? 'async with' : 'with';
    if (n.type === 'try_statement' && child.type !== 'finally_clause' && n.namedChildren.some((c) => c?.type === 'finally_clause')) return 'try … finally';
  }
  return undefined;
}

/**
 * A generator that something else drives and may close: decorated (`@asynccontextmanager`, a test
 * fixture, a benchmark harness: the decorator receives the generator function and runs it), or whose
 * function is handed on by name in this file (`Depends(dependency)`, `app.cleanup_ctx.append(gen)`,
 * `timed(gen)`); or one called in this file only inside `contextlib.aclosing(…)` (at least once).
 */
function drivenOrClosed(ctx: PythonContext, fn: Scope): boolean {
  const decorated = fn.node.parent?.type === 'decorated_definition' ? fn.node.parent : null;
  for (const d of decorated?.namedChildren ?? []) {
    if (d?.type !== 'decorator') continue;
    const expr = d.namedChild(0);
    const target = expr?.type === 'call' ? expr.childForFieldName('function') : expr;
    if (!PASS_THROUGH.test(target?.text.replace(/\s+/g, '') ?? '')) return true;
  }
  const name = fn.node.childForFieldName('name')?.text;
  if (!name) return false;
  const calls = ctx.captures('(call function: [(identifier) (attribute attribute: (identifier))] @callee) @call', ctx.root)
    .filter((c) => c.name === 'call')
    .map((c) => c.node)
    .filter((call) => {
      const callee = call.childForFieldName('function');
      return (callee?.type === 'identifier' ? callee.text : callee?.childForFieldName('attribute')?.text) === name;
    });
  if (handedOn(ctx, fn, name)) return true;
  return calls.length > 0 && calls.every((call) => {
    const wrapper = call.parent?.type === 'argument_list' ? call.parent.parent : null;
    return wrapper?.type === 'call' && ACLOSING.has(ctx.resolve(wrapper.childForFieldName('function')) ?? '');
  });
}

/** The generator function's name used in the file other than by calling it or defining it. */
function handedOn(ctx: PythonContext, fn: Scope, name: string): boolean {
  return ctx.captures('(identifier) @id', ctx.root).some(({ node }) => {
    if (node.text !== name) return false;
    const parent = node.parent;
    if (!parent) return false;
    if (parent.type === 'function_definition' && parent.childForFieldName('name')?.equals(node)) return false;
    if (parent.type === 'call' && parent.childForFieldName('function')?.equals(node)) return false;
    if (parent.type === 'attribute') {
      // `self.name(...)` is a call; `obj.name` as a value is a reference; `other.name` attribute names are someone else's.
      if (!parent.childForFieldName('attribute')?.equals(node)) return false;
      return parent.parent?.type !== 'call' && parent.childForFieldName('object')?.text === 'self' && fn.parent?.kind === 'class';
    }
    if (parent.type === 'keyword_argument' && parent.childForFieldName('name')?.equals(node)) return false;
    return true;
  });
}
