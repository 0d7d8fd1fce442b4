/**
 * Small text edits the TS/JS fixes share: put `await` in front of an expression (with the
 * parentheses its parent needs), insert a statement at the top of a block.
 */
import type * as ts from 'typescript';
import type { TextEdit } from '../core/finding';
import type { TsContext } from './context';

/**
 * Whether an `await x` in this position needs parentheses: as the object of a member access, a
 * call's callee, `new`'s target, a tagged template's tag or the left side of `**`.
 */
export function needsParens(tsm: typeof ts, node: ts.Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if ((tsm.isPropertyAccessExpression(parent) || tsm.isElementAccessExpression(parent)) && parent.expression === node) return true;
  if ((tsm.isCallExpression(parent) || tsm.isNewExpression(parent)) && parent.expression === node) return true;
  if (tsm.isTaggedTemplateExpression(parent) && parent.tag === node) return true;
  if (tsm.isNonNullExpression(parent)) return true;
  if (tsm.isBinaryExpression(parent) && parent.operatorToken.kind === tsm.SyntaxKind.AsteriskAsteriskToken && parent.left === node) return true;
  return false;
}

/** Replaces `node` with `await <replacement>`, parenthesised when its position requires it. */
export function awaitReplacing(ctx: TsContext, node: ts.Node, replacement: string): TextEdit {
  const awaited = `await ${replacement}`;
  return { start: ctx.start(node), end: node.end, newText: needsParens(ctx.ts, node) ? `(${awaited})` : awaited };
}

/** The source text of a call's arguments, between its parentheses (comments and spacing kept). */
export function argumentsText(ctx: TsContext, call: ts.CallExpression): string {
  return ctx.text.slice(call.arguments.pos, call.arguments.end);
}

/**
 * Inserts a statement as the first line of a block, indented like the block's first statement
 * (or one step deeper than the block's line); after a comment that trails the `{`.
 */
export function insertAtBlockStart(ctx: TsContext, block: ts.Block, statement: string): TextEdit {
  const open = ctx.start(block) + 1;
  const first = block.statements[0];
  const openLine = ctx.lines.position(open).line;
  const closeLine = ctx.lines.position(block.end).line;
  if (openLine === closeLine || (first && ctx.lines.position(ctx.start(first)).line === openLine)) {
    // `{}` or `{ foo(); }` on one line: keep it on one line.
    return { start: open, end: open, newText: ` ${statement}` + (first ? '' : ' ') };
  }
  const trailing = ctx.ts.getTrailingCommentRanges(ctx.text, open);
  const at = trailing && trailing.length > 0 ? trailing[trailing.length - 1].end : open;
  const indent = first ? ctx.indentOf(first) : ctx.indentOf(block) + ctx.indentUnit();
  return { start: at, end: at, newText: `${ctx.eol()}${indent}${statement}` };
}
