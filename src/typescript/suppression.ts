/**
 * TS/JS suppression comments, on top of core's language-neutral model:
 *
 *   foo(); // asyncwise-ignore AW201             this line (codes, rule names or peer aliases)
 *   // asyncwise-ignore-next-line AW201, AW301   the next line
 *   // asyncwise-ignore-next-line                every rule on the next line
 */
import type { LineIndex } from '../core/finding';
import type { Suppression } from '../core/suppression';

const SAME_LINE = /\/[/*]\s*asyncwise-ignore(?!-)\b([^\n*]*)/;
const NEXT_LINE = /^\s*\/[/*]\s*asyncwise-ignore-next-line\b([^\n*]*)/;

function parse(list: string): Suppression {
  const codes = new Set<string>();
  // Text after ` -- ` (or `--`) is a reason, not a code.
  for (const part of list.split(/\s--/)[0].split(/[\s,]+/)) {
    if (part) codes.add(/^[A-Za-z]+\d+$/.test(part) ? part.toUpperCase() : part.toLowerCase());
  }
  return { all: codes.size === 0, codes };
}

/** The suppression covering a 0-based line: a trailing comment on it or a comment line just above. */
export function suppressionAt(text: string, lines: LineIndex, line: number): Suppression | undefined {
  if (!text.includes('asyncwise-ignore')) return undefined;
  const same = SAME_LINE.exec(lines.lineText(line));
  if (same) return parse(same[1]);
  if (line > 0) {
    const above = NEXT_LINE.exec(lines.lineText(line - 1));
    if (above) return parse(above[1]);
  }
  return undefined;
}
