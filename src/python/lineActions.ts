/**
 * Editor-independent pieces of the Python code actions, shared by the VS Code extension and the
 * language server: the "ignore on this line" edit and the minimal replacement a fix-all becomes.
 */
import { LineIndex, type Finding, type TextEdit } from '../core/finding';
import type { PythonAnalysis } from './analyze';
import type { PythonParser } from './parser';

const NOQA_CODES = /#\s*noqa:\s*[A-Za-z0-9_\-]+(?:[ \t]*,[ \t]*[A-Za-z0-9_\-]+)*/i;

/**
 * `  # noqa: AW201` at the end of the finding's first line (where suppressions are looked up), or
 * the code added to a `# noqa: …` list already there. Undefined where a comment would change the
 * code: a line ending inside a multi-line string or in a backslash continuation.
 */
export function ignoreLineEdit(parser: PythonParser, analysis: PythonAnalysis, finding: Finding, lines: LineIndex = new LineIndex(analysis.source)): TextEdit | undefined {
  const line = finding.startPosition.line;
  const text = lines.lineText(line);
  const trimmedEnd = text.replace(/\s+$/, '');
  if (trimmedEnd.endsWith('\\')) return undefined;
  const lineStart = lines.lineStart(line);
  const comment = commentOnLine(parser, analysis, line);
  if (comment) {
    const noqa = NOQA_CODES.exec(comment.text);
    if (noqa) {
      const at = comment.start + noqa.index + noqa[0].length;
      return { start: at, end: at, newText: `, ${finding.code}` };
    }
    return { start: comment.end, end: comment.end, newText: `  # noqa: ${finding.code}` };
  }
  if (endsInsideString(analysis, lineStart + trimmedEnd.length)) return undefined;
  const at = lineStart + trimmedEnd.length;
  return { start: at, end: at, newText: `  # noqa: ${finding.code}` };
}

/** The comment on a line; a Python line holds at most one, at its end. */
function commentOnLine(parser: PythonParser, analysis: PythonAnalysis, line: number): { start: number; end: number; text: string } | undefined {
  // Rows, not indices: the web binding's query ranges count bytes of its UTF-16 input, not characters.
  const range = { startPosition: { row: line, column: 0 }, endPosition: { row: line + 1, column: 0 } };
  for (const { node } of parser.query('(comment) @c').captures(analysis.tree.rootNode, range)) {
    if (node.startPosition.row === line) return { start: node.startIndex, end: node.endIndex, text: node.text };
  }
  return undefined;
}

/** Whether the character before `lineEnd` belongs to a string literal that continues on the next line. */
function endsInsideString(analysis: PythonAnalysis, lineEnd: number): boolean {
  if (lineEnd === 0) return false;
  for (let node = analysis.tree.rootNode.descendantForIndex(lineEnd - 1); node; node = node.parent) {
    if (node.type === 'string' && node.endIndex > lineEnd) return true;
    if (node.type === 'block' || node.type === 'module') return false;
  }
  return false;
}

/** One replacement covering only what differs, so the cursor, folds and markers elsewhere stay put. */
export function minimalChange(before: string, after: string): TextEdit {
  let prefix = 0;
  const max = Math.min(before.length, after.length);
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  return { start: prefix, end: before.length - suffix, newText: after.slice(prefix, after.length - suffix) };
}
