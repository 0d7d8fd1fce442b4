/**
 * AW303 loop-reentry: `asyncio.run(...)`, `loop.run_until_complete(...)`, `loop.run_forever()` or
 * `asyncio.Runner().run(...)` called from a coroutine. A coroutine runs inside a running event loop,
 * and asyncio refuses to start or re-enter a loop from there: the call raises `RuntimeError` every
 * time it runs, and the coroutine object handed to it is never awaited.
 */
import type { Node } from 'web-tree-sitter';
import type { PythonContext } from '../python/context';
import { asyncCalls, type AsyncCall } from '../python/calls';
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
thread), as are files that call \`nest_asyncio.apply()\`, which patches asyncio to allow re-entry.

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
    // The calls of async code are collected once for every rule that needs them (AW201 too).
    for (const c of asyncCalls(ctx)) {
      if (c.name && RUN.has(c.name)) {
        ctx.report(c.call, 'run', { callee: 'asyncio.run' });
      } else if (c.method && c.receiver && LOOP_METHODS.has(c.method) && isEventLoop(ctx, c.receiver)) {
        ctx.report(c.call, 'loop', { callee: shortText(c.callee) });
      } else if (c.method === 'run' && c.receiver && isRunner(ctx, c)) {
        ctx.report(c.call, 'runner', { callee: 'Runner.run' });
      }
    }
  },
});
export default rule;

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
