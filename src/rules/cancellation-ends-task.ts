/**
 * AW108 cancellation-ends-task (hint, off by default): a handler that catches `CancelledError` at
 * the very end of a coroutine the module starts as a task, and lets the task end normally. The
 * milder relative of AW101: the task does stop (no shutdown hang), but as if it had succeeded.
 * Off by default because on real code the owner nearly always cancels the task itself and relies
 * on it ending quietly (`task.cancel(); await task`); see the docs.
 */
import { cancellationHandlers, endsTheTask } from '../python/handlers';
import { defineRule } from './define';

const rule = defineRule({
  code: 'AW108',
  name: 'cancellation-ends-task',
  languages: ['python'],
  severity: 'hint',
  enabledByDefault: false,
  inTests: false,
  aliases: [],
  fixable: 'never',
  summary: 'A task catches its cancellation at its very end and finishes as if it had succeeded, hiding the cancellation.',
  messages: {
    endsTask: '`{caught}` ends the task quietly when it is cancelled: it stops, but as if it had succeeded, so whoever cancelled it, a `TaskGroup` or `asyncio.timeout()` never sees the cancellation.',
  },
  docs: `## What it does
Flags an \`except\` clause that catches \`asyncio.CancelledError\` (the forms listed for AW101
swallowed-cancellation) in a coroutine that the same module starts as a task
(\`asyncio.create_task(self._run())\`, \`loop.create_task(…)\`, \`ensure_future(…)\`, \`asyncio.run(main())\`,
\`gather(…)\`), when the handler ends the task: it falls off the end of the task's last statement,
breaks out of its last loop, or returns, and only quick synchronous cleanup (no await, no loop)
runs after it. AW101 leaves exactly these handlers to this rule.

Off by default. On the ecosystem check (29 real projects) every such handler was deliberate: a
background loop (a flusher, a pinger, a reader, a per-request ASGI task) whose owner cancels it and
expects it to end quietly. Turn it on (\`--select AW108\`, or a severity in the settings) when the
tasks of your code base are run under \`asyncio.timeout()\`, a \`TaskGroup\` or \`wait_for\`, or awaited by
code that must tell a cancelled task from a finished one.

Left alone: everything AW101 leaves alone (re-raising handlers, waiting for a child you just
cancelled, the 3.11 \`cancelling()\` protocol), and test code unless selected.

## Why is this bad?
The task stops, so shutdown does not hang. But it ends as if it had succeeded: \`task.cancelled()\` is
false, \`await task\` returns instead of raising \`CancelledError\`, \`asyncio.timeout()\` around it cannot
turn the cancellation into \`TimeoutError\`, and a \`TaskGroup\` or \`asyncio.run\` cannot tell a cancelled
child from a finished one.

## Example
\`\`\`py
import asyncio

class Reader:
    def start(self):
        self._task = asyncio.create_task(self._run())

    async def _run(self):
        try:
            while True:
                await asyncio.sleep(1)
        except asyncio.CancelledError:
            print("reader stopped")
\`\`\`

## Use instead
\`\`\`py
import asyncio

class Reader:
    def start(self):
        self._task = asyncio.create_task(self._run())

    async def _run(self):
        try:
            while True:
                await asyncio.sleep(1)
        except asyncio.CancelledError:
            print("reader stopped")
            raise
\`\`\`

## Fix safety
No fix is offered: re-raising changes what the task's owner sees when it awaits the task after
cancelling it (\`await task\` starts raising \`CancelledError\`), so the owner may need a change too.
`,
  python(ctx) {
    for (const handler of cancellationHandlers(ctx)) {
      if (!handler.deliberate && endsTheTask(ctx, handler)) ctx.report(handler.header, 'endsTask', { caught: handler.caught });
    }
  },
});
export default rule;
