/**
 * AW306 interval-never-cleared: a `setInterval(...)` whose handle is thrown away, or a `setTimeout`
 * that re-arms itself from its own callback with its handle thrown away. Nothing can clear it, and a
 * ref'd timer keeps Node's event loop alive: a graceful shutdown that closes the server and waits
 * for the loop to drain never completes.
 */
import type * as ts from 'typescript';
import type { TsContext } from '../typescript/context';
import { defineRule } from './define';

const INTERVALS = new Set(['setInterval', 'timers.setInterval']);
const TIMEOUTS = new Set(['setTimeout', 'timers.setTimeout']);

const rule = defineRule({
  code: 'AW306',
  name: 'interval-never-cleared',
  languages: ['typescript'],
  severity: 'hint',
  enabledByDefault: false,
  aliases: [],
  fixable: 'never',
  summary: 'A setInterval (or self-re-arming setTimeout) whose handle is dropped: nothing can clear it, so the process never drains on shutdown.',
  messages: {
    interval: 'The handle of this `setInterval` is dropped: nothing can clear it, and a ref\'d timer keeps the event loop alive, so a graceful shutdown (`server.close()`, then waiting for the loop to drain) never completes; keep the handle and clear it on close, or `.unref()` it.',
    rearmed: 'This `setTimeout` re-arms `{callback}` from inside it and drops the handle: nothing can stop the cycle, and each ref\'d timer keeps the event loop alive, so a graceful shutdown never completes; keep the handle and clear it on close, or `.unref()` it.',
  },
  docs: `## What it does
Flags, in TypeScript and JavaScript:
- \`setInterval(…)\` (the global, \`globalThis.setInterval\`, or \`setInterval\` from \`node:timers\`) used as a
  statement of its own inside a function, so its handle is thrown away;
- \`setTimeout(f, …)\` used as a statement of the body of the function \`f\` itself (a function
  declaration, or a \`const f = () => …\`/\`function\` expression) that has no \`return\`: a timer that
  re-arms itself unconditionally, for ever, its handle thrown away.

Left alone: an interval at the top level of a module (a script's own main loop by design: an
example client, a benchmark, a stress test, killed when it is done); a re-arm under a condition or
after an early \`return\` (a poll that ends); a handle that is kept (assigned, returned, passed on, stored in a property), or made not to
hold the process (\`setInterval(…).unref()\`: the call is then not a statement of its own), and
\`setInterval\` from \`node:timers/promises\` (an async iterator the loop that consumes it can leave).

**Off by default** (\`--select AW306\`, or a severity in the settings, turns it on): on the ecosystem
check ([docs/ecosystem.md](../ecosystem.md), 14 TS/JS projects) the libraries keep every timer handle
they arm, and the rule's 4 findings were all wrong: intervals in the \`main()\` of benchmark and
stress-test scripts, which run until the developer kills them by design (27 more, at the top level
of example clients and scripts, are left alone since then). A linter cannot tell such a script from a
service, so the rule is for code bases that know they are services: turn it on where every process
must drain on SIGTERM.

## Why is this bad?
A Node process exits when its event loop has nothing left to wait for. A ref'd timer is something to
wait for, for ever when it repeats. The usual graceful shutdown — on SIGTERM, \`server.close()\`, close
the database pool, then let the loop drain — therefore never finishes while an interval nobody can
clear is still armed: the orchestrator waits out its grace period and kills the process with SIGKILL,
losing whatever the shutdown was meant to flush. The same happens to a test runner that waits for
the event loop to empty. Keeping the handle lets the shutdown path call \`clearInterval\` (or
\`clearTimeout\`); \`.unref()\` lets the process exit while only the timer is left.

## Example
\`\`\`ts
export function startMetrics(report: () => void): void {
  setInterval(report, 10_000);
}
\`\`\`

## Use instead
\`\`\`ts
export function startMetrics(report: () => void): () => void {
  const timer = setInterval(report, 10_000);
  return () => clearInterval(timer);
}
\`\`\`

## Fix safety
No fix is offered: where to clear the timer is the program's design, and \`.unref()\` changes when
the process exits (and does not exist on browsers' numeric timer handles).
`,
  typescript(ctx) {
    const ts = ctx.ts;
    if (!/set(Interval|Timeout)/.test(ctx.text)) return;
    const visit = (n: ts.Node): void => {
      if (ts.isExpressionStatement(n)) {
        const e = unwrapVoid(ts, n.expression);
        if (ts.isCallExpression(e)) {
          const name = timerName(ctx, e.expression);
          // At the top level of a module, the interval is the script's own main loop (an example
          // client, a benchmark, a stress test): it is meant to run until the process is killed.
          if (name && INTERVALS.has(name) && ctx.enclosingFunction(n)) ctx.report(e, 'interval');
          else if (name && TIMEOUTS.has(name)) {
            const callback = e.arguments[0];
            if (callback && ts.isIdentifier(callback) && rearmsItself(ctx, n, callback)) ctx.report(e, 'rearmed', { callback: callback.text });
          }
        }
      }
      n.forEachChild(visit);
    };
    visit(ctx.sourceFile);
  },
});
export default rule;

function unwrapVoid(ts: TsContext['ts'], e: ts.Expression): ts.Expression {
  if (ts.isParenthesizedExpression(e)) return unwrapVoid(ts, e.expression);
  if (ts.isVoidExpression(e)) return unwrapVoid(ts, e.expression);
  return e;
}

/** `setInterval`, `globalThis.setInterval`, `timers.setInterval` (from `node:timers`), resolved. */
function timerName(ctx: TsContext, callee: ts.Expression): string | undefined {
  const ts = ctx.ts;
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'globalThis' && !ctx.isShadowed(callee.expression, undefined)) {
    return callee.name.text;
  }
  return ctx.resolve(callee);
}

/**
 * The statement sits inside the function the callback names: a function declaration of that name,
 * or a function/arrow bound to a `const`/`let` of that name, enclosing the statement.
 */
function rearmsItself(ctx: TsContext, statement: ts.Node, callback: ts.Identifier): boolean {
  const ts = ctx.ts;
  // Only an unconditional re-arm: a statement of the function's own body, in a function that never
  // returns early (a re-arm under a condition, or after `if (done) return`, is a poll that ends).
  const block = statement.parent;
  const fn = block && ts.isBlock(block) ? block.parent : undefined;
  if (!fn) return false;
  const named =
    (ts.isFunctionDeclaration(fn) && fn.name?.text === callback.text) ||
    (ts.isFunctionExpression(fn) && fn.name?.text === callback.text) ||
    ((ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) && ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name) && fn.parent.name.text === callback.text);
  if (!named) return false;
  let returns = false;
  ctx.walkOwn(block, (n) => {
    if (ts.isReturnStatement(n)) returns = true;
  });
  return !returns;
}
