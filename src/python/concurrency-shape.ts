/**
 * Small syntactic helpers for the concurrency-shape rules (AW401, AW402, AW403): await points of
 * one function, the names an expression reads, names a loop body changes, loop exits. Each helper
 * runs a query over a small subtree (a loop body, a call), never over the file.
 */
import type { Node } from 'web-tree-sitter';
import { ancestors } from './ancestors';
import type { PythonContext } from './context';

const SUSPENSION_POINTS = `
(await) @await
(for_statement "async") @point
(with_statement "async") @point
(for_in_clause "async") @point
`;
const EXITS = `
(break_statement) @break
[(return_statement) (raise_statement) (yield) (assert_statement)] @exit
(call function: [(identifier) @check (attribute attribute: (identifier) @check)] (#match? @check "^assert")) @exit
`;
const IDENTIFIERS = '(identifier) @id';
const TARGETS = `
(assignment left: (_) @target)
(augmented_assignment left: (_) @target)
(named_expression name: (identifier) @target)
(for_statement left: (_) @target)
(as_pattern_target (_) @target)
(delete_statement (_) @target)
`;
/** In-place mutators of the builtin containers: `seen.add(x)` changes `seen` as much as `seen = …` would. */
const MUTATORS = `(call function: (attribute object: (_) @target attribute: (identifier) @method)
  (#match? @method "^(append|appendleft|add|extend|extendleft|update|insert|pop|popleft|popitem|remove|discard|clear|setdefault|sort|reverse)$"))`;

/** The suspension points (`await`, `async for`, `async with`, async comprehension) of the node's own function. */
export function suspensionPoints(ctx: PythonContext, node: Node): { node: Node; isAwait: boolean }[] {
  const own = ctx.scopes.functionAt(node.startIndex);
  return ctx
    .captures(SUSPENSION_POINTS, node)
    .filter((c) => ctx.scopes.functionAt(c.node.startIndex) === own)
    .map((c) => ({ node: c.node, isAwait: c.name === 'await' }));
}

/**
 * Whether anything in the loop body can leave the loop early or hand a value out mid-way:
 * `break` of this loop, `return`, `raise`, `yield` (in the loop's own function), and assertions —
 * `assert …` and `self.assertEqual(…)`-style calls raise when the check fails, so a loop of
 * checks stops at the first item that fails, like an `if …: raise`.
 */
export function leavesEarly(ctx: PythonContext, loop: Node, body: Node): boolean {
  const own = ctx.scopes.functionAt(loop.startIndex);
  for (const c of ctx.captures(EXITS, body)) {
    if (c.name === 'check' || ctx.scopes.functionAt(c.node.startIndex) !== own) continue;
    if (c.name === 'exit') return true;
    if (innermostLoop(c.node)?.equals(loop)) return true;
  }
  return false;
}

export function innermostLoop(node: Node): Node | null {
  for (const n of ancestors(node)) {
    if (n.type === 'for_statement' || n.type === 'while_statement') return n;
    if (n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') return null;
  }
  return null;
}

/** Names an expression reads: identifiers that are neither attribute names nor keyword-argument names. */
export function namesRead(ctx: PythonContext, node: Node): Set<string> {
  const out = new Set<string>();
  for (const c of ctx.captures(IDENTIFIERS, node)) {
    const parent = c.node.parent;
    if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.equals(c.node)) continue;
    if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.equals(c.node)) continue;
    out.add(c.node.text);
  }
  return out;
}

/** Dotted attribute paths an expression reads (`self.offset`, `self.state.cursor`). */
export function attributesRead(ctx: PythonContext, node: Node): Set<string> {
  const out = new Set<string>();
  for (const c of ctx.captures('(attribute) @a', node)) out.add(c.node.text);
  return out;
}

/**
 * What a loop body changes: plain names (assigned, augmented, bound by a nested `for`/`with`,
 * or mutated in place through a container method) and dotted attribute paths assigned to.
 * Subscript targets (`d[k] = v`) change their root name.
 */
export function changedIn(ctx: PythonContext, body: Node): { names: Set<string>; attributes: Set<string>; bindings: Map<string, number> } {
  const names = new Set<string>();
  /** How many times each plain name is bound in the body (a name bound twice carries state). */
  const bindings = new Map<string, number>();
  const attributes = new Set<string>();
  const own = ctx.scopes.functionAt(body.startIndex);
  const add = (target: Node): void => {
    if (target.type === 'identifier') {
      names.add(target.text);
      bindings.set(target.text, (bindings.get(target.text) ?? 0) + 1);
    } else if (target.type === 'attribute') {
      attributes.add(target.text);
      const root = rootName(target);
      if (root && root !== 'self' && root !== 'cls') names.add(root);
    } else if (target.type === 'subscript') {
      const root = rootName(target);
      if (root) names.add(root);
    } else for (const child of target.namedChildren) if (child) add(child);
  };
  for (const c of ctx.captures(TARGETS, body)) if (ctx.scopes.functionAt(c.node.startIndex) === own) add(c.node);
  for (const m of ctx.matches(MUTATORS, body)) {
    const target = m.captures.find((c) => c.name === 'target')?.node;
    if (target && ctx.scopes.functionAt(target.startIndex) === own) add(target);
  }
  return { names, attributes, bindings };
}

/** The name an expression chain starts from: `self.a.b[0].c()` → `self`. */
export function rootName(node: Node): string | undefined {
  let n: Node | null = node;
  while (n) {
    if (n.type === 'identifier') return n.text;
    if (n.type === 'attribute') n = n.childForFieldName('object');
    else if (n.type === 'subscript') n = n.childForFieldName('value');
    else if (n.type === 'call') n = n.childForFieldName('function');
    else if (n.type === 'parenthesized_expression') n = n.namedChild(0);
    else return undefined;
  }
  return undefined;
}

/** Identifiers bound by a loop target (`x`, `k, v`, `(i, (a, b))`); undefined for `self.x` or `d[k]` targets. */
export function targetNames(target: Node): string[] | undefined {
  if (target.type === 'identifier') return [target.text];
  if (target.type === 'pattern_list' || target.type === 'tuple_pattern' || target.type === 'list_pattern' || target.type === 'parenthesized_expression') {
    const out: string[] = [];
    for (const child of target.namedChildren) {
      if (!child || child.type === 'comment') continue;
      const inner = targetNames(child);
      if (!inner) return undefined;
      out.push(...inner);
    }
    return out;
  }
  return undefined;
}

/** The statements of a block, without comments. */
export function statementsOf(block: Node): Node[] {
  return block.namedChildren.filter((s): s is Node => s !== null && s.type !== 'comment');
}

/** The `with` items enclosing a node within its function, innermost first. */
export function enclosingWithItems(node: Node): Node[] {
  const out: Node[] = [];
  for (const n of ancestors(node)) {
    if (n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') break;
    if (n.type !== 'with_statement') continue;
    for (const clause of n.namedChildren) {
      if (clause?.type !== 'with_clause') continue;
      for (const item of clause.namedChildren) if (item?.type === 'with_item') out.push(item);
    }
  }
  return out;
}

/** Short, one-line rendering of code for a message. */
export function excerpt(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/**
 * True when a comment lies inside `[node.start, end)`, which a rewrite of that range would drop.
 * Pass the end of a block's last statement as `end` so that a comment trailing it (which
 * tree-sitter puts inside the block) stays where it is, and as `kept` a node the rewrite copies
 * verbatim (comments inside it survive).
 */
export function holdsComment(ctx: PythonContext, node: Node, end = node.endIndex, kept?: Node): boolean {
  return ctx
    .captures('(comment) @c', node)
    .some((c) => c.node.startIndex >= node.startIndex && c.node.endIndex <= end && !(kept && c.node.startIndex >= kept.startIndex && c.node.endIndex <= kept.endIndex));
}

/** Calls that return a future or task rather than a coroutine. */
const FUTURE_FACTORIES = /(^|\.)(create_task|ensure_future|run_in_executor|shield|gather|wrap_future|create_future|run_coroutine_threadsafe)$/;
/**
 * HTTP-verb methods: aiohttp's `session.get(…)` returns an awaitable context manager, not a
 * coroutine. `gather` accepts any awaitable; `TaskGroup.create_task` only coroutines.
 */
const REQUEST_METHODS = /\.(get|post|put|patch|delete|head|options|request|ws_connect)$/;

/** True when the call may return an awaitable that is not a coroutine (`TaskGroup.create_task` would reject it). */
export function mayNotBeCoroutine(call: Node): boolean {
  const callee = call.childForFieldName('function')?.text.replace(/\s+/g, '') ?? '';
  return FUTURE_FACTORIES.test(callee) || REQUEST_METHODS.test(callee);
}
