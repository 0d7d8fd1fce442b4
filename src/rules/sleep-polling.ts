/**
 * AW402 sleep-polling: a `while` loop in a coroutine whose body only checks a condition and sleeps,
 * waiting for state that another task changes. An `asyncio.Event` (or `Condition`) wakes the waiter
 * at once and costs nothing while it waits.
 *
 * Peer: flake8-async / Ruff ASYNC110 flags any `while` whose body is a single `await sleep(…)`. This
 * rule also reads `while True: if ready: break; await asyncio.sleep(…)`, and leaves alone the
 * shapes an Event cannot replace: sleeping forever (`while True: await asyncio.sleep(3600)`), zero
 * sleeps (a yield), loops that do work each time round, and conditions on state outside the process
 * (files, sockets, HTTP, a subprocess's `returncode`) or computed by an await.
 */
import type { Node } from 'web-tree-sitter';
import type { PythonContext } from '../python/context';
import { changedIn, excerpt, statementsOf, suspensionPoints } from '../python/concurrency-shape';
import type * as ts from 'typescript';
import { walkTree } from '../typescript/walk';
import type { TsContext } from '../typescript/context';
import { defineRule } from './define';

const WHILE_LOOPS = '(while_statement condition: (_) @condition body: (block) @body) @loop';

const SLEEPS = new Set(['asyncio.sleep', 'asyncio.tasks.sleep']);
/** Calls that read the clock: a deadline in the condition is bookkeeping, not the state awaited. */
const CLOCKS = new Set(['time.time', 'time.monotonic', 'time.perf_counter', 'time.time_ns', 'time.monotonic_ns', 'datetime.datetime.now', 'datetime.datetime.utcnow']);
const CLOCK_METHODS = new Set(['time', 'monotonic', 'now', 'utcnow']);
/** Methods that read in-process state (a future, an event, a queue, a lock, a transport flag). */
const STATE_METHODS = new Set(['done', 'cancelled', 'is_set', 'empty', 'full', 'qsize', 'locked', 'is_closing', 'is_closed', 'closed', 'is_connected', 'is_ready', 'ready', 'get_nowait', 'get', 'keys', 'values', 'items']);
const FUTURE_METHODS = new Set(['done', 'cancelled']);
/** Builtins that only look at their argument. */
const PURE_BUILTINS = new Set(['builtins.len', 'builtins.any', 'builtins.all', 'builtins.bool', 'builtins.isinstance', 'builtins.getattr', 'builtins.hasattr']);
/** Attributes that reflect state outside the process, which no in-process task can signal. */
const EXTERNAL_ATTRIBUTES = new Set(['returncode', 'pid', 'exitcode']);
/** Local predicates named after an external probe (`exists()`, `is_alive()`, `ping()`). */
const EXTERNAL_NAME = /exist|poll|ping|health|alive|stat|read|fetch|request|connect|probe|check|status|port|file|path/i;
/** Calls a polling loop may make besides sleeping: logging. */
const LOG_CALL = /(^|\.)(_*log(ger)?|logging|LOG|LOGGER|print|warn(ings)?)(\.|$)|^print$/;

const rule = defineRule({
  code: 'AW402',
  name: 'sleep-polling',
  languages: ['python', 'typescript'],
  severity: 'hint',
  inTests: false,
  aliases: ['ASYNC110'],
  fixable: 'never',
  summary: 'A while loop that only checks a condition and sleeps: wait on an asyncio.Event or Condition instead.',
  messages: {
    tsState: 'This loop polls `{condition}` every {interval} until other code changes it: have that code resolve a promise (or emit an event) and `await` it here instead.',
    state: 'This loop polls `{condition}` every {interval} until another task changes it: have that task set an `asyncio.Event` (or notify an `asyncio.Condition`) and `await event.wait()` here instead.',
    future: 'This loop polls `{condition}` every {interval}: await the future itself (`await asyncio.wait([task])`, or `asyncio.wait_for` with a timeout) to wake the moment it is done.',
  },
  docs: `## What it does
Flags a \`while\` loop in an \`async def\` whose body does nothing but check a condition and
\`await asyncio.sleep(…)\`: \`while not self.ready: await asyncio.sleep(0.1)\`, or \`while True:\` with
\`if done(): break\` and a sleep. Logging and counting (\`waited += 0.1\`) in the body are allowed; a
deadline on the clock (\`time.monotonic() < deadline\`) is bookkeeping, not the state waited for.

Left alone:
- loops that do work each time round (\`while True: await refresh(); await asyncio.sleep(60)\`), retry
  and backoff loops that call something, and \`while True: await asyncio.sleep(3600)\` (sleeping forever);
- \`await asyncio.sleep(0)\`, which only yields to other tasks;
- conditions on state outside the process, which no task can signal: calls such as \`path.exists()\`,
  \`os.path.exists(…)\`, \`proc.poll()\`, \`thread.is_alive()\`, a health check or any other function
  that takes arguments or does I/O, a subprocess's \`returncode\`, and conditions containing an \`await\`.
  For an asyncio subprocess, \`await proc.wait()\` is the answer rather than an Event.

Flake8-async and Ruff (\`ASYNC110\`) flag every \`while\` whose body is one \`await sleep(…)\`, whatever the
condition; this rule reads the condition (and \`if …: break\` exits) to keep to the cases an Event fixes.

In TS/JS: a \`while\`/\`do…while\` loop in an \`async\` function whose body is one \`await\` of a sleep
(\`sleep(ms)\`/\`delay(ms)\`, \`setTimeout\` from \`timers/promises\`, \`new Promise((r) => setTimeout(r, ms))\`),
\`if (…) break\`, logging and counting, with the same reading of the condition.

**A hint by default** (the CLI reports it with \`--hints\` or when the rule is named): on the
ecosystem check ([docs/ecosystem.md](../ecosystem.md)) its 3 findings were deliberate polls — a
shutdown wait on state set by a signal handler, which cannot set an \`asyncio.Event\` safely, and a
Windows Ctrl-C workaround whose periodic wake-up is the point. Turn it on to review polling loops in
code where the latency of the wake-up matters.

## Why is this bad?
Polling trades latency for wasted wake-ups: with a 1 s interval the waiter notices the change up to
a second late; with 10 ms it wakes a hundred times a second for nothing. An \`asyncio.Event\` set by
the task that changes the state wakes the waiter immediately and costs nothing meanwhile. For a
future or task, awaiting it (or \`asyncio.wait\`) does the same.

## Example
\`\`\`py
import asyncio

class Service:
    ready = False

    async def wait_ready(self):
        while not self.ready:
            await asyncio.sleep(0.1)
\`\`\`
\`\`\`ts
import { setTimeout as sleep } from 'node:timers/promises';

export class Service {
  ready = false;

  async waitReady(): Promise<void> {
    while (!this.ready) await sleep(100);
  }
}
\`\`\`

## Use instead
\`\`\`py
import asyncio

class Service:
    def __init__(self):
        self.ready = asyncio.Event()

    async def wait_ready(self):
        await self.ready.wait()
\`\`\`
\`\`\`ts
import { once, EventEmitter } from 'node:events';

export class Service extends EventEmitter {
  ready = false;

  async waitReady(): Promise<void> {
    if (!this.ready) await once(this, 'ready');
  }
}
\`\`\`

## Fix safety
No fix is offered: the code that changes the state must call \`event.set()\`, and it lives elsewhere.
`,
  typescriptNeeds: ['async', 'await'],
  typescript(ctx) {
    detectTypeScript(ctx);
  },
  python(ctx) {
    for (const match of ctx.matchesInAsync(WHILE_LOOPS)) {
      const loop = match.captures.find((c) => c.name === 'loop')!.node;
      const condition = match.captures.find((c) => c.name === 'condition')!.node;
      const body = match.captures.find((c) => c.name === 'body')!.node;
      if (!ctx.isAsync(loop)) continue;
      const verdict = polling(ctx, condition, body);
      if (verdict) ctx.report({ start: loop.startIndex, end: condition.endIndex }, verdict.messageId, { condition: excerpt(verdict.shown, 40), interval: seconds(verdict.interval) });
    }
  },
});
export default rule;

/** `0.1 s` for a number, `` `delay` s `` for an expression. */
function seconds(delay: string): string {
  return /^\d*\.?\d+$/.test(delay) ? `${delay} s` : `\`${excerpt(delay, 20)}\` s`;
}

interface Polling {
  readonly messageId: 'state' | 'future';
  readonly shown: string;
  readonly interval: string;
}

function polling(ctx: PythonContext, condition: Node, body: Node): Polling | undefined {
  let interval: string | undefined;
  const exits: Node[] = [];
  if (!isTrue(condition)) exits.push(condition);
  for (const s of statementsOf(body)) {
    const sleep = sleepDelay(ctx, s);
    if (sleep !== undefined) {
      if (interval !== undefined || sleep === null) return undefined;
      interval = sleep;
      continue;
    }
    if (s.type === 'pass_statement') continue;
    if (s.type === 'if_statement') {
      const consequence = s.childForFieldName('consequence');
      const only = consequence ? statementsOf(consequence) : [];
      if (s.childForFieldName('alternative') || only.length !== 1 || !['break_statement', 'return_statement', 'raise_statement'].includes(only[0].type)) return undefined;
      const test = s.childForFieldName('condition');
      if (!test) return undefined;
      exits.push(test);
      continue;
    }
    if (s.type === 'expression_statement') {
      const e = s.namedChild(0);
      if (e?.type === 'augmented_assignment' && e.childForFieldName('left')?.type === 'identifier') continue;
      if (e?.type === 'call' && LOG_CALL.test(e.childForFieldName('function')?.text ?? '')) continue;
    }
    return undefined; // real work each time round
  }
  if (interval === undefined || exits.length === 0) return undefined;
  // Only the sleep suspends: awaits in the conditions probe something (a remote flag, a database).
  if (suspensionPoints(ctx, body).length !== 1 || exits.some((e) => suspensionPoints(ctx, e).length > 0)) return undefined;

  const counters = changedIn(ctx, body).names;
  let state: Node | undefined;
  let onlyFutures = true;
  for (const test of exits) {
    const kind = classify(ctx, test, counters);
    if (kind.external) return undefined;
    if (kind.state) {
      state ??= test;
      onlyFutures &&= kind.futures;
    }
  }
  if (!state) return undefined;
  return { messageId: onlyFutures ? 'future' : 'state', shown: state.text, interval };
}

/** `await asyncio.sleep(x)` as a statement: its delay; `null` for a zero (or missing) delay; undefined otherwise. */
function sleepDelay(ctx: PythonContext, s: Node): string | null | undefined {
  if (s.type !== 'expression_statement') return undefined;
  const a = s.namedChild(0);
  if (a?.type !== 'await') return undefined;
  const call = a.namedChild(0);
  if (call?.type !== 'call' || !SLEEPS.has(ctx.resolve(call.childForFieldName('function')) ?? '')) return undefined;
  const args = call.childForFieldName('arguments')?.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment') ?? [];
  const delay = args[0]?.type === 'keyword_argument' ? args[0].childForFieldName('value') : args[0];
  if (!delay || /^0*\.?0*$/.test(delay.text)) return null;
  return delay.text;
}

function isTrue(condition: Node): boolean {
  return condition.type === 'true' || condition.text === '1';
}

/**
 * What a condition reads: state another task can change (`state`), only futures' `done()`
 * (`futures`), or something outside the process (`external`). Clock reads and the loop's own
 * counters are neither.
 */
function classify(ctx: PythonContext, test: Node, counters: ReadonlySet<string>): { state: boolean; futures: boolean; external: boolean } {
  let state = false;
  let futures = true;
  let external = false;
  const calls = ctx.captures('(call function: (_) @fn) @call', test).filter((c) => c.name === 'call').map((c) => c.node);
  const insideCall = (n: Node): boolean => calls.some((c) => c.startIndex <= n.startIndex && n.endIndex <= c.endIndex && !c.equals(n));
  for (const call of calls) {
    const fn = call.childForFieldName('function');
    if (!fn) continue;
    const args = call.childForFieldName('arguments')?.namedChildren.filter((c) => c && c.type !== 'comment') ?? [];
    const q = ctx.resolve(fn);
    const method = fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text ?? '' : '';
    if ((q && CLOCKS.has(q)) || (!q && CLOCK_METHODS.has(method) && args.length === 0)) continue;
    if (q && PURE_BUILTINS.has(q)) continue; // its argument is read below, as a name or attribute
    if (fn.type === 'attribute' && !q && STATE_METHODS.has(method)) {
      state = true;
      futures &&= FUTURE_METHODS.has(method);
      continue;
    }
    // A local predicate without arguments (`done()`, `self.is_idle()`) reads in-process state.
    const name = fn.type === 'attribute' ? method : fn.text;
    if (args.length === 0 && fn.type !== 'call' && !EXTERNAL_NAME.test(name) && (!q || !q.includes('.'))) {
      state = true;
      futures = false;
      continue;
    }
    external = true;
  }
  // Names and attributes read outside any call: state, unless the loop itself counts them.
  for (const c of ctx.captures('[(identifier) (attribute)] @ref', test)) {
    const n = c.node;
    const parent = n.parent;
    if (parent?.type === 'attribute' || (parent?.type === 'call' && parent.childForFieldName('function')?.equals(n))) continue;
    if (insideCall(n) && !isPureBuiltinArgument(ctx, n)) continue;
    if (n.type === 'attribute' && EXTERNAL_ATTRIBUTES.has(n.childForFieldName('attribute')?.text ?? '')) {
      external = true;
      continue;
    }
    if (n.type === 'identifier' && (counters.has(n.text) || ['None', 'True', 'False'].includes(n.text))) continue;
    if (n.type === 'identifier' && /deadline|timeout|until|end|limit|max|elapsed|waited|remaining|attempt|tries|retries/i.test(n.text)) continue;
    state = true;
    futures = false;
  }
  return { state, futures, external };
}

function isPureBuiltinArgument(ctx: PythonContext, n: Node): boolean {
  const call = n.parent?.parent;
  return n.parent?.type === 'argument_list' && call?.type === 'call' && PURE_BUILTINS.has(ctx.resolve(call.childForFieldName('function')) ?? '');
}

// ---------------------------------------------------------------------------------------------
// TS/JS detector: `while (!ready) await sleep(100)`

const SLEEP_NAMES = /^(sleep|delay|wait|pause|timeout|wait_?for_?ms)$/i;
const CLOCK = /^(Date\.now|performance\.now|perf_hooks\.performance\.now)$/;

function detectTypeScript(ctx: TsContext): void {
  const ts = ctx.ts;
  for (const fn of ctx.asyncFunctionList()) {
    ctx.walkOwn(fn, (n) => {
      if (!ts.isWhileStatement(n) && !ts.isDoStatement(n)) return;
      const verdict = pollingTs(ctx, n);
      if (verdict) {
        const header = ts.isWhileStatement(n) ? { start: ctx.start(n), end: n.expression.end + 1 } : { start: ctx.start(n), end: ctx.start(n) + 2 };
        ctx.report(header, 'tsState', { condition: verdict.condition, interval: verdict.interval });
      }
    });
  }
}

/** The loop only checks state and sleeps: one sleep await, `if (…) break`, logging and counting. */
function pollingTs(ctx: TsContext, loop: ts.WhileStatement | ts.DoStatement): { condition: string; interval: string } | undefined {
  const ts = ctx.ts;
  const statements = ts.isBlock(loop.statement) ? [...loop.statement.statements] : [loop.statement];
  let sleep: ts.CallExpression | undefined;
  const conditions: ts.Expression[] = [];
  if (loop.expression.kind !== ts.SyntaxKind.TrueKeyword) conditions.push(loop.expression);
  for (const s of statements) {
    if (ts.isExpressionStatement(s) && ts.isAwaitExpression(s.expression)) {
      const call = sleepCall(ctx, s.expression.expression);
      if (!call || sleep) return undefined;
      sleep = call;
    } else if (ts.isIfStatement(s) && !s.elseStatement && isBreak(ts, s.thenStatement)) {
      conditions.push(s.expression);
    } else if (ts.isExpressionStatement(s) && isBookkeeping(ctx, s.expression)) {
      continue;
    } else return undefined;
  }
  if (!sleep) return undefined;
  const ms = sleep.arguments[sleepArgIndex(ctx, sleep)];
  if (ms && ts.isNumericLiteral(ms) && Number(ms.text) === 0) return undefined;
  const states = conditions.filter((c) => readsState(ctx, c));
  if (states.length === 0 || conditions.some((c) => !isPlainCondition(ctx, c))) return undefined;
  const shown = ctx.textOf(states[0]).replace(/\s+/g, ' ');
  return { condition: shown.length > 40 ? `${shown.slice(0, 39)}…` : shown, interval: ms ? `${ctx.textOf(ms)} ms` : 'tick' };
}

function isBreak(ts: TsContext['ts'], s: ts.Statement): boolean {
  if (ts.isBreakStatement(s) && !s.label) return true;
  return ts.isBlock(s) && s.statements.length === 1 && ts.isBreakStatement(s.statements[0]) && !s.statements[0].label;
}

/** `sleep(ms)`, `delay(ms)`, `setTimeout(ms)` from `timers/promises`, `new Promise((r) => setTimeout(r, ms))`. */
function sleepCall(ctx: TsContext, e: ts.Expression): ts.CallExpression | undefined {
  const ts = ctx.ts;
  if (ts.isCallExpression(e)) {
    const name = ctx.resolve(e.expression);
    if (name === 'timers.promises.setTimeout') return e;
    if (ts.isIdentifier(e.expression) && SLEEP_NAMES.test(e.expression.text)) return e;
    if (ts.isPropertyAccessExpression(e.expression) && SLEEP_NAMES.test(e.expression.name.text) && e.arguments.length === 1 && ts.isNumericLiteral(e.arguments[0])) return e;
    return undefined;
  }
  if (ts.isNewExpression(e) && ctx.resolve(e.expression) === 'Promise') {
    const executor = e.arguments?.[0];
    if (executor && (ts.isArrowFunction(executor) || ts.isFunctionExpression(executor))) {
      let timer: ts.CallExpression | undefined;
      const visit = (n: ts.Node): boolean | void => {
        if (ts.isCallExpression(n) && ctx.resolve(n.expression) === 'setTimeout') timer = n;
        else return true;
        return false;
      };
      walkTree(executor.body, visit);
      return timer;
    }
  }
  return undefined;
}

/** Where the delay is: `setTimeout(resolve, ms)` → 1, `sleep(ms)` → 0. */
function sleepArgIndex(ctx: TsContext, call: ts.CallExpression): number {
  return ctx.resolve(call.expression) === 'setTimeout' ? 1 : 0;
}

/** `console.log(…)`, `tries++`, `waited += 100`: allowed in a polling loop. */
function isBookkeeping(ctx: TsContext, e: ts.Expression): boolean {
  const ts = ctx.ts;
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && ts.isIdentifier(e.expression.expression) && /^(console|log|logger)$/.test(e.expression.expression.text)) return true;
  if (ts.isPostfixUnaryExpression(e) || ts.isPrefixUnaryExpression(e)) return true;
  return ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken || e.operatorToken.kind === ts.SyntaxKind.MinusEqualsToken);
}

/**
 * A condition another part of the program can change and signal: names, members, comparisons,
 * negations, and calls without arguments on `this`; not calls with arguments (I/O, a health check),
 * not `await`s — state outside the process that no promise could announce.
 */
function isPlainCondition(ctx: TsContext, e: ts.Node): boolean {
  const ts = ctx.ts;
  let plain = true;
  const visit = (n: ts.Node): boolean | void => {
    if (!plain) return false;
    if (ts.isAwaitExpression(n) || ts.isFunctionLike(n)) plain = false;
    else if (ts.isCallExpression(n)) {
      const name = ctx.resolve(n.expression) ?? '';
      if (CLOCK.test(name)) return false;
      if (n.arguments.length > 0 || !(ts.isPropertyAccessExpression(n.expression) && n.expression.expression.kind === ts.SyntaxKind.ThisKeyword)) plain = false;
    } else return true;
    return false;
  };
  walkTree(e, visit);
  return plain;
}

/** A condition that reads program state, not just the clock (`Date.now() < deadline` is bookkeeping). */
function readsState(ctx: TsContext, e: ts.Node): boolean {
  const ts = ctx.ts;
  let state = false;
  const visit = (n: ts.Node): boolean | void => {
    if (state) return false;
    if (ts.isCallExpression(n) && CLOCK.test(ctx.resolve(n.expression) ?? '')) return false;
    if (ts.isIdentifier(n) || n.kind === ts.SyntaxKind.ThisKeyword) {
      if (ts.isIdentifier(n) && /^(deadline|end|until|timeout|start|started|t0|limit|maxWait|expires?)$/i.test(n.text)) return false;
      state = true;
      return false;
    }
  };
  walkTree(e, visit);
  return state;
}
