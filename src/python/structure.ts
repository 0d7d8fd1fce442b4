/**
 * A file's structure — its scopes (def, async def, lambda, class) and its imports — found by text and
 * confirmed by the tree. A query over the whole tree visits every node inside wasm; this finds the
 * keywords (`def`, `class`, `lambda`, `import`) in the text, then walks one tree cursor forward to
 * each of them and keeps those that are the keyword token of the expected node. A word in a string
 * or comment lands on a string or comment node and is dropped, so the text only proposes, the tree
 * decides: the result is the query's (checked against it on the fixtures and random files in
 * test/unit/python-structure.test.ts), at a fraction of the cost on real code.
 *
 * Linear: the offsets ascend and the cursor only moves forward (to a next sibling, up, or down into
 * the child holding the next offset), so no node is entered from above twice.
 */
import type { Node, Tree, TreeCursor } from 'web-tree-sitter';
import type { ScopeKind } from './scopes';

export interface ScopeNode {
  readonly kind: ScopeKind;
  /** The `def`/`lambda`/`class` node. */
  readonly node: Node;
  /** The body, in UTF-16 offsets. */
  readonly start: number;
  readonly end: number;
}

export interface Structure {
  /** In source order. */
  readonly scopes: ScopeNode[];
  /** `import_statement` and `import_from_statement` nodes, in source order. */
  readonly imports: Node[];
}

/**
 * Keywords that start a scope or an import. Not `\b`: JavaScript's word boundary treats non-ASCII
 * letters as non-word, which only proposes a few extra offsets (the tree drops them); the guard
 * keeps ASCII identifiers such as `undef` or `classes` out.
 */
const KEYWORDS = /(?<![A-Za-z0-9_])(?:def|class|lambda|import)(?![A-Za-z0-9_])/g;

/** The keyword token's parent type, per keyword. */
const OWNERS: Record<string, readonly string[]> = {
  def: ['function_definition'],
  class: ['class_definition'],
  lambda: ['lambda'],
  import: ['import_statement', 'import_from_statement'],
};

export function findStructure(tree: Tree, source: string): Structure {
  const scopes: ScopeNode[] = [];
  const imports: Node[] = [];
  for (const { word, offset, node } of keywordOwners(tree, source, KEYWORDS, OWNERS)) {
    if (word === 'import') {
      imports.push(node);
      continue;
    }
    const body = node.childForFieldName('body');
    if (!body || (word !== 'lambda' && body.type !== 'block')) continue;
    // `async` is the first token of an async def's node, so the node starts before its `def`.
    const kind = word === 'lambda' ? 'lambda' : word === 'class' ? 'class' : node.startIndex < offset ? 'async-function' : 'function';
    scopes.push({ kind, node, start: body.startIndex, end: body.endIndex });
  }
  return { scopes, imports };
}

/**
 * The nodes a keyword starts, found by text and confirmed by the tree: each match of `pattern` (a
 * global regex of keywords) that is a keyword token of the tree, whose parent's type is among
 * `owners[word]`, yields that parent. `wanted`, when given, drops offsets before any tree work
 * (only those inside coroutines, say). One forward cursor for the whole file: linear.
 */
export function* keywordOwners(
  tree: Tree,
  source: string,
  pattern: RegExp,
  owners: Readonly<Record<string, readonly string[]>>,
  wanted?: (offset: number) => boolean,
  /** `identifier` to find names (`run`) rather than keyword tokens. */
  token: 'keyword' | 'identifier' = 'keyword',
): Generator<{ word: string; offset: number; node: Node }, void, undefined> {
  // A copy: the caller's regex keeps no `lastIndex` state between two sweeps (a generator can be
  // left half-consumed, or two can interleave).
  const words = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  // The cursor only once a word is found: most sweeps (`finally`, `run`) find none in most files.
  let cursor: TreeCursor | undefined;
  try {
    for (let m = words.exec(source); m; m = words.exec(source)) {
      cursor ??= tree.walk();
      const word = m[0];
      if (wanted && !wanted(m.index)) continue;
      if (!seek(cursor, m.index, token === 'identifier' ? 'identifier' : word, token === 'identifier')) continue;
      // On the owner, which starts at or before every later keyword: the next seek goes on from it.
      if (!cursor.gotoParent()) continue;
      if (!owners[word]?.includes(cursor.nodeType)) continue;
      yield { word, offset: m.index, node: cursor.currentNode };
    }
  } finally {
    cursor?.delete();
  }
}

/**
 * For each of the ascending `offsets` where a call starts, the statement whose whole value that
 * call is — directly (`f()`) or through an assignment (`_ = f()`) — then the later statements that
 * start before `until(offset)` (the rest of its line: `f(); g()`). Offsets with no such call are
 * skipped. One forward cursor for the file: linear, where a query per line walked down from the
 * root each time.
 */
export function* callStatementsAt(tree: Tree, offsets: Iterable<number>, until: (offset: number) => number): Generator<{ offset: number; statement: Node }, void, undefined> {
  const cursor = tree.walk();
  // A second cursor to go along the line, reset to the first each time (not `copy()`: in
  // web-tree-sitter 0.25 it copies whichever cursor was last marshalled, not this one).
  const along = tree.walk();
  try {
    for (const offset of offsets) {
      if (!seek(cursor, offset, 'call', true) || !cursor.gotoParent()) continue;
      if (cursor.nodeType === 'assignment' && !cursor.gotoParent()) continue;
      if (cursor.nodeType !== 'expression_statement') continue;
      yield { offset, statement: cursor.currentNode };
      // The cursor itself stays on this statement, which starts at or before every later offset
      // (the next one may lie inside it, on its next line).
      const end = until(offset);
      along.resetTo(cursor);
      while (along.gotoNextSibling() && along.startIndex < end) if (along.nodeType === 'expression_statement') yield { offset, statement: along.currentNode };
    }
  } finally {
    along.delete();
    cursor.delete();
  }
}

/**
 * Moves the cursor forward to the token of type `type` starting at `offset`; false when no token
 * starts there (the word is inside a string, a comment or a longer token). The cursor stays on a
 * node that starts at or before every later offset's node, so the next call can go on from it.
 *
 * Down by first child and next sibling, not `gotoFirstChildForIndex`: web-tree-sitter 0.25 turns
 * that call's child index into a boolean, so "no such child" (-1) reads as true with the cursor
 * unmoved — on a leaf, a loop that never ends — and a first child (0) reads as false.
 */
function seek(cursor: TreeCursor, offset: number, type: string, named = false): boolean {
  // Up and along: past every node that ends at or before the offset.
  while (cursor.endIndex <= offset) {
    if (cursor.gotoNextSibling()) continue;
    if (!cursor.gotoParent()) return false;
  }
  if (cursor.startIndex > offset) return false;
  // Down: into the child holding the offset, until the token itself.
  for (;;) {
    // A keyword is an anonymous token; `lambda` is also the name of the named node it starts.
    if (cursor.startIndex === offset && cursor.nodeType === type && cursor.nodeIsNamed === named) return true;
    if (!cursor.gotoFirstChild()) return false;
    while (cursor.endIndex <= offset) {
      if (cursor.gotoNextSibling()) continue;
      // No child holds it (it sits in the parent's trailing extent): stay on the parent.
      cursor.gotoParent();
      return false;
    }
    if (cursor.startIndex > offset) return false;
  }
}
