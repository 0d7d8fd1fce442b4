/**
 * AW302 dangling-task: the task returned by `asyncio.create_task`, `asyncio.ensure_future` or
 * `loop.create_task` is dropped. The event loop holds tasks only through weak references, so
 * nothing keeps such a task alive: it can be garbage-collected mid-flight, and its exception is
 * never retrieved. `TaskGroup.create_task` and nursery `start_soon` are fine (the group holds them).
 */
import type { Node } from 'web-tree-sitter';
import type { TextEdit } from '../core/finding';
import type { FixSpec, PythonContext } from '../python/context';
import { statementsOf } from '../python/concurrency-shape';
import { clauseBody, clauseBreadth } from '../python/handlers';
import { isEventLoop } from '../python/loops';
import { boundLocally } from '../python/project';
import type { Scope } from '../python/scopes';
import { defineRule } from './define';

/** Module-level functions that create a task and return it. */
const TASK_FACTORIES = new Set(['asyncio.create_task', 'asyncio.ensure_future', 'asyncio.tasks.create_task', 'asyncio.tasks.ensure_future']);

/**
 * Statements whose value is thrown away with a task-creating call inside: the call itself, a branch
 * of a conditional expression, the body of a comprehension, or of a generator consumed by
 * `list(...)`/`set(...)`/`tuple(...)`. The `#match?` keeps the query's output to candidates.
 */
const CANDIDATES = ['(call function: (_) @callee) @call', '(conditional_expression (call function: (_) @callee) @call) @cond', '(list_comprehension body: (call function: (_) @callee) @call) @comp', '(set_comprehension body: (call function: (_) @callee) @call) @comp', '(generator_expression body: (call function: (_) @callee) @call) @gen', '(call function: (identifier) @consumer arguments: (generator_expression body: (call function: (_) @callee) @call)) @comp']
  .map((p) => `(expression_statement ${p} (#match? @callee "(create_task|ensure_future)$")) @statement`)
  .join('\n');

const CONSUMERS = new Set(['list', 'set', 'tuple']);

const rule = defineRule({
  code: 'AW302',
  name: 'dangling-task',
  languages: ['python'],
  severity: 'hint',
  aliases: ['RUF006'],
  fixable: 'sometimes',
  inTests: false,
  summary: 'The task from create_task/ensure_future is dropped: the loop holds only a weak reference, so it can vanish mid-flight.',
  messages: {
    dropped: 'The task from `{callee}()` is dropped: the event loop keeps only a weak reference to it, so it can be garbage-collected before it finishes, and an exception it raises is never seen.',
    droppedInComprehension: 'The tasks from `{callee}()` are dropped with the comprehension that made them: the event loop keeps only weak references to them, so they can be garbage-collected before they finish, and their exceptions are never seen.',
    neverIterated: 'This generator expression is never iterated, so `{callee}()` never runs and no task is started at all.',
    fixKeepReference: 'Keep a reference in `{set}` until the task is done',
    fixKeepReferences: 'Keep references in `{set}` until the tasks are done',
  },
  docs: `## What it does
Flags a call to \`asyncio.create_task\`, \`asyncio.ensure_future\` or \`loop.create_task\` whose result is
thrown away: the call is a statement on its own, a branch of a conditional expression used as a
statement, or the body of a list/set comprehension (or of a generator passed to \`list()\`, \`set()\`,
\`tuple()\`) used as a statement. A generator expression used as a statement is flagged too: it is never
iterated, so it creates no task at all.

A loop is recognised as a call of \`asyncio.get_event_loop()\`/\`get_running_loop()\`/\`new_event_loop()\`,
a name or attribute spelled as a loop (\`loop\`, \`_loop\`, \`event_loop\`, \`self.loop\`, \`self.bot.loop\`),
a local name assigned from one of those calls, or a parameter annotated \`asyncio.AbstractEventLoop\`.
Left alone: \`TaskGroup.create_task\` and anyio/trio nursery \`start_soon\` (the group holds its tasks
and waits for them), and a task that is stored, returned, passed to a call, awaited, or chained
into \`.add_done_callback(...)\` (the callback shows the outcome is handled). A task created in a
\`lambda\` is the caller's to keep and is not flagged.

Also left alone, a task whose coroutine is an \`async def\` of the same file (a nested function, a
module-level one the caller does not shadow, or \`self.m()\` with \`m\` a method of the caller's class;
not a decorated one) that loses nothing when dropped:
- one whose only await points are \`await asyncio.sleep(...)\` (\`await asyncio.sleep(1)\` then
  \`loop.stop()\`, or a \`while not started: await asyncio.sleep(0.01)\` poll): until it ends it is either
  scheduled to run or asleep on a timer handle of the loop, and both hold it, so it cannot be
  collected (a coroutine that never suspends is still flagged: the error it may raise is what its
  dropped task loses);
- one whose every statement is guarded: a \`try\` with an \`except Exception\` (or \`BaseException\`, or
  bare \`except:\`) clause none of whose handlers raises, with an \`else\`/\`finally\` that cannot raise, or
  plain code that cannot raise (no call, await or subscript), also inside an \`if\` or a \`while\` loop.
  Such a coroutine reports its own errors (\`except Exception as err: await self._error_cb(err)\`), so
  none goes unretrieved. It can in principle still be collected while it awaits something only it
  holds (a future nothing else refers to). That risk is accepted: such a coroutine is nearly always
  waiting on I/O or a timer the loop holds, or on a future another object resolves, and flagging
  every guarded background job costs more in noise than the rare lost task.

Test code is left alone unless the rule is named in the settings: a test commonly fires a step as a
task and then asserts its effect (the assertion fails if the task never ran), so the dropped
reference is rarely what breaks it.

**A hint by default** (the CLI reports it with \`--hints\` or when the rule is named): on the ecosystem
check ([docs/ecosystem.md](../ecosystem.md)) it was right 23 times, wrong twice and debatable twice in
27 findings (0.92, under the 0.95 bar): the wrong ones were tasks that could lose nothing (a keepalive
that reports its own errors, a shutdown task held by \`wait_for\`). Turn it on for services: a dropped
task there is how background work vanishes without a trace.

## Why is this bad?
The event loop keeps only weak references to tasks. A task nothing else refers to can be
garbage-collected while it waits — it silently stops half-way, its \`finally\` blocks may never run —
and when it fails, its exception is never retrieved: the error shows up at best as a
"Task exception was never retrieved" log line at some later garbage collection. The Python
documentation of \`asyncio.create_task\` says to save a reference to the result for exactly this reason.

## Example
\`\`\`py
import asyncio

async def handle(event):
    asyncio.create_task(notify(event))
\`\`\`

## Use instead
\`\`\`py
import asyncio

_background_tasks: set[asyncio.Task] = set()

async def handle(event):
    task = asyncio.create_task(notify(event))
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
\`\`\`
Or, when the caller should wait for the work and see its errors, an \`async with asyncio.TaskGroup()\`
(Python 3.11+).

## Fix safety
The fix keeps a strong reference: it adds a module-level \`_background_tasks\` set after the imports
(reusing a module-level task set the file already has; annotated \`set[asyncio.Task]\` when the target
is Python 3.9 or later), binds the task to a fresh local name, adds it to the set and discards it
when it completes. For a comprehension it loops over the tasks it made. It is safe: the task runs
exactly as before, except that it can no longer be collected before it finishes, and the set
forgets it as soon as it is done. No fix is offered when the task-making statement shares its line
with other code, sits in a class body, or is a conditional expression with a branch that makes no
task; nor for a generator expression that never runs (what it should do is not clear).
`,
  python(ctx) {
    // Cheap text test first: most files never create a task, and the query walks the whole tree.
    if (!/create_task|ensure_future/.test(ctx.source)) return;
    for (const match of ctx.matches(CANDIDATES)) {
      const get = (name: string) => match.captures.find((c) => c.name === name)?.node;
      const call = get('call');
      const callee = get('callee');
      const statement = get('statement');
      if (!call || !callee || !statement) continue;
      if (!createsTask(ctx, callee)) continue;
      if (cannotBeLost(ctx, call)) continue;
      const cond = get('cond');
      const comp = get('comp');
      const consumer = get('consumer');
      const data = { callee: displayName(callee) };
      if (cond) {
        // The condition is evaluated and used; only the two branches are values that get dropped.
        const condition = cond.namedChild(1);
        if (condition && call.equals(condition)) continue;
        const bothBranchesMakeTasks = [cond.namedChild(0), cond.namedChild(2)].every((b) => b?.type === 'call' && createsTask(ctx, b.childForFieldName('function')));
        ctx.report(call, 'dropped', data, bothBranchesMakeTasks ? keepReferenceFix(ctx, statement, 'single') : []);
      } else if (comp) {
        if (consumer && (!CONSUMERS.has(consumer.text) || ctx.names.imports.has(consumer.text))) continue;
        ctx.report(call, 'droppedInComprehension', data, keepReferenceFix(ctx, statement, 'many'));
      } else if (get('gen')) {
        ctx.report(call, 'neverIterated', data);
      } else {
        ctx.report(call, 'dropped', data, keepReferenceFix(ctx, statement, 'single'));
      }
    }
  },
});
export default rule;

/** `asyncio.create_task`/`ensure_future` in any import spelling, or `create_task` on an event loop. */
function createsTask(ctx: PythonContext, callee: Node | null): boolean {
  // A call with no callee: only in a tree tree-sitter recovered from a syntax error.
  if (!callee) return false;
  const q = ctx.resolve(callee);
  if (q) return TASK_FACTORIES.has(q);
  if (callee.type !== 'attribute' || callee.childForFieldName('attribute')?.text !== 'create_task') return false;
  const receiver = callee.childForFieldName('object');
  return receiver !== null && isEventLoop(ctx, receiver);
}

// --- tasks that cannot be lost ------------------------------------------------------------------

const AWAIT_POINTS = '[(await) (for_statement "async") (with_statement "async") (for_in_clause "async")] @point';
const SLEEPS = new Set(['asyncio.sleep', 'asyncio.tasks.sleep']);
/** Code that may raise: calls, awaits, `raise`, `assert`, subscripts (a `KeyError`), `yield`, loops and `with` blocks. */
const RISKY = ['call', 'await', 'raise_statement', 'assert_statement', 'subscript', 'yield', 'for_statement', 'with_statement', 'delete_statement'];

/**
 * A dropped task whose coroutine is an `async def` of this file that loses nothing when dropped:
 * one that only ever suspends on `asyncio.sleep` (while it sleeps the loop's timer holds it, so it
 * cannot be collected), or one whose whole body is guarded by an `except Exception` (or broader)
 * that does not raise (it reports its own errors, so no exception goes unretrieved).
 */
function cannotBeLost(ctx: PythonContext, call: Node): boolean {
  const coroutine = call.childForFieldName('arguments')?.namedChildren.find((a) => a !== null && a.type !== 'comment');
  if (coroutine?.type !== 'call') return false;
  const fn = coroutineFunction(ctx, coroutine);
  return fn !== undefined && (onlySleeps(ctx, fn) || reportsItsErrors(ctx, fn));
}

/**
 * The `async def` of this file a call denotes, when it names one without doubt: a function nested
 * in the caller's function (or one enclosing it), a module-level function the caller does not
 * shadow, or `self.m()` with `m` a method of the class the caller is a method of. Decorated
 * definitions are not followed (a decorator can wrap the coroutine in anything), nor names defined
 * twice where the call can see them.
 */
function coroutineFunction(ctx: PythonContext, coroutine: Node): Scope | undefined {
  const callee = coroutine.childForFieldName('function');
  const caller = ctx.scopes.functionAt(coroutine.startIndex);
  let candidates: Scope[];
  if (callee?.type === 'identifier') {
    const visible = new Set<Scope | undefined>([undefined]);
    for (let s = caller; s; s = s.parent) visible.add(s);
    candidates = ctx.scopes.all.filter((s) => s.kind !== 'lambda' && s.kind !== 'class' && s.node.childForFieldName('name')?.text === callee.text && visible.has(s.parent));
    if (candidates.length === 1 && !candidates[0].parent && boundLocally(ctx.parser, ctx.scopes, coroutine.startIndex, callee.text)) return undefined;
  } else if (callee?.type === 'attribute' && callee.childForFieldName('object')?.text === 'self') {
    let method = caller;
    while (method && method.parent?.kind !== 'class') method = method.parent;
    const cls = method?.parent;
    const name = callee.childForFieldName('attribute')?.text;
    candidates = cls ? ctx.scopes.all.filter((s) => s.parent === cls && s.kind !== 'class' && s.node.childForFieldName('name')?.text === name) : [];
  } else return undefined;
  const fn = candidates.length === 1 ? candidates[0] : undefined;
  if (fn?.kind !== 'async-function' || fn.node.parent?.type === 'decorated_definition') return undefined;
  return fn;
}

/**
 * An `async def` that suspends, and only on `await asyncio.sleep(...)`: it is always either
 * scheduled to run or sleeping on a timer handle of the loop, which holds it. One that never
 * suspends is not among them: it cannot be collected either, but the error it may raise is the one
 * thing its dropped task can lose (a `publish()` that forgot to await its `flush()`).
 */
function onlySleeps(ctx: PythonContext, fn: Scope): boolean {
  const body = fn.node.childForFieldName('body');
  if (!body) return false;
  const points = ctx.captures(AWAIT_POINTS, body).map(({ node }) => node).filter((point) => ctx.scopes.functionAt(point.startIndex) === fn);
  return points.length > 0 && points.every((point) => {
    const awaited = point.type === 'await' ? point.namedChild(0) : null;
    return awaited?.type === 'call' && SLEEPS.has(ctx.resolve(awaited.childForFieldName('function')) ?? '');
  });
}

/**
 * An `async def` every statement of which is guarded: a `try` with an `except Exception` (or
 * `BaseException`, or bare `except:`) clause, no handler of which raises and whose `else` and
 * `finally` cannot raise, or plain code that cannot raise (no call, await, subscript…); an `if`'s
 * branches and a `while` loop's body are read the same way. Mirrors AW301's "cannot reject".
 */
function reportsItsErrors(ctx: PythonContext, fn: Scope): boolean {
  const body = fn.node.childForFieldName('body');
  return body !== null && statementsOf(body).every((st) => guarded(ctx, st));
}

function guarded(ctx: PythonContext, st: Node): boolean {
  const blocks = (node: Node) => node.namedChildren.filter((c): c is Node => c?.type === 'block');
  const all = (block: Node) => statementsOf(block).every((s) => guarded(ctx, s));
  switch (st.type) {
    case 'try_statement': {
      const clauses = st.namedChildren.filter((c): c is Node => c?.type === 'except_clause');
      if (!clauses.some((c) => clauseBreadth(ctx, c) !== 'some')) return false;
      if (clauses.some((c) => raises(ctx, clauseBody(c)))) return false;
      const rest = st.namedChildren.filter((c): c is Node => c?.type === 'else_clause' || c?.type === 'finally_clause');
      return rest.every((c) => !mayRaise(c));
    }
    case 'if_statement': {
      if (mayRaise(st.childForFieldName('condition'))) return false;
      const branches = [st, ...st.namedChildren.filter((c): c is Node => c?.type === 'elif_clause' || c?.type === 'else_clause')];
      return branches.every((b) => (b.type === 'elif_clause' ? !mayRaise(b.childForFieldName('condition')) : true) && blocks(b).every(all));
    }
    case 'while_statement':
      return !mayRaise(st.childForFieldName('condition')) && !st.namedChildren.some((c) => c?.type === 'else_clause') && blocks(st).every(all);
    default:
      return !mayRaise(st);
  }
}

/** Whether a handler body has a `raise` of its own (not in a nested function). */
function raises(ctx: PythonContext, body: Node | undefined): boolean {
  if (!body) return true;
  const own = ctx.scopes.functionAt(body.startIndex);
  return body.descendantsOfType('raise_statement').some((r) => r !== null && ctx.scopes.functionAt(r.startIndex) === own);
}

function mayRaise(node: Node | null): boolean {
  if (!node) return false;
  return RISKY.includes(node.type) || node.descendantsOfType(RISKY).length > 0;
}

function displayName(callee: Node): string {
  const text = callee.text.replace(/\s+/g, '');
  return text.length <= 40 ? text : `….${text.split('.').pop()}`;
}

/**
 * `task = <expr>` (or `for task in <comprehension>:`) followed by adding the task to a module-level
 * set that forgets it when it is done: the pattern the asyncio documentation gives.
 */
function keepReferenceFix(ctx: PythonContext, statement: Node, shape: 'single' | 'many'): FixSpec[] {
  const scope = ctx.scopes.at(statement.startIndex);
  if (scope?.kind === 'class') return [];
  if (!ownsItsLine(ctx, statement)) return [];
  const holder = taskSet(ctx);
  if (!holder) return [];
  const scopeText = scope ? scope.node.text : ctx.source;
  const task = freshName(scopeText, ['task', 'background_task', 'new_task']);
  if (!task) return [];
  const eol = ctx.eol();
  const indent = ctx.indentOf(statement);
  const body = shape === 'single' ? indent : indent + ctx.indentUnit();
  const lines = `${eol}${body}${holder.name}.add(${task})${eol}${body}${task}.add_done_callback(${holder.name}.discard)`;
  const lineEnd = endOfLine(ctx, statement);
  const edits: TextEdit[] = [...holder.edits];
  if (shape === 'single') {
    edits.push({ start: statement.startIndex, end: statement.startIndex, newText: `${task} = ` });
    edits.push({ start: lineEnd, end: lineEnd, newText: lines });
  } else {
    edits.push({ start: statement.startIndex, end: statement.startIndex, newText: `for ${task} in ` });
    // The colon goes right after the expression, before a trailing comment.
    if (lineEnd === statement.endIndex) edits.push({ start: lineEnd, end: lineEnd, newText: `:${lines}` });
    else edits.push({ start: statement.endIndex, end: statement.endIndex, newText: ':' }, { start: lineEnd, end: lineEnd, newText: lines });
  }
  const title = (shape === 'single' ? rule.messages.fixKeepReference : rule.messages.fixKeepReferences).replace('{set}', holder.name);
  return [{ title, safety: 'safe', edits }];
}

/** True when the statement starts its line (after indentation) and nothing but a comment follows it. */
export function ownsItsLine(ctx: PythonContext, statement: Node): boolean {
  const firstLine = ctx.lines.lineText(statement.startPosition.row);
  if (firstLine.slice(0, statement.startPosition.column).trim() !== '') return false;
  const rest = ctx.source.slice(statement.endIndex, endOfLine(ctx, statement));
  return /^[ \t]*(#.*)?$/.test(rest);
}

/** Offset of the end of the statement's last line (before its line break). */
function endOfLine(ctx: PythonContext, statement: Node): number {
  const row = statement.endPosition.row;
  return ctx.lines.lineStart(row) + ctx.lines.lineText(row).length;
}

/** The first candidate name that the text never mentions (so a new binding shadows nothing). */
export function freshName(text: string, candidates: readonly string[]): string | undefined {
  const all = [...candidates, ...[1, 2, 3].map((i) => `${candidates[0]}_${i}`)];
  return all.find((name) => !new RegExp(`\\b${name}\\b`).test(text));
}

const SET_CALL = /^set\(\s*\)$/;

/**
 * The module-level set that holds the tasks: an existing `name = set()` whose name says it holds
 * tasks, or a new `_background_tasks` inserted after the imports.
 */
export function taskSet(ctx: PythonContext): { name: string; edits: TextEdit[] } | undefined {
  for (const child of ctx.root.namedChildren) {
    if (child?.type !== 'expression_statement') continue;
    const assignment = child.namedChild(0);
    if (assignment?.type !== 'assignment') continue;
    const left = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    if (left?.type === 'identifier' && /tasks/i.test(left.text) && right && SET_CALL.test(right.text.replace(/\s+/g, ''))) {
      return { name: left.text, edits: [] };
    }
  }
  const name = freshName(ctx.source, ['_background_tasks', '_pending_tasks']);
  if (!name) return undefined;
  const edits: TextEdit[] = [];
  let declaration = `${name} = set()`;
  if (ctx.targetAtLeast(3, 9)) {
    const taskType = ctx.spell('asyncio.Task');
    edits.push(...taskType.edits);
    declaration = `${name}: set[${taskType.text}] = set()`;
  }
  const eol = ctx.eol();
  const comment = '# Strong references to fire-and-forget tasks: the event loop keeps only weak ones.';
  const at = afterImports(ctx);
  const newText = at === 0 ? `${comment}${eol}${declaration}${eol}${eol}` : `${eol}${comment}${eol}${declaration}${eol}`;
  edits.push({ start: at, end: at, newText });
  return { name, edits };
}

/**
 * Where module-level code may start: after the leading docstring, comments, imports, and
 * `try`/`if` blocks of imports (`try: import uvloop`), so that no import follows the new
 * assignment (pycodestyle E402).
 */
function afterImports(ctx: PythonContext): number {
  let end = -1;
  let sawCode = false;
  for (const child of ctx.root.namedChildren) {
    if (!child) continue;
    const t = child.type;
    if (t === 'comment') continue;
    const isDocstring = t === 'expression_statement' && child.namedChild(0)?.type === 'string' && !sawCode;
    const isImport = t === 'import_statement' || t === 'import_from_statement' || t === 'future_import_statement';
    const isImportBlock = (t === 'try_statement' || t === 'if_statement') && /^\s*(from\s+\S+\s+)?import\s/m.test(child.text);
    if (!(isDocstring || isImport || isImportBlock)) break;
    sawCode = true;
    end = child.endPosition.row;
  }
  return end < 0 ? 0 : Math.min(ctx.lines.lineStart(end + 1), ctx.source.length);
}
