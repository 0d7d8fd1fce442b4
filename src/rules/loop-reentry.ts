/**
 * AW303 loop-reentry: `asyncio.run(...)`, `loop.run_until_complete(...)`, `loop.run_forever()` or
 * `asyncio.Runner().run(...)` called from a coroutine. A coroutine runs inside a running event loop,
 * and asyncio refuses to start or re-enter a loop from there: the call raises `RuntimeError` every
 * time it runs, and the coroutine object handed to it is never awaited.
 */
import type { Node } from 'web-tree-sitter';
import type { PythonContext } from '../python/context';
import { asyncCallsOf, type AsyncCall } from '../python/calls';
import { isEventLoop } from '../python/loops';
import { defineRule } from './define';

const RUN = new Set(['asyncio.run', 'asyncio.runners.run']);
const RUNNERS = new Set(['asyncio.Runner', 'asyncio.runners.Runner']);
const LOOP_METHODS = new Set(['run_until_complete', 'run_forever']);


const rule = defineRule({
  code: 'AW303',
  name: 'loop-reentry',
  languages: ['python'],
  severity: 'error',
  aliases: [],
  fixable: 'never',
  summary: 'asyncio.run / run_until_complete / run_forever called from a coroutine always raises RuntimeError.',
  messages: {
    run: '`{callee}()` inside a coroutine raises `RuntimeError: asyncio.run() cannot be called from a running event loop`, and the coroutine passed to it is never awaited; `await` it instead.',
    runner: '`{callee}()` inside a coroutine raises `RuntimeError: Runner.run() cannot be called from a running event loop`; `await` the coroutine instead.',
    loop: '`{callee}()` inside a coroutine raises `RuntimeError` (`This event loop is already running`, or `Cannot run the event loop while another loop is running` for a different loop); `await` the work instead.',
  },
  docs: `## What it does
Flags \`asyncio.run(...)\`, \`asyncio.Runner().run(...)\`, and \`loop.run_until_complete(...)\` /
\`loop.run_forever()\` on an event loop (see AW302 for how a loop is recognised) called directly inside
an \`async def\`. Calls in a nested sync \`def\` or \`lambda\` are left alone (they may run in another
thread), as are files that call \`nest_asyncio.apply()\`, which patches asyncio to allow re-entry, and
calls in the child branch of an \`os.fork()\` made in the same function (\`pid = os.fork()\` then
\`if pid == 0:\` or \`if not pid:\`, or the \`else\` of \`if pid:\`): asyncio ties the running loop to the
process that runs it, so in the forked child no loop is running and starting one is how the child is
meant to do its async work.

## Why is this bad?
An \`async def\` always runs inside a running event loop, and asyncio refuses to start or re-enter a
loop from there. \`asyncio.run()\` raises \`RuntimeError: asyncio.run() cannot be called from a running
event loop\`; \`loop.run_until_complete()\` and \`run_forever()\` raise \`RuntimeError: This event loop is
already running\` for the current loop, and \`Cannot run the event loop while another loop is running\`
for a new one. The coroutine passed in is never awaited (a \`RuntimeWarning\` at best). The usual
cause is sync code that was made async without its entry point changing: await the coroutine instead.
\`nest_asyncio\` makes re-entry work by patching the loop, but it is unmaintained, does not support
every loop (uvloop), and lets one task's blocking wait run other tasks re-entrantly; prefer awaiting.

## Example
\`\`\`py
import asyncio

async def handler(request):
    data = asyncio.run(fetch(request.url))
    return data
\`\`\`

## Use instead
\`\`\`py
import asyncio

async def handler(request):
    data = await fetch(request.url)
    return data
\`\`\`
Sync code that must run a coroutine while a loop runs in another thread uses
\`asyncio.run_coroutine_threadsafe(coro, loop).result()\` from that other thread.

## Fix safety
No fix is offered: replacing the call with \`await\` changes which code waits for the result, and a
\`run_forever()\` has no direct equivalent.
`,
  python(ctx) {
    if (!/\brun(_until_complete|_forever)?\b/.test(ctx.source)) return;
    // A file that patches asyncio for re-entry knows what it is doing.
    if ([...ctx.names.imports.values()].some((q) => q === 'nest_asyncio' || q.startsWith('nest_asyncio.'))) return;
    // Once per file: tested per call, a whole-text search made the rule quadratic in file size.
    const forks = /\bfork\s*\(/.test(ctx.source);
    // Only the calls that can start a loop (the shared list of every call when AW201 built it): the
    // methods by name, plain names only where imported as `asyncio.run` (a plain name resolves
    // through the file's imports alone).
    const runNames = [...ctx.names.imports].filter(([, qualified]) => RUN.has(qualified)).map(([local]) => local);
    for (const c of asyncCallsOf(ctx, ['run', 'run_until_complete', 'run_forever'], runNames)) {
      const found: [string, string] | undefined =
        c.name && RUN.has(c.name) ? ['run', 'asyncio.run']
        : c.method && c.receiver && LOOP_METHODS.has(c.method) && isEventLoop(ctx, c.receiver) ? ['loop', shortText(c.callee)]
        : c.method === 'run' && c.receiver && isRunner(ctx, c) ? ['runner', 'Runner.run']
        : undefined;
      if (!found || (forks && inForkedChild(ctx, c.call))) continue;
      ctx.report(c.call, found[0], { callee: found[1] });
    }
  },
});
export default rule;

/**
 * Whether the call runs only in the child of an `os.fork()` made in the same function: inside the
 * branch of `if pid == 0:` / `if not pid:` (or the `else` of `if pid:` / `if pid != 0:`), where `pid`
 * is assigned from `os.fork()` earlier in the function, or the condition calls `os.fork()` itself.
 * asyncio forgets the running loop in a forked child (the loop belongs to the parent's pid), so
 * starting a loop there is how such code is meant to run.
 */
function inForkedChild(ctx: PythonContext, call: Node): boolean {
  let branch: Node = call;
  for (let n = call.parent; n; branch = n, n = n.parent) {
    if (n.type === 'function_definition' || n.type === 'lambda') return false;
    if (n.type !== 'if_statement') continue;
    const condition = n.childForFieldName('condition');
    const childWhenTrue = condition ? forkChildTest(ctx, condition, n) : undefined;
    if (childWhenTrue === undefined) continue;
    if (childWhenTrue && branch.equals(n.childForFieldName('consequence') ?? n)) return true;
    if (!childWhenTrue && branch.type === 'else_clause' && !n.namedChildren.some((c) => c?.type === 'elif_clause')) return true;
  }
  return false;
}

/**
 * For an `if` condition that tests the result of `os.fork()`: true when the condition holds in the
 * child (`pid == 0`, `not pid`), false when it holds in the parent (`pid`, `pid != 0`), undefined for
 * any other condition.
 */
function forkChildTest(ctx: PythonContext, condition: Node, ifStatement: Node): boolean | undefined {
  const isPid = (node: Node | null | undefined): boolean => {
    if (!node) return false;
    if (node.type === 'parenthesized_expression') return isPid(node.namedChild(0));
    if (node.type === 'call') return ctx.resolve(node.childForFieldName('function')) === 'os.fork';
    return node.type === 'identifier' && assignedFromFork(ctx, node.text, ifStatement);
  };
  if (condition.type === 'not_operator') return isPid(condition.childForFieldName('argument')) ? true : undefined;
  if (condition.type === 'comparison_operator' && condition.namedChildCount === 2 && condition.childCount === 3) {
    const [left, right] = [condition.namedChild(0), condition.namedChild(1)];
    const zero = (node: Node | null) => node?.type === 'integer' && node.text === '0';
    const operator = condition.child(1)?.type;
    if (!((isPid(left) && zero(right)) || (zero(left) && isPid(right)))) return undefined;
    return operator === '==' ? true : operator === '!=' ? false : undefined;
  }
  return isPid(condition) ? false : undefined;
}

/** Whether `name = os.fork()` comes before `node` in the function enclosing it. */
function assignedFromFork(ctx: PythonContext, name: string, node: Node): boolean {
  const fn = ctx.scopes.functionAt(node.startIndex);
  const scope = fn ? fn.node : ctx.root;
  return ctx.captures(FORK_ASSIGNMENTS, scope).some(({ node: assignment }) => {
    if (assignment.startIndex >= node.startIndex || ctx.scopes.functionAt(assignment.startIndex) !== fn) return false;
    return assignment.childForFieldName('left')?.text === name && ctx.resolve(assignment.childForFieldName('right')?.childForFieldName('function')) === 'os.fork';
  });
}

const FORK_ASSIGNMENTS = '(assignment left: (identifier) right: (call)) @assignment';

function shortText(node: Node): string {
  const text = node.text.replace(/\s+/g, '');
  return text.length <= 40 ? text : `….${text.split('.').pop()}`;
}

/** `asyncio.Runner().run`, or `run` on a name assigned (or `with … as`) from `asyncio.Runner()`. */
function isRunner(ctx: PythonContext, c: AsyncCall): boolean {
  if (c.receiverType) return RUNNERS.has(c.receiverType);
  if (c.receiver?.type !== 'call') return false;
  const q = ctx.resolve(c.receiver.childForFieldName('function'));
  return q !== undefined && RUNNERS.has(q);
}
