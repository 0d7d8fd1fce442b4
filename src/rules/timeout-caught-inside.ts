/**
 * AW105 timeout-caught-inside: `except TimeoutError` inside `async with asyncio.timeout(...)` (or
 * `timeout_at`, or the `async_timeout` package) around the awaits that block times out. When the
 * deadline passes, the context manager cancels the task: what arrives inside the block is a
 * `CancelledError`, turned into `TimeoutError` only when it reaches the `async with` exit. The
 * handler inside never sees that timeout.
 */
import type { Node } from 'web-tree-sitter';
import { ancestors } from '../python/ancestors';
import type { PythonContext } from '../python/context';
import { caughtTypes } from '../python/handlers';
import type { Scope } from '../python/scopes';
import { defineRule } from './define';

const TIMEOUT_BLOCKS = '(with_statement "async" (with_clause (with_item value: (call function: (_) @callee))) body: (block) @body) @with';
const TIMEOUTS = new Set([
  'asyncio.timeout',
  'asyncio.timeout_at',
  'asyncio.timeouts.timeout',
  'asyncio.timeouts.timeout_at',
  'async_timeout.timeout',
  'async_timeout.timeout_at',
]);
const TIMEOUT_ERRORS = new Set(['builtins.TimeoutError', 'asyncio.TimeoutError', 'asyncio.exceptions.TimeoutError', 'concurrent.futures.TimeoutError', 'concurrent.futures._base.TimeoutError']);
/** Work that times out on its own and raises `TimeoutError` into the try body: its handler is meant for that. */
const OWN_TIMEOUTS = new Set([...TIMEOUTS, 'asyncio.wait_for', 'asyncio.tasks.wait_for']);
const TRIES = '(try_statement body: (block) @body) @try';
const AWAIT_POINTS = '[(await) (for_statement "async") (with_statement "async") (for_in_clause "async")] @point';
const SCOPES = new Set(['function_definition', 'lambda', 'class_definition']);

const rule = defineRule({
  code: 'AW105',
  name: 'timeout-caught-inside',
  languages: ['python'],
  severity: 'hint',
  aliases: [],
  fixable: 'never',
  summary: 'except TimeoutError inside async with asyncio.timeout(): the deadline arrives there as CancelledError, so the handler never sees it.',
  messages: {
    caughtInside: '`{caught}` is inside `async with {timeout}(…)`: when the deadline passes, the block receives `CancelledError`, which becomes `TimeoutError` only at the `async with` exit, so this handler never sees that timeout; catch it around the `async with`.',
  },
  docs: `## What it does
Flags an \`except\` clause naming \`TimeoutError\` (\`asyncio.TimeoutError\`, \`concurrent.futures.TimeoutError\`,
alone or in a tuple) on a \`try\` that sits inside the body of \`async with asyncio.timeout(…)\` or
\`asyncio.timeout_at(…)\` (Python 3.11+), or of the \`async_timeout\` package's \`timeout\`/\`timeout_at\`, and
whose \`try\` body awaits: the awaits the deadline is meant to interrupt.

Left alone, because the handler is visibly meant for a \`TimeoutError\` raised inside the block:
a \`try\` body that has its own timeout — \`asyncio.wait_for(…)\`, a nested \`asyncio.timeout(…)\`, a call
with a keyword argument whose name contains \`timeout\` (\`ws.receive(timeout=5)\`) — or raises
\`TimeoutError\` itself. A handler for a \`TimeoutError\` that an awaited call raises with no sign of it
at the call site (a client configured elsewhere with its own timeout) cannot be told apart and is
flagged; \`# noqa: AW105\` it.

**A hint by default** (the CLI reports it with \`--hints\` or when the rule is named): on the ecosystem
check ([docs/ecosystem.md](../ecosystem.md), 20 Python projects) it made no finding: every
\`TimeoutError\` handler next to an \`asyncio.timeout\`/\`timeout_at\`/\`async_timeout\` block there (websockets,
aiohttp) sits correctly around the \`async with\`. Its precision on real code is therefore unmeasured,
and a rule goes on by default only with a measured precision of 0.95 or more.
The pattern is wrong by asyncio's semantics whenever it is matched; turn the rule on freely.

## Why is this bad?
\`asyncio.timeout()\` does not raise \`TimeoutError\` where the code is waiting. When the deadline
passes it calls \`task.cancel()\` on the current task (CPython's \`timeouts.py\`, \`Timeout._on_timeout\`),
so the await in progress raises \`CancelledError\`; the context manager's \`__aexit__\` turns that
\`CancelledError\` into \`TimeoutError\` (\`raise TimeoutError from exc_val\`) only when it reaches the end
of the \`async with\` block. An \`except TimeoutError\` inside the block therefore never runs for the
deadline: the fallback it holds (a retry, a default value, a log line) is dead code for the case it
was written for, and the \`TimeoutError\` escapes the \`async with\` instead. Worse, a broader handler
beside it (\`except BaseException\`, a bare \`except:\`) catches the \`CancelledError\` and swallows the
timeout entirely (AW101 flags that one): the block then ends normally, as if the deadline had never
passed. \`async_timeout\` behaves the same way (on 3.11+ it is \`asyncio.timeout\`).

## Example
\`\`\`py
import asyncio

async def fetch(conn):
    async with asyncio.timeout(5):
        try:
            return await conn.read()
        except TimeoutError:
            return None
\`\`\`

## Use instead
\`\`\`py
import asyncio

async def fetch(conn):
    try:
        async with asyncio.timeout(5):
            return await conn.read()
    except TimeoutError:
        return None
\`\`\`

## Fix safety
No fix is offered: moving the handler outside the \`async with\` changes which code the deadline
covers and what runs after a timeout.
`,
  python(ctx) {
    if (!/timeout/.test(ctx.source) || !/TimeoutError/.test(ctx.source)) return;
    for (const match of ctx.matchesInAsync(TIMEOUT_BLOCKS)) {
      const callee = match.captures.find((c) => c.name === 'callee')?.node;
      const block = match.captures.find((c) => c.name === 'body')?.node;
      const withStatement = match.captures.find((c) => c.name === 'with')?.node;
      if (!callee || !block || !withStatement || !TIMEOUTS.has(ctx.resolve(callee) ?? '')) continue;
      const fn = ctx.scopes.functionAt(withStatement.startIndex);
      for (const t of ctx.matches(TRIES, block)) {
        const tryStatement = t.captures.find((c) => c.name === 'try')?.node;
        const body = t.captures.find((c) => c.name === 'body')?.node;
        if (!tryStatement || !body || ctx.scopes.functionAt(tryStatement.startIndex) !== fn) continue;
        // The innermost timeout block around the try is the one that speaks for it.
        if (!innermostTimeout(ctx, tryStatement)?.equals(withStatement)) continue;
        if (!awaitsInFunction(ctx, body, fn) || hasOwnTimeout(ctx, body)) continue;
        for (const clause of tryStatement.namedChildren) {
          if (clause?.type !== 'except_clause') continue;
          const caught = caughtTypes(ctx, clause);
          if (caught.star || !caught.names.some((n) => n !== undefined && TIMEOUT_ERRORS.has(n))) continue;
          ctx.report({ start: clause.startIndex, end: caught.headerEnd }, 'caughtInside', {
            caught: ctx.source.slice(clause.startIndex, caught.headerEnd).replace(/\s+/g, ' ').replace(/\s+as\s+\w+:$|:$/, ''),
            timeout: callee.text.replace(/\s+/g, ''),
          });
        }
      }
    }
  },
});
export default rule;

/** The nearest `async with <timeout>(…)` enclosing a node within its function. */
function innermostTimeout(ctx: PythonContext, node: Node): Node | undefined {
  for (const n of ancestors(node)) {
    if (SCOPES.has(n.type)) break;
    if (n.type !== 'with_statement' || !n.children.some((c) => c?.type === 'async')) continue;
    const isTimeout = n.namedChildren.some((clause) => clause?.type === 'with_clause' && clause.namedChildren.some((item) => {
      const value = item?.childForFieldName('value');
      return value?.type === 'call' && TIMEOUTS.has(ctx.resolve(value.childForFieldName('function')) ?? '');
    }));
    if (isTimeout) return n;
  }
  return undefined;
}

function awaitsInFunction(ctx: PythonContext, body: Node, fn: Scope | undefined): boolean {
  return ctx.captures(AWAIT_POINTS, body).some((c) => ctx.scopes.functionAt(c.node.startIndex) === fn);
}

/**
 * The try body has a timeout of its own that raises `TimeoutError` there: `wait_for(…)`, a nested
 * timeout block, a call given a `…timeout…=` keyword, or a `raise TimeoutError`.
 */
function hasOwnTimeout(ctx: PythonContext, body: Node): boolean {
  for (const { node } of ctx.captures('(call function: (_) @callee)', body)) {
    if (OWN_TIMEOUTS.has(ctx.resolve(node) ?? '')) return true;
  }
  if (ctx.captures('(keyword_argument name: (identifier) @name)', body).some((c) => /timeout/i.test(c.node.text))) return true;
  return ctx.captures('(raise_statement) @raise', body).some((c) => /TimeoutError|[Tt]imeout/.test(c.node.text));
}
