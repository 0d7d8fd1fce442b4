/**
 * Unified diffs for `check --diff`: what `--fix` would write, in the format `git apply` and
 * `patch -p1` read. Lines are compared after trimming the common head and tail (fixes are local),
 * then with a longest-common-subsequence table over what is left.
 */

/** Lines kept around each change, as in `diff -u`. */
const CONTEXT = 3;
/** Above this many line pairs in the changed middle, one hunk replaces it whole (still a valid diff). */
const MAX_TABLE = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; line: string };

/** `--- a/file` / `+++ b/file` and the hunks; empty when the texts are equal. */
export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);
  let out = `--- a/${file}\n+++ b/${file}\n`;
  // Group changes whose context overlaps into hunks.
  let i = 0;
  while (i < ops.length) {
    if (ops[i].kind === ' ') {
      i++;
      continue;
    }
    let start = Math.max(0, i - CONTEXT);
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end].kind !== ' ') end++;
      let gap = end;
      while (gap < ops.length && ops[gap].kind === ' ') gap++;
      if (gap < ops.length && gap - end <= 2 * CONTEXT) end = gap;
      else {
        end = Math.min(ops.length, end + CONTEXT);
        break;
      }
    }
    // 1-based line numbers of the hunk's first line in each text.
    let aLine = 1;
    let bLine = 1;
    for (let k = 0; k < start; k++) {
      if (ops[k].kind !== '+') aLine++;
      if (ops[k].kind !== '-') bLine++;
    }
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    out += `@@ -${range(aLine, aCount)} +${range(bLine, bCount)} @@\n`;
    for (const op of hunk) {
      out += `${op.kind}${op.line.replace(/\r?\n$/, '')}\n`;
      // A last line without a newline is marked, as diff does.
      if (!op.line.endsWith('\n')) out += '\\ No newline at end of file\n';
    }
    i = end;
    start = end;
  }
  return out;
}

function range(line: number, count: number): string {
  // An empty range names the line before it.
  if (count === 0) return `${line - 1},0`;
  return count === 1 ? `${line}` : `${line},${count}`;
}

/** Lines with their terminators, so a changed line ending is a changed line. */
function splitLines(text: string): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g);
  return lines ?? [];
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const ops: Op[] = a.slice(0, head).map((line) => ({ kind: ' ', line }));
  if (am.length * bm.length > MAX_TABLE) {
    // Loops, not `push(...)`: a file's lines are unbounded and spread arguments live on the stack.
    for (const line of am) ops.push({ kind: '-', line });
    for (const line of bm) ops.push({ kind: '+', line });
  } else {
    // lcs[i][j]: the longest common subsequence of am[i:] and bm[j:].
    const w = bm.length + 1;
    const lcs = new Uint32Array((am.length + 1) * w);
    for (let i = am.length - 1; i >= 0; i--) {
      for (let j = bm.length - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < am.length || j < bm.length) {
      if (i < am.length && j < bm.length && am[i] === bm[j]) {
        ops.push({ kind: ' ', line: am[i++] });
        j++;
      } else if (i < am.length && (j === bm.length || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) ops.push({ kind: '-', line: am[i++] });
      else ops.push({ kind: '+', line: bm[j++] });
    }
  }
  for (const line of a.slice(a.length - tail)) ops.push({ kind: ' ', line });
  return ops;
}
