/**
 * Shared analysis of the cancellation rules (AW101, AW102, AW103): which `except` clauses receive
 * `asyncio.CancelledError`, what every path through a handler body does with it, and which
 * `contextlib.suppress(...)` blocks swallow it.
 *
 * One query, over async function bodies only, finds the try statements; their clauses and the
 * handler bodies (a few statements each) are then read node by node. Results are memoised per
 * context so the three rules share one pass.
 */
import type { Node } from 'web-tree-sitter';
import { ancestors } from './ancestors';
import type { PythonContext } from './context';

const TRY_STATEMENTS = '(try_statement body: (block) @body) @try';
const SUPPRESS_BLOCKS = '(with_statement (with_clause (with_item value: (call function: (_) @fn arguments: (argument_list) @args))) body: (block) @body) @with';
const CANCEL_CALLS = '(call function: (attribute object: (_) @receiver attribute: (identifier) @method) (#eq? @method "cancel")) @call';
/**
 * Calls that stop work (`conn.close()`, `server.shutdown()`, `self._cancel_pending()`): children may be
 * cancelled inside them. A plain `x.cancel()` is not one: it must name the awaited task itself.
 */
const STOP_CALLS = '((call function: [(identifier) @name (attribute attribute: (identifier) @name)]) @call (#match? @name "^_*cancel_|(^|_)(close|aclose|stop|shutdown|terminate|abort)($|_)"))';
/** The caught exception handed on: stored (`errors.append(exc)`, `self._exc = exc`) or passed to a waiter. */
const HANDED_ON = `
(call function: (attribute attribute: (identifier) @method) arguments: (argument_list (identifier) @value)) @call
(assignment right: (identifier) @value) @assign
`;
const HANDING_METHODS = new Set(['append', 'add', 'set_exception', 'put_nowait', 'appendleft', 'setdefault']);
const CANCELLING_CALLS = '(call function: (attribute attribute: (identifier) @method) (#match? @method "^(cancelling|uncancel)$")) @call';

/** The classes that are `asyncio.CancelledError` on every supported version. */
const CANCELLED_ERROR = new Set(['asyncio.CancelledError', 'asyncio.exceptions.CancelledError']);
/** Before 3.8, `asyncio.CancelledError` *was* `concurrent.futures.CancelledError` (same class object). */
const CANCELLED_ERROR_BEFORE_38 = new Set(['concurrent.futures.CancelledError', 'concurrent.futures._base.CancelledError']);
/** Calls that end the process: a path reaching them never returns to the event loop. */
const PROCESS_EXITS = new Set(['sys.exit', 'os._exit', 'os.abort']);
/** Raising these ends the program rather than converting the cancellation into an error someone handles. */
const PROCESS_ENDING_EXCEPTIONS = new Set(['builtins.SystemExit', 'builtins.KeyboardInterrupt']);
/**
 * Builtin exception classes that never catch a `CancelledError` (3.8+ for `Exception`, which is
 * handled apart): `isinstance(e, ValueError)` is then known false for a cancellation.
 */
const NON_CANCELLING_BUILTINS = new Set([
  'ArithmeticError', 'AssertionError', 'AttributeError', 'BufferError', 'EOFError', 'ImportError', 'IndexError',
  'KeyError', 'LookupError', 'MemoryError', 'NameError', 'NotImplementedError', 'OSError', 'IOError', 'OverflowError',
  'RecursionError', 'ReferenceError', 'RuntimeError', 'StopIteration', 'StopAsyncIteration', 'SyntaxError',
  'SystemError', 'TypeError', 'ValueError', 'ZeroDivisionError', 'ConnectionError', 'TimeoutError', 'UnicodeError',
  'PermissionError', 'FileNotFoundError', 'KeyboardInterrupt', 'SystemExit', 'GeneratorExit',
]);

/**
 * What a clause catches, as far as cancellation goes: nothing of it, only it (`except CancelledError`),
 * or cancellation among other exceptions (bare `except:`, `BaseException`, tuples, `Exception` < 3.8).
 */
export type CancellationCatch = 'none' | 'cancellation' | 'broad';

/** How a path through a handler body ends. */
export type Outcome =
  /** Runs off the end of the handler: execution continues after the try statement. */
  | 'fallthrough'
  /** `break`/`continue` leaving the handler for a loop around the try. */
  | 'break'
  | 'continue'
  /** `return` or `return None`. */
  | 'return'
  | 'returnValue'
  /** Bare `raise`, `raise <as-name>`, or raising a new `CancelledError`. */
  | 'reraise'
  /** Raising any other exception. */
  | 'raiseOther'
  /** `sys.exit()`, `os._exit()`, `raise SystemExit`: the process ends. */
  | 'exit'
  /** A bare `raise` in a nested handler: another exception (from cleanup code) propagates. */
  | 'propagate';

/** Each outcome reachable from the handler start, with the statement that produces it (none for fall-through). */
export type Outcomes = ReadonlyMap<Outcome, Node | null>;

export interface CancellationHandler {
  /** The `except` clause. */
  readonly clause: Node;
  readonly tryStatement: Node;
  /** `except` up to and including the header's colon: where findings go. */
  readonly header: { readonly start: number; readonly end: number };
  /** The header as the user wrote it, whitespace collapsed, without the `as` name (`except* BaseException`). */
  readonly caught: string;
  readonly catches: Exclude<CancellationCatch, 'none'>;
  readonly star: boolean;
  readonly body: Node;
  readonly outcomes: Outcomes;
  /**
   * Deliberate: waiting for a child this function cancelled (`task.cancel()` … `await task`), or
   * the 3.11 `cancelling()`/`uncancel()` protocol with a re-raise. The rules leave these alone.
   */
  readonly deliberate: boolean;
}

export interface SuppressedCancellation {
  /** The `contextlib.suppress(...)` call. */
  readonly call: Node;
  readonly caught: string;
  /** Waits for a child this function cancelled: the standard idiom, not a bug. */
  readonly deliberate: boolean;
}

interface Analysis {
  handlers: CancellationHandler[];
  suppressions: SuppressedCancellation[];
}

const cache = new WeakMap<PythonContext, Analysis>();
const TRIO_ONLY = /^[ \t]*(import trio\b|from trio\b)/m;
const ASYNCIO_IMPORT = /^[ \t]*(import asyncio\b|from asyncio\b|import anyio\b|from anyio\b)/m;

/**
 * Every `except` clause in async code that can receive a `CancelledError`: its try body has an
 * await point in the same function, and it is the first clause of its try that catches cancellation
 * (later clauses never see it).
 */
export function cancellationHandlers(ctx: PythonContext): readonly CancellationHandler[] {
  return analyse(ctx).handlers;
}

/** `with contextlib.suppress(<cancellation>):` blocks around an await point in async code. */
export function suppressedCancellations(ctx: PythonContext): readonly SuppressedCancellation[] {
  return analyse(ctx).suppressions;
}

function analyse(ctx: PythonContext): Analysis {
  let analysis = cache.get(ctx);
  if (analysis) return analysis;
  // Trio code: a swallowed `trio.Cancelled` is raised again at the next checkpoint, so nothing keeps
  // running; the asyncio semantics these rules check do not apply to a module on trio alone.
  if (TRIO_ONLY.test(ctx.source) && !ASYNCIO_IMPORT.test(ctx.source)) {
    analysis = { handlers: [], suppressions: [] };
    cache.set(ctx, analysis);
    return analysis;
  }
  const children = new ChildTaskIdiom(ctx);
  const handlers: CancellationHandler[] = [];
  for (const match of ctx.matchesInAsync(TRY_STATEMENTS)) {
    const tryStatement = match.captures.find((c) => c.name === 'try')?.node;
    const tryBody = match.captures.find((c) => c.name === 'body')?.node;
    if (!tryStatement || !tryBody || !ctx.isAsync(tryStatement)) continue;
    const clauses = tryStatement.namedChildren.filter((c): c is Node => c?.type === 'except_clause');
    if (clauses.length === 0 || !ctx.hasAwaitPoint(tryBody)) continue;
    for (const clause of clauses) {
      const parts = clauseParts(clause);
      const catches = classifyCatch(ctx, parts.types);
      if (catches === 'none') continue;
      if (parts.body) {
        const outcomes = handlerOutcomes(ctx, parts.body, parts.alias);
        const deliberate =
          children.waitsForCancelledChild(tryStatement, tryBody) ||
          reraisesWhenCancelling(ctx, parts.body, outcomes) ||
          handsExceptionOn(ctx, parts.body, parts.alias);
        handlers.push({
          clause,
          tryStatement,
          header: { start: clause.startIndex, end: parts.colonEnd },
          caught: describeClause(parts),
          catches,
          star: parts.star,
          body: parts.body,
          outcomes,
          deliberate,
        });
      }
      // The first clause that catches cancellation is the only one that ever receives it.
      break;
    }
  }
  const suppressions: SuppressedCancellation[] = [];
  for (const match of ctx.matchesInAsync(SUPPRESS_BLOCKS)) {
    const call = match.captures.find((c) => c.name === 'fn')?.node.parent;
    const args = match.captures.find((c) => c.name === 'args')?.node;
    const body = match.captures.find((c) => c.name === 'body')?.node;
    const withStatement = match.captures.find((c) => c.name === 'with')?.node;
    if (!call || !args || !body || !withStatement) continue;
    if (ctx.resolve(call.childForFieldName('function')) !== 'contextlib.suppress') continue;
    if (!ctx.isAsync(withStatement) || !ctx.hasAwaitPoint(body)) continue;
    const types = args.namedChildren.filter((a): a is Node => a !== null && a.type !== 'comment' && a.type !== 'keyword_argument');
    if (classifyCatch(ctx, types) === 'none') continue;
    suppressions.push({ call, caught: truncate(collapse(call.text)), deliberate: children.waitsForCancelledChild(withStatement, body) });
  }
  analysis = { handlers, suppressions };
  cache.set(ctx, analysis);
  return analysis;
}

// ---------------------------------------------------------------------------------------------
// Clauses

interface ClauseParts {
  /** The exception type expressions (several for `except A, B:`); empty for a bare `except:`. */
  readonly types: Node[];
  readonly alias: string | undefined;
  readonly star: boolean;
  readonly colonEnd: number;
  readonly body: Node | undefined;
}

function clauseParts(clause: Node): ClauseParts {
  const types: Node[] = [];
  let alias: string | undefined;
  let star = false;
  let colonEnd = clause.startIndex + 'except'.length;
  let body: Node | undefined;
  for (let i = 0; i < clause.childCount; i++) {
    const child = clause.child(i);
    if (!child) continue;
    if (child.type === '*') star = true;
    else if (child.type === ':' && !body) colonEnd = child.endIndex;
    else if (child.type === 'block') body = child;
    else if (clause.fieldNameForChild(i) === 'value') {
      if (child.type === 'as_pattern') {
        const type = child.namedChild(0);
        if (type) types.push(type);
        const target = child.childForFieldName('alias');
        alias = target?.namedChild(0)?.type === 'identifier' ? target.namedChild(0)!.text : undefined;
      } else types.push(child);
    }
  }
  return { types, alias, star, colonEnd, body };
}

/**
 * How much an `except` clause catches, whatever the target version: `everything` (a bare `except:`
 * or `BaseException`, alone or in a tuple), `exceptions` (`Exception`: all but cancellation, exits and
 * interrupts), or `some`. An `except*` clause counts as `some`: it receives groups, not the error.
 */
export function clauseBreadth(ctx: PythonContext, clause: Node): 'everything' | 'exceptions' | 'some' {
  const parts = clauseParts(clause);
  if (parts.star) return 'some';
  if (parts.types.length === 0) return 'everything';
  const names = parts.types.flatMap(flatten).map((t) => ctx.resolve(t));
  if (names.includes('builtins.BaseException')) return 'everything';
  return names.includes('builtins.Exception') ? 'exceptions' : 'some';
}

/**
 * The qualified names an `except` clause lists, tuples flattened (undefined where a name does not
 * resolve), and where its header ends (after the colon). A bare `except:` lists none.
 */
export function caughtTypes(ctx: PythonContext, clause: Node): { names: (string | undefined)[]; headerEnd: number; star: boolean } {
  const parts = clauseParts(clause);
  return { names: parts.types.flatMap(flatten).map((t) => ctx.resolve(t)), headerEnd: parts.colonEnd, star: parts.star };
}

/** The body of an `except` clause. */
export function clauseBody(clause: Node): Node | undefined {
  return clauseParts(clause).body;
}

function describeClause(parts: ClauseParts): string {
  const keyword = parts.star ? 'except*' : 'except';
  if (parts.types.length === 0) return `${keyword}:`;
  // Rebuilt from the names, so comments and line breaks inside a parenthesised tuple drop out.
  const names = parts.types.flatMap(flatten).map((t) => collapse(t.text)).join(', ');
  const grouped = parts.types.length === 1 && parts.types[0].type !== 'tuple' && parts.types[0].type !== 'parenthesized_expression';
  return `${keyword} ${truncate(grouped ? names : `(${names})`)}`;
}

/**
 * What catching these types does to a `CancelledError` on the target version. A bare `except:` has
 * no types. Unresolvable names (a project's own classes, a tuple held in a variable) catch nothing
 * we can prove, so they count as not catching cancellation.
 */
export function classifyCatch(ctx: PythonContext, types: readonly Node[]): CancellationCatch {
  if (types.length === 0) return 'broad';
  const flat = types.flatMap(flatten);
  let sawCancellation = false;
  let sawOther = false;
  for (const t of flat) {
    const kind = classifyType(ctx, t);
    if (kind === 'cancellation') sawCancellation = true;
    else if (kind === 'broad') return 'broad';
    else sawOther = true;
  }
  if (!sawCancellation) return 'none';
  return sawOther ? 'broad' : 'cancellation';
}

function flatten(node: Node): Node[] {
  if (node.type === 'tuple' || node.type === 'expression_list') {
    return node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment').flatMap(flatten);
  }
  if (node.type === 'parenthesized_expression') {
    const inner = node.namedChildren.find((c) => c && c.type !== 'comment');
    return inner ? flatten(inner) : [];
  }
  return [node];
}

function classifyType(ctx: PythonContext, node: Node): CancellationCatch {
  // `anyio.get_cancelled_exc_class()` is `asyncio.CancelledError` under the asyncio backend.
  if (node.type === 'call') {
    return ctx.resolve(node.childForFieldName('function')) === 'anyio.get_cancelled_exc_class' ? 'cancellation' : 'none';
  }
  const name = ctx.resolve(node);
  if (!name) return 'none';
  if (isCancelledErrorClass(ctx, name)) return 'cancellation';
  if (name === 'builtins.BaseException' || name === 'builtins.BaseExceptionGroup') return 'broad';
  if (name === 'builtins.Exception' && !ctx.targetAtLeast(3, 8)) return 'broad';
  return 'none';
}

function isCancelledErrorClass(ctx: PythonContext, qualified: string): boolean {
  return CANCELLED_ERROR.has(qualified) || (!ctx.targetAtLeast(3, 8) && CANCELLED_ERROR_BEFORE_38.has(qualified));
}

// ---------------------------------------------------------------------------------------------
// Paths through a handler body

interface FlowEnv {
  /** The handler's `as` name: `raise e` re-raises. */
  readonly alias: string | undefined;
  /** Inside a loop that is itself inside the handler: `break`/`continue` stay in the handler. */
  readonly inLoop: boolean;
  /** What a bare `raise` does here: re-raise the cancellation, or (in a nested handler) another exception. */
  readonly bareRaise: 'reraise' | 'propagate';
}

/** Outcome set under construction; `localBreak`/`localContinue` target a loop inside the handler. */
type Flow = Map<Outcome | 'localBreak' | 'localContinue', Node | null>;

/** Every way a handler body can end when it is entered with a `CancelledError`. */
export function handlerOutcomes(ctx: PythonContext, body: Node, alias: string | undefined): Outcomes {
  const flow = new FlowWalker(ctx).block(body, { alias, inLoop: false, bareRaise: 'reraise' });
  flow.delete('localBreak');
  flow.delete('localContinue');
  return flow as Map<Outcome, Node | null>;
}

class FlowWalker {
  constructor(private readonly ctx: PythonContext) {}

  block(block: Node | null | undefined, env: FlowEnv): Flow {
    const out: Flow = new Map();
    if (!block) {
      out.set('fallthrough', null);
      return out;
    }
    for (const statement of block.namedChildren) {
      if (!statement || statement.type === 'comment') continue;
      const flow = this.statement(statement, env);
      let continues = false;
      for (const [k, v] of flow) {
        if (k === 'fallthrough') continues = true;
        else if (!out.has(k)) out.set(k, v);
      }
      // What follows a statement that never completes normally is unreachable.
      if (!continues) return out;
    }
    out.set('fallthrough', null);
    return out;
  }

  private statement(node: Node, env: FlowEnv): Flow {
    switch (node.type) {
      case 'return_statement': {
        const value = node.namedChildren.find((c) => c && c.type !== 'comment');
        return single(!value || value.type === 'none' ? 'return' : 'returnValue', node);
      }
      case 'break_statement':
        return single(env.inLoop ? 'localBreak' : 'break', node);
      case 'continue_statement':
        return single(env.inLoop ? 'localContinue' : 'continue', node);
      case 'raise_statement':
        return single(this.raise(node, env), node);
      case 'expression_statement':
        return single(this.endsProcess(node) ? 'exit' : 'fallthrough', node);
      case 'if_statement':
        return this.ifStatement(node, env);
      case 'while_statement':
      case 'for_statement':
        return this.loop(node, env);
      case 'try_statement':
        return this.tryStatement(node, env);
      case 'with_statement':
        return this.block(node.childForFieldName('body'), env);
      case 'match_statement':
        return this.matchStatement(node, env);
      default:
        // Simple statements, nested definitions (their bodies run later), half-typed ERROR nodes.
        return single('fallthrough', node);
    }
  }

  private raise(node: Node, env: FlowEnv): Outcome {
    const cause = node.childForFieldName('cause');
    const raised = node.namedChildren.find((c) => c !== null && c.type !== 'comment' && !(cause && c.equals(cause)));
    if (!raised) return env.bareRaise;
    if (env.alias !== undefined && raised.type === 'identifier' && raised.text === env.alias) return 'reraise';
    // `raise e.with_traceback(tb)` re-raises the same exception object.
    const fn = raised.type === 'call' ? raised.childForFieldName('function') : null;
    if (env.alias !== undefined && fn?.type === 'attribute' && fn.childForFieldName('object')?.text === env.alias && fn.childForFieldName('attribute')?.text === 'with_traceback') return 'reraise';
    const cls = raised.type === 'call' ? raised.childForFieldName('function') : raised;
    const name = this.ctx.resolve(cls);
    if (name && isCancelledErrorClass(this.ctx, name)) return 'reraise';
    if (name && PROCESS_ENDING_EXCEPTIONS.has(name)) return 'exit';
    return 'raiseOther';
  }

  private endsProcess(statement: Node): boolean {
    const call = statement.namedChild(0);
    if (call?.type !== 'call') return false;
    const name = this.ctx.resolve(call.childForFieldName('function'));
    return name !== undefined && PROCESS_EXITS.has(name);
  }

  private ifStatement(node: Node, env: FlowEnv): Flow {
    const out: Flow = new Map();
    const branches: { condition: Node | null; body: Node | null }[] = [
      { condition: node.childForFieldName('condition'), body: node.childForFieldName('consequence') },
    ];
    let hasElse = false;
    for (const alt of node.childrenForFieldName('alternative')) {
      if (!alt) continue;
      if (alt.type === 'elif_clause') branches.push({ condition: alt.childForFieldName('condition'), body: alt.childForFieldName('consequence') });
      else {
        branches.push({ condition: null, body: alt.childForFieldName('body') });
        hasElse = true;
      }
    }
    let decided = false;
    for (const branch of branches) {
      const truth = branch.condition ? this.isCancellationTest(branch.condition, env) : true;
      if (truth === false) continue;
      merge(out, this.block(branch.body, env));
      if (truth === true) {
        decided = true;
        break;
      }
    }
    if (!decided && !hasElse) out.set('fallthrough', null);
    return out;
  }

  /**
   * Whether a condition is known true or false while handling a `CancelledError`:
   * `isinstance(e, asyncio.CancelledError)` is true, `isinstance(e, ValueError)` false, `not` flips.
   */
  private isCancellationTest(condition: Node, env: FlowEnv): boolean | undefined {
    if (condition.type === 'not_operator') {
      const inner = condition.childForFieldName('argument');
      const value = inner ? this.isCancellationTest(inner, env) : undefined;
      return value === undefined ? undefined : !value;
    }
    if (condition.type === 'parenthesized_expression') {
      const inner = condition.namedChildren.find((c) => c && c.type !== 'comment');
      return inner ? this.isCancellationTest(inner, env) : undefined;
    }
    if (condition.type !== 'call' || env.alias === undefined) return undefined;
    if (condition.childForFieldName('function')?.text !== 'isinstance') return undefined;
    const args = condition.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => a !== null && a.type !== 'comment') ?? [];
    if (args.length !== 2 || args[0].type !== 'identifier' || args[0].text !== env.alias) return undefined;
    const classes = flatten(args[1]);
    if (classifyCatch(this.ctx, classes) !== 'none') return true;
    const allKnown = classes.every((c) => {
      const name = this.ctx.resolve(c);
      if (name === 'builtins.Exception') return true; // not broad (that case returned above), so 3.8+
      return c.type === 'identifier' && NON_CANCELLING_BUILTINS.has(c.text) && !this.ctx.names.imports.has(c.text);
    });
    return allKnown ? false : undefined;
  }

  private loop(node: Node, env: FlowEnv): Flow {
    const body = this.block(node.childForFieldName('body'), { ...env, inLoop: true });
    const out: Flow = new Map();
    for (const [k, v] of body) {
      if (k !== 'fallthrough' && k !== 'localBreak' && k !== 'localContinue') out.set(k, v);
    }
    const condition = node.type === 'while_statement' ? node.childForFieldName('condition') : null;
    const infinite = condition !== null && (condition.type === 'true' || (condition.type === 'integer' && Number(condition.text) !== 0));
    if (!infinite) {
      // The loop ends by exhausting its iterable or condition: the `else` clause runs, if any.
      const alternative = node.childForFieldName('alternative');
      if (alternative) merge(out, this.block(alternative.childForFieldName('body'), env));
      else out.set('fallthrough', null);
    }
    if (body.has('localBreak')) out.set('fallthrough', null);
    return out;
  }

  private tryStatement(node: Node, env: FlowEnv): Flow {
    const out: Flow = new Map();
    const body = this.block(node.childForFieldName('body'), env);
    let elseClause: Node | undefined;
    let finallyClause: Node | undefined;
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'except_clause') {
        const parts = clauseParts(child);
        // Inside a nested handler a bare `raise` re-raises the nested exception, and its `as` name shadows ours.
        const shadowed = parts.alias !== undefined && parts.alias === env.alias;
        merge(out, this.block(parts.body, { ...env, bareRaise: 'propagate', alias: shadowed ? undefined : env.alias }));
      } else if (child.type === 'else_clause') elseClause = child;
      else if (child.type === 'finally_clause') finallyClause = child;
    }
    for (const [k, v] of body) {
      if (k !== 'fallthrough' && !out.has(k)) out.set(k, v);
    }
    if (body.has('fallthrough')) {
      if (elseClause) merge(out, this.block(elseClause.childForFieldName('body'), env));
      else out.set('fallthrough', null);
    }
    if (!finallyClause) return out;
    const finallyBlock = finallyClause.namedChildren.find((c) => c?.type === 'block');
    const fin = this.block(finallyBlock, env);
    // A `finally` that never completes (returns, raises) replaces whatever was in flight.
    if (!fin.has('fallthrough')) return fin;
    for (const [k, v] of fin) if (!out.has(k)) out.set(k, v);
    return out;
  }

  private matchStatement(node: Node, env: FlowEnv): Flow {
    const out: Flow = new Map();
    let exhaustive = false;
    for (const clause of node.childForFieldName('body')?.childrenForFieldName('alternative') ?? []) {
      if (!clause || clause.type !== 'case_clause') continue;
      merge(out, this.block(clause.childForFieldName('consequence'), env));
      if (!clause.childForFieldName('guard') && isIrrefutable(clause)) exhaustive = true;
    }
    if (!exhaustive) out.set('fallthrough', null);
    return out;
  }
}

/** `case _:` or `case name:`: matches anything. */
function isIrrefutable(clause: Node): boolean {
  const patterns = clause.namedChildren.filter((c) => c?.type === 'case_pattern');
  if (patterns.length !== 1) return false;
  const pattern = patterns[0]!;
  if (pattern.childCount === 1 && pattern.child(0)?.type === '_') return true;
  const only = pattern.namedChildren.length === 1 ? pattern.namedChild(0) : null;
  return only?.type === 'dotted_name' && only.namedChildren.length === 1;
}

function single(outcome: Outcome | 'localBreak' | 'localContinue', node: Node): Flow {
  return new Map([[outcome, outcome === 'fallthrough' ? null : node]]);
}

function merge(into: Flow, from: Flow): void {
  for (const [k, v] of from) if (!into.has(k)) into.set(k, v);
}

// ---------------------------------------------------------------------------------------------
// Deliberate swallowing

/**
 * The 3.11+ protocol: a handler that consults `current_task().cancelling()` (or `uncancel()`) and
 * re-raises on some path is telling its own cancellation apart from one it caused.
 */
function reraisesWhenCancelling(ctx: PythonContext, body: Node, outcomes: Outcomes): boolean {
  if (!outcomes.has('reraise')) return false;
  return ctx.captures(CANCELLING_CALLS, body).some((c) => c.name === 'call');
}

/**
 * The handler keeps the exception object (`errors.append(exc)`, `self._error = exc`,
 * `waiter.set_exception(exc)`): a deliberate deferral — re-raised after cleanup, or delivered to
 * whoever waits — not the fire-and-forget swallow this rule is about.
 */
function handsExceptionOn(ctx: PythonContext, body: Node, alias: string | undefined): boolean {
  if (!alias) return false;
  for (const match of ctx.matches(HANDED_ON, body)) {
    const value = match.captures.find((c) => c.name === 'value')?.node;
    if (!value || value.text !== alias) continue;
    const method = match.captures.find((c) => c.name === 'method')?.node.text;
    if (method === undefined || HANDING_METHODS.has(method)) return true;
  }
  return false;
}

/**
 * `task.cancel()` … `try: await task / except CancelledError: pass`: waiting for a child this
 * function cancelled. The try body must only await a task held in a name, attribute or subscript
 * (awaiting a call would start new work), and the same function must cancel that task first —
 * the same expression, or the loop form `for t in tasks: t.cancel()` … `for t in tasks: await t`.
 */
class ChildTaskIdiom {
  private cancels: { call: Node; receiver: Node; fn: unknown }[] | undefined;

  constructor(private readonly ctx: PythonContext) {}

  waitsForCancelledChild(statement: Node, body: Node): boolean {
    return this.waitsForChildCancelledEarlier(statement, body) || this.waitsForOwnCancelledAttribute(body);
  }

  /**
   * Every await in the try awaits a task or future held on `self` (`await self._transfer_task`)
   * that this module cancels itself somewhere (`self._transfer_task.cancel()` in `close()`): the
   * object uses that cancellation as its own signal (the data phase ended, the connection failed), so
   * the `CancelledError` caught is the child's, not this task's.
   */
  private waitsForOwnCancelledAttribute(body: Node): boolean {
    const points = this.ctx.captures('[(await) (for_statement "async") (with_statement "async")] @p', body);
    if (points.length === 0) return false;
    const cancelled = this.attributesCancelled();
    return points.every(({ node }) => {
      if (node.type !== 'await') return false;
      const target = node.namedChild(0);
      return target?.type === 'attribute' && target.childForFieldName('object')?.text === 'self' && cancelled.has(target.text);
    });
  }

  private cancelledAttributes: Set<string> | undefined;

  /** `self.x` receivers of `.cancel()` anywhere in the module, sync functions included. */
  private attributesCancelled(): Set<string> {
    if (!this.cancelledAttributes) {
      this.cancelledAttributes = new Set();
      for (const match of this.ctx.matches(CANCEL_CALLS)) {
        const receiver = match.captures.find((c) => c.name === 'receiver')?.node;
        if (receiver?.type === 'attribute' && receiver.childForFieldName('object')?.text === 'self') this.cancelledAttributes.add(receiver.text);
      }
    }
    return this.cancelledAttributes;
  }

  private waitsForChildCancelledEarlier(statement: Node, body: Node): boolean {
    const awaited: Node[] = [];
    for (const s of body.namedChildren) {
      if (!s || s.type === 'comment' || s.type === 'pass_statement') continue;
      // `await task`, `result = await task`, `return await task`.
      if (s.type !== 'expression_statement' && s.type !== 'return_statement') return false;
      let expr = s.namedChild(0);
      if (expr?.type === 'assignment') expr = expr.childForFieldName('right');
      if (expr?.type !== 'await') return false;
      const target = expr.namedChild(0);
      if (!target || !['identifier', 'attribute', 'subscript'].includes(target.type)) return false;
      awaited.push(target);
    }
    if (awaited.length === 0) return false;
    const fn = this.ctx.scopes.functionAt(statement.startIndex);
    const earlier = this.cancelCalls().filter((c) => c.fn === fn && c.call.startIndex < statement.startIndex);
    if (awaited.every((task) => earlier.some((c) => c.receiver.text === task.text || sameLoopVariable(c.receiver, task)))) return true;
    // The cancel may happen inside a call that stops things (`await conn.close()`, `server.stop()`)
    // made earlier in the same function: awaiting a task reference after it is the same idiom.
    return this.stopCalls().some((c) => c.fn === fn && c.call.startIndex < statement.startIndex);
  }

  private stops: { call: Node; fn: unknown }[] | undefined;

  private stopCalls(): { call: Node; fn: unknown }[] {
    if (!this.stops) {
      this.stops = [];
      for (const match of this.ctx.matchesInAsync(STOP_CALLS)) {
        const call = match.captures.find((c) => c.name === 'call')?.node;
        if (call) this.stops.push({ call, fn: this.ctx.scopes.functionAt(call.startIndex) });
      }
    }
    return this.stops;
  }

  private cancelCalls(): { call: Node; receiver: Node; fn: unknown }[] {
    if (!this.cancels) {
      this.cancels = [];
      for (const match of this.ctx.matchesInAsync(CANCEL_CALLS)) {
        const call = match.captures.find((c) => c.name === 'call')?.node;
        const receiver = match.captures.find((c) => c.name === 'receiver')?.node;
        if (call && receiver) this.cancels.push({ call, receiver, fn: this.ctx.scopes.functionAt(call.startIndex) });
      }
    }
    return this.cancels;
  }
}

/** Both names are the variables of `for` loops over the same iterable (`for t in tasks:` twice). */
function sameLoopVariable(a: Node, b: Node): boolean {
  if (a.type !== 'identifier' || b.type !== 'identifier') return false;
  const la = loopOver(a);
  const lb = loopOver(b);
  return la !== undefined && la === lb;
}

function loopOver(name: Node): string | undefined {
  for (const n of ancestors(name)) {
    if (n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') return undefined;
    if (n.type === 'for_statement') {
      const left = n.childForFieldName('left');
      if (left?.type === 'identifier' && left.text === name.text) return collapse(n.childForFieldName('right')?.text ?? '');
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')');
}

function truncate(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 57)}…`;
}

// ---------------------------------------------------------------------------------------------
// The end of a task

/**
 * The function that ends soon after `statement` completes: what follows it, up to the function's
 * end, is only quick synchronous cleanup (no await, no loop) — at its own level and at each `if`/
 * `else` branch or `with` block enclosing it. Inside a loop or a `try` it never ends the function:
 * the loop goes round again, the outer handlers run.
 */
export function functionEndingAfter(ctx: PythonContext, statement: Node): Node | undefined {
  let current = statement;
  for (;;) {
    const block = current.parent;
    if (block?.type !== 'block') return undefined;
    const statements = block.namedChildren.filter((s): s is Node => s !== null && s.type !== 'comment');
    const after = statements.slice(statements.findIndex((s) => s.id === current.id) + 1);
    if (after.some((s) => !isQuickStatement(ctx, s))) return undefined;
    const owner = block.parent;
    if (!owner) return undefined;
    if (owner.type === 'function_definition') return owner;
    if (owner.type === 'if_statement' || owner.type === 'with_statement') current = owner;
    else if ((owner.type === 'elif_clause' || owner.type === 'else_clause') && owner.parent?.type === 'if_statement') current = owner.parent;
    else return undefined;
  }
}

/** A statement that runs to completion at once: no await point, no loop. */
function isQuickStatement(ctx: PythonContext, s: Node): boolean {
  if (s.type === 'function_definition' || s.type === 'class_definition' || s.type === 'decorated_definition') return true;
  return !ctx.hasAwaitPoint(s) && s.descendantsOfType(['for_statement', 'while_statement']).length === 0 && s.type !== 'for_statement' && s.type !== 'while_statement';
}

/** Calls that start a coroutine as a task of its own (the coroutine is the task's root). */
const TASK_STARTERS = /(^|\.)(create_task|ensure_future|start_soon|spawn|run|run_until_complete|gather)$/;
const startedCache = new WeakMap<PythonContext, ReadonlySet<string>>();

/**
 * Names of the functions this module starts as tasks: `asyncio.create_task(self._run())`,
 * `ensure_future(reader())`, `tg.create_task(worker(q))`, `asyncio.run(main())`, `gather(a(), b())`.
 * A handler that ends such a coroutine ends the task: nothing awaits the coroutine and carries on.
 * (By name: a method of another class with the same name counts too, a deliberate approximation.)
 */
export function functionsStartedAsTasks(ctx: PythonContext): ReadonlySet<string> {
  let names = startedCache.get(ctx);
  if (names) return names;
  const found = new Set<string>();
  if (/create_task|ensure_future|start_soon|spawn|run|gather/.test(ctx.source)) {
    for (const capture of ctx.captures('(call function: (_) @fn arguments: (argument_list (call function: (_) @inner)))')) {
      if (capture.name !== 'fn' || !TASK_STARTERS.test(capture.node.text)) continue;
      const args = capture.node.parent?.childForFieldName('arguments');
      for (const arg of args?.namedChildren ?? []) {
        if (arg?.type !== 'call') continue;
        const fn = arg.childForFieldName('function');
        const name = fn?.type === 'identifier' ? fn.text : fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
        if (name) found.add(name);
      }
    }
  }
  startedCache.set(ctx, (names = found));
  return names;
}

/**
 * A handler whose every non-re-raising path ends the task: it falls off the end of (or returns
 * from) a coroutine this module starts as a task, and the `try` is the coroutine's last act. The
 * task then stops when cancelled — no shutdown hang — but ends as if it had succeeded, so its
 * canceller, `TaskGroup` and `asyncio.timeout()` never see the cancellation: AW101's milder form.
 */
export function endsTheTask(ctx: PythonContext, handler: CancellationHandler): boolean {
  const o = handler.outcomes;
  if (o.has('continue')) return false;
  if (!o.has('fallthrough') && !o.has('return') && !o.has('break')) return false;
  const fn = enclosingFunction(handler.tryStatement);
  if (!fn) return false;
  // Falling through ends the task when the try is (nearly) the function's last act; `break` when the
  // loop it leaves is; `return` always does.
  if (o.has('fallthrough') && functionEndingAfter(ctx, handler.tryStatement)?.id !== fn.id) return false;
  const brokenLoop = o.has('break') ? loopOf(o.get('break')!) : undefined;
  if (o.has('break') && (!brokenLoop || functionEndingAfter(ctx, brokenLoop)?.id !== fn.id)) return false;
  const name = fn.childForFieldName('name')?.text;
  return name !== undefined && functionsStartedAsTasks(ctx).has(name);
}

/** The loop a `break` leaves. */
function loopOf(node: Node): Node | undefined {
  for (const n of ancestors(node)) {
    if (n.type === 'for_statement' || n.type === 'while_statement') return n;
    if (n.type === 'function_definition') return undefined;
  }
  return undefined;
}

function enclosingFunction(node: Node): Node | undefined {
  for (const n of ancestors(node)) {
    if (n.type === 'function_definition') return n;
    if (n.type === 'lambda' || n.type === 'class_definition') return undefined;
  }
  return undefined;
}
