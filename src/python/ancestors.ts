/**
 * A node's ancestors, innermost first, in time linear in its depth.
 *
 * tree-sitter stores no parent pointers: `node.parent` walks down from the root, so it costs the
 * node's depth, and the usual `for (n = node.parent; n; n = n.parent)` costs the depth squared.
 * In a 10,000-term expression (`a + b + …`, a long method chain) that turned one finding into
 * seconds and a file of such findings into minutes. Most walks stop within a few steps, where
 * `.parent` is cheapest; past those the rest of the chain is found top-down once, each step
 * asking the node above for its child holding the target (`childWithDescendant`).
 */
import type { Node } from 'web-tree-sitter';

/** How many `.parent` steps before the rest of the chain is built top-down. */
const CHEAP_STEPS = 8;

export function* ancestors(node: Node): Generator<Node, void, undefined> {
  let n = node.parent;
  for (let steps = 0; n && steps < CHEAP_STEPS; steps++, n = n.parent) yield n;
  if (!n) return;
  const chain = pathFromRoot(n);
  for (let i = chain.length - 1; i >= 0; i--) yield chain[i];
}

/** The nodes from the root down to `node`, both included. */
function pathFromRoot(node: Node): Node[] {
  const chain: Node[] = [];
  let n: Node | null = node.tree.rootNode;
  while (n && n.id !== node.id) {
    chain.push(n);
    n = n.childWithDescendant(node);
  }
  chain.push(node);
  return chain;
}
