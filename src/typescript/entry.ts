/**
 * Code that runs while the loop has no other work to stall, in TS/JS: a script's entry function
 * (`async function main() { … }` that the file calls at its top level) until it starts something
 * that keeps running after the call returns (a server, a timer, a connection, a child process, a
 * promise kept unawaited). Until then the process's loop has nothing else to run, so a blocking call
 * there (reading a config file, running `git` with `execSync` in a release script) stalls nobody.
 * The TS/JS side of src/python/entry.ts; the blocking rules (AW201, AW202, AW203) leave it alone.
 */
import type * as ts from 'typescript';
import { isAsyncFunction, type TsContext } from './context';

/** Calls that leave work running after they return: servers, timers, connections, child processes. */
const STARTS_WORK = /^(listen|createServer|setInterval|setTimeout|setImmediate|connect|createConnection|spawn|fork|exec|execFile|start|run|launch|serve|watch)$/;

const entriesOf = new WeakMap<TsContext, ReadonlySet<ts.Node>>();

/**
 * For an async function, a gate to ask of its nodes in source order (`walkOwn`'s pre-order): true
 * while the node runs in the file's entry function before anything started earlier may still run.
 * Any other function's gate is always false.
 */
export function quietGate(ctx: TsContext, fn: ts.Node): (n: ts.Node) => boolean {
  let entries = entriesOf.get(ctx);
  if (!entries) entriesOf.set(ctx, (entries = entryFunctions(ctx)));
  if (!entries.has(fn)) return () => false;
  const ts = ctx.ts;
  let started = false;
  return (n) => {
    if (!started && (ts.isCallExpression(n) || ts.isNewExpression(n)) && startsWork(ctx, n)) started = true;
    return !started;
  };
}

/**
 * Whether a call in an entry function may leave concurrent work running: a call named as one that
 * starts a server, timer, connection or process and is not awaited, or any call whose promise is kept
 * without being awaited (`const p = fetchAll()`). Awaited work has finished when the next line runs.
 */
function startsWork(ctx: TsContext, call: ts.CallExpression | ts.NewExpression): boolean {
  const ts = ctx.ts;
  let up = call.parent;
  while (ts.isParenthesizedExpression(up)) up = up.parent;
  if (ts.isAwaitExpression(up)) return false;
  const callee = call.expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  return STARTS_WORK.test(name) || (ts.isCallExpression(call) && ctx.isThenable(call) === true);
}

/**
 * The file's entry functions: async functions of its top level that the file itself calls at its top
 * level (`main()`, `void main()`, `main().catch(…)`, `await main()`, inside a top-level
 * `if (require.main === module)` too). Such a function runs as a script's whole program.
 */
function entryFunctions(ctx: TsContext): Set<ts.Node> {
  const ts = ctx.ts;
  const out = new Set<ts.Node>();
  const statements: ts.Statement[] = [];
  for (const s of ctx.sourceFile.statements) {
    if (ts.isIfStatement(s)) {
      for (const branch of [s.thenStatement, s.elseStatement]) {
        if (branch && ts.isBlock(branch)) statements.push(...branch.statements);
        else if (branch) statements.push(branch);
      }
    } else statements.push(s);
  }
  for (const s of statements) {
    if (!ts.isExpressionStatement(s)) continue;
    // Down the chain to the innermost call: `main().then(…).catch(…)`, `void main()`, `await main()`.
    let e: ts.Expression = s.expression;
    for (;;) {
      if (ts.isVoidExpression(e) || ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e)) e = e.expression;
      else if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && ts.isCallExpression(e.expression.expression)) e = e.expression.expression;
      else break;
    }
    if (!ts.isCallExpression(e) || !ts.isIdentifier(e.expression)) continue;
    const fn = ctx.localFunction(e.expression);
    if (fn && isAsyncFunction(ts, fn)) out.add(fn);
  }
  return out;
}
