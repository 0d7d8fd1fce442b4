/**
 * Which code runs in an async context. Computed once per file from one query into plain intervals,
 * so rules ask "is this node async?" without walking parents through wasm.
 *
 * A scope's interval is its body only: decorators, default values and annotations of an
 * `async def` are evaluated by the enclosing scope. A sync `def`, a `lambda` or a class body nested
 * in an `async def` is not async; comprehensions inherit their scope (an `await` is allowed there).
 */
import type { Node, QueryMatch } from 'web-tree-sitter';

/** Scope patterns; run together with the import patterns in one pass over the tree (see context.ts). */
export const SCOPE_PATTERNS = `
(function_definition "async"? @async body: (block) @body) @scope
(lambda body: (_) @body) @scope
(class_definition body: (block) @body) @scope
`;

export type ScopeKind = 'async-function' | 'function' | 'lambda' | 'class';

export interface Scope {
  readonly kind: ScopeKind;
  /** The `def`/`lambda`/`class` node. */
  readonly node: Node;
  /** Interval of the body, in UTF-16 offsets. */
  readonly start: number;
  readonly end: number;
  readonly parent: Scope | undefined;
}

export class Scopes {
  /** Sorted by start; parents precede their children. */
  readonly all: Scope[] = [];

  constructor(structure: readonly QueryMatch[]) {
    const raw: { kind: ScopeKind; node: Node; start: number; end: number }[] = [];
    for (const match of structure) {
      let scope: Node | undefined;
      let body: Node | undefined;
      let isAsync = false;
      for (const c of match.captures) {
        if (c.name === 'scope') scope = c.node;
        else if (c.name === 'body') body = c.node;
        else if (c.name === 'async') isAsync = true;
      }
      if (!scope || !body) continue;
      const kind: ScopeKind = scope.type === 'lambda' ? 'lambda' : scope.type === 'class_definition' ? 'class' : isAsync ? 'async-function' : 'function';
      raw.push({ kind, node: scope, start: body.startIndex, end: body.endIndex });
    }
    raw.sort((a, b) => a.start - b.start || b.end - a.end);
    const stack: Scope[] = [];
    for (const r of raw) {
      while (stack.length && !(stack[stack.length - 1].start <= r.start && r.end <= stack[stack.length - 1].end)) stack.pop();
      const scope: Scope = { ...r, parent: stack[stack.length - 1] };
      this.all.push(scope);
      stack.push(scope);
    }
  }

  /**
   * The outermost async function bodies, as disjoint intervals: everything async lies inside them,
   * so queries for async-only rules run over these ranges instead of the whole file.
   */
  asyncRanges(): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    for (const s of this.all) {
      if (s.kind !== 'async-function') continue;
      const last = out[out.length - 1];
      if (last && s.start < last.end) continue; // nested in the previous range
      out.push({ start: s.start, end: s.end });
    }
    return out;
  }

  /** The innermost scope whose body contains the offset, or undefined at module level. */
  at(offset: number): Scope | undefined {
    let lo = 0;
    let hi = this.all.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.all[mid].start <= offset) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let s: Scope | undefined = this.all[best]; s; s = s.parent) {
      if (s.start <= offset && offset < s.end) return s;
    }
    return undefined;
  }

  /** True when code at this offset runs as part of a coroutine. */
  isAsync(offset: number): boolean {
    return this.at(offset)?.kind === 'async-function';
  }

  /** The innermost function (`def`, `async def`, `lambda`) enclosing the offset. */
  functionAt(offset: number): Scope | undefined {
    for (let s = this.at(offset); s; s = s.parent) if (s.kind !== 'class') return s;
    return undefined;
  }
}
