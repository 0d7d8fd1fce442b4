/**
 * Walking TypeScript syntax trees without recursion. TypeScript parses a 10,000-long chain of
 * `a + b + …` or of nested calls into a tree as deep, and a walker that recurses once per level
 * (`n.forEachChild(visit)` inside `visit`) overflows the stack there (issue 12's fuzz campaign:
 * AW101 on a line of 10,000 calls). This one keeps its own stack.
 *
 * While a file is analysed (`sharingWalks`), its tree is flattened once into pre-order with each
 * node's subtree end, and every walk of a node of that file runs over the array: the rules walk the
 * file and each async function many times over, and asking TypeScript for a node's children on each
 * walk (a closure call per child, a stack to reverse) was a third of the plugin's `geterr` time on a
 * 20,000-call file.
 */
import type * as ts from 'typescript';

/**
 * A source file's nodes in pre-order; `ends[i]` is the index just past node i's last descendant.
 * Pre-order keeps `pos` non-decreasing, so a node is found by binary search on `starts`.
 */
interface FlatTree {
  readonly nodes: readonly ts.Node[];
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/**
 * How many nodes starting at the same position are searched for a walk's root: a parent and its
 * first child share a start, and so does every link of a `a.b.c…` chain. Past this the walk takes the
 * ordinary path, so a 10,000-link chain costs no more than before.
 */
const MAX_SAME_START = 64;

function indexOf(tree: FlatTree, root: ts.Node): number | undefined {
  const { starts, nodes } = tree;
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] < root.pos) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo, n = 0; i < nodes.length && starts[i] === root.pos && n < MAX_SAME_START; i++, n++) if (nodes[i] === root) return i;
  return undefined;
}

let sharedFile: ts.SourceFile | undefined;
let sharedTree: FlatTree | undefined;

/**
 * Runs `fn` with walks of `sourceFile`'s nodes served from one flattening of its tree (built on the
 * first walk). The tree must not change meanwhile (TypeScript's trees do not); walks of other files'
 * nodes take the ordinary path.
 */
export function sharingWalks<T>(sourceFile: ts.SourceFile, fn: () => T): T {
  const before = { file: sharedFile, tree: sharedTree };
  sharedFile = sourceFile;
  sharedTree = undefined;
  try {
    return fn();
  } finally {
    sharedFile = before.file;
    sharedTree = before.tree;
  }
}

function flatten(root: ts.Node): FlatTree {
  const nodes: ts.Node[] = [];
  const parents: number[] = [];
  const stack: ts.Node[] = [root];
  const parentOf: number[] = [-1];
  const pending: ts.Node[] = [];
  while (stack.length > 0) {
    const n = stack.pop()!;
    const i = nodes.length;
    nodes.push(n);
    parents.push(parentOf.pop()!);
    pending.length = 0;
    n.forEachChild((child) => {
      pending.push(child);
    });
    // Reversed, so the first child is popped first.
    for (let k = pending.length - 1; k >= 0; k--) {
      stack.push(pending[k]);
      parentOf.push(i);
    }
  }
  // A node's subtree ends where its last descendant's does: propagate ends upwards, children last.
  const ends = new Int32Array(nodes.length);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (ends[i] === 0) ends[i] = i + 1;
    const p = parents[i];
    if (p >= 0 && ends[i] > ends[p]) ends[p] = ends[i];
  }
  const starts = new Int32Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) starts[i] = nodes[i].pos;
  return { nodes, starts, ends };
}

/**
 * Visits `root` (unless `includeRoot` is false) and its descendants in pre-order, the order a
 * recursive `forEachChild` walk visits them. `visit` returning `false` skips the node's children.
 */
export function walkTree(root: ts.Node, visit: (n: ts.Node) => boolean | void, includeRoot = true): void {
  if (sharedFile) {
    sharedTree ??= flatten(sharedFile);
    const at = indexOf(sharedTree, root);
    if (at !== undefined) {
      const { nodes, ends } = sharedTree;
      const end = ends[at];
      let i = includeRoot ? at : at + 1;
      while (i < end) i = visit(nodes[i]) === false ? ends[i] : i + 1;
      return;
    }
  }
  const stack: ts.Node[] = [];
  const pushChildren = (n: ts.Node) => {
    const from = stack.length;
    n.forEachChild((child) => {
      stack.push(child);
    });
    // Reversed, so the first child is popped first.
    for (let i = from, j = stack.length - 1; i < j; i++, j--) [stack[i], stack[j]] = [stack[j], stack[i]];
  };
  if (includeRoot) stack.push(root);
  else pushChildren(root);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (visit(n) !== false) pushChildren(n);
  }
}
