/**
 * Which code runs in an async context. Computed once per file from one query into plain intervals,
 * so rules ask "is this node async?" without walking parents through wasm.
 *
 * A scope's interval is its body only: decorators, default values and annotations of an
 * `async def` are evaluated by the enclosing scope. A sync `def`, a `lambda` or a class body nested
 * in an `async def` is not async; comprehensions inherit their scope (an `await` is allowed there).
 */
import type { Node } from 'web-tree-sitter';
import type { ScopeNode } from './structure';

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

  /** `found`: the file's def/lambda/class nodes with their bodies (structure.ts). */
  constructor(found: readonly ScopeNode[]) {
    const raw = [...found].sort((a, b) => a.start - b.start || b.end - a.end);
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
