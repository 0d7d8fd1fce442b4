/**
 * AW401 sequential-await-in-loop: a `for` loop or a comprehension in a coroutine that awaits one
 * independent call per item, so N round trips run one after another where they could overlap.
 *
 * Precision comes first: the rule only fires when the loop body has exactly one suspension point,
 * an awaited call on data derived from the loop variable, and nothing that makes the order
 * matter or the overlap useless — a value carried from one iteration to the next, an early exit
 * (assertions included), per-item error handling, ordered writes to a shared stream, one
 * connection that serializes the calls anyway, callbacks run in registration order, an order the
 * code chose (`reversed`, `sorted`), a lock held around the loop, a tiny literal list of steps —
 * and never in test or benchmark code, whose sequence is deliberate (core/testCode.ts).
 */
import type { Node } from 'web-tree-sitter';
import { ancestors } from '../python/ancestors';
import type { TextEdit } from '../core/finding';
import { formatMessage } from '../core/rule';
import { projectPath } from '../core/testCode';
import type { FixSpec, PythonContext } from '../python/context';
import { boundLocally, enclosingClassName } from '../python/project';
import {
  attributesRead,
  changedIn,
  enclosingWithItems,
  excerpt,
  holdsComment,
  leavesEarly,
  mayNotBeCoroutine,
  namesRead,
  rootName,
  statementsOf,
  suspensionPoints,
  targetNames,
} from '../python/concurrency-shape';
import type * as ts from 'typescript';
import { walkTree } from '../typescript/walk';
import { isAsyncFunction, isFunctionLike, runtimeValue, type TsContext, type TsFixSpec } from '../typescript/context';
import { defineRule } from './define';

/** How many calls the bounded fix lets run at once. */
const BOUND = 10;

/**
 * Methods whose calls are ordered effects on the object they are called on: writes to a stream,
 * socket, queue or database, messages to one chat, registration into shared state. Called on a
 * shared receiver in a loop, their order is the point; on the loop's own item they are not.
 */
const ORDERED_METHOD =
  /^(write|writelines|write_eof|drain|send|sendall|sendto|sendmsg|sendfile|put|execute|executemany|executescript|commit|rollback|flush|publish|emit|insert|insert_one|insert_many|update_one|update_many|delete_one|delete_many|replace_one|ack|nack|reject|acquire|release|feed_data|feed_eof|fetchrow|fetchval|fetchall|fetchone|fetchmany|scalar|scalars|refresh|merge|answer|reply|respond|set|hset|lpush|rpush|xadd|add|remove|delete|push|append|dispatch|notify)$|^(send|write|put|publish|emit|reply|answer|respond|edit|forward|copy|delete|remove|add|insert|update|register|unregister|load|unload|push|append|dispatch|notify|call|start|stop|launch|spawn|connect|login|identify)(_|$)/;
/** Receivers that are one connection or stream: concurrent calls on them interleave or fail ("another operation is in progress"). */
const SHARED_RESOURCE = /(^|_)(conn|connection|cursor|cur|db|database|tx|txn|trx|transaction|writer|stream|sock|socket|ws|websocket|transport|protocol|proto|pipe|queue|channel|redis|pipeline|pubsub|pub_sub|fp|fh|file)\d*$/i;
/**
 * Methods that make the item act rather than be worked on: lifecycle steps (`site.start()`,
 * `runner.cleanup()`, `router.emit_startup()`) and dispatch (`handler.call(event)`). Components
 * start, stop and handle events in registration order by contract.
 */
const ITEM_ACTS = /^(start|stop|startup|shutdown|setup|teardown|cleanup|clean_up|initialize|init|launch|run|serve|call|trigger|dispatch|fire|handle|invoke|emit|notify|process|apply)$|^(emit|on|fire|trigger|dispatch|handle|invoke|notify|start|stop)_/;
/** Registries of callbacks, run in order: `for trace in traces`, `for handler in self.handlers`. */
const CALLBACK_REGISTRY = /handler|hook|callback|listener|middleware|trace|router|signal|plugin|extension|observer|interceptor|receiver|subscriber|filter|validator|migration/i;
/** Methods that wait for work already running on the item (`await proc.wait()`): the loop only collects. */
const WAITS_ON_RUNNING = /^(wait|wait_closed|join|result|exception|wait_for|wait_until_ready|wait_started|wait_stopped)$/;
/** asyncio calls that wait rather than work; awaiting them in a loop is not serialized work. */
const WAITING_PRIMITIVES = new Set(['asyncio.sleep', 'asyncio.wait', 'asyncio.gather', 'asyncio.as_completed', 'asyncio.tasks.sleep', 'asyncio.tasks.wait', 'asyncio.tasks.gather']);
/** Wrappers whose first argument is the work itself (a coroutine call) or work already running (a task). */
const WRAPPERS = new Set(['asyncio.wait_for', 'asyncio.shield', 'asyncio.tasks.wait_for', 'asyncio.tasks.shield']);
/** A `with` around the loop that serializes on purpose. */
const SERIALIZING_CONTEXT = /lock|sema|mutex|limit|throttl|transaction|atomic|serial/i;
/** Writes into an ordered buffer or stream before the await. */
const BUFFER_WRITES = /^(append|appendleft|extend|insert|write|writelines|put_nowait|send_nowait)$/;
/** Collection methods that take the awaited value as their only argument. */
const COLLECTORS = new Set(['append', 'add', 'appendleft']);

const rule = defineRule({
  code: 'AW401',
  name: 'sequential-await-in-loop',
  languages: ['python', 'typescript'],
  severity: 'hint',
  inTests: false,
  aliases: [],
  fixable: 'sometimes',
  summary: 'A for loop or comprehension awaits independent work one item at a time instead of running it concurrently.',
  messages: {
    loop: '`await {callee}(…)` runs once per item of `{items}`, each call waiting for the previous one: the calls are independent, so run them concurrently with `asyncio.gather` or a `TaskGroup`.',
    comprehension: 'This comprehension awaits `{callee}(…)` for each item of `{items}` one after another: the calls are independent, so run them concurrently with `asyncio.gather`.',
    fixGather: 'Run the calls concurrently with `asyncio.gather` (changes order and failure behaviour)',
    fixTaskGroup: 'Run the calls concurrently in an `asyncio.TaskGroup` (changes order and failure behaviour)',
    tsLoop: '`await {callee}(…)` runs once per item of `{items}`, each call waiting for the previous one: the calls are independent, so run them concurrently with `Promise.all`.',
    fixPromiseAll: 'Run the calls concurrently with `Promise.all` (changes order and failure behaviour)',
    fixBounded: 'Run the calls concurrently, at most {bound} at a time, with an `asyncio.Semaphore`',
  },
  docs: `## What it does
Flags a \`for\` loop (not \`async for\`) or a list, set or dict comprehension in an \`async def\` that
awaits one call per item, where the call works on the item (\`await fetch(url)\` for each \`url\`) and
nothing ties one iteration to the next.

It flags only where the iterations are independent and the awaited work gains from running
concurrently: requests to different targets or keys through a pool, a session or a client, or a
fresh call per item. It stays silent when the order is part of the meaning, or when overlapping the
calls would gain nothing:
- a value carried from one iteration to the next (\`offset = await page(offset)\`, a counter or a
  list the call reads), or any \`break\`, \`return\`, \`raise\` or \`yield\` in the loop (early exit on a
  result, \`if await check(x): break\`);
- assertions: \`assert …\` or an \`assert*\` call (\`self.assertEqual(…)\`) in the loop, or a
  comprehension whose values feed one (\`assert [await r.get(k) for k in keys] == …\`). A loop of checks
  reads state to verify it and stops at the first failing item, like an \`if …: raise\`;
- more than one suspension point per iteration: a second await, a rate-limiting
  \`await asyncio.sleep(…)\`, \`async with lock:\` or a semaphore inside the loop;
- one connection, whatever the method: every call goes over one wire or database session that
  serializes them anyway (and many drivers refuse overlapping calls). That is a receiver that does not
  vary with the item and is named as one (\`conn\`, \`cursor\`, \`ws\`, \`writer\`, \`pipe\`, \`tx\`/\`trx\`…),
  or was obtained in the function from a connection factory (\`conn = await pool.acquire()\`,
  \`async with engine.begin() as conn\`, \`reader, writer = await asyncio.open_connection(…)\`,
  \`pipe = redis.pipeline()\`, \`ws = await session.ws_connect(…)\`), or is annotated as one
  (\`conn: asyncpg.Connection\`, \`writer: asyncio.StreamWriter\`), or is \`self\` in a class named as one
  (\`class Pipeline\`, \`class H2Protocol\`; a local alias such as \`run = self.execute_command\` counts as
  \`self\`). A pool, a \`ClientSession\` or a client that spreads calls over connections is none of these,
  and is flagged;
- one command sent to every object of a group: \`for ws in sockets: await ws.close()\`,
  \`await observer.notify(event)\`, \`await ws.send_str(message)\` — a call on the item whose arguments hold
  nothing of the item and whose result is not used. That is teardown, notification or broadcast over
  objects the program holds, often ordered by protocol, not work on the items. A per-item call whose
  result the loop collects (\`infos.append(await node.info())\`) or whose arguments vary with the
  item (\`await ws.send_str(render(ws.user))\`) is still flagged;
- a coroutine that never suspends: an \`async def\` of the file (nested, module-level, or a method of
  the class for \`self.f(…)\`) with no \`await\`, \`async for\` or \`async with\` of its own runs to the end
  when awaited, so gathering the calls would still run them one after another;
- ordered effects on one shared object: \`write\`/\`drain\`, \`send*\`, \`put\`, \`execute\`, \`commit\`,
  \`publish\`, \`add_*\`/\`remove_*\`/\`load_*\`… on a receiver that is not the item;
- an order the code chose: iterating \`reversed(…)\` or \`sorted(…)\`, or a collection named as an order
  (\`drop_order\`, \`steps\`, \`stages\`, \`sequence\`);
- callbacks run in registration order (\`for handler in handlers: await handler(event)\`), and waits
  on work that is already running (\`await task\`, \`await proc.wait()\`, \`await asyncio.sleep(d)\`);
- awaits inside a \`try\` in the loop: per-item error handling means one failure must not stop the
  others, which \`gather\` would change (it needs \`return_exceptions=True\` and a rewrite by hand);
- a loop inside \`with lock:\`/\`async with semaphore:\`/a transaction, \`async for\`, \`while\` loops, loops
  whose awaited call does not use the loop variable (retries, \`for _ in range(3)\`), and loops over a
  short fixed list of steps: a literal of fewer than five items, a string of fewer than five
  characters, \`range(n)\` with \`n\` < 5, or a name bound once to such a literal and never changed in
  place (\`METHODS = ("POST", "PUT", "PATCH", "DELETE")\` at module level or in the function);
- test and benchmark code. A test awaits one step after another on purpose: the sequence is what
  it checks, its setup must be deterministic, and its run time is not the product's; a benchmark's
  sequence is what it measures. These are files named the way test runners collect them
  (\`test_*.py\`, \`*_test.py\`, \`conftest.py\`, \`*.test.ts\`, \`*.spec.js\`, \`*.test-d.ts\`…) or \`bench*\`, and
  files under a \`test\`, \`tests\`, \`testing\`, \`__tests__\`, \`spec(s)\`, \`e2e\` or \`bench(mark)(s)\` folder
  of their project (read from the project root; a \`fixtures\` folder inside a test suite is a sample
  project and is read from there). Test code still gets every other rule.

In TS/JS: a \`for…of\` loop (not \`for await\`) over any iterable — a name, a parameter, a call's result
(\`fs.readdirSync(dir)\`), an awaited one (\`await listFiles(root)\`) — or a classic index loop over an
array-like (\`for (let i = 0; i < parts.length; i++)\`, also \`++i\`, \`i += 1\`, \`i <= xs.length - 1\` and
\`let i = 0, n = xs.length; i < n\`; not a count, another stride, nor a body that pairs \`xs[i]\` with
\`xs[i + 1]\` or \`xs[i - 1]\`) in an \`async\` function whose body has one \`await\`, of a call on the loop's
item (for an index loop: on the index, such as \`parts[i]\`), with the same exclusions: no \`break\`/\`return\`/\`throw\`/\`try\` in the body, no assertion
(\`assert(…)\`, \`assert.equal(…)\`, \`expect(…).toBe(…)\`), no outer variable assigned, no pacing call
(\`sleep\`, \`delay\`, \`setTimeout\`…), no sub-test (\`await t.test(name, async (t) => …)\`, \`t.step\`,
\`it\`/\`describe\` given a function: runners run sub-tests in order and report each), no ordered writes to
one shared resource, no database statement on a receiver that is not the item (\`runner.query(sql)\`,
\`knex.raw(sql)\`, \`db.exec(sql)\`, \`this.queryArray([q])\`, a function named for one such as
\`runSchemaQuery(q, knex)\`: a loop of them is a script, which one connection queues anyway and which
often relies on the statements before) nor a query built on one transaction or connection
(\`trx('monitor').where('id', m.id).update(…)\`), not in a database migration (a file under a
\`migrations\`, \`*_migrations\` or \`migrate\` folder of its project: a script of schema and data changes
run once, in order, in the migration's transaction), no single connection (named as one, declared from \`await pool.connect()\`,
\`await knex.transaction()\`, \`redis.pipeline()\`…, typed — by annotation or by the checker — as a
socket, stream, pipeline, transaction, pool client or cursor, or \`this\` in a class named as one), no
command sent alike to every item (\`for (const ws of sockets) await ws.close();\`), no \`async\` callee that
never suspends (no \`await\` and no returned value: found through the checker, or in the file), no
registry of callbacks, no
\`.reverse()\`/\`.toSorted()\` order nor a collection named as one (\`dropOrder\`, \`steps\`), no short literal list of steps (an array literal of fewer than five
items, or a \`const\` bound to one, \`as const\` or not), and not in test or benchmark files.

**A hint by default** (the CLI reports it with \`--hints\` or when the rule is named): whether a loop
*should* overlap its calls depends on what the calls do to each other, which the code rarely says. On
the ecosystem check ([docs/ecosystem.md](../ecosystem.md)) it was right 3 times in 22 decided findings
(2 of 20 in Python, 1 of 2 in TS/JS), with 11 more debatable: the rest ran on one connection (a
single-connection SQLite pool, one transaction), relied on the order, or awaited calls that do not
suspend. Turn it on
when reviewing a service's latency: each finding is worth a look, not an automatic rewrite.

## Why is this bad?
Each \`await\` waits for its call to finish before the next one starts. Twenty HTTP requests of 100 ms
take two seconds in a loop and about 100 ms with \`asyncio.gather\`: the code is async but the work is
serialized.

## Example
\`\`\`py
async def fetch_all(session, urls):
    pages = []
    for url in urls:
        pages.append(await session.get(url))
    return pages
\`\`\`
\`\`\`ts
export async function fetchAll(urls: string[]): Promise<Response[]> {
  const pages: Response[] = [];
  for (const url of urls) {
    pages.push(await fetch(url));
  }
  return pages;
}
\`\`\`

## Use instead
\`\`\`py
import asyncio

async def fetch_all(session, urls):
    return await asyncio.gather(*(session.get(url) for url in urls))
\`\`\`

With many items, bound the concurrency so the server (or your own sockets) is not flooded:

\`\`\`py
import asyncio

async def fetch_all(session, urls):
    semaphore = asyncio.Semaphore(10)

    async def get_limited(url):
        async with semaphore:
            return await session.get(url)

    return await asyncio.gather(*(get_limited(url) for url in urls))
\`\`\`

\`\`\`ts
export async function fetchAll(urls: string[]): Promise<Response[]> {
  return Promise.all(urls.map((url) => fetch(url)));
}
\`\`\`

## Fix safety
In TS/JS (\`for…of\` loops only; none for index loops) the fix (unsafe, same reasons) rewrites \`for (const x of xs) await f(x);\` as
\`await Promise.all(xs.map((x) => f(x)));\` (\`Array.from(xs, …)\` when \`xs\` is not known to be an array) and
\`out.push(await f(x))\` as \`out.push(...(await Promise.all(…)))\`: \`Promise.all\` rejects on the first failure
and leaves the other calls running.
The fixes are offered for the simple shapes only — \`for x in xs: await f(x)\`,
\`for x in xs: out.append(await f(x))\` and \`[await f(x) for x in xs]\` — and are unsafe: the calls
overlap and finish in any order (results keep the input order), they may contend for shared state
or hit a rate limit, and failures behave differently. The loop stops at the first failure and never
starts the rest; \`asyncio.gather\` starts every call, raises the first exception and leaves the
others running. On Python 3.11+ a \`TaskGroup\` form is offered too when the results are not used: it
cancels the others on a failure and raises an \`ExceptionGroup\` (\`except SomeError\` around it must
become \`except*\`), and \`create_task\` accepts only coroutines — not futures, nor awaitables such as
aiohttp's \`session.get(…)\` — which is why \`gather\` comes first. The bounded fix runs at most ${BOUND}
calls at a time through an \`asyncio.Semaphore\` and a small helper coroutine. No \`gather\` fix is
offered when the loop variable is read outside the loop (a generator expression does not bind it),
nor any fix when a comment inside the loop would be lost.
`,
  typescriptNeeds: ['async', 'await'],
  typescript(ctx) {
    detectTypeScript(ctx);
  },
  python(ctx) {
    const seen = new Set<number>();
    for (const match of ctx.matchesInAsync('(await) @await')) {
      const awaitNode = match.captures[0].node;
      if (!ctx.isAsync(awaitNode)) continue;
      const candidate = innermostIteration(awaitNode);
      if (!candidate || seen.has(candidate.startIndex)) continue;
      seen.add(candidate.startIndex);
      if (candidate.type === 'for_statement') checkLoop(ctx, candidate);
      else checkComprehension(ctx, candidate);
    }
  },
});
export default rule;

/** The `for` statement or comprehension whose per-item part holds the await (not its iterable), if any. */
function innermostIteration(awaitNode: Node): Node | undefined {
  let child: Node = awaitNode;
  for (const n of ancestors(awaitNode)) {
    switch (n.type) {
      case 'function_definition':
      case 'lambda':
      case 'class_definition':
      case 'while_statement':
      case 'generator_expression':
        return undefined;
      case 'for_statement':
        if (n.childForFieldName('body')?.equals(child)) return n;
        break;
      case 'list_comprehension':
      case 'set_comprehension':
      case 'dictionary_comprehension':
        // In the element (`body`) or a filter, not in a `for … in <iterable>` clause evaluated once.
        if (child.type !== 'for_in_clause') return n;
        break;
    }
    child = n;
  }
  return undefined;
}

/** What the awaited call does, once it is known to be per-item work: for messages and fixes. */
interface Work {
  /** The awaited call as written (may be `asyncio.wait_for(f(x), 5)`). */
  readonly call: Node;
  /** The call doing the work (`f(x)` in the wait_for example): names the helper of the bounded fix. */
  readonly inner: Node;
}

function checkLoop(ctx: PythonContext, loop: Node): void {
  if (loop.child(0)?.type === 'async' || loop.childForFieldName('alternative')) return;
  const left = loop.childForFieldName('left');
  const right = loop.childForFieldName('right');
  const body = loop.childForFieldName('body');
  if (!left || !right || !body) return;
  const vars = targetNames(left);
  if (!vars || explicitOrder(right) || callbackRegistry(vars, right)) return;
  const points = suspensionPoints(ctx, body);
  if (points.length !== 1 || !points[0].isAwait) return;
  const awaitNode = points[0].node;
  const place = placeOf(awaitNode);
  if (!place) return;

  // The awaiting statement sits in the loop body, or in a filter `if` (no elif/else) directly in it.
  const statements = statementsOf(body);
  let top = place.statement;
  const container = top.parent;
  let preamble: Node[];
  if (container?.equals(body)) {
    preamble = statements.slice(0, statements.findIndex((s) => s.equals(top)));
  } else {
    const filter = container?.parent;
    if (!filter || filter.type !== 'if_statement' || filter.childForFieldName('alternative') || !filter.parent?.equals(body)) return;
    const inner = statementsOf(container!);
    preamble = [...statements.slice(0, statements.findIndex((s) => s.equals(filter))), ...inner.slice(0, inner.findIndex((s) => s.equals(top)))];
    top = filter;
  }
  if (leavesEarly(ctx, loop, body)) return;

  // Names computed from the item in this iteration (derived) and names that are the same every
  // iteration (fresh): the call may read both. Anything else the body changes is loop-carried.
  const changed = changedIn(ctx, body);
  const fresh = new Set<string>(vars);
  const derived = new Set<string>(vars);
  for (const s of preamble) {
    const binding = preambleBinding(s);
    if (binding === 'reject') return;
    if (!binding) continue;
    const reads = namesRead(ctx, binding.value);
    const carried = [...reads].some((n) => changed.names.has(n) && !fresh.has(n));
    for (const name of binding.names) {
      if (carried || (changed.bindings.get(name) ?? 0) > 1) continue;
      fresh.add(name);
      if ([...reads].some((n) => derived.has(n))) derived.add(name);
    }
  }
  // `await` with nothing after it yet (half-typed code): nothing to gather.
  const call = awaitNode.namedChild(0);
  if (!call) return;
  const reads = namesRead(ctx, call);
  if ([...reads].some((n) => changed.names.has(n) && !fresh.has(n))) return;
  if ([...attributesRead(ctx, call)].some((a) => changed.attributes.has(a))) return;
  const work = perItemWork(ctx, call, derived, place.shape === 'bare');
  if (!work || serializedByContext(loop)) return;
  if (place.shape === 'value' && !valueUsedInBody(ctx, place.statement, body)) return;
  // Last: through a name, this looks the name's binding up (a query over the function or module).
  if (smallLiteral(ctx, right)) return;

  const fixes = place.shape !== 'value' && statements.length === 1 && top.equals(place.statement) ? loopFixes(ctx, loop, left, right, work, place, vars) : [];
  ctx.report(awaitNode, 'loop', { callee: calleeName(work.inner), items: excerpt(right.text, 30) }, fixes);
}

function checkComprehension(ctx: PythonContext, comp: Node): void {
  const clauses = comp.namedChildren.filter((c): c is Node => c !== null && (c.type === 'for_in_clause' || c.type === 'if_clause'));
  const fors = clauses.filter((c) => c.type === 'for_in_clause');
  if (fors.length !== 1 || fors[0].child(0)?.type === 'async') return;
  const clause = fors[0];
  const left = clause.childForFieldName('left');
  const right = clause.childForFieldName('right');
  let element = comp.childForFieldName('body');
  if (!left || !right || !element) return;
  if (element.type === 'pair') element = element.childForFieldName('value');
  if (element?.type !== 'await' || element.namedChild(0)?.type !== 'call') return;
  const vars = targetNames(left);
  if (!vars || explicitOrder(right) || callbackRegistry(vars, right) || feedsAssertion(comp)) return;
  // One suspension point per item: the element's await (the iterable is evaluated once, before).
  const points = suspensionPoints(ctx, comp).filter((p) => !(p.node.startIndex >= right.startIndex && p.node.endIndex <= right.endIndex));
  if (points.length !== 1 || !points[0].node.equals(element)) return;
  const work = perItemWork(ctx, element.namedChild(0)!, new Set(vars), false);
  if (!work || serializedByContext(comp)) return;
  if (smallLiteral(ctx, right)) return;
  const fixes = comp.type === 'list_comprehension' && clauses[0].equals(clause) ? comprehensionFixes(ctx, comp, element, clause, work, vars) : [];
  ctx.report(element, 'comprehension', { callee: calleeName(work.inner), items: excerpt(right.text, 30) }, fixes);
}

/**
 * `ret = await f(x)` whose `ret` nothing in the loop reads: only the last value survives the loop
 * (a benchmark, or calls made for their effect), not results to collect.
 */
function valueUsedInBody(ctx: PythonContext, statement: Node, body: Node): boolean {
  const target = statement.namedChild(0)?.childForFieldName('left');
  if (target?.type !== 'identifier') return true;
  const after = ctx.captures('(identifier) @id', body).filter((c) => c.node.startIndex >= statement.endIndex && c.node.text === target.text);
  return after.length > 0;
}

interface Place {
  /** The statement holding the await. */
  readonly statement: Node;
  /** `await f(x)` alone, `out.append(await f(x))`, or the value used otherwise (`y = await f(x)`). */
  readonly shape: 'bare' | 'collect' | 'value';
  readonly collector?: { receiver: Node; method: string };
}

/** Where the await may stand: a statement of its own, a collector's only argument, or an assignment's value. */
function placeOf(awaitNode: Node): Place | undefined {
  const parent = awaitNode.parent;
  if (!parent) return undefined;
  if (parent.type === 'expression_statement') return { statement: parent, shape: 'bare' };
  if (parent.type === 'assignment' && parent.childForFieldName('right')?.equals(awaitNode) && parent.parent?.type === 'expression_statement') {
    return { statement: parent.parent, shape: 'value' };
  }
  if (parent.type === 'argument_list' && parent.namedChildCount === 1) {
    const collect = parent.parent;
    const fn = collect?.childForFieldName('function');
    const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
    const receiver = fn?.childForFieldName('object');
    if (collect?.parent?.type === 'expression_statement' && method && COLLECTORS.has(method) && receiver) {
      return { statement: collect.parent, shape: 'collect', collector: { receiver, method } };
    }
  }
  return undefined;
}

/**
 * A statement before the await may compute from the item (`url = base + x`), log, filter
 * (`if not x.enabled: continue`) or mutate a container (`seen.add(x)`). Assigning an attribute or
 * an item first changes state the call may read: the order then matters.
 */
function preambleBinding(s: Node): { names: string[]; value: Node } | 'reject' | undefined {
  if (s.type === 'pass_statement') return undefined;
  if (s.type === 'if_statement') {
    const consequence = s.childForFieldName('consequence');
    const only = consequence ? statementsOf(consequence) : [];
    return !s.childForFieldName('alternative') && only.length === 1 && only[0].type === 'continue_statement' ? undefined : 'reject';
  }
  if (s.type !== 'expression_statement') return 'reject';
  const e = s.namedChild(0);
  if (e?.type === 'call') {
    // `parts.append(header)` before and after the await: the result is placed in an ordered buffer.
    const fn = e.childForFieldName('function');
    const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text ?? '' : '';
    return BUFFER_WRITES.test(method) ? 'reject' : undefined;
  }
  if (e?.type !== 'assignment') return 'reject';
  const target = e.childForFieldName('left');
  const value = e.childForFieldName('right');
  const names = target ? targetNames(target) : undefined;
  if (!names || !value) return 'reject';
  return { names, value };
}

/**
 * The awaited call, when it is independent work on the item: it reads a derived name, is not the
 * item itself (a callback), does not wait on already-running work, is not the same command sent to
 * every item, is not a coroutine that never suspends, and is not an ordered effect on (or a call
 * through) one shared receiver. `bare`: the await's value is not used.
 */
function perItemWork(ctx: PythonContext, call: Node, derived: ReadonlySet<string>, bare: boolean): Work | undefined {
  let inner = call;
  const outerName = ctx.resolve(call.childForFieldName('function'));
  if (outerName && WAITING_PRIMITIVES.has(outerName)) return undefined;
  if (outerName && WRAPPERS.has(outerName)) {
    // `wait_for(fetch(x), 5)` wraps the work; `wait_for(task, 5)` waits on a task already running.
    const first = call.childForFieldName('arguments')?.namedChild(0);
    if (first?.type !== 'call') return undefined;
    inner = first;
  }
  let fn = inner.childForFieldName('function');
  if (!fn) return undefined;
  const readsDerived = (n: Node): boolean => [...namesRead(ctx, n)].some((name) => derived.has(name));
  if (!readsDerived(call)) return undefined;
  if (neverSuspends(ctx, fn)) return undefined;
  if (fn.type === 'identifier') {
    if (derived.has(fn.text)) return undefined; // `await handler(event)`: callbacks in order
    // `immediate = self.immediate_execute_command` … `await immediate(…)`: a method call on `self`.
    const alias = constantValue(ctx, fn);
    if (alias?.type === 'attribute') fn = alias;
  }
  if (fn.type === 'attribute') {
    const method = fn.childForFieldName('attribute')?.text ?? '';
    const receiver = fn.childForFieldName('object');
    // An attribute without its object exists only in a tree recovered from a syntax error.
    if (!receiver) return undefined;
    if (readsDerived(receiver)) {
      if (WAITS_ON_RUNNING.test(method) || ITEM_ACTS.test(method)) return undefined;
      // `for ws in sockets: await ws.close()`, `await observer.notify(event)`: one command sent to
      // every object of a group the program holds — teardown, notification, broadcast — with
      // nothing of the item in its arguments and no result to collect. Lifecycle and event
      // plumbing, often ordered by protocol; not work on the items to overlap.
      const args = inner.childForFieldName('arguments');
      if (bare && inner === call && !(args && readsDerived(args))) return undefined;
    } else if (serializingReceiver(ctx, receiver, method)) return undefined;
  } else if (fn.type !== 'identifier' && readsDerived(fn)) {
    return undefined; // `await getattr(obj, name)()`, `await hooks[x]()`: dispatch in order
  }
  return { call, inner };
}

/**
 * A receiver that does not vary with the item and makes the calls run in order anyway: an ordered
 * effect on it (a write, a send, a commit…), or one connection — named as one, obtained from a
 * connection factory in the function, or `self` in a class named as one (`class Pipeline`,
 * `class H2Protocol`, `class RobustQueue`).
 */
function serializingReceiver(ctx: PythonContext, receiver: Node, method: string): boolean {
  if (ORDERED_METHOD.test(method)) return true;
  const last = receiver.type === 'attribute' ? receiver.childForFieldName('attribute')?.text : receiver.type === 'identifier' ? receiver.text : undefined;
  if (last && SHARED_RESOURCE.test(last)) return true;
  if (receiver.type === 'call' && SHARED_RESOURCE.test(rootName(receiver) ?? '')) return true;
  if (receiver.type !== 'identifier') return false;
  if (receiver.text === 'self' || receiver.text === 'cls') return SHARED_RESOURCE.test(snake(enclosingClassName(ctx.scopes, receiver.startIndex) ?? ''));
  return oneConnection(ctx, receiver);
}

/**
 * The awaited function is an `async def` of this file whose body never suspends (no `await`,
 * `async for` or `async with` of its own): awaiting it runs it to the end at once, so calls
 * gathered together would still run one after another. Found for `f(…)` (a def in the enclosing
 * functions or at module level) and `self.f(…)` (a method of the enclosing class).
 */
function neverSuspends(ctx: PythonContext, fn: Node): boolean {
  let name: string | undefined;
  let inClass: Node | undefined;
  if (fn.type === 'identifier') name = fn.text;
  else if (fn.type === 'attribute' && ['self', 'cls'].includes(fn.childForFieldName('object')?.text ?? '')) {
    name = fn.childForFieldName('attribute')?.text;
    const method = ctx.scopes.functionAt(fn.startIndex);
    inClass = method?.parent?.kind === 'class' ? method.parent.node : undefined;
    if (!inClass) return false;
  }
  if (!name) return false;
  // The def that name denotes: the innermost scope around the call (or the class) defining it.
  const holders: Node[] = [];
  if (inClass) holders.push(inClass.childForFieldName('body') ?? inClass);
  else {
    for (let s = ctx.scopes.functionAt(fn.startIndex); s; s = s.parent) if (s.kind !== 'class') holders.push(s.node.childForFieldName('body') ?? s.node);
    holders.push(ctx.root);
  }
  for (const holder of holders) {
    const def = holder?.namedChildren.map((c) => (c?.type === 'decorated_definition' ? c.childForFieldName('definition') : c)).find((c) => c?.type === 'function_definition' && c.childForFieldName('name')?.text === name);
    if (!def) continue;
    if (def.child(0)?.type !== 'async' || def.parent?.type === 'decorated_definition') return false;
    return suspensionPoints(ctx, def.childForFieldName('body') ?? def).length === 0;
  }
  return false;
}

/**
 * Calls that hand out one connection, stream, cursor, pipeline or transaction — not a pool or a
 * client that spreads calls over connections. Calls through what they return go over one wire (or
 * one database session) in order: overlapping them gains nothing, and many drivers refuse it
 * ("another operation is in progress").
 */
const CONNECTION_FACTORY = /^(connect|open_connection|open_unix_connection|ws_connect|acquire|cursor|pipeline|multi|transaction|begin|begin_nested|pubsub|get_connection|checkout)$/;
/** Annotated types that are one connection or stream (`conn: asyncpg.Connection`, `writer: asyncio.StreamWriter`). */
const CONNECTION_TYPE = /(Connection|Cursor|Pipeline|Transaction|StreamWriter|StreamReader|WebSocket\w*|Socket|PubSub)$/;
const RECEIVER_BINDINGS = `
(assignment left: (identifier) @name right: [(call function: (_) @factory) (await (call function: (_) @factory))])
(assignment left: (pattern_list (identifier) @name) right: (await (call function: (_) @factory)))
(with_item value: (as_pattern [(call function: (_) @factory) (await (call function: (_) @factory))] alias: (as_pattern_target (identifier) @name)))
(typed_parameter (identifier) @name type: (type) @annotation)
(typed_default_parameter name: (identifier) @name type: (type) @annotation)
`;

/**
 * The receiver, a local name, is one connection the function obtained or was given: bound from a
 * connection factory (`conn = await pool.acquire()`, `async with engine.begin() as conn`,
 * `reader, writer = await asyncio.open_connection(…)`, `pipe = redis.pipeline()`) or annotated
 * with a connection type. A pool, a session or a client is none of these.
 */
function oneConnection(ctx: PythonContext, receiver: Node): boolean {
  const fn = ctx.scopes.functionAt(receiver.startIndex);
  if (!fn) return false;
  const params = fn.node.childForFieldName('parameters');
  const own = (n: Node): boolean => ctx.scopes.functionAt(n.startIndex) === fn || (params !== null && n.startIndex >= params.startIndex && n.endIndex <= params.endIndex);
  for (const m of ctx.matches(RECEIVER_BINDINGS, fn.node)) {
    const name = m.captures.find((c) => c.name === 'name')?.node;
    if (name?.text !== receiver.text || !own(name)) continue;
    const factory = m.captures.find((c) => c.name === 'factory')?.node;
    const annotation = m.captures.find((c) => c.name === 'annotation')?.node;
    const called = factory?.type === 'attribute' ? factory.childForFieldName('attribute')?.text : factory?.text;
    if (called && CONNECTION_FACTORY.test(called)) return true;
    // `"asyncpg.Connection"`, `Optional[Connection]`, `Connection | None` all name the type.
    if (annotation && CONNECTION_TYPE.test(annotation.text.replace(/["'\s]/g, '').replace(/^Optional\[|\]$|\|None$/g, ''))) return true;
  }
  return false;
}

/** Inside `with lock:` / `async with semaphore:` / a transaction: serialized on purpose. */
function serializedByContext(node: Node): boolean {
  return enclosingWithItems(node).some((item) => SERIALIZING_CONTEXT.test(item.text));
}

/** Iterating over handlers, hooks, traces, middlewares…: each runs in registration order. */
function callbackRegistry(vars: readonly string[], iterable: Node): boolean {
  const last = iterable.type === 'attribute' ? iterable.childForFieldName('attribute')?.text ?? '' : iterable.type === 'identifier' ? iterable.text : '';
  return vars.some((v) => CALLBACK_REGISTRY.test(v)) || CALLBACK_REGISTRY.test(last);
}

/** Fewer items than this in a literal (or `range(n)`): a fixed list of steps, not a workload. */
const SMALL = 5;

/**
 * A literal of fewer than five items, `range(n)` with n < 5, a short string, or a name bound once to
 * such a literal (`METHODS = ("GET", "POST")` at module level or in the function): a fixed list of
 * steps, usually ordered, where concurrency saves little.
 */
function smallLiteral(ctx: PythonContext, iterable: Node): boolean {
  const items = (n: Node): Node[] => n.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
  if (['list', 'tuple', 'set', 'expression_list'].includes(iterable.type)) return items(iterable).length < SMALL;
  // Through a name: an empty literal is a container filled elsewhere, not a list of steps.
  if (iterable.type === 'identifier') {
    const value = constantValue(ctx, iterable);
    return value !== undefined && ['list', 'tuple', 'set', 'string'].includes(value.type) && value.namedChildCount > 0 && smallLiteral(ctx, value);
  }
  if (iterable.type === 'string') return iterable.text.length - 2 < SMALL;
  if (iterable.type === 'call' && iterable.childForFieldName('function')?.text === 'range') {
    const args = items(iterable.childForFieldName('arguments') ?? iterable);
    return args.length === 1 && args[0].type === 'integer' && Number(args[0].text) < SMALL;
  }
  return false;
}

const ASSIGNMENTS = '(assignment left: (identifier) @name right: (_) @value) (augmented_assignment left: (identifier) @name)';
/** Ways a container bound to a name changes in place: `xs.append(…)` (any method or attribute), `xs[i] = …`. */
const IN_PLACE = '(attribute object: (identifier) @name) (assignment left: (subscript value: (identifier) @name)) (augmented_assignment left: (subscript value: (identifier) @name))';

/**
 * The value a name is bound to once and for all: its only assignment in the enclosing function, or,
 * when the function does not bind it (no parameter, assignment, loop target…), its only assignment
 * at module level — and never changed in place there (`xs = []` filled by `xs.append(…)` is no
 * constant). Undefined otherwise.
 */
function constantValue(ctx: PythonContext, name: Node): Node | undefined {
  const fn = ctx.scopes.functionAt(name.startIndex);
  const only = (root: Node, keep: (n: Node) => boolean): Node | undefined => {
    const found = ctx.captures(ASSIGNMENTS, root).filter((c) => c.name === 'name' && c.node.text === name.text && keep(c.node));
    const assignment = found.length === 1 ? found[0].node.parent : undefined;
    if (assignment?.type !== 'assignment') return undefined;
    if (ctx.captures(IN_PLACE, root).some((c) => c.node.text === name.text)) return undefined;
    return assignment.childForFieldName('right') ?? undefined;
  };
  if (fn && fn.kind !== 'lambda') {
    const local = only(fn.node, (n) => ctx.scopes.functionAt(n.startIndex) === fn);
    if (local) return local;
    if (boundLocally(ctx.parser, ctx.scopes, name.startIndex, name.text)) return undefined;
  }
  return only(ctx.root, (n) => n.parent?.parent?.parent?.equals(ctx.root) === true);
}

/** Names that say the collection is an order to follow: `drop_order`, `steps`, `stages`, `sequence`. */
const ORDER_NAME = /(^|_)(order|ordered|sequence|steps|stages|phases)$/;

/**
 * `reversed(xs)`, `sorted(xs)`, or a collection named as an order (`for table in drop_order`): the
 * code chose the order the items are handled in, so it matters.
 */
function explicitOrder(iterable: Node): boolean {
  const fn = iterable.type === 'call' ? iterable.childForFieldName('function')?.text : undefined;
  const name = iterable.type === 'attribute' ? iterable.childForFieldName('attribute')?.text : iterable.type === 'identifier' ? iterable.text : undefined;
  return fn === 'reversed' || fn === 'sorted' || ORDER_NAME.test(snake(name ?? ''));
}

/**
 * The node's value feeds an assertion (`assert [await r.get(k) for k in keys] == […]`,
 * `self.assertEqual(…)`): it reads state to check it, a check rather than work to speed up.
 */
function feedsAssertion(node: Node): boolean {
  for (const n of ancestors(node)) {
    if (n.type === 'assert_statement') return true;
    if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
      if (name?.startsWith('assert')) return true;
    }
    if (n.type === 'block' || n.type === 'function_definition' || n.type === 'lambda' || n.type.endsWith('statement')) return false;
  }
  return false;
}

function calleeName(call: Node): string {
  return excerpt(call.childForFieldName('function')?.text ?? call.text, 40);
}

// ---------------------------------------------------------------------------------------------
// Fixes

/** The iterable as it may stand after `in` in a generator expression. */
function iterableText(right: Node): string {
  return ['expression_list', 'conditional_expression', 'lambda', 'named_expression'].includes(right.type) ? `(${right.text})` : right.text;
}

/** A name not yet used in the function (`semaphore`, `semaphore_2`, …). */
function freshName(fnText: string, base: string): string {
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}_${i}`;
    if (!new RegExp(`\\b${name}\\b`).test(fnText)) return name;
  }
}

function functionText(ctx: PythonContext, node: Node): string {
  const fn = ctx.scopes.functionAt(node.startIndex);
  return fn ? fn.node.text : ctx.source;
}

/** True when a loop variable is mentioned in the function outside the loop (a generator would not bind it). */
function varsUsedOutside(ctx: PythonContext, loop: Node, vars: readonly string[]): boolean {
  const fn = ctx.scopes.functionAt(loop.startIndex);
  const start = fn ? fn.start : 0;
  const end = fn ? fn.end : ctx.source.length;
  const outside = ctx.source.slice(start, loop.startIndex) + '\n' + ctx.source.slice(loop.endIndex, end);
  return vars.some((v) => new RegExp(`(?<![\\w.])${v}\\b`).test(outside));
}

function helperName(work: Work, fnText: string): string {
  const fn = work.inner.childForFieldName('function');
  const base = (fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text) ?? 'call';
  return freshName(fnText, `${/^\w+$/.test(base) ? base.replace(/^_+/, '') : 'call'}_limited`);
}

/**
 * A multi-line call moved `levels` indentation steps deeper (or shallower when negative): its
 * continuation lines follow, unless a triple-quoted string spans them (its text would change).
 */
function reindent(text: string, levels: number, unit: string): string {
  if (!text.includes('\n') || levels === 0 || /'''|"""/.test(text)) return text;
  return text
    .split('\n')
    .map((line, i) => {
      if (i === 0 || line.trim() === '') return line;
      if (levels > 0) return unit.repeat(levels) + line;
      return line.startsWith(unit.repeat(-levels)) ? line.slice(unit.length * -levels) : line;
    })
    .join('\n');
}

/** `semaphore = asyncio.Semaphore(10)` and the helper coroutine, each line after the first indented. */
function boundedPreamble(ctx: PythonContext, indent: string, semaphore: string, helper: string, params: string, call: Node, levels: number): { text: string; edits: TextEdit[] } {
  const sem = ctx.spell('asyncio.Semaphore');
  const unit = ctx.indentUnit();
  const eol = ctx.eol();
  const text = [
    `${semaphore} = ${sem.text}(${BOUND})`,
    '',
    `${indent}async def ${helper}(${params}):`,
    `${indent}${unit}async with ${semaphore}:`,
    `${indent}${unit}${unit}return await ${reindent(call.text, levels, unit)}`,
    '',
    indent,
  ].join(eol);
  return { text, edits: sem.edits };
}

function loopFixes(ctx: PythonContext, loop: Node, left: Node, right: Node, work: Work, place: Place, vars: readonly string[]): FixSpec[] {
  // Up to the end of the last statement: a comment trailing it stays after the replacement.
  const end = place.statement.endIndex;
  if (holdsComment(ctx, loop, end, work.call)) return [];
  const fixes: FixSpec[] = [];
  const indent = ctx.indentOf(loop);
  const unit = ctx.indentUnit();
  const eol = ctx.eol();
  const fnText = functionText(ctx, loop);
  const collect = (inner: string): string =>
    place.shape === 'collect' ? `${place.collector!.receiver.text}.${place.collector!.method === 'add' ? 'update' : 'extend'}(${inner})` : inner;
  const replaceLoop = (text: string): TextEdit => ({ start: loop.startIndex, end, newText: text });

  const gather = ctx.spell('asyncio.gather');
  const generator = (element: string): string => `(${element} for ${left.text} in ${iterableText(right)})`;
  // A generator expression does not bind the loop variable: no gather form when code outside reads it.
  const bindsAfter = varsUsedOutside(ctx, loop, vars);
  if (!bindsAfter) {
    fixes.push({
      title: rule.messages.fixGather,
      safety: 'unsafe',
      edits: [...gather.edits, replaceLoop(collect(`await ${gather.text}(*${generator(reindent(work.call.text, -1, unit))})`))],
    });
  }
  // `TaskGroup.create_task` takes coroutines only: not futures, nor awaitables such as aiohttp's
  // `session.get(…)`, which gather accepts. Hence gather first and this form second.
  if (place.shape === 'bare' && ctx.targetAtLeast(3, 11) && !mayNotBeCoroutine(work.call)) {
    const group = ctx.spell('asyncio.TaskGroup');
    const tg = freshName(fnText, 'tg');
    const text = [
      `async with ${group.text}() as ${tg}:`,
      `${indent}${unit}for ${left.text} in ${right.text}:`,
      `${indent}${unit}${unit}${tg}.create_task(${reindent(work.call.text, 1, unit)})`,
    ].join(eol);
    fixes.push({ title: rule.messages.fixTaskGroup, safety: 'unsafe', edits: [...group.edits, replaceLoop(text)] });
  }
  if (bindsAfter) return fixes;
  const semaphore = freshName(fnText, 'semaphore');
  const helper = helperName(work, fnText);
  const params = vars.join(', ');
  const pre = boundedPreamble(ctx, indent, semaphore, helper, params, work.call, 1);
  fixes.push({
    title: formatMessage(rule.messages.fixBounded, { bound: String(BOUND) }),
    safety: 'unsafe',
    edits: [...gather.edits, ...pre.edits, replaceLoop(pre.text + collect(`await ${gather.text}(*${generator(`${helper}(${params})`)})`))],
  });
  return fixes;
}

function comprehensionFixes(ctx: PythonContext, comp: Node, element: Node, clause: Node, work: Work, vars: readonly string[]): FixSpec[] {
  if (holdsComment(ctx, comp, comp.endIndex, work.call)) return [];
  const gather = ctx.spell('asyncio.gather');
  const open = comp.startIndex + 1;
  const close = comp.endIndex - 1;
  const before = ctx.source.slice(open, element.startIndex);
  const after = ctx.source.slice(element.endIndex, close);
  const wrap = (inner: string): string => (tight(comp) ? `(${inner})` : inner);
  const fixes: FixSpec[] = [
    {
      title: rule.messages.fixGather,
      safety: 'unsafe',
      edits: [...gather.edits, { start: comp.startIndex, end: comp.endIndex, newText: wrap(`await ${gather.text}(*(${before}${work.call.text}${after}))`) }],
    },
  ];
  // The bounded form needs statements before the comprehension: only where one can go.
  const statement = enclosingSimpleStatement(comp);
  if (!statement) return fixes;
  const fnText = functionText(ctx, comp);
  const semaphore = freshName(fnText, 'semaphore');
  const helper = helperName(work, fnText);
  const params = vars.join(', ');
  const pre = boundedPreamble(ctx, ctx.indentOf(statement), semaphore, helper, params, work.call, 2);
  const clauses = ctx.source.slice(clause.startIndex, close).trimEnd();
  fixes.push({
    title: formatMessage(rule.messages.fixBounded, { bound: String(BOUND) }),
    safety: 'unsafe',
    edits: [
      ...gather.edits,
      ...pre.edits,
      { start: statement.startIndex, end: statement.startIndex, newText: pre.text },
      { start: comp.startIndex, end: comp.endIndex, newText: wrap(`await ${gather.text}(*(${helper}(${params}) ${clauses}))`) },
    ],
  });
  return fixes;
}

/** `[…][0]`, `[…].x`, `f(…)` on it, `… ** 2`: where `await g(…)` would bind wrongly without parentheses. */
function tight(node: Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  return (
    (parent.type === 'attribute' && parent.childForFieldName('object')?.equals(node)) ||
    (parent.type === 'subscript' && parent.childForFieldName('value')?.equals(node)) ||
    (parent.type === 'call' && parent.childForFieldName('function')?.equals(node)) ||
    (parent.type === 'binary_operator' && parent.child(1)?.type === '**' && parent.childForFieldName('left')?.equals(node)) ||
    false
  );
}

/** The assignment, expression or return statement holding the node, when it stands directly in a block. */
function enclosingSimpleStatement(node: Node): Node | undefined {
  for (const n of ancestors(node)) {
    if (n.type === 'lambda' || n.type === 'function_definition' || n.type === 'class_definition' || n.type.endsWith('comprehension') || n.type === 'generator_expression') return undefined;
    if (n.type === 'expression_statement' || n.type === 'return_statement') return n.parent?.type === 'block' ? n : undefined;
    if (n.type.endsWith('statement') || n.type === 'block') return undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// TS/JS detector: `for (const x of xs) await f(x)`

/**
 * Calls that run a database statement (`runner.query(sql)`, `this.queryArray([q])`, `knex.raw(…)`,
 * `db.exec(sql)`, `runSchemaQuery(q, knex)`): a loop of them is a script. On one connection the driver
 * queues them anyway (pg, mysql), so `Promise.all` gains nothing; on a pool, later statements often need the
 * earlier ones (DDL, then inserts). The Python side's `execute`/`fetchrow` on one receiver, for the
 * names JavaScript drivers use.
 */
const QUERY_CALL = /(^|_)(query|raw)$|^query_/;
/** The same as methods, plus `exec` (`db.exec(sql)`); a bare `exec(cmd)` is a shell command, left to the rule. */
const QUERY_METHOD = /(^|_)(query|raw)$|^query_|^exec$/;
/**
 * A database migration's folder (`migrations/`, `knex_migrations/`, `db/migrate/`): each file is a
 * script of schema and data changes run once, in order, inside the migration's transaction.
 */
const MIGRATIONS = /^([\w.-]*[_-])?(migrations?|migrate)$/i;

/** Calls that pace a loop on purpose (rate limiting, backoff). */
const PACING = /^(sleep|delay|wait|pause|throttle|setTimeout|backoff|rateLimit|limit)$/i;
/** `sendMessage` → `send_message`, so the Python vocabularies above apply to camelCase names. */
const snake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

function detectTypeScript(ctx: TsContext): void {
  const ts = ctx.ts;
  if (projectPath(ctx.sourceFile.fileName).slice(0, -1).some((folder) => MIGRATIONS.test(folder))) return;
  for (const fn of ctx.asyncFunctionList()) {
    ctx.walkOwn(fn, (n) => {
      if (ts.isForStatement(n)) {
        // `for (let i = 0; i < parts.length; i++) await upload(parts[i])`: the same loop over `parts`.
        const loop = indexLoop(ctx, n);
        const found = loop && independentAwait(ctx, loop.items, n.statement, new Set([loop.index]));
        if (found) ctx.report(found.await, 'tsLoop', { callee: excerptTs(ctx.textOf(found.call.expression)), items: excerptTs(ctx.textOf(loop.items)) });
        return;
      }
      if (!ts.isForOfStatement(n) || n.awaitModifier || !ts.isVariableDeclarationList(n.initializer)) return;
      const decl = n.initializer.declarations[0];
      if (!decl) return;
      const loopNames = new Set<string>();
      collectNames(ts, decl.name, loopNames);
      const found = independentAwait(ctx, n.expression, n.statement, loopNames);
      if (!found) return;
      const items = ctx.textOf(n.expression);
      ctx.report(found.await, 'tsLoop', { callee: excerptTs(ctx.textOf(found.call.expression)), items: excerptTs(items) }, tsLoopFixes(ctx, n, decl, found));
    });
  }
}

/**
 * A classic index loop over an array-like: `for (let i = 0; i < xs.length; i++)` (also `++i`,
 * `i += 1`, `i = i + 1`, `i <= xs.length - 1`, `xs.length > i`, and `let i = 0, n = xs.length; i < n`),
 * with the index and the items it walks. Any other `for` (a count, a cursor, two indexes) is left alone.
 */
function indexLoop(ctx: TsContext, loop: ts.ForStatement): { index: string; items: ts.Expression } | undefined {
  const ts = ctx.ts;
  const init = loop.initializer;
  if (!init || !ts.isVariableDeclarationList(init)) return undefined;
  const first = init.declarations[0];
  if (!first || !ts.isIdentifier(first.name) || !first.initializer || !ts.isNumericLiteral(runtimeValue(ts, first.initializer))) return undefined;
  const index = first.name.text;
  // `let i = 0, n = xs.length`: the bound named once.
  const bounds = new Map<string, ts.Expression>();
  for (const d of init.declarations.slice(1)) {
    if (!ts.isIdentifier(d.name) || !d.initializer) return undefined;
    bounds.set(d.name.text, d.initializer);
  }
  const isIndex = (e: ts.Expression) => ts.isIdentifier(runtimeValue(ts, e)) && (runtimeValue(ts, e) as ts.Identifier).text === index;
  const lengthOf = (e: ts.Expression): ts.Expression | undefined => {
    let v = runtimeValue(ts, e);
    if (ts.isIdentifier(v) && bounds.has(v.text)) v = runtimeValue(ts, bounds.get(v.text)!);
    // `xs.length - 1` with `<=`.
    return ts.isPropertyAccessExpression(v) && v.name.text === 'length' ? v.expression : undefined;
  };
  const cond = loop.condition && runtimeValue(ts, loop.condition);
  if (!cond || !ts.isBinaryExpression(cond)) return undefined;
  const op = cond.operatorToken.kind;
  let items: ts.Expression | undefined;
  if (op === ts.SyntaxKind.LessThanToken && isIndex(cond.left)) items = lengthOf(cond.right);
  else if (op === ts.SyntaxKind.GreaterThanToken && isIndex(cond.right)) items = lengthOf(cond.left);
  else if (op === ts.SyntaxKind.LessThanEqualsToken && isIndex(cond.left)) {
    const r = runtimeValue(ts, cond.right);
    if (ts.isBinaryExpression(r) && r.operatorToken.kind === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(r.right) && r.right.text === '1') items = lengthOf(r.left);
  }
  if (!items) return undefined;
  const step = loop.incrementor && runtimeValue(ts, loop.incrementor);
  if (!step) return undefined;
  const increments =
    ((ts.isPostfixUnaryExpression(step) || ts.isPrefixUnaryExpression(step)) && step.operator === ts.SyntaxKind.PlusPlusToken && isIndex(step.operand)) ||
    (ts.isBinaryExpression(step) && isIndex(step.left) &&
      ((step.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken && ts.isNumericLiteral(step.right) && step.right.text === '1') ||
        (step.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isBinaryExpression(step.right) && step.right.operatorToken.kind === ts.SyntaxKind.PlusToken && isIndex(step.right.left) && ts.isNumericLiteral(step.right.right) && step.right.right.text === '1')));
  if (!increments) return undefined;
  // `xs[i + 1]`, `xs[i - 1]`: each step pairs an item with its neighbour (migrations, ranges), in order.
  let neighbour = false;
  walkTree(loop.statement, (n) => {
    if (neighbour) return false;
    if (ts.isBinaryExpression(n) && (n.operatorToken.kind === ts.SyntaxKind.PlusToken || n.operatorToken.kind === ts.SyntaxKind.MinusToken) && (isIndex(n.left) || isIndex(n.right))) neighbour = true;
    return undefined;
  });
  return neighbour ? undefined : { index, items };
}

function excerptTs(text: string): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > 40 ? `${one.slice(0, 39)}…` : one;
}

function collectNames(ts: TsContext['ts'], name: ts.BindingName, out: Set<string>): void {
  if (ts.isIdentifier(name)) out.add(name.text);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) collectNames(ts, el.name, out);
}

interface LoopAwait {
  readonly await: ts.AwaitExpression;
  readonly call: ts.CallExpression;
}

/**
 * The loop body's only await, when it is a call on the loop's item and nothing makes the order
 * matter: no early exit, no per-item try, no value carried between iterations, no pacing sleep,
 * no ordered writes to one shared resource, no registry of callbacks, no short literal list of steps.
 */
function independentAwait(ctx: TsContext, items: ts.Expression, body: ts.Statement, loopNames: Set<string>): LoopAwait | undefined {
  const ts = ctx.ts;
  if (smallLiteralTs(ctx, items) || explicitOrderTs(ts, items)) return undefined;
  if (CALLBACK_REGISTRY.test(ctx.textOf(items))) return undefined;
  const awaits: ts.AwaitExpression[] = [];
  const declaredInside = new Set<string>();
  let disqualified = false;
  ctx.walkOwn(body, (n) => {
    if (disqualified) return;
    if (ts.isAwaitExpression(n)) awaits.push(n);
    else if (ts.isForOfStatement(n) && n.awaitModifier) disqualified = true;
    else if (ts.isBreakStatement(n) || ts.isReturnStatement(n) || ts.isThrowStatement(n) || ts.isTryStatement(n) || ts.isYieldExpression(n)) disqualified = true;
    else if (ts.isContinueStatement(n) && n.label) disqualified = true;
    else if (ts.isVariableDeclaration(n)) collectNames(ts, n.name, declaredInside);
    else if (ts.isCallExpression(n) && PACING.test(calleeTail(ts, n.expression))) disqualified = true;
    // An assertion throws when its check fails: a loop of checks stops at the first failing item.
    else if (ts.isCallExpression(n) && isAssertion(ts, n)) disqualified = true;
  });
  if (disqualified || awaits.length !== 1) return undefined;
  // A value carried from one iteration to the next: an outer variable assigned in the body.
  let carried = false;
  ctx.walkOwn(body, (n) => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const root = rootIdentifier(ts, n.left);
      if (!root || !declaredInside.has(root)) carried = true;
    } else if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) {
      const root = rootIdentifier(ts, n.operand);
      if (!root || !declaredInside.has(root)) carried = true;
    }
  });
  if (carried) return undefined;
  const awaited = awaits[0];
  const call = ts.isParenthesizedExpression(awaited.expression) ? awaited.expression.expression : awaited.expression;
  if (!ts.isCallExpression(call)) return undefined;
  const name = ctx.resolve(call.expression);
  if (name && /^Promise\./.test(name)) return undefined;
  if (runsSubTest(ts, call) || neverSuspendsTs(ctx, call)) return undefined;
  // The call works on the item: the loop variable (or a name derived from it in the body) appears in it.
  const uses = new Set([...loopNames, ...declaredInside]);
  if (!mentions(ts, call, uses)) return undefined;
  if (ts.isPropertyAccessExpression(call.expression)) {
    const method = snake(call.expression.name.text);
    const receiver = call.expression.expression;
    const receiverIsItem = mentions(ts, receiver, uses);
    const receiverName = rootIdentifier(ts, receiver) ?? '';
    const receiverTail = ts.isPropertyAccessExpression(receiver) ? receiver.name.text : receiverName;
    if (!receiverIsItem && (ORDERED_METHOD.test(method) || QUERY_METHOD.test(method) || SHARED_RESOURCE.test(snake(receiverTail)) || oneConnectionTs(ctx, receiver))) return undefined;
    // `trx('monitor').where('id', m.id).update(…)`: a query built on one transaction or connection
    // runs on it, whatever the item in its arguments picks.
    const root = chainRoot(ts, receiver);
    if (root !== receiver && ts.isIdentifier(root) && !uses.has(root.text) && (SHARED_RESOURCE.test(snake(root.text)) || oneConnectionTs(ctx, root))) return undefined;
    if (receiverIsItem && ITEM_ACTS.test(method)) return undefined;
    // `for (const ws of sockets) await ws.close();`: one command sent to every object of a group —
    // teardown, notification, broadcast — with nothing of the item in its arguments and no result.
    const bare = ts.isExpressionStatement(awaited.parent) || (ts.isParenthesizedExpression(awaited.parent) && ts.isExpressionStatement(awaited.parent.parent));
    if (receiverIsItem && bare && !call.arguments.some((a) => mentions(ts, a, uses))) return undefined;
  } else if (ts.isIdentifier(call.expression) && (ORDERED_METHOD.test(snake(call.expression.text)) || QUERY_CALL.test(snake(call.expression.text)) || uses.has(call.expression.text))) {
    // `for (const step of steps) await step()`: the items are the work, run in order by design.
    return undefined;
  }
  return { await: awaited, call };
}

/**
 * A short literal list of steps, as in Python: an array literal (no spread) or a string of fewer
 * than five items, or a `const` bound to one (`const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE']`,
 * `as const` or not) that nothing changes in place.
 */
function smallLiteralTs(ctx: TsContext, e: ts.Expression): boolean {
  const ts = ctx.ts;
  const value = runtimeValue(ts, e);
  if (ts.isArrayLiteralExpression(value)) return value.elements.length < SMALL && !value.elements.some((el) => ts.isSpreadElement(el));
  if (ts.isStringLiteralLike(value)) return value.text.length < SMALL;
  if (!ts.isIdentifier(value)) return false;
  const decl = declarationOf(ctx, value);
  if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer || !(ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const)) return false;
  const init = runtimeValue(ts, decl.initializer);
  if (!(ts.isArrayLiteralExpression(init) && init.elements.length > 0) && !ts.isStringLiteralLike(init)) return false;
  return !changedInPlace(ctx, value.text, decl) && smallLiteralTs(ctx, init);
}

/** Array methods that change the array they are called on. */
const ARRAY_MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin']);

/** `xs.push(…)`, `xs[i] = …` anywhere in the scope that declares `xs`. */
function changedInPlace(ctx: TsContext, name: string, decl: ts.VariableDeclaration): boolean {
  const ts = ctx.ts;
  let scope: ts.Node = decl;
  while (scope.parent && !ts.isBlock(scope) && !ts.isSourceFile(scope) && !ts.isModuleBlock(scope)) scope = scope.parent;
  let changed = false;
  const visit = (n: ts.Node): boolean | void => {
    if (changed) return false;
    if (ts.isIdentifier(n) && n.text === name && n.parent) {
      const p = n.parent;
      if (ts.isPropertyAccessExpression(p) && p.expression === n && ARRAY_MUTATORS.has(p.name.text)) changed = true;
      if (ts.isElementAccessExpression(p) && p.expression === n && ts.isBinaryExpression(p.parent) && p.parent.left === p) changed = true;
    }
  };
  walkTree(scope, visit);
  return changed;
}

/**
 * Where a local name is declared: through the checker when there is one, else by scope — the
 * nearest enclosing function's parameters, or a `const`/`let`/`var` in an enclosing block.
 */
function declarationOf(ctx: TsContext, id: ts.Identifier): ts.VariableDeclaration | ts.ParameterDeclaration | undefined {
  const ts = ctx.ts;
  const isDecl = (d: ts.Node | undefined): d is ts.VariableDeclaration | ts.ParameterDeclaration => d !== undefined && (ts.isVariableDeclaration(d) || ts.isParameter(d));
  if (ctx.checker) {
    const d = ctx.checker.getSymbolAtLocation(id)?.valueDeclaration;
    return isDecl(d) ? d : undefined;
  }
  const named = (d: ts.VariableDeclaration | ts.ParameterDeclaration): boolean => ts.isIdentifier(d.name) && d.name.text === id.text;
  for (let n: ts.Node | undefined = id.parent; n; n = n.parent) {
    if (ts.isFunctionLike(n)) {
      const p = n.parameters.find(named);
      if (p) return p;
    }
    const statements = ts.isBlock(n) || ts.isSourceFile(n) || ts.isModuleBlock(n) ? n.statements : undefined;
    for (const st of statements ?? []) {
      if (!ts.isVariableStatement(st)) continue;
      const d = st.declarationList.declarations.find(named);
      if (d) return d;
    }
  }
  return undefined;
}

/** `xs.reverse()`, `xs.toSorted(…)`, `dropOrder`: the code chose the order the items are handled in, so it matters. */
function explicitOrderTs(ts: TsContext['ts'], e: ts.Expression): boolean {
  const value = runtimeValue(ts, e);
  if (ts.isIdentifier(value) || ts.isPropertyAccessExpression(value)) return ORDER_NAME.test(snake(ts.isIdentifier(value) ? value.text : value.name.text));
  return ts.isCallExpression(value) && ts.isPropertyAccessExpression(value.expression) && /^(reverse|sort|toReversed|toSorted)$/.test(value.expression.name.text);
}

/**
 * An assertion, which throws when its check fails: `assert(…)`, `assert.equal(…)`, `expect(…).toBe(…)`
 * (any call in a chain that starts with `expect(`), `t.assert.ok(…)`, `this.assertTrue(…)`.
 */
function isAssertion(ts: TsContext['ts'], call: ts.CallExpression): boolean {
  for (let e: ts.Expression = call.expression; ; ) {
    const name = ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : '';
    if (/^(assert|expect|should)/.test(name)) return true;
    if (ts.isPropertyAccessExpression(e)) e = e.expression;
    else if (ts.isCallExpression(e)) e = e.expression;
    else return false;
  }
}

/** Test APIs that run a block of test code given as a function. */
const SUBTEST = /^(test|it|describe|suite|context|step|subtest)$/;

/**
 * `await t.test('case', async (t) => …)`, `await t.step(…)`: a sub-test. Test runners run sub-tests
 * one after another and report each on its own; the function passed in is the loop's real body.
 */
function runsSubTest(ts: TsContext['ts'], call: ts.CallExpression): boolean {
  return SUBTEST.test(calleeTail(ts, call.expression)) && call.arguments.some((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
}

/**
 * The awaited function is an `async` function whose body never suspends (no `await` or `for await`
 * of its own, no `return` of a value that could be a pending promise): calling it runs it to the
 * end at once, so `Promise.all` would gain nothing. Found through the checker, or in this file
 * for `f(…)` and `this.f(…)`.
 */
function neverSuspendsTs(ctx: TsContext, call: ts.CallExpression): boolean {
  const ts = ctx.ts;
  let decl: ts.Node | undefined;
  if (ctx.checker) decl = ctx.checker.getResolvedSignature(call)?.declaration;
  else if (ts.isIdentifier(call.expression)) {
    const name = call.expression.text;
    for (let n: ts.Node | undefined = call.parent; n && !decl; n = n.parent) {
      const statements = ts.isBlock(n) || ts.isSourceFile(n) || ts.isModuleBlock(n) ? n.statements : [];
      decl = statements.find((st) => ts.isFunctionDeclaration(st) && st.name?.text === name);
    }
  } else if (ts.isPropertyAccessExpression(call.expression) && call.expression.expression.kind === ts.SyntaxKind.ThisKeyword) {
    const name = call.expression.name.text;
    decl = ts.findAncestor(call, ts.isClassLike)?.members.find((m) => ts.isMethodDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === name);
  }
  if (!decl || !isFunctionLike(ts, decl) || !decl.body || !isAsyncFunction(ts, decl)) return false;
  if (ctx.hasAwait(decl.body)) return false;
  let returnsValue = !ts.isBlock(decl.body);
  ctx.walkOwn(decl.body, (n) => {
    if (ts.isReturnStatement(n) && n.expression) returnsValue = true;
  });
  return !returnsValue;
}

/** Types that are one connection, stream, cursor, pipeline or transaction (by their declared name). */
const CONNECTION_TYPE_TS = /(Socket|WebSocket|Writable|Duplex|Transform|PassThrough|Pipeline|ChainableCommander|Transaction|PoolClient|Connection|Cursor)$/;

/**
 * The receiver is one connection the function obtained or was given: declared from a connection
 * factory (`const client = await pool.connect()`, `const trx = await knex.transaction()`,
 * `const pipe = redis.pipeline()`), or typed — by annotation, or by the checker — as a socket, a
 * stream, a transaction, a pool client, a cursor. A pool or an HTTP client is none of these.
 */
function oneConnectionTs(ctx: TsContext, receiver: ts.Expression): boolean {
  const ts = ctx.ts;
  if (receiver.kind === ts.SyntaxKind.ThisKeyword) {
    // `this.query(…)` in `class Connection`, `class Pipeline`: the class is one connection.
    const cls = ts.findAncestor(receiver, ts.isClassLike);
    return cls?.name !== undefined && SHARED_RESOURCE.test(snake(cls.name.text));
  }
  if (!ts.isIdentifier(receiver)) return false;
  const decl = declarationOf(ctx, receiver);
  if (decl?.type && CONNECTION_TYPE_TS.test(ctx.textOf(decl.type).replace(/<.*$/s, '').trim())) return true;
  if (decl && ts.isVariableDeclaration(decl) && decl.initializer) {
    let init = runtimeValue(ctx.ts, decl.initializer);
    if (ts.isAwaitExpression(init)) init = runtimeValue(ts, init.expression);
    if (ts.isCallExpression(init) && CONNECTION_FACTORY.test(snake(calleeTail(ts, init.expression)))) return true;
  }
  if (ctx.checker) {
    const type = ctx.checker.getTypeAtLocation(receiver);
    const symbol = type.aliasSymbol ?? type.getSymbol();
    if (symbol && CONNECTION_TYPE_TS.test(symbol.getName())) return true;
  }
  return false;
}

function calleeTail(ts: TsContext['ts'], e: ts.Expression): string {
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return '';
}

function rootIdentifier(ts: TsContext['ts'], e: ts.Expression): string | undefined {
  let n: ts.Expression = e;
  while (ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n) || ts.isParenthesizedExpression(n) || ts.isNonNullExpression(n)) n = n.expression;
  return ts.isIdentifier(n) ? n.text : undefined;
}

/** The object a chain of calls and accesses starts from: `trx` in `trx('t').where(…)`, `this` in `this.pool.query`. */
function chainRoot(ts: TsContext['ts'], e: ts.Expression): ts.Expression {
  let n = e;
  for (;;) {
    if (ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n) || ts.isParenthesizedExpression(n) || ts.isNonNullExpression(n) || ts.isCallExpression(n)) n = n.expression;
    else return n;
  }
}

function mentions(ts: TsContext['ts'], node: ts.Node, names: Set<string>): boolean {
  let found = false;
  const visit = (n: ts.Node): boolean | void => {
    if (found) return false;
    if (ts.isIdentifier(n) && names.has(n.text) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) found = true;
    else return true;
    return false;
  };
  walkTree(node, visit);
  return found;
}

/**
 * `for (const x of xs) await f(x);` → `await Promise.all(Array.from(xs, (x) => f(x)));` and
 * `for (…) out.push(await f(x));` → `out.push(...(await Promise.all(Array.from(xs, (x) => f(x)))));`
 * (results keep the input order). Unsafe: the calls overlap, and failures behave differently.
 */
function tsLoopFixes(ctx: TsContext, loop: ts.ForOfStatement, decl: ts.VariableDeclaration, found: LoopAwait): TsFixSpec[] {
  const ts = ctx.ts;
  let body: ts.Statement = loop.statement;
  if (ts.isBlock(body)) {
    if (body.statements.length !== 1) return [];
    body = body.statements[0];
  }
  if (!ts.isExpressionStatement(body)) return [];
  const items = ctx.textOf(loop.expression);
  const isArray = ctx.checker ? ctx.checker.isArrayType(ctx.checker.getTypeAtLocation(loop.expression)) : ts.isArrayLiteralExpression(loop.expression);
  const mapped = (callText: string) => (isArray ? `${needsParensForMember(ts, loop.expression) ? `(${items})` : items}.map((${ctx.textOf(decl.name)}) => ${callText})` : `Array.from(${items}, (${ctx.textOf(decl.name)}) => ${callText})`);
  const callText = ctx.textOf(found.call);
  const e = body.expression;
  let replacement: string | undefined;
  if (e === found.await) replacement = `await Promise.all(${mapped(callText)});`;
  else if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'push' && e.arguments.length === 1 && e.arguments[0] === found.await) {
    replacement = `${ctx.textOf(e.expression)}(...(await Promise.all(${mapped(callText)})));`;
  }
  if (!replacement) return [];
  return [{ title: rule.messages.fixPromiseAll, safety: 'unsafe', edits: [{ start: ctx.start(loop), end: loop.end, newText: replacement }] }];
}

function needsParensForMember(ts: TsContext['ts'], e: ts.Expression): boolean {
  return !(ts.isIdentifier(e) || ts.isPropertyAccessExpression(e) || ts.isCallExpression(e) || ts.isElementAccessExpression(e) || ts.isArrayLiteralExpression(e) || ts.isParenthesizedExpression(e));
}
