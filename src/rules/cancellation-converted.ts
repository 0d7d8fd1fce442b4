/**
 * AW103 cancellation-converted: a handler in a coroutine that receives `asyncio.CancelledError`
 * never swallows it outright (AW101's case) but, on some path, raises a different exception or
 * returns a value instead of re-raising. The task then fails or succeeds rather than being cancelled.
 */
import { cancellationHandlers } from '../python/handlers';
import { defineRule } from './define';

const rule = defineRule({
  code: 'AW103',
  name: 'cancellation-converted',
  languages: ['python'],
  severity: 'hint',
  inTests: false,
  aliases: ['ASYNC104'],
  fixable: 'never',
  summary: 'A handler turns CancelledError into another exception or a return value instead of re-raising it.',
  messages: {
    converted: '`{caught}` raises `{raised}` instead of re-raising `CancelledError`: the task ends with an error instead of being cancelled, so `asyncio.timeout()`, `TaskGroup` and whoever cancelled it see a failure.',
    returnsValue: '`{caught}` returns a value after catching `CancelledError`: the task ends as if it had succeeded, so its canceller and `asyncio.timeout()` never see the cancellation.',
  },
  docs: `## What it does
Flags an \`except\` clause in an \`async def\` that catches \`asyncio.CancelledError\` (any of the forms
listed for AW101 swallowed-cancellation) and, on some path, raises a different exception or returns
a value instead of re-raising. Handlers that also have a path that swallows the cancellation
outright are reported by AW101 instead. Raising a new \`CancelledError\`, \`raise e\` with the caught
exception, \`sys.exit()\` and \`raise SystemExit\` are not conversions.

**A hint by default** (the CLI reports it with \`--hints\` or when the rule is named): on the
ecosystem check ([docs/ecosystem.md](../ecosystem.md)) it was right once in 3 findings; the other
handlers converted a cancellation the code itself had delivered (closing a subscription cancels its
pending read, which then raises the library's own "closed" error). Turn it on for code whose tasks run
under \`asyncio.timeout()\`, a \`TaskGroup\` or \`wait_for\`.

## Why is this bad?
Cancellation only works when the \`CancelledError\` reaches the top of the task. Converted into
\`RuntimeError\`, it makes the task fail instead: \`task.cancelled()\` is false, \`asyncio.timeout()\` does not
raise \`TimeoutError\`, a \`TaskGroup\` reports a child error, and the log fills with tracebacks for a
routine shutdown. Returning a value makes the task look successful to whoever cancelled it.

## Example
\`\`\`py
import asyncio

async def fetch(client, url):
    try:
        return await client.get(url)
    except asyncio.CancelledError:
        raise RuntimeError(f"fetch of {url} interrupted")
\`\`\`

## Use instead
\`\`\`py
import asyncio

async def fetch(client, url):
    try:
        return await client.get(url)
    except asyncio.CancelledError:
        print(f"fetch of {url} interrupted")
        raise
\`\`\`

## Fix safety
No fix is offered: whether the caller needs the other exception or the value has to be decided by
whoever wrote the handler. Usually the answer is to log, then \`raise\`.
`,
  python(ctx) {
    for (const handler of cancellationHandlers(ctx)) {
      if (handler.deliberate) continue;
      const o = handler.outcomes;
      // Swallowing paths are AW101's: one finding per handler.
      if (o.has('fallthrough') || o.has('continue') || o.has('break') || o.has('return')) continue;
      const raise = o.get('raiseOther');
      if (raise) {
        ctx.report(handler.header, 'converted', { caught: handler.caught, raised: raisedName(raise.text) });
      } else if (o.has('returnValue')) {
        ctx.report(handler.header, 'returnsValue', { caught: handler.caught });
      }
    }
  },
});
export default rule;

/** `raise RuntimeError("…") from e` → `RuntimeError`. */
function raisedName(statement: string): string {
  const expression = statement.replace(/^raise\s+/, '').replace(/\s+from\s+[\s\S]*$/, '');
  const callee = /^[\w.]+/.exec(expression)?.[0] ?? expression;
  return callee.length <= 40 ? callee : `${callee.slice(0, 37)}…`;
}
