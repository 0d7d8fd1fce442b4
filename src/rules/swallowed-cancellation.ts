/**
 * AW101 swallowed-cancellation: an `except` clause in a coroutine receives `asyncio.CancelledError`
 * (bare `except:`, `BaseException`, `CancelledError` in any spelling, `Exception` before 3.8) and
 * has a path that carries on instead of re-raising. The task then never stops when cancelled: the
 * SIGTERM shutdown hang. Also `contextlib.suppress(CancelledError)` around an await.
 */
import type { Node } from 'web-tree-sitter';
import type { FixSpec, PythonContext } from '../python/context';
import { cancellationHandlers, suppressedCancellations, type CancellationHandler } from '../python/handlers';
import { defineRule } from './define';

const rule = defineRule({
  code: 'AW101',
  name: 'swallowed-cancellation',
  languages: ['python'],
  severity: 'warning',
  aliases: ['ASYNC103'],
  fixable: 'sometimes',
  summary: 'An except clause (or contextlib.suppress) catches CancelledError in a coroutine and carries on instead of re-raising.',
  messages: {
    swallowed: '`{caught}` swallows `CancelledError` on a path that does not re-raise: the task keeps running when cancelled, so shutdown (SIGTERM, `asyncio.run` cleanup, `TaskGroup`, timeouts) waits on it and hangs.',
    endsNormally: '`{caught}` ends the task with `{how}` after catching `CancelledError`: the task finishes as if it had succeeded, so its canceller and `asyncio.timeout()` never see the cancellation.',
    suppressed: '`{caught}` swallows `CancelledError` around an await: the task keeps running when cancelled, so shutdown (SIGTERM, `asyncio.run` cleanup, `TaskGroup`, timeouts) waits on it and hangs.',
    fixAppendRaise: 'Re-raise at the end of the handler',
    fixAppendRaiseBroad: 'Re-raise at the end of the handler (every exception it catches)',
    fixInsertClause: 'Insert `{clause}: raise` before this handler',
  },
  docs: `## What it does
Flags an \`except\` clause in an \`async def\` that catches \`asyncio.CancelledError\` and has a path that
does not re-raise it: it falls off the end of the handler, \`continue\`s or \`break\`s out of a loop, or
\`return\`s without a value. Clauses that catch cancellation are a bare \`except:\`, \`except BaseException\`,
\`except asyncio.CancelledError\` in any import spelling (\`asyncio.exceptions.CancelledError\`,
\`from asyncio import CancelledError as CE\`), tuples holding one of those, the \`except*\` forms, and,
when the target Python is older than 3.8, \`except Exception\`. Only handlers whose \`try\` body can
suspend (an \`await\`, \`async for\` or \`async with\`) are checked: cancellation is delivered only there.
\`with contextlib.suppress(asyncio.CancelledError):\` around an await is flagged too.

Left alone: handlers that re-raise on every path (\`raise\`, \`raise e\`, a new \`CancelledError\`),
waiting for a child you just cancelled (\`task.cancel()\` then \`try: await task\` /
\`except CancelledError: pass\`), and handlers that follow the 3.11 protocol of checking
\`asyncio.current_task().cancelling()\` and re-raising when it is non-zero.

## Why is this bad?
\`task.cancel()\` delivers a \`CancelledError\` at the task's next \`await\`. A handler that swallows it
keeps the task running: \`asyncio.run()\` waits for it at exit, a \`TaskGroup\` never finishes, a
service's SIGTERM handler hangs until the orchestrator kills it 30 seconds later. A \`return\` or
\`break\` ends the task as if it had succeeded, so \`asyncio.timeout()\` cannot turn the cancellation
into a \`TimeoutError\` and the code that cancelled it believes the work completed.

## Example
\`\`\`py
import asyncio

async def worker(queue):
    while True:
        try:
            job = await queue.get()
            await job.run()
        except asyncio.CancelledError:
            print("interrupted, continuing")
        except BaseException:
            print("job failed")
\`\`\`

## Use instead
\`\`\`py
import asyncio

async def worker(queue):
    while True:
        try:
            job = await queue.get()
            await job.run()
        except asyncio.CancelledError:
            print("interrupted, stopping")
            raise
        except Exception:
            print("job failed")
\`\`\`

## Fix safety
For a clause that catches only \`CancelledError\` and whose non-re-raising paths all fall off the end,
appending \`raise\` to the handler is safe: the cleanup still runs, then the cancellation propagates.
For a broad clause (\`except:\`, \`BaseException\`, a tuple, \`Exception\` before 3.8) the safe, preferred
fix inserts \`except asyncio.CancelledError: raise\` just before it, leaving the handling of every
other exception as it was. Appending \`raise\` to a broad handler is offered as unsafe: it re-raises
every exception the handler used to absorb. No fix is offered when the cancellation is swallowed
by \`return\`, \`break\` or \`continue\` in a \`CancelledError\` handler, or by \`contextlib.suppress\`: what
the code should do instead depends on why it stops there.
`,
  python(ctx) {
    for (const handler of cancellationHandlers(ctx)) {
      if (handler.deliberate) continue;
      const o = handler.outcomes;
      const keepsRunning = o.has('fallthrough') || o.has('continue');
      const endsNormally = o.has('break') || o.has('return');
      if (keepsRunning) {
        ctx.report(handler.header, 'swallowed', { caught: handler.caught }, fixesFor(ctx, handler));
      } else if (endsNormally) {
        const how = o.has('return') ? 'return' : 'break';
        ctx.report(handler.header, 'endsNormally', { caught: handler.caught, how }, fixesFor(ctx, handler));
      }
    }
    for (const s of suppressedCancellations(ctx)) {
      if (!s.deliberate) ctx.report(s.call, 'suppressed', { caught: s.caught });
    }
  },
});
export default rule;

function fixesFor(ctx: PythonContext, handler: CancellationHandler): FixSpec[] {
  const o = handler.outcomes;
  const onlyFallsThrough = !o.has('break') && !o.has('continue') && !o.has('return') && !o.has('returnValue') && !o.has('raiseOther');
  const fixes: FixSpec[] = [];
  if (handler.catches === 'broad') {
    const spelled = ctx.spell('asyncio.CancelledError');
    const indent = ctx.indentOf(handler.clause);
    const keyword = handler.star ? 'except*' : 'except';
    const eol = ctx.eol();
    fixes.push({
      title: rule.messages.fixInsertClause.replace('{clause}', `${keyword} ${spelled.text}`),
      safety: 'safe',
      edits: [
        ...spelled.edits,
        {
          start: handler.clause.startIndex,
          end: handler.clause.startIndex,
          newText: `${keyword} ${spelled.text}:${eol}${indent}${ctx.indentUnit()}raise${eol}${indent}`,
        },
      ],
    });
    if (onlyFallsThrough) fixes.push({ title: rule.messages.fixAppendRaiseBroad, safety: 'unsafe', edits: [appendRaise(ctx, handler)] });
  } else if (onlyFallsThrough) {
    fixes.push({ title: rule.messages.fixAppendRaise, safety: 'safe', edits: [appendRaise(ctx, handler)] });
  }
  return fixes;
}

/** `raise` after the handler's last statement, or in place of a lone `pass`. */
function appendRaise(ctx: PythonContext, handler: CancellationHandler) {
  const statements = handler.body.namedChildren.filter((s): s is Node => s !== null && s.type !== 'comment');
  const last = statements[statements.length - 1];
  if (statements.length === 1 && last.type === 'pass_statement') return { start: last.startIndex, end: last.endIndex, newText: 'raise' };
  // `except CancelledError: log()` written on the header's line.
  if (last.startPosition.row === handler.clause.startPosition.row) return { start: last.endIndex, end: last.endIndex, newText: '; raise' };
  // After the end of the last line, so a trailing comment stays with the statement it annotates.
  const lineEnd = ctx.lines.lineStart(last.endPosition.row + 1);
  const at = Math.min(lineEnd, ctx.source.length);
  const insertAt = ctx.source.slice(last.endIndex, at).replace(/\r?\n$/, '').length + last.endIndex;
  return { start: insertAt, end: insertAt, newText: `${ctx.eol()}${ctx.indentOf(statements[0])}raise` };
}
