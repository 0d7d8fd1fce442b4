/**
 * AW301 unawaited-coroutine: a coroutine function is called and the coroutine object it returns is
 * dropped (an expression statement, or `_ = …`). Nothing of its body runs: Python only warns
 * "coroutine … was never awaited" when the object is garbage-collected. Coroutine functions are the
 * project's own `async def`s (same file, nested ones, methods through `self`/`super()`, other modules
 * through the project index) and asyncio's (`asyncio.sleep`, `Queue.put`, `loop.sock_sendall`…).
 */
import type { Node } from 'web-tree-sitter';
import type { PythonContext } from '../python/context';
import { enclosingClassName, followable, moduleView } from '../python/project';
import { callStatementsAt } from '../python/structure';
import { shadowed } from './blocking-call-via-helper';
import type * as ts from 'typescript';
import { walkTree } from '../typescript/walk';
import { isAsyncFunction, isFunctionLike, runtimeValue, type FunctionLike, type TsContext, type TsFixSpec } from '../typescript/context';
import { ProjectView } from '../typescript/project';
import { defineRule } from './define';

/**
 * A statement starting a line with a call (`x.y(`, `_ = f(`, `super().z(`,
 * `asyncio.get_running_loop().getaddrinfo(`): the callee as written.
 */
const STATEMENT_CALL = /^[ \t]*(?:_[ \t]*=[ \t]*)?((?:[A-Za-z_]\w*(?:[ \t]*\([^()\n]*\))?[ \t]*\.[ \t]*)*[A-Za-z_]\w*)[ \t]*\(/gm;

/** A call statement whose value is dropped: `f()`, or `_ = f()` (`discard`). */
interface DroppedCall {
  readonly call: Node;
  readonly callee: Node;
  readonly discard?: Node;
}

/**
 * The dropped calls worth a look: lines whose statement calls a name that some coroutine function
 * has (asyncio's, an `async def` of this file or of the project), found by a text scan, then
 * confirmed by one forward tree cursor over those statements (a query per line walked down from
 * the root each time). `names` is for the tests (which take every name).
 */
export function droppedCalls(ctx: PythonContext, names: { has(name: string): boolean } = coroutineNames(ctx)): DroppedCall[] {
  const source = ctx.source;
  /** Where each candidate line's callee starts, and so its call. */
  const starts: number[] = [];
  for (const m of source.matchAll(STATEMENT_CALL)) {
    const last = /([A-Za-z_]\w*)$/.exec(m[1])?.[1];
    if (!last || !names.has(last)) continue;
    starts.push(m.index + m[0].lastIndexOf(m[1], m[0].length - 1));
  }
  if (starts.length === 0) return [];
  if (ctx.root.hasError) return droppedCallsByRow(ctx, starts);
  const lineEnd = (offset: number) => {
    const i = source.indexOf('\n', offset);
    return i === -1 ? source.length : i;
  };
  const out: DroppedCall[] = [];
  for (const { offset, statement } of callStatementsAt(ctx.tree, starts, lineEnd)) {
    // The calls of the candidate's line only: a statement may start on an earlier line
    // (`_ = \` + newline + `f()`), and a call continued onto the next line is that line's business.
    const from = source.lastIndexOf('\n', offset - 1) + 1;
    const end = lineEnd(offset);
    for (const child of statement.namedChildren) {
      if (!child) continue;
      const discard = child.type === 'assignment' ? child.childForFieldName('left') : undefined;
      if (discard && discard.type !== 'identifier') continue;
      const call = discard ? child.childForFieldName('right') : child;
      const callee = call?.type === 'call' ? call.childForFieldName('function') : undefined;
      if (!call || !callee || (callee.type !== 'identifier' && callee.type !== 'attribute')) continue;
      if (call.childForFieldName('arguments')?.type !== 'argument_list' || call.startIndex < from || call.startIndex >= end) continue;
      out.push({ call, callee, ...(discard ? { discard } : {}) });
    }
  }
  return out;
}

/**
 * The same over a tree with syntax errors, by a query over each candidate's line: error recovery
 * can start the call elsewhere than its callee's text (`asyncio.run(…)` after a broken line parsed
 * as an ERROR `asyncio.` and a call `run(…)`), where the cursor looks for it at the callee.
 */
function droppedCallsByRow(ctx: PythonContext, starts: readonly number[]): DroppedCall[] {
  const query = ctx.parser.query(DROPPED);
  const out: DroppedCall[] = [];
  let lastRow = -1;
  for (const start of starts) {
    const row = ctx.lines.position(start).line;
    if (row === lastRow) continue;
    lastRow = row;
    for (const match of query.matches(ctx.root, { startPosition: { row, column: 0 }, endPosition: { row: row + 1, column: 0 } })) {
      const call = match.captures.find((c) => c.name === 'call')?.node;
      const callee = match.captures.find((c) => c.name === 'callee')?.node;
      const discard = match.captures.find((c) => c.name === 'discard')?.node;
      if (call && callee && call.startPosition.row === row) out.push({ call, callee, ...(discard ? { discard } : {}) });
    }
  }
  return out;
}

const DROPPED = `
(expression_statement (call function: [(identifier) (attribute)] @callee arguments: (argument_list)) @call)
(expression_statement (assignment left: (identifier) @discard right: (call function: [(identifier) (attribute)] @callee arguments: (argument_list)) @call))
`;

/** Names a dropped coroutine call can end with here: asyncio's, and every `async def` of the file and the project. */
function coroutineNames(ctx: PythonContext): { has(name: string): boolean } {
  const names = new Set(ASYNCIO_NAMES);
  for (const m of ctx.source.matchAll(/\basync[ \t]+def[ \t]+([A-Za-z_]\w*)/g)) names.add(m[1]);
  // Aliases of asyncio's functions (`from asyncio import sleep as nap`).
  for (const [local, target] of ctx.names.imports) if (target.startsWith('asyncio.')) names.add(local);
  // The project's set is asked, not copied: copying its thousands of names for every file cost
  // more than the rest of the rule.
  const project = ctx.project?.asyncDefNames();
  return { has: (name) => names.has(name) || project?.has(name) === true };
}

/**
 * asyncio's module-level coroutine functions. Not `gather`/`shield`/`ensure_future`: they return
 * futures whose work is already scheduled, so dropping them loses the result and the errors
 * (a dangling task, AW302's business) but the work runs.
 */
const ASYNCIO_COROUTINES = new Set([
  'sleep', 'wait_for', 'wait', 'to_thread', 'open_connection', 'open_unix_connection', 'start_server',
  'start_unix_server', 'create_subprocess_exec', 'create_subprocess_shell', 'staggered.staggered_race',
].map((n) => `asyncio.${n}`));

const LOOP_COROUTINES = [
  'sock_recv', 'sock_recv_into', 'sock_recvfrom', 'sock_recvfrom_into', 'sock_sendall', 'sock_sendto', 'sock_connect',
  'sock_accept', 'sock_sendfile', 'getaddrinfo', 'getnameinfo', 'create_connection', 'create_server',
  'create_unix_connection', 'create_unix_server', 'create_datagram_endpoint', 'connect_read_pipe', 'connect_write_pipe',
  'connect_accepted_socket', 'subprocess_exec', 'subprocess_shell', 'sendfile', 'start_tls', 'shutdown_asyncgens',
  'shutdown_default_executor',
];

/** Coroutine methods of asyncio's classes, by class. */
const ASYNCIO_METHODS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    'asyncio.Queue': ['put', 'get', 'join'],
    'asyncio.PriorityQueue': ['put', 'get', 'join'],
    'asyncio.LifoQueue': ['put', 'get', 'join'],
    'asyncio.Event': ['wait'],
    'asyncio.Lock': ['acquire'],
    'asyncio.Semaphore': ['acquire'],
    'asyncio.BoundedSemaphore': ['acquire'],
    'asyncio.Condition': ['acquire', 'wait', 'wait_for'],
    'asyncio.Barrier': ['wait', 'reset', 'abort'],
    'asyncio.StreamWriter': ['drain', 'wait_closed', 'start_tls'],
    'asyncio.StreamReader': ['read', 'readline', 'readexactly', 'readuntil'],
    'asyncio.AbstractEventLoop': LOOP_COROUTINES,
    'asyncio.subprocess.Process': ['wait', 'communicate'],
  }).map(([k, v]) => [k, new Set(v)]),
);

/** The last names of asyncio's coroutine functions and methods: what a dropped call of them ends with. */
const ASYNCIO_NAMES: readonly string[] = [...new Set([...[...ASYNCIO_COROUTINES].map((q) => q.slice(q.lastIndexOf('.') + 1)), ...[...ASYNCIO_METHODS.values()].flatMap((m) => [...m])])];

/** The simple names of those classes and loop factories, as a typed receiver's line spells one. */
const ASYNCIO_CLASS_NAMES = 'Queue|PriorityQueue|LifoQueue|Event|Lock|Semaphore|BoundedSemaphore|Condition|Barrier|StreamWriter|StreamReader|AbstractEventLoop|BaseEventLoop|Process|get_running_loop|get_event_loop|new_event_loop';

/** One line assigning or annotating a name with one of those classes: `q = asyncio.Queue()`, `writer: StreamWriter`. */
const TYPED_LINE = new RegExp(`([A-Za-z_][\\w.]*)\\s*(?::|=(?!=))[^\\n=]*?\\b(?:${ASYNCIO_CLASS_NAMES})\\b`, 'g');

const CLASS_WORD = new RegExp(`\\b(?:${ASYNCIO_CLASS_NAMES})\\b`, 'g');

const typedNames = new WeakMap<PythonContext, Set<string>>();

/**
 * Whether some line gives `receiver` a value or annotation naming one of asyncio's classes: a cheap
 * pre-test (one scan of the text per file) before typing receivers with a query.
 */
function assignedAsyncioClass(ctx: PythonContext, receiver: string): boolean {
  let names = typedNames.get(ctx);
  if (!names) {
    names = new Set();
    // Lines naming one of the classes are few: find them first, then read each line alone.
    for (const hit of ctx.source.matchAll(CLASS_WORD)) {
      const start = ctx.source.lastIndexOf('\n', hit.index) + 1;
      const end = ctx.source.indexOf('\n', hit.index);
      const line = ctx.source.slice(start, end < 0 ? undefined : end);
      for (const m of line.matchAll(TYPED_LINE)) names.add(m[1]);
    }
    typedNames.set(ctx, names);
  }
  return names.has(receiver.replace(/\s+/g, ''));
}

/** Factories whose result is an instance of an asyncio class above. */
const FACTORY_TYPES: Record<string, string> = {
  'asyncio.get_running_loop': 'asyncio.AbstractEventLoop',
  'asyncio.get_event_loop': 'asyncio.AbstractEventLoop',
  'asyncio.new_event_loop': 'asyncio.AbstractEventLoop',
  'asyncio.BaseEventLoop': 'asyncio.AbstractEventLoop',
};

/** asyncio's submodules re-exported at the top (`asyncio.locks.Lock` is `asyncio.Lock`). */
const ASYNCIO_SUBMODULES = new Set(['locks', 'queues', 'streams', 'events', 'tasks', 'base_events', 'runners', 'threads', 'subprocess_']);

/** How a receiver variable is typed: annotations and constructions (`q = asyncio.Queue()`, `q: asyncio.Queue`). */
const RECEIVER_TYPES = `
(assignment left: [(identifier) (attribute)] @name right: (call function: [(identifier) (attribute)] @type))
(assignment left: [(identifier) (attribute)] @name type: (type [(identifier) (attribute)] @type))
(typed_parameter (identifier) @name type: (type [(identifier) (attribute)] @type))
(typed_default_parameter name: (identifier) @name type: (type [(identifier) (attribute)] @type))
`;

/** A receiver conventionally holding the running loop (`loop`, `self._loop`), for the loop's own `sock_*` coroutines. */
const LOOP_NAME = /^(?:self\.)?_?(?:event_)?loop$/;

const rule = defineRule({
  code: 'AW301',
  name: 'unawaited-coroutine',
  languages: ['python', 'typescript'],
  severity: 'warning',
  severityIn: { typescript: 'hint' },
  aliases: [],
  fixable: 'sometimes',
  summary: 'A coroutine function is called and its coroutine dropped: its body never runs.',
  messages: {
    dropped: '`{callee}()` returns a coroutine that is dropped without `await`: its body never runs.',
    droppedInSync: '`{callee}()` returns a coroutine that is dropped in sync code, where `await` is impossible: its body never runs (run it with `asyncio.run`, schedule a task, or make the caller async).',
    fixAwait: 'Add `await`',
    floating: '`{callee}(…)` returns a promise nobody awaits or handles: the caller does not wait for it, and a rejection goes unhandled (which ends a Node process by default).',
    fixVoid: 'Mark it deliberately not awaited with `void`',
  },
  docs: `## What it does
Flags a call to a coroutine function whose result is thrown away: the call is a statement of its own
(or is assigned to \`_\`). Coroutine functions are the project's \`async def\`s — in the same file
(nested ones too), methods called through \`self\`, \`cls\` or \`super()\` (inherited ones included), and
functions and classes of other project modules reached through imports — and asyncio's own:
\`asyncio.sleep\`, \`wait_for\`, \`wait\`, \`to_thread\`, \`open_connection\`, \`start_server\`,
\`create_subprocess_exec\`/\`_shell\`, the coroutine methods of \`asyncio.Queue\`, \`Event\`, \`Lock\`,
\`Semaphore\`, \`Condition\`, \`StreamReader\`/\`StreamWriter\` (\`drain\`, \`wait_closed\`) on receivers whose
type is known (constructed or annotated), and the event loop's \`sock_*\`, \`create_connection\`,
\`getaddrinfo\`…

Left alone: coroutines that are awaited, returned, yielded, stored, or passed on (\`asyncio.run(main())\`,
\`create_task\`, \`gather\`, \`TaskGroup.create_task\`, \`ensure_future\`); \`asyncio.gather(...)\`,
\`asyncio.shield(...)\` and \`ensure_future(...)\` themselves (they return futures whose work already runs:
dropping one is a dangling task, see dangling-task); \`async def\`s with a decorator that may turn them
into something else (anything but \`staticmethod\`, \`classmethod\`, \`abstractmethod\`…); methods of
objects whose class is unknown. Mypy (\`unused-coroutine\`), Pyright (\`reportUnusedCoroutine\`) and
PyCharm report the same mistake from type information.

In TS/JS: a floating promise, a call statement whose value is a promise nobody awaits, returns,
stores or handles. With a type checker (the editor, or the CLI in a project with a \`tsconfig.json\`)
any call whose type is a promise-like counts; without one, calls of the file's own \`async\` functions
(nested and hoisted ones too), methods (through \`this\`) and async IIFEs, \`async\` functions of the
project's modules the file imports by a relative path (\`import { load } from './store'\`, a
\`require\`, read as [blocking-call-via-helper](blocking-call-via-helper.md) reads them), \`fetch\`,
\`fs.promises\`/\`timers/promises\`/\`stream/promises\` functions and
\`Promise.all\`/\`allSettled\`/\`race\`/\`any\`/\`reject\`. Also \`x.then(onFulfilled)\` without a rejection
handler, whatever \`x\` is (\`then\` makes a new promise, which rejects when \`x\` does or the handler
throws), and a dropped \`new Promise(…)\`. Left alone: \`void p\`, \`p.catch(handler)\`,
\`p.then(onFulfilled, onRejected)\` (and a \`.finally\` after them), and promises that are returned, assigned,
awaited later or passed to a function. Also left alone, because the promise is dropped by design:

- code that runs as the module loads, outside any function: \`main();\`, \`(async () => { … })();\`,
  \`app.prepare().then(start)\` at the top of a script (in a module-level \`if\` too). That is the
  program's entry: a rejection there ends the process with the error and exit code 1, as a throw
  would, which is what a failing script should do. The statements of the functions it starts (the
  IIFE's body, the \`.then\` handler) are read like any other.
- test-runner registrations: \`test\`, \`it\`, \`describe\`, \`suite\` (and their \`.skip\`/\`.only\`/\`.todo\`) and
  the hooks \`before\`/\`after\`/\`beforeEach\`/\`afterEach\` imported from \`node:test\` (or the \`test\` package),
  and mocha's and jest's globals of those names, called at module level, in a suite's callback or in
  a helper: the runner starts, tracks and reports them, and they never reject. Inside a running
  test's own function, \`test()\`/\`it()\` (like \`t.test()\`) makes a subtest that is cancelled if still
  outstanding when its parent ends: flagged unless awaited.
- other promises dropped in a file that imports \`node:test\` (or the \`test\` package): its runner
  handles every rejection left unhandled while the file runs. One from a test's work, also through a
  helper that wraps the test's function, fails that test with the error (a done-style test too: it
  fails at once instead of waiting for \`done\`); one after the test ended or outside any test fails
  the file with the error. Nothing goes unhandled and the run fails visibly. Under mocha's or jest's
  globals they are still flagged: mocha pins an unhandled rejection on whichever test is running.
- fluent calls on an object already in hand (with types): each method returns its receiver's own
  type (type arguments aside, or the receiver made awaitable: \`Instance & PromiseLike<…>\`), down to a
  variable, property or \`this\` (\`reply.code(200).send(body)\` returns the fastify reply it was called
  on, \`app.register(plugin)\` the app). A chain that creates its object is still flagged
  (\`knex('t').insert(row)\`: the builder runs only when awaited), and so are the promise's own
  \`then\`/\`catch\`/\`finally\`, which make a new promise. (A builder stored first, \`q = knex('t')\` then
  \`q.insert(row)\` dropped, looks fluent and is left alone.)
- \`Object.assign\`, \`Object.defineProperty\`/\`defineProperties\`, \`freeze\`, \`seal\`,
  \`preventExtensions\` and \`setPrototypeOf\` on a promise already in hand (a variable, property or
  \`this\`): they return the object they were given, decorated in place (\`Object.assign(promise, {
  cancel })\`). On a call's result (\`Object.assign(start(), …)\`) the new promise is still flagged.
- a dual API given its callback (with types): the argument fills a parameter declared as a function
  whose first parameter is the error (\`redis.get(key, (err, value) => …)\`), so the library hands every
  failure to the callback and takes care of the promise it also returns. A function given where no
  such parameter is declared (an API that dropped callbacks) leaves the promise dropped: flagged.
- calls that cannot reject: an \`async\` function every statement of which is guarded, i.e. a
  \`try … catch\` whose catch (and \`finally\`) handles the error (it may call things, but neither
  throws nor awaits something that may reject) or plain code that cannot throw (no call, \`new\`,
  \`await\` or \`throw\`: \`if (this.closed) return;\`; calling an async function never throws, its
  failure is the promise it returns, flagged where it is dropped; nor do the runtime's timers given a
  function literal, \`process.nextTick(() => …)\`, \`clearTimeout\` and the like, the global
  \`console\`'s methods and a lookup in a \`const\` array literal (\`STANDARD_STREAMS.includes(s)\`),
  their arguments read on their own, nor a test runner registering a test or
  hook, \`it(title, fn)\`, which keeps \`fn\` for later, unlike a suite's \`describe\`), an \`if\`'s branches and a loop's body (\`while
  (true) { try { … } catch { … } }\`) alike, and whose \`try\` does not \`return\` a promise
  without \`await\` (it would settle after the \`try\` is left): \`async #run() { try { … } catch (err)
  { this.abort(err) } }\`, an async IIFE guarding its body. After a \`try\` that catches what its
  awaits throw, sync calls are more handling, as the catch's own are (\`try { await
  finished(stream) } catch {} stream.destroy()\`); an \`await\`, \`throw\`, assertion or returned
  promise there still counts. Before it, a call may throw by design (a guard validating its input):
  not guarded. Also \`p.catch(handler)\` with such a
  handler, and a function returning one (\`closeQuietly() { return conn.close().catch(() => {}) }\`).
  The callee is the checker's declaration, or without types the function of this file the name
  denotes or of a module imported by a relative path; a sync function of the project whose own code
  cannot throw (read the same way, three calls deep) is a call that cannot throw, and a caught error
  or a parameter named \`err\`/\`error\`/\`e\` returned is an error, not a promise. And
  \`p.then(handler)\` on a promise that only fulfils — \`Promise.resolve()\` of a value
  that is no promise, \`Promise.allSettled(…)\`, a \`timers/promises\` timer given no options (only an
  aborted signal makes it reject), \`promisify(setTimeout)\`, \`Promise.all\`/\`race\`/\`any\` of a list
  of those, a function returning \`new Promise((resolve) => emitter.once(event, resolve))\` (no
  \`reject\`, \`resolve\` only handed on), the browser's \`navigator.serviceWorker.ready\` — with a
  handler that neither throws,
  awaits what may reject, returns a promise, nor calls an assertion (\`assert\`, \`expect\`,
  \`should\`: they throw by design): \`sleep(500).then(() => { socket.destroy(); })\`.

Type tests (tsd's \`*.test-d.ts\`, TSTyche's \`*.tst.ts\`) are compiled, never run: no TS/JS rule reports
in them.

**In TS/JS a hint by default** (the CLI reports it with \`--hints\` or when the rule is named): on the
ecosystem check ([docs/ecosystem.md](../ecosystem.md)) 113 of its 193 decided TS/JS findings were right,
with 67 more debatable; on the four projects added to the check unseen and read before any change
for them (uptime-kuma, moleculer, semantic-release, node-mysql2), only 10 of 57. Most dropped promises
in real code cannot reject (their chain ends in its own handler, the callee catches everything through
paths the checker cannot follow, or the library's promise only resolves: a nats \`closed()\` that
resolves with the error, a memory cache), or run under a test runner that reports unhandled
rejections itself. In Python it stays a warning: a dropped coroutine
never runs at all. Turn it on in TS/JS for a service, where an unhandled rejection ends the process.

## Why is this bad?
Calling an \`async def\` only creates a coroutine object; its body runs when the coroutine is awaited
or wrapped in a task. Dropped, it never runs: the message is never sent, the lock never taken, the
sleep never happens. The only trace is a \`RuntimeWarning: coroutine '…' was never awaited\` when the
object is garbage-collected, often far from the call. In a sync function \`await\` is impossible, so the
call there does nothing at all.

## Example
\`\`\`py
import asyncio

async def notify(user):
    await asyncio.sleep(0.1)

async def handle(user):
    notify(user)
    asyncio.sleep(1)
\`\`\`
\`\`\`ts
async function notify(user: string): Promise<void> {
  await fetch(\`https://example.com/notify/\${user}\`);
}

export async function handle(user: string): Promise<void> {
  notify(user);
}
\`\`\`

## Use instead
\`\`\`py
import asyncio

async def notify(user):
    await asyncio.sleep(0.1)

async def handle(user):
    await notify(user)
    await asyncio.sleep(1)
\`\`\`

\`\`\`ts
async function notify(user: string): Promise<void> {
  await fetch(\`https://example.com/notify/\${user}\`);
}

export async function handle(user: string): Promise<void> {
  await notify(user);
  void notify(user).catch((e) => console.error(e));
}
\`\`\`

## Fix safety
In a coroutine the fix adds \`await\`. It is safe: the dropped coroutine never ran, so awaiting it runs
the code the author wrote, at the place they wrote it. In a sync function no fix is offered: whether
to make the caller async, run the coroutine with \`asyncio.run\`, or schedule it as a task is a design
decision.
In TS/JS the promise already runs, so both fixes are unsafe: adding \`await\` (in an \`async\` function)
makes the caller wait and lets a rejection throw there; adding \`void\` only records that the promise is
deliberately not awaited, and its rejection stays unhandled.
`,
  typescript(ctx) {
    detectTypeScript(ctx);
  },
  python(ctx) {
    const dropped = droppedCalls(ctx);
    if (dropped.length === 0) return;
    let receivers: ReceiverTypes | undefined;
    let nested: Map<string, Node[]> | undefined;
    for (const { call, callee, discard } of dropped) {
      if (discard && discard.text !== '_') continue;
      const coroutine = coroutineCallee(ctx, call, callee, () => (receivers ??= new ReceiverTypes(ctx)), () => (nested ??= nestedAsyncDefs(ctx)));
      if (!coroutine) continue;
      const data = { callee: compact(callee.text) };
      if (!ctx.isAsync(call)) {
        ctx.report(call, 'droppedInSync', data);
        continue;
      }
      ctx.report(call, 'dropped', data, [{ title: rule.messages.fixAwait, safety: 'safe', edits: [{ start: call.startIndex, end: call.startIndex, newText: 'await ' }] }]);
    }
  },
});
export default rule;

/** Whether the callee is a coroutine function (true), by asyncio's catalog or the project's own `async def`s. */
function coroutineCallee(ctx: PythonContext, call: Node, callee: Node, receivers: () => ReceiverTypes, nested: () => Map<string, Node[]>): boolean {
  // Only imported names can resolve to asyncio or another module (resolving a builtin such as
  // `print` would scan the file's bindings for nothing).
  const head = /^[A-Za-z_]\w*/.exec(callee.text)?.[0];
  const name = head !== undefined && ctx.names.imports.has(head) ? ctx.resolve(callee) : undefined;
  if (name) {
    const canonical = canonicalAsyncio(name);
    if (ASYNCIO_COROUTINES.has(canonical)) return true;
    if (canonical.startsWith('asyncio.')) return false;
  }
  if (callee.type === 'attribute') {
    const method = callee.childForFieldName('attribute')?.text;
    const receiver = callee.childForFieldName('object');
    if (method && receiver && isAsyncioMethod(ctx, receiver, method, receivers)) return true;
  } else if (!name && nestedCoroutine(ctx, call, callee.text, nested())) return true;
  if (!mayBeProjectCallee(ctx, callee, name) || !mayBeAsyncDef(ctx, callee)) return false;
  const view = moduleView(ctx);
  const className = enclosingClassName(ctx.scopes, call.startIndex);
  const target = view.target(callee.text, className);
  if (!target) return false;
  const fn = view.resolve(target, className);
  return fn !== undefined && fn.summary.async && followable(fn.summary) && !shadowed(ctx, call, callee.text);
}

/**
 * A quick test before building the module's summary (one more query over the file): the callee is
 * imported from a project module (relative, or a module the index knows), or starts with
 * `self`/`cls`/`super()` or a module-level definition of this file.
 */
function mayBeProjectCallee(ctx: PythonContext, callee: Node, name: string | undefined): boolean {
  if (name) return name.startsWith('.') || (ctx.project !== undefined && ctx.project.filesOf(name.split('.')[0]).length > 0);
  const head = /^[A-Za-z_]\w*/.exec(callee.text)?.[0];
  if (!head) return head === undefined && /^super\s*\(\s*\)\s*\./.test(callee.text);
  return head === 'self' || head === 'cls' || head === 'super' || moduleLevelNames(ctx).has(head);
}

/**
 * Whether the callee's last name is the name of some `async def` of this file or of the project (a
 * text scan, no parse): most dropped calls are sync, and this spares them a lookup.
 */
function mayBeAsyncDef(ctx: PythonContext, callee: Node): boolean {
  const last = /([A-Za-z_]\w*)\s*$/.exec(callee.text)?.[1];
  if (!last) return false;
  if (ctx.project?.asyncDefNames().has(last)) return true;
  let own = ownAsyncDefs.get(ctx);
  if (!own) {
    own = new Set();
    for (const m of ctx.source.matchAll(/\basync[ \t]+def[ \t]+([A-Za-z_]\w*)/g)) own.add(m[1]);
    ownAsyncDefs.set(ctx, own);
  }
  return own.has(last);
}

const ownAsyncDefs = new WeakMap<PythonContext, Set<string>>();

const moduleLevel = new WeakMap<PythonContext, Set<string>>();

/** Names of the file's module-level defs and classes (from the scope intervals already computed). */
function moduleLevelNames(ctx: PythonContext): Set<string> {
  let names = moduleLevel.get(ctx);
  if (!names) {
    names = new Set();
    for (const s of ctx.scopes.all) {
      if (s.parent || s.kind === 'lambda') continue;
      const n = s.node.childForFieldName('name')?.text;
      if (n) names.add(n);
    }
    moduleLevel.set(ctx, names);
  }
  return names;
}

function canonicalAsyncio(name: string): string {
  const parts = name.split('.');
  if (parts[0] === 'asyncio' && parts.length >= 3 && ASYNCIO_SUBMODULES.has(parts[1])) return ['asyncio', ...parts.slice(2)].join('.');
  return name;
}

function isAsyncioMethod(ctx: PythonContext, receiver: Node, method: string, receivers: () => ReceiverTypes): boolean {
  if (LOOP_COROUTINES.includes(method)) {
    if (LOOP_NAME.test(receiver.text)) return true;
    if (receiver.type === 'call') {
      const factory = ctx.resolve(receiver.childForFieldName('function'));
      if (factory && FACTORY_TYPES[canonicalAsyncio(factory)] === 'asyncio.AbstractEventLoop') return true;
    }
  }
  if (receiver.type !== 'identifier' && receiver.type !== 'attribute') return false;
  // Typing receivers costs a query over the file: only when some line assigns or annotates this
  // receiver with one of asyncio's classes in it (`q = asyncio.Queue()`, `writer: StreamWriter`).
  if (!assignedAsyncioClass(ctx, receiver.text)) return false;
  const type = receivers().typeOf(receiver.text);
  return type !== undefined && ASYNCIO_METHODS.get(type)?.has(method) === true;
}

/**
 * asyncio types of receivers, by their text (`q`, `self._queue`), from constructions and annotations
 * anywhere in the file; a name given two different types is left untyped.
 */
class ReceiverTypes {
  private readonly types = new Map<string, string | null>();

  constructor(ctx: PythonContext) {
    // Only receivers some line types with one of asyncio's classes are ever asked about
    // (`isAsyncioMethod`): the others' bindings are not resolved.
    const asked = typedNames.get(ctx);
    for (const match of ctx.matches(RECEIVER_TYPES)) {
      const name = match.captures.find((c) => c.name === 'name')?.node;
      const typeNode = match.captures.find((c) => c.name === 'type')?.node;
      if (!name || !typeNode) continue;
      const key = name.text.replace(/\s+/g, '');
      if (asked && !asked.has(key)) continue;
      const resolved = ctx.resolve(typeNode);
      if (!resolved) continue;
      const canonical = canonicalAsyncio(resolved);
      const type = FACTORY_TYPES[canonical] ?? canonical;
      const previous = this.types.get(key);
      this.types.set(key, previous === undefined || previous === type ? type : null);
    }
  }

  typeOf(text: string): string | undefined {
    return this.types.get(text.replace(/\s+/g, '')) ?? undefined;
  }
}

/** `async def`s nested in functions, by name (module-level ones and methods are in the module summary). */
function nestedAsyncDefs(ctx: PythonContext): Map<string, Node[]> {
  const out = new Map<string, Node[]>();
  for (const s of ctx.scopes.all) {
    if (s.kind !== 'async-function' || !s.parent || s.parent.kind === 'class') continue;
    const name = s.node.childForFieldName('name')?.text;
    if (!name || s.node.parent?.type === 'decorated_definition') continue;
    const list = out.get(name);
    if (list) list.push(s.node);
    else out.set(name, [s.node]);
  }
  return out;
}

/**
 * A call of a nested `async def` visible from the call: defined in the same function or an enclosing
 * one. A name defined both async and otherwise there is left alone.
 */
function nestedCoroutine(ctx: PythonContext, call: Node, name: string, nested: Map<string, Node[]>): boolean {
  const defs = nested.get(name);
  if (!defs) return false;
  const callerChain = new Set<number>();
  for (let s = ctx.scopes.functionAt(call.startIndex); s; s = s.parent) callerChain.add(s.start);
  return defs.some((def) => {
    const owner = ctx.scopes.functionAt(def.startIndex);
    return owner !== undefined && callerChain.has(owner.start);
  });
}

function compact(text: string): string {
  const flat = text.replace(/\s+/g, '');
  return flat.length <= 40 ? flat : `…${flat.slice(-39)}`;
}

// ---------------------------------------------------------------------------------------------
// TS/JS detector: floating promises

/** Functions known to return promises, by qualified name, for files analysed without types. */
const PROMISE_MODULES = /^(fs|timers|stream|dns)\.promises\.\w+$/;
const PROMISE_STATICS = new Set(['Promise.all', 'Promise.allSettled', 'Promise.race', 'Promise.any', 'Promise.reject', 'fetch']);

function detectTypeScript(ctx: TsContext): void {
  const ts = ctx.ts;
  const visit = (n: ts.Node): boolean | void => {
    if (ts.isExpressionStatement(n)) {
      const e = unwrap(ts, n.expression);
      if (ts.isCallExpression(e) && isFloating(ctx, e) && !deliberatelyDropped(ctx, e)) report(ctx, n, e);
      // `new Promise(executor)` as a statement: its rejection (a `reject` call, a throw in the executor) is unhandled.
      else if (ts.isNewExpression(e) && (ctx.isThenable(e) ?? ctx.resolve(e.expression) === 'Promise')) report(ctx, n, e);
    }
  };
  // Code that runs as the module loads (`main();`, `(async () => { … })();`, `app.prepare().then(…)`
  // at the top of a script) is the program's entry: a rejection there ends the process with the
  // error and exit code 1, as a throw would, which is what a failing script should do. Only the
  // functions' statements are read: each function met at module level is walked whole (nested ones
  // included) and skipped by the outer walk, so every node is visited once.
  walkTree(ctx.sourceFile, (n) => {
    if (!isFunctionLike(ts, n)) return undefined;
    walkTree(n, visit);
    return false;
  });
}

function unwrap(ts: TsContext['ts'], e: ts.Expression): ts.Expression {
  return ts.isParenthesizedExpression(e) ? unwrap(ts, e.expression) : e;
}

/** What a function returns when that is all it does: an arrow's expression body, or a body of one `return`. */
function onlyReturned(ts: TsContext['ts'], fn: FunctionLike): ts.Expression | undefined {
  const body = fn.body;
  if (!body) return undefined;
  if (!ts.isBlock(body)) return unwrap(ts, body as ts.Expression);
  const [only] = body.statements;
  return body.statements.length === 1 && ts.isReturnStatement(only) && only.expression ? unwrap(ts, only.expression) : undefined;
}

/** `.catch(h)`, `.then(a, b)`: the chain handles rejection; `.finally(f)` passes it on. */
function isFloating(ctx: TsContext, call: ts.CallExpression): boolean {
  const ts = ctx.ts;
  const callee = call.expression;
  if (ts.isPropertyAccessExpression(callee)) {
    const method = callee.name.text;
    if (handlesRejection(ts, call)) return false;
    if (method === 'finally' || method === 'then') {
      const inner = unwrap(ts, callee.expression);
      // A rejection handled upstream (`p.catch(log).then(exit)`) stays handled.
      if (ts.isCallExpression(inner) && handledUpstream(ts, inner)) return false;
      // `x.then(onFulfilled)` makes a new promise whatever `x` is, and it rejects when `x` does or the
      // handler throws: it floats unless the checker knows `then` here returns no promise. (A bare
      // `x.then()` is no promise idiom: a fake's method, say.)
      if (method === 'then') return ctx.isThenable(call) ?? call.arguments.length === 1;
      // The chain floats exactly when what it is chained on floats.
      if (ts.isCallExpression(inner)) return isFloating(ctx, inner);
    }
  }
  const typed = ctx.isThenable(call);
  if (typed !== undefined) return typed;
  return returnsPromiseSyntactically(ctx, call);
}

/** `p.catch(h)`, `p.then(onFulfilled, onRejected)`. */
function handlesRejection(ts: TsContext['ts'], call: ts.CallExpression): boolean {
  const callee = unwrap(ts, call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return false;
  return (callee.name.text === 'catch' && call.arguments.length >= 1) || (callee.name.text === 'then' && call.arguments.length >= 2);
}

/** A chain with a rejection handler, possibly followed by `.then(f)`/`.finally(f)` steps. */
function handledUpstream(ts: TsContext['ts'], call: ts.CallExpression): boolean {
  if (handlesRejection(ts, call)) return true;
  const callee = unwrap(ts, call.expression);
  if (!ts.isPropertyAccessExpression(callee) || (callee.name.text !== 'then' && callee.name.text !== 'finally')) return false;
  const inner = unwrap(ts, callee.expression);
  return ts.isCallExpression(inner) && handledUpstream(ts, inner);
}

function returnsPromiseSyntactically(ctx: TsContext, call: ts.CallExpression): boolean {
  const fn = calleeFunction(ctx, call)?.fn;
  if (fn) return isAsyncFunction(ctx.ts, fn);
  const name = ctx.resolve(unwrap(ctx.ts, call.expression));
  return !!name && (PROMISE_STATICS.has(name) || PROMISE_MODULES.test(name));
}

/**
 * Promises dropped on purpose, by what the callee is: a test runner's registration, a fluent method
 * returning the object it was called on, an async function that cannot reject.
 */
function deliberatelyDropped(ctx: TsContext, call: ts.CallExpression): boolean {
  return (isTestRegistration(ctx, call) ? !inTestBody(ctx, call) : reportedByNodeTest(ctx, call)) || returnsItsReceiver(ctx, call) || returnsItsTarget(ctx, call) || errorsGoToCallback(ctx, call) || cannotReject(ctx, call);
}

/** A first parameter that receives the error, in a Node-style callback. */
const ERROR_PARAMETER = /^(err|error|e)$/i;

/**
 * A call of a dual API given its callback (with types): `redis.get(key, (err, value) => …)`. The
 * parameter the last argument fills is declared as a function whose first parameter is the error, so
 * the library hands every failure to that callback and takes care of the promise it also returns
 * (ioredis attaches the callback to it). An argument for no declared parameter (an API that dropped
 * callbacks) does not count.
 */
function errorsGoToCallback(ctx: TsContext, call: ts.CallExpression): boolean {
  const ts = ctx.ts;
  const checker = ctx.checker;
  const last = call.arguments[call.arguments.length - 1];
  if (!checker || !last || last.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(last) && last.text === 'undefined')) return false;
  const signature = checker.getResolvedSignature(call);
  const index = call.arguments.length - 1;
  const declared = signature?.parameters[index];
  // A rest parameter (`...args: (string | Callback)[]`) may take a callback or not: not counted.
  const declaration = declared?.valueDeclaration;
  if (!declared || (declaration && ts.isParameter(declaration) && declaration.dotDotDotToken)) return false;
  const type = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(declared, call));
  const callback = type.getCallSignatures()[0];
  const first = callback?.parameters[0];
  return !!first && ERROR_PARAMETER.test(first.getName());
}

/** `Object` functions that return the object they were given (their first argument), changed in place. */
const OBJECT_IN_PLACE = new Set(['assign', 'defineProperty', 'defineProperties', 'freeze', 'seal', 'preventExtensions', 'setPrototypeOf']);

/**
 * `Object.defineProperties(promise, …)`, `Object.assign(promise, { cancel })`: the value is the
 * promise the code already holds (a variable, a property, `this`), decorated in place; the statement
 * starts nothing. With a call as the target (`Object.assign(start(), …)`) it is a new promise, dropped.
 */
function returnsItsTarget(ctx: TsContext, call: ts.CallExpression): boolean {
  const ts = ctx.ts;
  const callee = unwrap(ts, call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !OBJECT_IN_PLACE.has(callee.name.text)) return false;
  const object = unwrap(ts, callee.expression);
  if (!ts.isIdentifier(object) || object.text !== 'Object' || ctx.isShadowed(object, undefined)) return false;
  const target = call.arguments[0] && unwrap(ts, call.arguments[0]);
  return !!target && (ts.isIdentifier(target) || ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target) || target.kind === ts.SyntaxKind.ThisKeyword);
}

// --- test runners -------------------------------------------------------------------------------

type Registration = 'suite' | 'test' | 'hook';

/**
 * node:test's registration functions by what they register. `test()`/`it()`/`describe()` return
 * promises the runner itself starts, tracks and reports (they never reject: a failure is reported,
 * not thrown), and dropping them is the documented idiom.
 */
const NODE_TEST: Readonly<Record<string, Registration>> = {
  test: 'test', it: 'test', describe: 'suite', suite: 'suite',
  before: 'hook', after: 'hook', beforeEach: 'hook', afterEach: 'hook',
};

/** The globals mocha (BDD and TDD) and jest define: not imported, not declared in the file. */
const RUNNER_GLOBALS: Readonly<Record<string, Registration>> = {
  ...NODE_TEST, context: 'suite', specify: 'test', xit: 'test', fit: 'test', xtest: 'test', xdescribe: 'suite', fdescribe: 'suite',
  beforeAll: 'hook', afterAll: 'hook', setup: 'hook', teardown: 'hook', suiteSetup: 'hook', suiteTeardown: 'hook',
};

/** `it.skip(…)`, `describe.only(…)`, `test.todo(…)`: the same registration. */
const MODIFIERS = new Set(['skip', 'only', 'todo']);

/** What a call registers with a test runner: a call of node:test's functions, or of a runner global. */
function registration(ctx: TsContext, call: ts.CallExpression): Registration | undefined {
  const ts = ctx.ts;
  const callee = unwrap(ts, call.expression);
  const name = ctx.resolve(callee);
  if (name !== undefined) {
    // `node:test` and the `test` package (its copy for older Node) normalise to the module `test`:
    // `test` (the default export), `test.it`, `test.describe.skip`.
    const parts = name.split('.');
    if (parts.shift() !== 'test') return undefined;
    while (parts.length > 0 && MODIFIERS.has(parts[parts.length - 1])) parts.pop();
    if (parts.length === 0) return 'test';
    return parts.length === 1 ? NODE_TEST[parts[0]] : undefined;
  }
  let base = callee;
  while (ts.isPropertyAccessExpression(base) && MODIFIERS.has(base.name.text)) base = base.expression;
  if (!ts.isIdentifier(base) || !Object.hasOwn(RUNNER_GLOBALS, base.text) || ctx.isShadowed(base, undefined)) return undefined;
  return RUNNER_GLOBALS[base.text];
}

function isTestRegistration(ctx: TsContext, call: ts.CallExpression): boolean {
  return registration(ctx, call) !== undefined;
}

/**
 * Whether the call runs inside a test's (or hook's) own function, where a `test()`/`it()` makes a
 * subtest that is cancelled if still outstanding when its parent finishes: it must be awaited.
 * At module level, in a suite's callback, or in a helper the suites call, registering is the idiom.
 */
function inTestBody(ctx: TsContext, call: ts.CallExpression): boolean {
  const kind = enclosingRegistration(ctx, call);
  return kind !== undefined && kind !== 'suite';
}

/** What registered the innermost function around `call` that a test runner was given (a test, a hook, a suite), or undefined. */
function enclosingRegistration(ctx: TsContext, call: ts.CallExpression): Registration | undefined {
  const ts = ctx.ts;
  for (let n: ts.Node = call; n.parent; n = n.parent) {
    if (!isFunctionLike(ts, n) || !ts.isCallExpression(n.parent) || !n.parent.arguments.includes(n as ts.Expression)) continue;
    const kind = registration(ctx, n.parent);
    if (kind !== undefined) return kind;
  }
  return undefined;
}

/**
 * In a file that imports `node:test` (or the `test` package): its runner handles every rejection
 * nobody else does while the file runs. One from a test's work (even through a helper that wraps the
 * test's function) fails that test with the error; one after the test ended or outside any test fails
 * the file with the error ("generated asynchronous activity after the test ended"). Nothing goes
 * unhandled and the run fails visibly. A subtest made through the context (`t.test(…)`,
 * `t.describe(…)`) is another matter: cancelled when its parent ends, still flagged; so is every
 * dropped promise under mocha or jest, which pin an unhandled rejection on whichever test is running.
 */
function reportedByNodeTest(ctx: TsContext, call: ts.CallExpression): boolean {
  const ts = ctx.ts;
  const callee = unwrap(ts, call.expression);
  if (ts.isPropertyAccessExpression(callee) && Object.hasOwn(NODE_TEST, callee.name.text)) return false;
  return ctx.importsModule('test');
}

// --- fluent APIs --------------------------------------------------------------------------------

/**
 * A fluent call on an existing object (`reply.send(x)`, `reply.code(200).send(x)`, `res.on(…)`):
 * each method returns a value of its receiver's own type (type arguments aside), down to a receiver
 * that is a variable, a property or `this`. The thenable returned is that object (a fastify reply resolves when the
 * response is sent), already in hand, not a pending operation this statement started. A chain that
 * creates its object (`knex('t').insert(row)`: the builder runs only when awaited, and `insert`
 * returns a builder of another type than its receiver) is not one. The promise methods are not
 * fluent: `p.finally(f)` has `p`'s type but is a new promise that rejects with `p`.
 */
function returnsItsReceiver(ctx: TsContext, call: ts.CallExpression): boolean {
  const ts = ctx.ts;
  const checker = ctx.checker;
  if (!checker) return false;
  for (let e: ts.Expression = call; ; ) {
    if (!ts.isCallExpression(e)) return false;
    const callee = unwrap(ts, e.expression);
    if (!ts.isPropertyAccessExpression(callee) || PROMISE_METHODS.has(callee.name.text)) return false;
    const receiver = unwrap(ts, callee.expression);
    if (!sameObjectType(checker.getTypeAtLocation(e), checker.getTypeAtLocation(receiver))) return false;
    if (!ts.isCallExpression(receiver)) {
      return ts.isIdentifier(receiver) || ts.isPropertyAccessExpression(receiver) || ts.isElementAccessExpression(receiver) || receiver.kind === ts.SyntaxKind.ThisKeyword;
    }
    e = receiver;
  }
}

const PROMISE_METHODS = new Set(['then', 'catch', 'finally']);

/**
 * The receiver's type, or the receiver made awaitable: `app.register(plugin)` returns the fastify
 * instance intersected with a promise-like (`FastifyInstance & SafePromiseLike<undefined>`).
 */
function sameObjectType(call: ts.Type, receiver: ts.Type): boolean {
  if (sameDeclaredType(call, receiver)) return true;
  const parts = (t: ts.Type) => (t.isIntersection() ? t.types.filter((m) => !m.getProperty('then')) : [t]);
  return parts(call).some((a) => parts(receiver).some((b) => sameDeclaredType(a, b)));
}

/**
 * The same type, its type arguments aside: fastify's `reply.code(200)` returns a `FastifyReply` whose
 * reply-type argument is narrowed to the status, still the reply it was called on.
 */
function sameDeclaredType(a: ts.Type, b: ts.Type): boolean {
  if (a === b) return true;
  const symbol = a.getSymbol();
  return symbol !== undefined && symbol === b.getSymbol() && !symbol.getName().startsWith('__');
}

// --- promises that cannot reject ----------------------------------------------------------------

/**
 * A call whose promise always fulfils, so dropping it loses nothing. An async function cannot reject
 * when every statement of its body is guarded: a `try … catch` whose catch (and `finally`) handles
 * the error (it may call things, the handling, but neither throws nor awaits something that may
 * reject), or plain code that cannot throw (no call, `new`, `await` or `throw`: `if (this.closed)
 * return;`, `this.busy = true`); an `if`'s branches and a loop's body are read the same way.
 * `async #run() { try { … } catch (e) { this.abort(e) } }` and an async IIFE guarding its body are
 * the usual shapes. After a `try` catching its awaits, sync calls count as handling (`mayThrow`).
 * A `return p` without `await` escapes any catch (it settles after the `try` is left). `p.catch(handler)` with such a handler cannot reject either,
 * nor a sync function returning one (`closeQuietly() { return conn.close().catch(() => {}) }`). The
 * callee is the checker's declaration when there is one, else the function of this file the name
 * denotes.
 */
function cannotReject(ctx: TsContext, call: ts.CallExpression, depth = 0): boolean {
  const ts = ctx.ts;
  if (depth > 3) return false;
  const callee = unwrap(ts, call.expression);
  // `sleep(100).then(() => socket.destroy())`: a promise that never rejects, and a handler that cannot.
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'then' && call.arguments.length === 1) {
    const source = unwrap(ts, callee.expression);
    const handler = call.arguments[0];
    const fulfilsOnly = ts.isCallExpression(source) ? neverRejects(ctx, source) : isServiceWorkerReady(ctx, source);
    if (fulfilsOnly && (ts.isArrowFunction(handler) || ts.isFunctionExpression(handler)) && !mayReject(ctx, handler.body, depth) && !asserts(ctx, handler.body)) return true;
  }
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'catch' && call.arguments.length === 1) {
    const handler = call.arguments[0];
    return (ts.isArrowFunction(handler) || ts.isFunctionExpression(handler)) && !mayReject(ctx, handler.body, depth);
  }
  const target = calleeFunction(ctx, call);
  const fn = target?.fn;
  if (!target || !fn?.body) return false;
  // The callee's own file: its names resolve there.
  const own = target.ctx;
  if (isAsyncFunction(ts, fn)) {
    if (!ts.isBlock(fn.body)) return false;
    const statements = fn.body.statements;
    // Once a `try` has caught what its awaits may throw, the sync code after it is more handling (as
    // the catch's own calls are): `try { await finished(stream) } catch {} stream.destroy()`. Before it
    // a call may still throw by design (a guard validating its input).
    const firstCatch = statements.findIndex((st) => ts.isTryStatement(st) && !!st.catchClause && own.hasAwait(st.tryBlock));
    return statements.every((st, i) => guarded(own, st, depth, firstCatch >= 0 && i > firstCatch));
  }
  // A sync function: what it returns.
  const value = onlyReturned(ts, fn);
  return !!value && ts.isCallExpression(value) && cannotReject(own, value, depth + 1);
}

/** Assertion libraries' names: their calls are made to throw (`assert.equal`, `expect(x).to…`, `x.should…`). */
const ASSERTION = /^(assert|expect|should)$/;

/** Whether a function body (its own code) calls an assertion, which throws by design when it fails. */
function asserts(ctx: TsContext, body: ts.Node): boolean {
  const ts = ctx.ts;
  let found = false;
  const check = (n: ts.Node) => {
    if (found || !ts.isCallExpression(n)) return;
    let head: ts.Expression = unwrap(ts, n.expression);
    while (ts.isPropertyAccessExpression(head) || ts.isCallExpression(head)) head = unwrap(ts, head.expression);
    if (ts.isIdentifier(head) && ASSERTION.test(head.text)) found = true;
    else if (ctx.resolve(n.expression)?.startsWith('assert')) found = true;
  };
  check(body);
  ctx.walkOwn(body, check);
  return found;
}

/**
 * Promises that settle only by fulfilling: `Promise.resolve(value)` of a value that is no promise,
 * `Promise.allSettled(…)`, a timer of `timers/promises` (`setTimeout`, `setImmediate`) given no
 * options (only an aborted `signal` makes one reject), also as `promisify(setTimeout)` bound to a
 * name; `Promise.all`/`race`/`any` of a list of such promises; and a call of a function that returns
 * a `new Promise` whose executor takes no `reject` and only hands `resolve` on (`waitFor(emitter,
 * event)`: `new Promise((resolve) => emitter.once(event, resolve))`).
 */
function neverRejects(ctx: TsContext, call: ts.CallExpression, depth = 0): boolean {
  const ts = ctx.ts;
  const name = ctx.resolve(call.expression);
  if (name === 'Promise.allSettled') return true;
  if ((name === 'Promise.all' || name === 'Promise.race' || name === 'Promise.any') && depth < 3) {
    const list = call.arguments.length === 1 ? unwrap(ts, call.arguments[0]) : undefined;
    return !!list && ts.isArrayLiteralExpression(list) && list.elements.length > 0 && list.elements.every((e) => {
      const element = unwrap(ts, e);
      return ts.isCallExpression(element) && neverRejects(ctx, element, depth + 1);
    });
  }
  if (resolvesOnly(ctx, call)) return true;
  if (name === 'Promise.resolve') {
    const value = call.arguments[0] && unwrap(ts, call.arguments[0]);
    return !value || !mayBePromise(ctx, value);
  }
  if (name === 'timers.promises.setTimeout') return call.arguments.length < 3;
  if (name === 'timers.promises.setImmediate') return call.arguments.length < 2;
  const callee = unwrap(ts, call.expression);
  if (!ts.isIdentifier(callee) || call.arguments.length > 2) return false;
  const declaration = ctx.declarationOf(callee);
  if (!declaration || !ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name) || !declaration.initializer) return false;
  const init = unwrap(ts, declaration.initializer);
  const flags = ts.getCombinedNodeFlags(declaration);
  if (!(flags & ts.NodeFlags.Const) || !ts.isCallExpression(init) || init.arguments.length !== 1) return false;
  const promisify = ctx.resolve(init.expression);
  const timer = unwrap(ts, init.arguments[0]);
  return promisify === 'util.promisify' && ts.isIdentifier(timer) && ctx.resolve(timer) === 'setTimeout';
}

/**
 * A call of a function whose whole body returns `new Promise(executor)`, the executor taking only
 * `resolve` (so nothing it does calls a `reject`) and doing nothing but hand `resolve` to calls as a
 * callback (`emitter.once(event, resolve)`, `server.close(resolve)`, `setTimeout(resolve, ms)`).
 */
function resolvesOnly(ctx: TsContext, call: ts.CallExpression): boolean {
  const ts = ctx.ts;
  const target = calleeFunction(ctx, call);
  const fn = target?.fn;
  if (!target || !fn?.body || isAsyncFunction(ts, fn)) return false;
  const created = onlyReturned(ts, fn);
  if (!created || !ts.isNewExpression(created) || target.ctx.resolve(created.expression) !== 'Promise' || created.arguments?.length !== 1) return false;
  const executor = unwrap(ts, created.arguments[0]);
  if (!(ts.isArrowFunction(executor) || ts.isFunctionExpression(executor)) || executor.parameters.length !== 1) return false;
  const resolve = executor.parameters[0].name;
  if (!ts.isIdentifier(resolve)) return false;
  const handsOn = (e: ts.Expression): boolean => {
    const c = unwrap(ts, e);
    if (!ts.isCallExpression(c) || !c.arguments.some((a) => ts.isIdentifier(a) && a.text === resolve.text)) return false;
    // The call hands `resolve` on and nothing else of it may throw: its callee and other arguments are names, members or literals.
    const plain = (x: ts.Expression): boolean => ts.isIdentifier(x) || ts.isLiteralExpression(x) || (ts.isPropertyAccessExpression(x) && plain(x.expression)) || x.kind === ts.SyntaxKind.ThisKeyword;
    return plain(c.expression) && c.arguments.every(plain);
  };
  const body = executor.body;
  if (!ts.isBlock(body)) return handsOn(body as ts.Expression);
  return body.statements.length > 0 && body.statements.every((st) => ts.isExpressionStatement(st) && handsOn(st.expression));
}

/**
 * Whether a call may throw. Not a call of an async function (its failure is the promise it returns:
 * awaited, the `await` counts; dropped, that call is a finding of its own), nor one that cannot
 * (`callThatCannotThrow`), nor one of a sync function of the project whose own code cannot throw.
 */
function callMayThrow(ctx: TsContext, call: ts.CallExpression): boolean {
  const target = calleeFunction(ctx, call);
  if (target && isAsyncFunction(ctx.ts, target.fn)) return false;
  if (callThatCannotThrow(ctx, call)) return false;
  return !(target && syncFunctionCannotThrow(ctx, target));
}

/**
 * The function a call runs, with the context of the file that holds it: the checker's declaration
 * when there is a program; else the function of this file the name denotes, or one of a project
 * module the file imports by a relative path (`import { waitFor } from './support/util'`, a
 * `require`), read as AW202 reads it (`ProjectView`).
 */
function calleeFunction(ctx: TsContext, call: ts.CallExpression): { fn: FunctionLike; ctx: TsContext } | undefined {
  const ts = ctx.ts;
  const declaration = ctx.checker?.getResolvedSignature(call)?.getDeclaration();
  if (declaration && isFunctionLike(ts, declaration) && declaration.body) {
    const file = declaration.getSourceFile();
    return { fn: declaration, ctx: file === ctx.sourceFile ? ctx : reached(ctx, viewOf(ctx).contextOf(file, true)) };
  }
  const local = ctx.localFunction(call.expression);
  if (local) return { fn: local, ctx };
  if (ctx.checker) return undefined;
  const imported = viewOf(ctx).callee(ctx, call);
  return imported && { fn: imported.fn, ctx: reached(ctx, imported.ctx) };
}

/** One view of the project per analysed file, shared by the contexts of the modules it reaches. */
const views = new WeakMap<TsContext, ProjectView>();

function viewOf(ctx: TsContext): ProjectView {
  let view = views.get(ctx);
  if (!view) {
    view = new ProjectView(ctx);
    views.set(ctx, view);
  }
  return view;
}

/** A module's context reached from `from`: it belongs to the same analysis, and its view. */
function reached(from: TsContext, ctx: TsContext): TsContext {
  if (!views.has(ctx)) views.set(ctx, viewOf(from));
  return ctx;
}

/** A statement of an async body that cannot make its promise reject. */
function guarded(ctx: TsContext, st: ts.Statement, depth: number, syncCalls: boolean): boolean {
  const ts = ctx.ts;
  if (ts.isTryStatement(st) && st.catchClause) {
    // Whatever the `try` throws is caught; only a returned promise gets past the catch.
    let escapes = false;
    ctx.walkOwn(st.tryBlock, (n) => {
      if (ts.isReturnStatement(n) && n.expression && mayBePromise(ctx, n.expression)) escapes = true;
    });
    return !escapes && !mayReject(ctx, st.catchClause.block, depth) && !(st.finallyBlock && mayReject(ctx, st.finallyBlock, depth));
  }
  const throws = (n: ts.Node) => mayThrow(ctx, n, syncCalls);
  if (ts.isBlock(st)) return st.statements.every((s) => guarded(ctx, s, depth, syncCalls));
  if (ts.isIfStatement(st)) return !throws(st.expression) && guarded(ctx, st.thenStatement, depth, syncCalls) && (!st.elseStatement || guarded(ctx, st.elseStatement, depth, syncCalls));
  // `while (true) { try { … } catch { … } }`: a loop whose header cannot throw and whose body is guarded.
  if (ts.isWhileStatement(st) || ts.isDoStatement(st)) return !throws(st.expression) && guarded(ctx, st.statement, depth, syncCalls);
  if (ts.isForStatement(st)) return [st.initializer, st.condition, st.incrementor].every((e) => !e || !throws(e)) && guarded(ctx, st.statement, depth, syncCalls);
  return !throws(st);
}

/**
 * Code that may throw: a call, `new`, `await`, `throw`, `yield`, or a returned promise (nested functions
 * aside). Not a call of an async function: it never throws, its failure is the promise it returns
 * (awaited, the `await` counts; dropped, that call is a finding of its own). With `syncCallsHandle`
 * (code after a `try` that caught its awaits) sync calls and `new` are handling, as a catch's calls
 * are; an assertion still throws by design.
 */
function mayThrow(ctx: TsContext, root: ts.Node, syncCallsHandle = false): boolean {
  const ts = ctx.ts;
  const risky = (n: ts.Node) =>
    ts.isAwaitExpression(n) || ts.isThrowStatement(n) || ts.isYieldExpression(n) || (ts.isForOfStatement(n) && !!n.awaitModifier) || (ts.isReturnStatement(n) && !!n.expression && mayBePromise(ctx, n.expression)) ||
    (!syncCallsHandle && ((ts.isCallExpression(n) && callMayThrow(ctx, n)) || ts.isNewExpression(n) || ts.isTaggedTemplateExpression(n)));
  if (risky(root)) return true;
  let found = false;
  ctx.walkOwn(root, (n) => {
    if (!found && risky(n)) found = true;
  });
  return found || (syncCallsHandle && asserts(ctx, root));
}

/** Timer and microtask functions: given a function they schedule it and return; they do not call it. */
const SCHEDULERS = new Set(['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask']);
const TIMER_CLEARERS = new Set(['clearTimeout', 'clearInterval', 'clearImmediate']);
/** The global console's methods: Node's console ignores errors of its streams (`ignoreErrors`). */
const CONSOLE_METHODS = new Set(['log', 'info', 'warn', 'error', 'debug', 'trace']);

/**
 * A call that does not throw (its arguments are read on their own): the runtime scheduling a
 * function literal (`setTimeout(() => retry(), 1000)`, `process.nextTick(function () { … })`),
 * clearing a timer, writing to the global console, looking a value up in a `const` array literal
 * (`STANDARD_STREAMS.includes(stream)`); a test runner registering a test or a hook
 * (`it(title, fn)`: it keeps the function for later — unlike a suite's, which runs at once). A guard
 * before an async function's `try` made of these (`timer = setTimeout(() => reschedule(), 7000)`),
 * or a helper that only registers tests, cannot make its promise reject.
 */
function callThatCannotThrow(ctx: TsContext, call: ts.CallExpression): boolean {
  const ts = ctx.ts;
  const registers = registration(ctx, call);
  if (registers === 'test' || registers === 'hook') return true;
  const callee = unwrap(ts, call.expression);
  const first = call.arguments[0] && unwrap(ts, call.arguments[0]);
  const schedulesLiteral = !!first && (ts.isArrowFunction(first) || ts.isFunctionExpression(first));
  if (ts.isIdentifier(callee) && isGlobal(ctx, callee)) return (SCHEDULERS.has(callee.text) && schedulesLiteral) || TIMER_CLEARERS.has(callee.text);
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const receiver = unwrap(ts, callee.expression);
  if (ts.isIdentifier(receiver) && receiver.text === 'console' && isGlobal(ctx, receiver)) return CONSOLE_METHODS.has(callee.name.text);
  if (ARRAY_LOOKUPS.has(callee.name.text) && ts.isIdentifier(receiver) && isConstArray(ctx, receiver)) return true;
  return ctx.resolve(callee) === 'process.nextTick' && schedulesLiteral;
}

/**
 * `navigator.serviceWorker.ready`: the Service Workers spec's promise that waits for an active
 * worker, as long as it takes, and never rejects.
 */
function isServiceWorkerReady(ctx: TsContext, e: ts.Expression): boolean {
  const ts = ctx.ts;
  if (!ts.isPropertyAccessExpression(e) || e.name.text !== 'ready') return false;
  const container = unwrap(ts, e.expression);
  if (!ts.isPropertyAccessExpression(container) || container.name.text !== 'serviceWorker') return false;
  const navigator = unwrap(ts, container.expression);
  return ts.isIdentifier(navigator) && navigator.text === 'navigator' && isGlobal(ctx, navigator);
}

/** Array methods that run no code of the caller's (no callback, no conversion): a lookup cannot throw. */
const ARRAY_LOOKUPS = new Set(['includes', 'indexOf', 'lastIndexOf', 'at']);

/** A `const` bound to an array literal (`const STANDARD_STREAMS = [process.stdin, …]`). */
function isConstArray(ctx: TsContext, id: ts.Identifier): boolean {
  const ts = ctx.ts;
  const declaration = ctx.declarationOf(id);
  if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return false;
  return ts.isArrayLiteralExpression(runtimeValue(ts, declaration.initializer)) && !!(ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const);
}

/** Sync functions being read by `syncFunctionCannotThrow`: a recursive one is not read again (and counts as may-throw). */
const reading = new Set<FunctionLike>();
/** How deep `syncFunctionCannotThrow` follows sync calls into each other. */
const MAX_SYNC_DEPTH = 3;
/**
 * Its answers, per analysis (keyed by the analysed file's project view, which the contexts of the
 * modules it reaches share), function and depth: each helper is read once per depth, not once per
 * call path (sixty functions calling thirty helpers calling thirty more: exponential without it).
 */
const syncAnswers = new WeakMap<ProjectView, Map<FunctionLike, boolean[]>>();

/**
 * A sync function of the project whose own code cannot throw (by `mayThrow`, its calls read the
 * same way, three deep): `shouldUseSubprocessError = (error) => error?.code === '…'` and
 * `isStandardStream = (s) => STANDARD_STREAMS.includes(s)` (a lookup in a const array) are such
 * functions; `(s, known) => known.includes(s)` (a method of something unknown) is not.
 */
function syncFunctionCannotThrow(ctx: TsContext, target: { fn: FunctionLike; ctx: TsContext }): boolean {
  const ts = ctx.ts;
  const fn = target.fn;
  if (reading.size >= MAX_SYNC_DEPTH || !fn.body || isAsyncFunction(ts, fn) || fn.asteriskToken || reading.has(fn)) return false;
  const view = viewOf(ctx);
  let answers = syncAnswers.get(view);
  if (!answers) syncAnswers.set(view, (answers = new Map()));
  const byDepth = answers.get(fn) ?? [];
  answers.set(fn, byDepth);
  const known = byDepth[reading.size];
  if (known !== undefined) return known;
  reading.add(fn);
  try {
    const depth = reading.size - 1;
    return (byDepth[depth] = !mayThrow(target.ctx, fn.body));
  } finally {
    reading.delete(fn);
  }
}

/** The name is the runtime's global: declared nowhere in this program's own code (only in a `.d.ts`, with types). */
function isGlobal(ctx: TsContext, id: ts.Identifier): boolean {
  const declaration = ctx.declarationOf(id);
  return !declaration || declaration.getSourceFile().isDeclarationFile;
}

/**
 * Whether an error handler (a catch block, a `finally`, a `.catch` callback's body) can still reject:
 * it throws, returns a promise, or awaits something that may reject. Its calls are the handling.
 */
function mayReject(ctx: TsContext, body: ts.Node, depth: number): boolean {
  const ts = ctx.ts;
  const check = (n: ts.Node): boolean => {
    if (ts.isThrowStatement(n) || (ts.isForOfStatement(n) && !!n.awaitModifier) || ts.isYieldExpression(n)) return true;
    if (ts.isReturnStatement(n) && n.expression && mayBePromise(ctx, n.expression)) return true;
    // `await this.closeQuietly()`: fine when what it awaits cannot reject either.
    if (ts.isAwaitExpression(n)) {
      const awaited = unwrap(ts, n.expression);
      return !(ts.isCallExpression(awaited) && cannotReject(ctx, awaited, depth + 1));
    }
    return false;
  };
  // An arrow's expression body is its return value.
  if (!ts.isBlock(body) && mayBePromise(ctx, body as ts.Expression)) return true;
  if (check(body)) return true;
  let found = false;
  ctx.walkOwn(body, (n) => {
    if (!found && check(n)) found = true;
  });
  return found;
}

/** A returned value that may be a promise (not awaited, not a literal; with types, a thenable or unknown). */
function mayBePromise(ctx: TsContext, e: ts.Expression): boolean {
  const ts = ctx.ts;
  e = runtimeValue(ts, e);
  if (ts.isAwaitExpression(e) || ts.isLiteralExpression(e) || ts.isObjectLiteralExpression(e) || ts.isArrayLiteralExpression(e) || ts.isTemplateExpression(e)) return false;
  if (e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === 'undefined')) return false;
  return ctx.isThenable(e) ?? !isErrorValue(ctx, e);
}

/**
 * An error in hand, without types: a name a `catch` bound, or a parameter named as one (`err`,
 * `error`, `e`) — `getPrematureCloseError(subprocess, error)` returning `error` or the caught
 * `subprocessError` returns an error, not a promise.
 */
function isErrorValue(ctx: TsContext, e: ts.Expression): boolean {
  const ts = ctx.ts;
  if (!ts.isIdentifier(e)) return false;
  const declaration = ctx.declarationOf(e);
  if (!declaration) return false;
  if (ts.isVariableDeclaration(declaration) && ts.isCatchClause(declaration.parent)) return true;
  return ts.isParameter(declaration) && ts.isIdentifier(declaration.name) && ERROR_PARAMETER.test(declaration.name.text);
}

function report(ctx: TsContext, statement: ts.ExpressionStatement, call: ts.CallExpression | ts.NewExpression): void {
  const at = ctx.start(statement.expression);
  const fixes: TsFixSpec[] = [];
  if (ctx.isAsync(statement)) fixes.push({ title: rule.messages.fixAwait, safety: 'unsafe', edits: [{ start: at, end: at, newText: 'await ' }] });
  fixes.push({ title: rule.messages.fixVoid, safety: 'unsafe', edits: [{ start: at, end: at, newText: 'void ' }] });
  ctx.report(call, 'floating', { callee: calleeName(ctx, call) }, fixes);
}

function calleeName(ctx: TsContext, call: ts.CallExpression | ts.NewExpression): string {
  const text = `${ctx.ts.isNewExpression(call) ? 'new ' : ''}${ctx.textOf(call.expression).replace(/\s+/g, '')}`;
  return text.length > 40 ? `…${text.slice(-39)}` : text;
}
