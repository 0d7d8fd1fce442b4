/**
 * AW305 thread-blocks-shutdown: a coroutine hands a function that loops for ever to a thread —
 * `asyncio.to_thread(f)`, `loop.run_in_executor(…, f)`, or a non-daemon `threading.Thread(target=f)`.
 * Nothing can stop that thread, and Python waits for it at exit: `asyncio.run()` joins the default
 * executor, the interpreter joins executor workers and non-daemon threads. The process never exits.
 */
import type { Node } from 'web-tree-sitter';
import type { PythonContext } from '../python/context';
import { asyncCalls } from '../python/calls';
import { isEventLoop } from '../python/loops';
import type { Scope } from '../python/scopes';
import { defineRule } from './define';

const TO_THREAD = new Set(['asyncio.to_thread', 'asyncio.threads.to_thread']);
const THREAD = new Set(['threading.Thread']);
const PARTIAL = new Set(['functools.partial']);
const EXITS = new Set(['sys.exit', 'os._exit', 'os.abort']);
const SCOPES = new Set(['function_definition', 'lambda', 'class_definition']);
const LOOPS = new Set(['for_statement', 'while_statement']);

const rule = defineRule({
  code: 'AW305',
  name: 'thread-blocks-shutdown',
  languages: ['python'],
  severity: 'hint',
  aliases: [],
  fixable: 'never',
  summary: 'A coroutine runs an endless loop in an executor or non-daemon thread: Python waits for that thread at exit, so the process never exits.',
  messages: {
    executor: '`{function}` loops for ever (`while True:` with no way out) and runs in an executor thread: `asyncio.run()` waits for the default executor at shutdown (for ever before Python 3.12, 300 s since) and the interpreter joins executor threads at exit, so the process never exits.',
    thread: '`{function}` loops for ever (`while True:` with no way out) in a non-daemon thread: the interpreter joins non-daemon threads at exit, so the process never exits; give the loop a stop event, or pass `daemon=True`.',
  },
  docs: `## What it does
Flags, in an \`async def\`:
- \`asyncio.to_thread(f, …)\` and \`loop.run_in_executor(executor, f, …)\` (the default executor or any
  other), and
- \`threading.Thread(target=f, …)\` without \`daemon=True\` (and with no \`.daemon = True\` set in the same
  function),

when \`f\` (or the function inside \`functools.partial(f, …)\`) is a function of the same file — a
module-level \`def\`, a \`def\` nested in the caller, or \`self.m\` with \`m\` a method of the caller's class
— that runs a \`while True:\` (or \`while 1:\`) loop with no way out: no \`break\` out of it, no \`return\`,
\`raise\`, \`sys.exit()\` or \`os._exit()\` inside it.

Left alone: loops that poll a stop flag or an event (\`while not stop.is_set():\`, or \`if stop: break\`
inside), daemon threads, functions of other modules, and lambdas.

**A hint by default** (the CLI reports it with \`--hints\` or when the rule is named): on the ecosystem
check ([docs/ecosystem.md](../ecosystem.md), 20 Python projects) it made no finding. The threads
those projects start from coroutines run bounded work (a file read, a DNS lookup, a WSGI call), and
their endless reader and writer threads are started from sync code, as daemons, or stop on a
sentinel, so its precision on real code is unmeasured; a rule goes on by default only with a measured
precision of 0.95 or more.

## Why is this bad?
A thread cannot be stopped from the outside, and Python waits for the ones handed this work.
\`asyncio.run()\` ends by calling \`loop.shutdown_default_executor()\` (3.9+), which joins the default
executor's threads: for ever on 3.9–3.11, and on 3.12+ for \`THREAD_JOIN_TIMEOUT\` (300 s) before warning
"The executor did not finishing joining its threads within 300 seconds". After that, and on every
version for an executor of your own, \`concurrent.futures\` joins its worker threads when the
interpreter exits, and \`threading\` joins every non-daemon thread. A thread looping for ever therefore
turns Ctrl-C, SIGTERM or the end of \`main()\` into a process that never exits: the shutdown hang of a
swallowed \`CancelledError\`, one level down.

## Example
\`\`\`py
import asyncio

def watch_files(path):
    while True:
        scan(path)

async def main():
    await asyncio.to_thread(watch_files, ".")
\`\`\`

## Use instead
\`\`\`py
import asyncio
import threading

stop = threading.Event()

def watch_files(path):
    while not stop.is_set():
        scan(path)
        stop.wait(1)

async def main():
    try:
        await asyncio.to_thread(watch_files, ".")
    finally:
        stop.set()
\`\`\`
Or, for a thread that may simply die with the process, \`threading.Thread(target=f, daemon=True)\`.

## Fix safety
No fix is offered: how the loop should learn that it must stop (an event, a sentinel on a queue, a
daemon thread that dies mid-work) is a design decision.
`,
  python(ctx) {
    if (!/while\s+(True|1)\s*:/.test(ctx.source)) return;
    for (const c of asyncCalls(ctx)) {
      const args = c.args.namedChildren.filter((a): a is Node => a !== null && a.type !== 'comment');
      let target: Node | undefined;
      let kind: 'executor' | 'thread';
      if (c.name && TO_THREAD.has(c.name)) {
        target = args[0];
        kind = 'executor';
      } else if (c.method === 'run_in_executor' && c.receiver && isEventLoop(ctx, c.receiver)) {
        target = args[1];
        kind = 'executor';
      } else if (c.name && THREAD.has(c.name)) {
        if (args.some((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'daemon' && a.childForFieldName('value')?.text !== 'False')) continue;
        const fn = ctx.scopes.functionAt(c.call.startIndex);
        if (fn && /\.daemon\s*=\s*True|setDaemon\(\s*True/.test(fn.node.text)) continue;
        target = args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'target')?.childForFieldName('value') ?? undefined;
        kind = 'thread';
      } else continue;
      if (!target) continue;
      if (target.type === 'call' && PARTIAL.has(ctx.resolve(target.childForFieldName('function')) ?? '')) {
        target = target.childForFieldName('arguments')?.namedChildren.find((a) => a !== null && a.type !== 'comment') ?? undefined;
        if (!target) continue;
      }
      const fn = functionNamed(ctx, target, c.call);
      if (!fn || !loopsForEver(ctx, fn)) continue;
      ctx.report(c.call, kind, { function: target.text.replace(/\s+/g, '') });
    }
  },
});
export default rule;

/**
 * The sync `def` of this file an expression names without doubt: a function of that name visible
 * from the call (nested in the caller or an enclosing function, or at module level), the only one
 * of that name in the file; or `self.m` with `m` a method of the caller's class. Decorated
 * definitions are not followed (a decorator can wrap the function in anything).
 */
function functionNamed(ctx: PythonContext, expr: Node, call: Node): Scope | undefined {
  const caller = ctx.scopes.functionAt(call.startIndex);
  let candidates: Scope[];
  if (expr.type === 'identifier') {
    const visible = new Set<Scope | undefined>([undefined]);
    for (let s = caller; s; s = s.parent) visible.add(s);
    candidates = ctx.scopes.all.filter((s) => s.kind !== 'lambda' && s.kind !== 'class' && s.node.childForFieldName('name')?.text === expr.text);
    if (!candidates.every((s) => visible.has(s.parent))) return undefined;
  } else if (expr.type === 'attribute' && expr.childForFieldName('object')?.text === 'self') {
    let method = caller;
    while (method && method.parent?.kind !== 'class') method = method.parent;
    const cls = method?.parent;
    const name = expr.childForFieldName('attribute')?.text;
    candidates = cls ? ctx.scopes.all.filter((s) => s.parent === cls && s.kind !== 'class' && s.node.childForFieldName('name')?.text === name) : [];
  } else return undefined;
  const fn = candidates.length === 1 ? candidates[0] : undefined;
  if (fn?.kind !== 'function' || fn.node.parent?.type === 'decorated_definition') return undefined;
  return fn;
}

/**
 * A `while True:` (or `while 1:`) of the function itself with no way out: no `break` that leaves it,
 * and no `return`, `raise`, `sys.exit()`, `os._exit()` or `os.abort()` inside it.
 */
function loopsForEver(ctx: PythonContext, fn: Scope): boolean {
  const body = fn.node.childForFieldName('body');
  if (!body) return false;
  return ctx.captures('(while_statement condition: (_) @condition) @loop', body).some(({ node, name }) => {
    if (name !== 'loop' || ctx.scopes.functionAt(node.startIndex) !== fn) return false;
    const condition = node.childForFieldName('condition')?.text;
    if (condition !== 'True' && condition !== '1') return false;
    const loopBody = node.childForFieldName('body');
    if (!loopBody || node.namedChildren.some((c) => c?.type === 'else_clause')) return false;
    const own = (n: Node) => ctx.scopes.functionAt(n.startIndex) === fn;
    if (loopBody.descendantsOfType(['return_statement', 'raise_statement']).some((n) => n !== null && own(n))) return false;
    if (loopBody.descendantsOfType('break_statement').some((b) => b !== null && own(b) && innermostLoop(b)?.equals(node))) return false;
    return !loopBody.descendantsOfType('call').some((call) => call !== null && own(call) && EXITS.has(ctx.resolve(call.childForFieldName('function')) ?? ''));
  });
}

function innermostLoop(node: Node): Node | undefined {
  for (let n = node.parent; n && !SCOPES.has(n.type); n = n.parent) if (LOOPS.has(n.type)) return n;
  return undefined;
}
