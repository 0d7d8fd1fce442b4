/**
 * Calls made from async code, with what they call resolved: the shared front half of the
 * blocking-call rules. One query finds every call; the scope intervals say which run in a coroutine.
 */
import type { Node } from 'web-tree-sitter';
import type { PythonContext } from './context';
import { keywordOwners } from './structure';

const CALLS = '(call function: [(identifier) (attribute)] @callee arguments: (argument_list) @args) @call';

/** Assignments and `with … as` that give a name a constructed value (`s = requests.Session()`). */
const CONSTRUCTIONS = `
(assignment left: [(identifier) (attribute)] @name right: (call function: (_) @ctor))
(with_item value: (as_pattern (call function: (_) @ctor) alias: (as_pattern_target [(identifier) (attribute)] @name)))
(typed_parameter (identifier) @name type: (type (_) @ctor))
(typed_default_parameter name: (identifier) @name type: (type (_) @ctor))
(assignment left: (identifier) @name type: (type (_) @ctor))
`;

export interface AsyncCall {
  readonly call: Node;
  readonly callee: Node;
  readonly args: Node;
  /** Qualified name of the callee (`time.sleep`), or of `<receiver type>.<method>` for methods on known instances. */
  readonly name: string | undefined;
  /** For `x.m(...)`: the method name, the receiver node and its known type. */
  readonly method?: string;
  readonly receiver?: Node;
  readonly receiverType?: string;
  /** True when the value is awaited directly (`await x.read_text()`: an async API). */
  readonly awaited: boolean;
}

/** Memoised per context: every rule that asks shares one query run. */
const cache = new WeakMap<PythonContext, AsyncCall[]>();

export function asyncCalls(ctx: PythonContext): AsyncCall[] {
  let calls = cache.get(ctx);
  if (calls) return calls;
  calls = collect(ctx, CALLS);
  cache.set(ctx, calls);
  return calls;
}

/**
 * The calls of async code to one of `methods` (`x.run_forever()`) or to a plain name among `names`
 * (`run(…)` after `from asyncio import run`), for a rule that needs only those: the same records
 * `asyncCalls` holds, without resolving every other call of the file. From the shared list when
 * another rule already built it.
 */
export function asyncCallsOf(ctx: PythonContext, methods: readonly string[], names: readonly string[]): AsyncCall[] {
  const all = cache.get(ctx);
  if (all) {
    const wanted = new Set(methods);
    const plain = new Set(names);
    return all.filter((c) => (c.callee.type === 'identifier' ? plain.has(c.callee.text) : c.method !== undefined && wanted.has(c.method)));
  }
  // Found in the text, confirmed by the tree: the names are rare words, and a query over every
  // async body (its text predicates tested in JavaScript on each call) cost far more.
  const words = [...new Set([...methods, ...names])].filter((w) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(w));
  if (words.length === 0) return [];
  const pattern = new RegExp(`(?<![A-Za-z0-9_])(?:${words.join('|')})(?![A-Za-z0-9_])`, 'g');
  const owners = Object.fromEntries(words.map((w) => [w, ['attribute', 'call']]));
  const wantedMethods = new Set(methods);
  const wantedNames = new Set(names);
  const found: { call: Node; callee: Node; args: Node }[] = [];
  const focus = ctx.focus;
  for (const { word, offset, node } of keywordOwners(ctx.tree, ctx.source, pattern, owners, (o) => ctx.scopes.isAsync(o), 'identifier')) {
    let call: Node | null;
    let callee: Node;
    if (node.type === 'call') {
      // `run(…)`: the name is the call's function.
      const fn = node.childForFieldName('function');
      if (!wantedNames.has(word) || !fn || fn.startIndex !== offset) continue;
      call = node;
      callee = fn;
    } else {
      // `x.run(…)`: the name is the attribute, and the attribute is the call's function.
      if (!wantedMethods.has(word) || node.childForFieldName('attribute')?.startIndex !== offset) continue;
      call = node.parent;
      if (call?.type !== 'call' || call.childForFieldName('function')?.id !== node.id) continue;
      callee = node;
    }
    const args = call.childForFieldName('arguments');
    if (args?.type !== 'argument_list') continue;
    if (focus && (call.endIndex <= focus.start || focus.end <= call.startIndex)) continue;
    found.push({ call, callee, args });
  }
  return records(ctx, found, (call) => call.parent?.type === 'await').sort((a, b) => a.call.startIndex - b.call.startIndex);
}

/**
 * Which calls are awaited directly comes from a pattern of the same query run, not from each
 * call's `parent`: tree-sitter finds a parent by walking down from the root, so asking it of every
 * call in a 150,000-term expression took minutes (quadratic in the depth).
 */
const AWAITED = '(await (call) @awaited)';

function collect(ctx: PythonContext, query: string): AsyncCall[] {
  const awaitedIds = new Set<number>();
  const found: { call: Node; callee: Node; args: Node }[] = [];
  for (const match of ctx.matchesInAsync(`${query}\n${AWAITED}`)) {
    let call: Node | undefined;
    let callee: Node | undefined;
    let args: Node | undefined;
    for (const c of match.captures) {
      if (c.name === 'call') call = c.node;
      else if (c.name === 'callee') callee = c.node;
      else if (c.name === 'args') args = c.node;
      else if (c.name === 'awaited') awaitedIds.add(c.node.id);
    }
    if (call && callee && args) found.push({ call, callee, args });
  }
  return records(ctx, found, (call) => awaitedIds.has(call.id));
}

/** The calls' records: their callees resolved, receivers typed where the file constructs them. */
function records(ctx: PythonContext, found: readonly { call: Node; callee: Node; args: Node }[], isAwaited: (call: Node) => boolean): AsyncCall[] {
  const calls: AsyncCall[] = [];
  let types: ConstructedTypes | undefined;
  for (const { call, callee, args } of found) {
    if (!ctx.isAsync(call)) continue;
    const awaited = isAwaited(call);
    let name = ctx.resolve(callee);
    let method: string | undefined;
    let receiver: Node | undefined;
    let receiverType: string | undefined;
    if (callee.type === 'attribute') {
      method = callee.childForFieldName('attribute')?.text;
      receiver = callee.childForFieldName('object') ?? undefined;
      if (!name && receiver) {
        types ??= new ConstructedTypes(ctx);
        receiverType = types.typeOf(receiver);
        if (receiverType && method) name = `${receiverType}.${method}`;
      }
    }
    calls.push({ call, callee, args, name, method, receiver, receiverType, awaited });
  }
  return calls;
}

/** What a name was constructed as, per function (falling back to module level). Light, syntactic. */
class ConstructedTypes {
  private readonly byScope = new Map<string, string>();

  constructor(private readonly ctx: PythonContext) {
    for (const match of ctx.matches(CONSTRUCTIONS)) {
      const name = match.captures.find((c) => c.name === 'name')?.node;
      const ctor = match.captures.find((c) => c.name === 'ctor')?.node;
      if (!name || !ctor) continue;
      const type = this.typeOfExpression(ctor);
      if (type) this.byScope.set(this.key(name), type);
    }
  }

  private key(node: Node): string {
    // `self.x` is shared by the methods of a class; plain names belong to their function.
    if (node.type === 'attribute') return `attr:${node.text}`;
    const fn = this.ctx.scopes.functionAt(node.startIndex);
    return `${fn ? fn.start : -1}:${node.text}`;
  }

  private typeOfExpression(node: Node): string | undefined {
    const q = this.ctx.resolve(node);
    if (!q) return undefined;
    // Constructors and factories that return an instance of the class they are named after.
    return TYPE_ALIASES[q] ?? q;
  }

  typeOf(receiver: Node): string | undefined {
    if (receiver.type === 'call') {
      const fn = receiver.childForFieldName('function');
      return fn ? this.typeOfExpression(fn) : undefined;
    }
    if (receiver.type === 'attribute') return this.byScope.get(`attr:${receiver.text}`);
    if (receiver.type !== 'identifier') return undefined;
    for (let s = this.ctx.scopes.functionAt(receiver.startIndex); ; s = s.parent && this.ctx.scopes.functionAt(s.parent.start)) {
      const hit = this.byScope.get(`${s ? s.start : -1}:${receiver.text}`);
      if (hit) return hit;
      if (!s) return undefined;
    }
  }
}

const TYPE_ALIASES: Record<string, string> = {
  'requests.session': 'requests.Session',
  'pathlib.PosixPath': 'pathlib.Path',
  'pathlib.WindowsPath': 'pathlib.Path',
  'pathlib.Path.home': 'pathlib.Path',
  'pathlib.Path.cwd': 'pathlib.Path',
};

/** True when the node sits in a generator expression of its function (an `await` there changes its type). */
export function inGeneratorExpression(ctx: PythonContext, node: Node): boolean {
  // A generator expression holding the node and starting after its function's own start sits between
  // the two: intervals, not a walk up the ancestors (per finding, that walk is the depth of the
  // expression: 3,000 blocking calls chained by `and` spent 4 s in it).
  const fnStart = ctx.scopes.functionAt(node.startIndex)?.node.startIndex ?? -1;
  const gens = generatorExpressions(ctx);
  let lo = 0;
  let hi = gens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (gens[mid].start <= node.startIndex) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo - 1; i >= 0 && gens[i].start > fnStart; i--) if (gens[i].end >= node.endIndex && gens[i].id !== node.id) return true;
  return false;
}

const generatorCache = new WeakMap<PythonContext, { start: number; end: number; id: number }[]>();

/** The file's generator expressions, sorted by start: found once, when a finding first asks. */
function generatorExpressions(ctx: PythonContext): { start: number; end: number; id: number }[] {
  let gens = generatorCache.get(ctx);
  if (!gens) {
    gens = ctx.captures('(generator_expression) @g').map((c) => ({ start: c.node.startIndex, end: c.node.endIndex, id: c.node.id }));
    gens.sort((a, b) => a.start - b.start);
    generatorCache.set(ctx, gens);
  }
  return gens;
}

/** `await X` where the call was, parenthesised where precedence needs it (`f().x`, `-f()`, `f() ** 2`). */
export function awaitReplacing(call: Node, inner: string): string {
  const parent = call.parent;
  const tight =
    parent !== null &&
    ((parent.type === 'attribute' && parent.childForFieldName('object')?.equals(call)) ||
      (parent.type === 'subscript' && parent.childForFieldName('value')?.equals(call)) ||
      (parent.type === 'call' && parent.childForFieldName('function')?.equals(call)) ||
      parent.type === 'unary_operator' ||
      (parent.type === 'binary_operator' && parent.child(1)?.type === '**'));
  return tight ? `(await ${inner})` : `await ${inner}`;
}
