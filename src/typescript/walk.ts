/**
 * Walking TypeScript syntax trees without recursion. TypeScript parses a 10,000-long chain of
 * `a + b + …` or of nested calls into a tree as deep, and a walker that recurses once per level
 * (`n.forEachChild(visit)` inside `visit`) overflows the stack there (issue 12's fuzz campaign:
 * AW101 on a line of 10,000 calls). This one keeps its own stack.
 */
import type * as ts from 'typescript';

/**
 * Visits `root` (unless `includeRoot` is false) and its descendants in pre-order, the order a
 * recursive `forEachChild` walk visits them. `visit` returning `false` skips the node's children.
 */
export function walkTree(root: ts.Node, visit: (n: ts.Node) => boolean | void, includeRoot = true): void {
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
