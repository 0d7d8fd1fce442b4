/**
 * AW102 finally-swallows-exception: `return`, `break` or `continue` in the `finally` block of a
 * try in a coroutine that can be cancelled. The jump discards the exception in flight, including
 * `CancelledError`.
 */
import type { Node } from 'web-tree-sitter';
import type * as ts from 'typescript';
import { ancestors } from '../python/ancestors';
import type { PythonContext } from '../python/context';
import { statementsOf } from '../python/concurrency-shape';
import { clauseBody, clauseBreadth } from '../python/handlers';
import { keywordOwners } from '../python/structure';
import type { TsContext } from '../typescript/context';
import { defineRule } from './define';

const FINALLY = /(?<![A-Za-z0-9_])finally(?![A-Za-z0-9_])/g;
const FINALLY_OWNER = { finally: ['finally_clause'] };
const JUMPS = '[(return_statement) (break_statement) (continue_statement)] @jump';

const rule = defineRule({
  code: 'AW102',
  name: 'finally-swallows-exception',
  languages: ['python', 'typescript'],
  severity: 'warning',
  aliases: ['B012'],
  fixable: 'never',
  summary: 'return/break/continue in a finally block discards the exception in flight, CancelledError included.',
  messages: {
    returnInFinally: '`return` in `finally` discards the exception in flight, `CancelledError` included: a cancelled task ends as if it had succeeded.',
    breakInFinally: '`break` in `finally` discards the exception in flight, `CancelledError` included: a cancelled task carries on after the loop.',
    continueInFinally: '`continue` in `finally` discards the exception in flight, `CancelledError` included: a cancelled task keeps looping.',
    tsReturnInFinally: '`return` in `finally` discards the error in flight, an abort included: the aborted operation resolves as if it had succeeded.',
    tsJumpInFinally: '`{jump}` in `finally` discards the error in flight, an abort included: the aborted operation carries on.',
  },
  docs: `## What it does
Flags \`return\`, \`break\` and \`continue\` inside a \`finally\` block in an \`async def\`, when the \`try\` (its
body, handlers or \`else\`) can suspend at an \`await\`, \`async for\` or \`async with\` and so be cancelled.
A \`break\` or \`continue\` belonging to a loop nested inside the \`finally\`, and a \`return\` in a nested
function, do not leave the \`finally\` and are not flagged.

Also left alone: a \`try\` with a clause that catches everything (a bare \`except:\` or
\`except BaseException\`), no \`else\` clause, and handlers that end without raising: no \`raise\`, no
await point, only plain statements (calls, assignments, \`pass\`, \`return\`, also inside an \`if\`).
Every exception of the \`try\` body, \`CancelledError\` included, is then handled before the \`finally\`
runs, so its jump discards nothing. A handler that awaits is still flagged: a cancellation arriving
at that await is in flight when the \`finally\` runs. A call in a handler could itself fail; that is
accepted, since such handlers log or record the error and a failing logger is rare.

In TS/JS the same in an \`async\` function whose \`try\` or \`catch\` awaits: a \`return\`, or a \`break\`/\`continue\`
(labelled or not) whose target is outside the \`finally\` block, throws away the rejection in flight —
an \`AbortError\` included.

## Why is this bad?
Leaving a \`finally\` block with a jump throws away whatever exception was propagating through it.
When the task is cancelled, that exception is the \`CancelledError\`: the task returns normally (or
keeps looping), so shutdown waits on it and \`asyncio.timeout()\` never fires. Any other error vanishes
without a trace as well. Python 3.14 warns about these jumps (PEP 765).

## Example
\`\`\`py
import asyncio

async def drain(queue):
    try:
        while not queue.empty():
            await asyncio.sleep(0.1)
    finally:
        return queue.qsize()
\`\`\`
\`\`\`ts
export async function drain(queue: { size: number; next(): Promise<void> }): Promise<number> {
  try {
    while (queue.size > 0) await queue.next();
  } finally {
    return queue.size;
  }
}
\`\`\`

## Use instead
\`\`\`py
import asyncio

async def drain(queue):
    try:
        while not queue.empty():
            await asyncio.sleep(0.1)
    finally:
        print("drained")
    return queue.qsize()
\`\`\`
\`\`\`ts
export async function drain(queue: { size: number; next(): Promise<void> }): Promise<number> {
  try {
    while (queue.size > 0) await queue.next();
  } finally {
    console.log('drained');
  }
  return queue.size;
}
\`\`\`

## Fix safety
No fix is offered. The usual repair moves the jump after the \`try\` statement, which changes what
happens when an exception is in flight — the point of the change, but only the author knows whether
some errors were meant to be discarded.
`,
  typescriptNeeds: ['async', 'finally'],
  typescript(ctx) {
    detectTypeScript(ctx);
  },
  python(ctx) {
    // The `finally` keywords of coroutines, found in the text and confirmed by the tree: cheaper
    // than a query over every async body, and most files have none.
    const focus = ctx.focus;
    for (const { node: clause } of keywordOwners(ctx.tree, ctx.source, FINALLY, FINALLY_OWNER, (offset) => ctx.scopes.isAsync(offset))) {
      const tryStatement = clause.parent;
      const block = clause.namedChildren.find((c) => c?.type === 'block');
      if (tryStatement?.type !== 'try_statement' || !block || !ctx.isAsync(block)) continue;
      if (focus && (tryStatement.endIndex <= focus.start || focus.end <= tryStatement.startIndex)) continue;
      // The jumps first: most `finally` blocks have none, and they are the cheapest thing to look at.
      const jumps = ctx.captures(JUMPS, block).map((c) => c.node).filter((jump) => leavesFinally(jump, block));
      if (jumps.length === 0) continue;
      if (!canBeCancelled(tryStatement, (n) => ctx.hasAwaitPoint(n))) continue;
      if (nothingInFlight(ctx, tryStatement)) continue;
      for (const jump of jumps) {
        const messageId = jump.type === 'return_statement' ? 'returnInFinally' : jump.type === 'break_statement' ? 'breakInFinally' : 'continueInFinally';
        ctx.report(jump, messageId);
      }
    }
  },
});
export default rule;

/** Cancellation reaches the `finally` from an await in the body, a handler or the `else` clause. */
function canBeCancelled(tryStatement: Node, hasAwaitPoint: (n: Node) => boolean): boolean {
  for (const child of tryStatement.namedChildren) {
    if (!child || child.type === 'finally_clause' || child.type === 'comment') continue;
    if (hasAwaitPoint(child)) return true;
  }
  return false;
}

/** Statements a handler may hold and still end without raising: logging, bookkeeping, `pass`, `...`. */
const PLAIN_STATEMENTS = new Set(['expression_statement', 'pass_statement', 'return_statement']);

/**
 * True when no exception can be in flight as the `finally` runs: the `try` has a clause that catches
 * everything (a bare `except:` or `except BaseException`), no `else` (whose errors no clause sees),
 * and every handler ends without raising — no `raise`, no await point (a cancellation arriving there
 * would be in flight), only plain statements (calls, assignments, `pass`, `return`), also inside an
 * `if`. A call in a handler could itself fail; that is accepted: such handlers log or record the error.
 */
function nothingInFlight(ctx: PythonContext, tryStatement: Node): boolean {
  const clauses = tryStatement.namedChildren.filter((c): c is Node => c?.type === 'except_clause');
  if (!clauses.some((c) => clauseBreadth(ctx, c) === 'everything')) return false;
  if (tryStatement.namedChildren.some((c) => c?.type === 'else_clause')) return false;
  return clauses.every((c) => {
    const body = clauseBody(c);
    return body !== undefined && !ctx.hasAwaitPoint(body) && endsWithoutRaising(body);
  });
}

function endsWithoutRaising(block: Node): boolean {
  return statementsOf(block).every((st) => {
    if (PLAIN_STATEMENTS.has(st.type)) return !st.descendantsOfType(['yield', 'raise_statement']).some((n) => n !== null);
    if (st.type !== 'if_statement') return false;
    const branches = [st.childForFieldName('consequence'), ...st.namedChildren.filter((c) => c?.type === 'elif_clause' || c?.type === 'else_clause').map((c) => c!.namedChildren.find((b) => b?.type === 'block') ?? null)];
    return branches.every((b) => b !== null && endsWithoutRaising(b));
  });
}

/**
 * True when the jump transfers control out of the `finally` block: not a `return` of a nested
 * function, nor a `break`/`continue` of a loop whose body is inside the block. A jump in an inner
 * try's own `finally` leaves that one too, and so ours.
 */
function leavesFinally(jump: Node, block: Node): boolean {
  const isReturn = jump.type === 'return_statement';
  let child = jump;
  for (const n of ancestors(jump)) {
    if (n.equals(block)) break;
    if (n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') return false;
    if (!isReturn && (n.type === 'for_statement' || n.type === 'while_statement') && n.childForFieldName('body')?.equals(child)) return false;
    child = n;
  }
  return true;
}

/** TS/JS: jumps out of a `finally` block of a `try` that awaits, in an async function. */
function detectTypeScript(ctx: TsContext): void {
  const ts = ctx.ts;
  for (const fn of ctx.asyncFunctionList()) {
    ctx.walkOwn(fn, (n) => {
      if (!ts.isTryStatement(n) || !n.finallyBlock) return;
      if (!ctx.hasAwait(n.tryBlock) && !(n.catchClause && ctx.hasAwait(n.catchClause.block))) return;
      const block = n.finallyBlock;
      ctx.walkOwn(block, (j) => {
        if (ts.isReturnStatement(j)) ctx.report(j, 'tsReturnInFinally');
        else if ((ts.isBreakStatement(j) || ts.isContinueStatement(j)) && jumpsOutOf(ctx, j, block)) {
          ctx.report(j, 'tsJumpInFinally', { jump: ts.isBreakStatement(j) ? 'break' : 'continue' });
        }
      });
    });
  }
}

/** Whether a `break`/`continue` targets a statement outside `block` (so leaves the `finally`). */
function jumpsOutOf(ctx: TsContext, jump: ts.BreakStatement | ts.ContinueStatement, block: ts.Block): boolean {
  const ts = ctx.ts;
  const isBreak = ts.isBreakStatement(jump);
  for (let n: ts.Node = jump.parent; n !== block; n = n.parent) {
    if (jump.label) {
      if (ts.isLabeledStatement(n) && n.label.text === jump.label.text) return false;
      continue;
    }
    if (ts.isIterationStatement(n, false)) return false;
    if (isBreak && ts.isSwitchStatement(n)) return false;
  }
  return true;
}
