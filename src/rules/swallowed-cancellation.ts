/**
 * AW101 swallowed-cancellation: an `except` clause in a coroutine receives `asyncio.CancelledError`
 * (bare `except:`, `BaseException`, `CancelledError` in any spelling, `Exception` before 3.8) and
 * has a path that carries on instead of re-raising. The task then never stops when cancelled: the
 * SIGTERM shutdown hang. Also `contextlib.suppress(CancelledError)` around an await.
 */
import type { Node } from 'web-tree-sitter';
import type { FixSpec, PythonContext } from '../python/context';
import { cancellationHandlers, endsTheTask, suppressedCancellations, type CancellationHandler } from '../python/handlers';
import type * as ts from 'typescript';
import { walkTree } from '../typescript/walk';
import type { TextEdit } from '../core/finding';
import { formatMessage } from '../core/rule';
import { isAsyncFunction, type FunctionLike, type TsContext, type TsFixSpec } from '../typescript/context';
import { insertAtBlockStart } from '../typescript/edits';
import { cannotBeSignal, localController, propertyName, signalArgument, signalParameter } from '../typescript/signals';
import { defineRule } from './define';

const rule = defineRule({
  code: 'AW101',
  name: 'swallowed-cancellation',
  languages: ['python', 'typescript'],
  severity: 'hint',
  inTests: false,
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
    tsSwallowed: 'This `catch` swallows the abort of `{signal}` on a path that does not re-throw: the aborted operation carries on as if nothing happened.',
    tsSwallowedCatch: 'This `.catch()` swallows the abort of a signal-aware operation: an aborted caller carries on as if it had succeeded.',
    fixAbortRethrow: 'Re-throw when aborted: `if ({signal}.aborted) throw {error};`',
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

A handler that ends a coroutine the module starts as a task (\`create_task(self._run())\`,
\`asyncio.run(main())\`, \`gather(…)\`) — it falls off the end of the task's last statement, breaks out
of its last loop, or returns, with only quick synchronous cleanup after — is left to AW108
cancellation-ends-task: the task stops when cancelled, so nothing hangs; it only ends as if it had
succeeded, which its owner usually relies on. Modules that use trio alone are left alone too (a
swallowed \`trio.Cancelled\` is raised again at the next checkpoint).

Left alone: handlers that re-raise on every path (\`raise\`, \`raise e\`, a new \`CancelledError\`),
waiting for a child you just cancelled (\`task.cancel()\` then \`try: await task\` /
\`except CancelledError: pass\`), waiting for a task or future held on \`self\` that the same module
cancels itself as a signal (\`self.transfer_task.cancel()\` in one method, \`await self.transfer_task\`
in another), and handlers that follow the 3.11 protocol of checking
\`asyncio.current_task().cancelling()\` and re-raising when it is non-zero.

In TS/JS: a \`catch\` in an \`async\` function whose \`try\` awaits abortable work — a call given a signal
(\`fetch(url, { signal })\`, an argument named \`signal\` or \`….signal\`, \`AbortSignal.timeout(…)\`), or any
await while the function has a signal parameter — and that neither throws nor checks \`.aborted\`
(or \`throwIfAborted()\`); and \`.catch(handler)\` with such a handler on a promise chain given a signal.
\`controller.abort(reason)\` rejects with \`reason\`, which need not be an \`AbortError\`: checking
\`signal.aborted\` is the robust test.

Left alone in TS/JS, where no caller's abort is lost:

- the code owns the abort, so the abort it catches is one it made and expects (the TS twin of
  cancel-then-await: \`ac.abort()\` then \`body.dump({ signal: ac.signal }).catch((err) =>
  assert.equal(err.name, 'AbortError'))\`): the signal is made already aborting
  (\`AbortSignal.abort(reason)\`, \`AbortSignal.timeout(ms)\`), or is the signal of a controller this
  file creates (\`new AbortController()\` in a variable) and keeps to itself: it is only used through
  \`.signal\` and \`.abort()\` (not handed out, stored in a property or exported), no function between it
  and the catch receives a signal whose abort it could relay, and a module-level controller is
  aborted only by the catching function (a SIGTERM handler elsewhere aborting it is a cancellation
  the catch must not swallow). A controller of an enclosing function (a test suite's, made in
  \`beforeEach\`) may be aborted anywhere in that function, a timer's callback included;
- \`.catch(handler)\` outside an \`async\` function (a sync callback, module level): the chain is
  fire-and-forget, nobody carries on after it, and the handler is what keeps its rejection handled;
- a literal given as the signal (\`signal: {}\`, \`signal: null\`): nothing can abort the call;
- a catch that hands the error to its parent process (\`process.send(…)\` or worker_threads'
  \`parentPort.postMessage(…)\` with the error in the message), and the outermost catch (the last
  statement) of a function nobody awaits: an entry point — an async IIFE statement at module level,
  or a module function (not exported) only called from module-level statements (\`main()\`,
  \`main().catch(…)\`) — or a background watcher, a module function (not exported) whose every call
  drops its promise (\`stopOnDisconnect(emitter, controller);\`, \`void watch();\`), which its abort is
  there to stop. Nothing carries on after such a catch. A catch inside the watcher's loop is still
  reported: the loop goes on after the abort it swallowed.

**A hint by default** (faint dots in the editor; the CLI reports it with \`--hints\` or when the rule
is named). On the ecosystem check ([docs/ecosystem.md](../ecosystem.md): 29 real projects, every
finding read in context) it was right 3 times in 21 decided Python findings and in none of 3 TS/JS
ones: in mature libraries nearly every handler that absorbs a cancellation is deliberate — a close
path or an entry point that ends right after, a cancellation the code made itself. Turn it on
(\`[tool.asyncwise.rules] swallowed-cancellation = "warning"\`, \`--select AW101\`) in a service whose
tasks are cancelled on shutdown: there a loop that catches \`CancelledError\` and carries on is the
hang this rule exists for.

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
\`\`\`ts
export async function poll(url: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await fetch(url, { signal });
    } catch (err) {
      console.warn('poll failed', err);
    }
  }
}
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

\`\`\`ts
export async function poll(url: string, signal: AbortSignal): Promise<void> {
  for (;;) {
    try {
      await fetch(url, { signal });
    } catch (err) {
      if (signal.aborted) throw err;
      console.warn('poll failed', err);
    }
  }
}
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
In TS/JS, inserting \`if (signal.aborted) throw err;\` at the top of the \`catch\` (naming the error
\`catch (error)\` when it has no binding) is safe: only an abort takes the new path, and other errors
are handled as before. No fix is offered for \`.catch(handler)\`.
`,
  typescriptNeeds: ['async', 'catch'],
  typescript(ctx) {
    detectTypeScript(ctx);
  },
  python(ctx) {
    for (const handler of cancellationHandlers(ctx)) {
      if (handler.deliberate) continue;
      // The task stops when cancelled, quietly: AW108's milder pitfall, not a hang.
      if (endsTheTask(ctx, handler)) continue;
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
    const append = onlyFallsThrough ? appendRaise(ctx, handler) : undefined;
    if (append) fixes.push({ title: rule.messages.fixAppendRaiseBroad, safety: 'unsafe', edits: [append] });
  } else if (onlyFallsThrough) {
    const append = appendRaise(ctx, handler);
    if (append) fixes.push({ title: rule.messages.fixAppendRaise, safety: 'safe', edits: [append] });
  }
  return fixes;
}

/**
 * `raise` after the handler's last statement, or in place of a lone `pass`. None for a handler with
 * no statement yet (`except X:` just typed, an empty block to tree-sitter): there is nothing to
 * append to, and the code is not finished.
 */
function appendRaise(ctx: PythonContext, handler: CancellationHandler): TextEdit | undefined {
  const statements = handler.body.namedChildren.filter((s): s is Node => s !== null && s.type !== 'comment');
  const last = statements.at(-1);
  if (!last) return undefined;
  if (statements.length === 1 && last.type === 'pass_statement') return { start: last.startIndex, end: last.endIndex, newText: 'raise' };
  // `except CancelledError: log()` written on the header's line.
  if (last.startPosition.row === handler.clause.startPosition.row) return { start: last.endIndex, end: last.endIndex, newText: '; raise' };
  // After the end of the last line, so a trailing comment stays with the statement it annotates.
  const lineEnd = ctx.lines.lineStart(last.endPosition.row + 1);
  const at = Math.min(lineEnd, ctx.source.length);
  const insertAt = ctx.source.slice(last.endIndex, at).replace(/\r?\n$/, '').length + last.endIndex;
  return { start: insertAt, end: insertAt, newText: `${ctx.eol()}${ctx.indentOf(statements[0])}raise` };
}

// ---------------------------------------------------------------------------------------------
// TS/JS detector: a `catch` (or `.catch(() => {})`) that swallows an abort

function detectTypeScript(ctx: TsContext): void {
  const ts = ctx.ts;
  for (const fn of ctx.asyncFunctionList()) {
    const inScope = signalParameter(ctx, fn);
    ctx.walkOwn(fn, (n) => {
      if (!ts.isTryStatement(n) || !n.catchClause) return;
      const signals = awaitedSignals(ctx, n.tryBlock);
      if (signals.length === 0 && !(inScope && ctx.hasAwait(n.tryBlock))) return;
      if (!inScope && signals.every((s) => ownsAbort(ctx, fn, s))) return;
      const clause = n.catchClause;
      if (handlesAbort(ctx, clause.block) || reportsToParent(ctx, clause.variableDeclaration?.name, clause.block)) return;
      // The outermost `try` of a function nobody awaits (an entry point, a background watcher): nothing runs after the catch.
      if (fn.body && ts.isBlock(fn.body) && fn.body.statements[fn.body.statements.length - 1] === n && nobodyAwaits(ctx, fn)) return;
      const passed = signals[0] as ts.Expression | undefined;
      const spelled = passed && spellableOutside(ctx, passed, n.tryBlock);
      const signal = spelled ? ctx.textOf(passed) : inScope?.expression;
      const optional = spelled ? mayBeUndefined(ctx, passed) : !!inScope?.optional;
      ctx.report({ start: ctx.start(clause), end: clause.block.getStart(ctx.sourceFile) + 1 }, 'tsSwallowed', { signal: signal ?? 'signal' }, signal ? abortFix(ctx, clause, signal, optional) : []);
    });
  }
  // `.catch(() => {})` on a promise whose work was given a signal, awaited by an async function:
  // in a sync callback (or at module level) the chain is fire-and-forget, and catching is what keeps
  // its rejection from going unhandled; nobody is left to carry on.
  const visit = (n: ts.Node): boolean | void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'catch' && n.arguments.length === 1) {
      const handler = n.arguments[0];
      const fn = ctx.enclosingFunction(n);
      if ((ts.isArrowFunction(handler) || ts.isFunctionExpression(handler)) && fn && isAsyncFunction(ts, fn)) {
        const signals = chainSignals(ctx, n.expression.expression);
        const owned = !signalParameter(ctx, fn) && signals.every((s) => ownsAbort(ctx, fn, s));
        if (signals.length > 0 && !owned && !handlesAbort(ctx, handler.body) && !reportsToParent(ctx, handler.parameters[0]?.name, handler.body)) {
          ctx.report(n.expression.name.parent.parent, 'tsSwallowedCatch');
        }
      }
    }
  };
  if (ctx.text.includes('.catch')) walkTree(ctx.sourceFile, visit);
}

/** A signal given to work (`signal: {}` and other literals are not one: nothing can abort them). */
function givenSignal(ctx: TsContext, call: ts.CallExpression | ts.NewExpression): ts.Expression | undefined {
  const signal = signalArgument(ctx, call, false);
  return signal && !cannotBeSignal(ctx.ts, signal) ? signal : undefined;
}

/** The signals passed to calls awaited in the block (by this function, not a nested one). */
function awaitedSignals(ctx: TsContext, block: ts.Block): ts.Expression[] {
  const ts = ctx.ts;
  const found: ts.Expression[] = [];
  ctx.walkOwn(block, (n) => {
    if (!ts.isAwaitExpression(n)) return;
    const visit = (e: ts.Node): boolean | void => {
      const signal = (ts.isCallExpression(e) || ts.isNewExpression(e)) && givenSignal(ctx, e);
      if (signal) found.push(signal);
      // Callbacks inside the awaited expression (`Promise.all(urls.map((u) => fetch(u, { signal })))`) are its work too.
      else return true;
      return false;
    };
    walkTree(n.expression, visit);
  });
  return found;
}

/** The signals given to calls of a promise chain (`fetch(u, { signal }).then(…)`). */
function chainSignals(ctx: TsContext, e: ts.Expression): ts.Expression[] {
  const ts = ctx.ts;
  const found: ts.Expression[] = [];
  for (let n: ts.Expression = e; ; ) {
    if (ts.isParenthesizedExpression(n) || ts.isAwaitExpression(n)) n = n.expression;
    else if (ts.isCallExpression(n)) {
      const signal = givenSignal(ctx, n);
      if (signal) found.push(signal);
      n = n.expression;
    } else if (ts.isPropertyAccessExpression(n)) n = n.expression;
    else return found;
  }
}

/**
 * The code owns the abort, so the abort it catches is one it made and expects (the TS twin of
 * Python's cancel-then-await): the signal is one it makes already aborting (`AbortSignal.abort(r)`,
 * `AbortSignal.timeout(ms)`), or the signal of a controller this file creates and keeps to itself.
 * Kept to itself: every use of the controller is `.signal`, `.abort()` or setting it (handed out as
 * an argument, stored in a property or exported, someone else could abort it), no function between
 * the controller and the catch receives a signal (whose abort it could relay:
 * `signal.addEventListener('abort', () => ac.abort())`), and a module-level controller is aborted only
 * by the catching function (a SIGTERM handler elsewhere aborting it is a cancellation the catch must
 * not swallow). A controller of an enclosing function (a test suite's, made in `beforeEach`) may be
 * aborted anywhere in that function, a timer's callback included; one never aborted cannot abort.
 */
function ownsAbort(ctx: TsContext, fn: FunctionLike, signal: ts.Expression): boolean {
  const ts = ctx.ts;
  let e = signal;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && ts.isIdentifier(e.expression.expression) && e.expression.expression.text === 'AbortSignal') {
    return e.expression.name.text === 'abort' || e.expression.name.text === 'timeout';
  }
  const controller = localController(ctx, signal);
  if (!controller || !ts.isIdentifier(controller.name)) return false;
  const owner = ctx.enclosingFunction(controller);
  for (let f: FunctionLike | undefined = fn; f; f = f === owner ? undefined : ctx.enclosingFunction(f)) if (signalParameter(ctx, f)) return false;
  const statement = controller.parent.parent;
  if (!owner && ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return false;
  const name = controller.name.text;
  const inside = (n: ts.Node): boolean => {
    for (let p: ts.Node | undefined = n; p; p = p.parent) if (p === fn) return true;
    return false;
  };
  let own = true;
  const visit = (n: ts.Node): boolean | void => {
    if (!own) return false;
    if (ts.isIdentifier(n) && n.text === name) {
      const p = n.parent;
      const member = ts.isPropertyAccessExpression(p) && p.expression === n ? p.name.text : undefined;
      if (ts.isPropertyAccessExpression(p) && p.name === n) return false; // `other.controller`: another name
      if (p !== controller && ctx.declarationOf(n) !== controller) return false; // a variable of the same name elsewhere
      if (member === 'signal' || (ts.isVariableDeclaration(p) && (p.name === n || takesOnlySignal(ts, p)))) return false;
      if (ts.isBinaryExpression(p) && p.left === n && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) return false;
      if (member === 'abort' && ts.isCallExpression(p.parent) && (owner || inside(n))) return false;
      own = false;
      return false;
    }
  };
  walkTree(owner ?? ctx.sourceFile, visit);
  return own;
}

/** `const { signal } = controller` */
function takesOnlySignal(ts: TsContext['ts'], d: ts.VariableDeclaration): boolean {
  return ts.isObjectBindingPattern(d.name) && d.name.elements.every((el) => (el.propertyName ? propertyName(ts, el.propertyName) : ts.isIdentifier(el.name) ? el.name.text : undefined) === 'signal');
}

/**
 * A function nobody awaits: an async IIFE statement at module level, or an async function of the
 * module (not exported) whose every call is a module-level statement (`main()`, `main().catch(…)`:
 * a worker's or script's top-level job) or drops its promise (`watch(emitter, controller);`,
 * `void watch(…);`: a background watcher, started and left to end on its own). When its outermost
 * catch ends it, no caller carries on as if the work had succeeded.
 */
function nobodyAwaits(ctx: TsContext, fn: FunctionLike): boolean {
  const ts = ctx.ts;
  if (ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) {
    let callee: ts.Node = fn;
    while (ts.isParenthesizedExpression(callee.parent)) callee = callee.parent;
    if (ts.isCallExpression(callee.parent) && callee.parent.expression === callee) return atModuleLevel(ts, callee.parent);
  }
  let name: ts.Identifier | undefined;
  let statement: ts.Node | undefined;
  if (ts.isFunctionDeclaration(fn)) [name, statement] = [fn.name, fn];
  else if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)) [name, statement] = [fn.parent.name, fn.parent.parent.parent];
  if (!name || !statement || !ts.isSourceFile(statement.parent)) return false;
  if (ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return false;
  const uses: ts.Identifier[] = [];
  const visit = (n: ts.Node): boolean | void => {
    if (ts.isIdentifier(n) && n.text === name.text && n !== name) uses.push(n);
  };
  walkTree(ctx.sourceFile, visit);
  return uses.length > 0 && uses.every((u) => ts.isCallExpression(u.parent) && u.parent.expression === u && (atModuleLevel(ts, u.parent) || promiseDropped(ts, u.parent)));
}

/** A call statement whose promise nobody keeps: `f();`, `void f();`. */
function promiseDropped(ts: TsContext['ts'], call: ts.Expression): boolean {
  let n: ts.Node = call;
  while (ts.isParenthesizedExpression(n.parent) || ts.isVoidExpression(n.parent)) n = n.parent;
  return ts.isExpressionStatement(n.parent);
}

/** A call whose value only goes into a module-level statement: `f()`, `void f()`, `f().catch(…)`, `await f()`. */
function atModuleLevel(ts: TsContext['ts'], call: ts.Expression): boolean {
  let n: ts.Node = call;
  for (;;) {
    const p = n.parent;
    if (ts.isParenthesizedExpression(p) || ts.isVoidExpression(p) || ts.isAwaitExpression(p)) n = p;
    else if (ts.isPropertyAccessExpression(p) && p.expression === n && ts.isCallExpression(p.parent) && p.parent.expression === p) n = p.parent;
    else return ts.isExpressionStatement(p) && ts.isSourceFile(p.parent);
  }
}

/**
 * The handler reports the failure to its parent process (`process.send(…)`, worker_threads'
 * `parentPort.postMessage(…)` with the error in the message): the error, an abort included, is
 * handed on, not swallowed.
 */
function reportsToParent(ctx: TsContext, error: ts.BindingName | undefined, body: ts.Node): boolean {
  const ts = ctx.ts;
  if (!error || !ts.isIdentifier(error)) return false;
  const name = error.text;
  let reports = false;
  const mentions = (n: ts.Node): boolean => (ts.isIdentifier(n) && n.text === name) || !!n.forEachChild(mentions);
  const visit = (n: ts.Node): boolean | void => {
    if (reports || ts.isFunctionLike(n)) return false;
    if (ts.isCallExpression(n)) {
      const callee = ctx.resolve(n.expression);
      if ((callee === 'process.send' || callee === 'worker_threads.parentPort.postMessage') && n.arguments.some(mentions)) reports = true;
    }
  };
  if (ts.isBlock(body)) walkTree(body, visit, false);
  else walkTree(body, visit);
  return reports;
}

/** Re-throws (any `throw`), checks `.aborted`, or calls `throwIfAborted()`: the abort is not lost. */
function handlesAbort(ctx: TsContext, body: ts.Node): boolean {
  const ts = ctx.ts;
  let handled = false;
  const visit = (n: ts.Node): boolean | void => {
    if (handled) return false;
    if (ts.isThrowStatement(n)) handled = true;
    else if (ts.isPropertyAccessExpression(n) && (n.name.text === 'aborted' || n.name.text === 'throwIfAborted')) handled = true;
    else if (!ts.isFunctionLike(n)) return true;
    return false;
  };
  if (ts.isBlock(body)) walkTree(body, visit, false);
  else walkTree(body, visit);
  // `() => Promise.reject(e)` rethrows as well.
  return handled || (!ts.isBlock(body) && /\bPromise\.reject\b/.test(ctx.textOf(body)));
}

/** The signal expression can be written before the `try` (its root is not declared inside the block). */
function spellableOutside(ctx: TsContext, e: ts.Expression, block: ts.Block): boolean {
  const ts = ctx.ts;
  let root: ts.Expression = e;
  while (ts.isPropertyAccessExpression(root)) root = root.expression;
  if (!ts.isIdentifier(root) && root.kind !== ts.SyntaxKind.ThisKeyword) return false;
  if (!ts.isIdentifier(e) && !ts.isPropertyAccessExpression(e)) return false;
  const name = ts.isIdentifier(root) ? root.text : '';
  let declaredInside = false;
  ctx.walkOwn(block, (n) => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n)) && ts.isIdentifier(n.name) && n.name.text === name) declaredInside = true;
  });
  return !declaredInside;
}

function abortFix(ctx: TsContext, clause: ts.CatchClause, signal: string, optional: boolean): TsFixSpec[] {
  const ts = ctx.ts;
  const decl = clause.variableDeclaration;
  const edits: TextEdit[] = [];
  let name: string;
  if (decl) {
    if (!ts.isIdentifier(decl.name)) return [];
    name = decl.name.text;
  } else {
    name = ['error', 'err', 'abortError'].find((n) => !new RegExp(`\\b${n}\\b`).test(ctx.textOf(clause.block))) ?? '';
    if (!name) return [];
    // `catch {` → `catch (error) {`
    const at = clause.block.getStart(ctx.sourceFile);
    edits.push({ start: at, end: at, newText: `(${name}) ` });
  }
  edits.push(insertAtBlockStart(ctx, clause.block, `if (${signal}${optional ? '?.' : '.'}aborted) throw ${name};`));
  return [{ title: formatMessage(rule.messages.fixAbortRethrow, { signal, error: name }), safety: 'safe', edits }];
}

/** Whether a signal expression may be undefined (`options.signal` of an optional member): the fix then writes `?.aborted`. */
function mayBeUndefined(ctx: TsContext, e: ts.Expression): boolean {
  if (ctx.checker) {
    const type = ctx.checker.getTypeAtLocation(e);
    return type.isUnion() && type.types.some((t) => (t.flags & ctx.ts.TypeFlags.Undefined) !== 0);
  }
  return ctx.textOf(e).includes('?.');
}
