/**
 * What an analysis produces: findings with candidate fixes. Offsets are UTF-16 code units into
 * the analysed text (what JavaScript strings, tree-sitter's web binding and VS Code all use);
 * lines and columns are 0-based here and converted at the edges (the CLI prints 1-based).
 */
import { formatMessage, type RuleMeta, type Severity } from './rule';

export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly newText: string;
}

/**
 * A fix is `safe` when it removes the bug without changing anything else the code does; it is then
 * the preferred quick fix and may run in fix-all. `unsafe` fixes change behaviour beyond the bug
 * (ordering, threads, other exceptions) and run only one at a time or with explicit opt-in.
 */
export interface Fix {
  readonly title: string;
  readonly safety: 'safe' | 'unsafe';
  readonly edits: readonly TextEdit[];
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Another place that explains a finding (a hop of a cross-file chain): shown beside it by editors. */
export interface RelatedLocation {
  /** Absolute path of the file; undefined: the analysed file itself. */
  readonly file: string | undefined;
  readonly position: Position;
  readonly message: string;
}

export interface Finding {
  readonly code: string;
  readonly rule: string;
  readonly messageId: string;
  readonly message: string;
  readonly severity: Exclude<Severity, 'off'>;
  readonly start: number;
  readonly end: number;
  readonly startPosition: Position;
  readonly endPosition: Position;
  /** Candidate fixes, not yet checked to re-parse; surfaces ask the analysis for the valid ones. */
  readonly fixes: readonly Fix[];
  /** Places that explain it (AW202: each function of the chain); absent for most findings. */
  readonly related?: readonly RelatedLocation[];
}

/** Applies non-overlapping edits to a text. Throws on overlap: a fix with overlapping edits is a bug. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let pos = 0;
  for (const edit of sorted) {
    if (edit.start < pos) throw new Error(`overlapping edits at ${edit.start}`);
    out += text.slice(pos, edit.start) + edit.newText;
    pos = edit.end;
  }
  return out + text.slice(pos);
}

/** True when two edit lists touch overlapping ranges (fix-all applies only non-conflicting fixes). */
export function editsOverlap(a: readonly TextEdit[], b: readonly TextEdit[]): boolean {
  for (const x of a) {
    for (const y of b) {
      // Identical edits (two fixes adding the same import) merge rather than conflict.
      if (x.start === y.start && x.end === y.end && x.newText === y.newText) continue;
      if (x.start < y.end && y.start < x.end) return true;
      // Two insertions at the same point would be order-dependent.
      if (x.start === x.end && y.start === y.end && x.start === y.start) return true;
    }
  }
  return false;
}

/** Keeps one of each identical edit: several fixes may add the same `import asyncio`. */
export function mergeIdenticalEdits(edits: readonly TextEdit[]): TextEdit[] {
  const seen = new Set<string>();
  return edits.filter((e) => {
    const key = `${e.start}:${e.end}:${e.newText}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A finding of `rule` over `start..end` with its message filled in: what every engine's `report`
 * builds. Throws on an unknown message id (a rule bug, caught per rule by the engines).
 */
export function makeFinding(
  rule: Pick<RuleMeta, 'code' | 'name' | 'messages'>,
  severity: Finding['severity'],
  lines: LineIndex,
  range: { start: number; end: number },
  messageId: string,
  data: Readonly<Record<string, string>>,
  fixes: readonly Fix[],
  related?: readonly RelatedLocation[],
): Finding {
  const template = rule.messages[messageId];
  if (template === undefined) throw new Error(`${rule.code}: unknown message id ${messageId}`);
  return {
    code: rule.code,
    rule: rule.name,
    messageId,
    message: formatMessage(template, data),
    severity,
    start: range.start,
    end: range.end,
    startPosition: lines.position(range.start),
    endPosition: lines.position(range.end),
    fixes: fixes.map((f): Fix => ({ title: f.title, safety: f.safety, edits: f.edits })),
    ...(related?.length ? { related } : {}),
  };
}

/**
 * Offsets ↔ 0-based line/column over one text. A line ends at `\n`, `\r\n` or a lone `\r`: where
 * CPython, the TypeScript scanner and VS Code all end one (a lone CR counted as nothing made line
 * numbers and indentation disagree with the interpreter, and fixes built on them broke files).
 */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }
  get lineCount(): number {
    return this.starts.length;
  }
  position(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - this.starts[lo] };
  }
  offset(position: Position): number {
    const start = this.starts[Math.min(position.line, this.starts.length - 1)] ?? 0;
    return Math.min(start + position.column, this.text.length);
  }
  lineStart(line: number): number {
    return this.starts[line] ?? this.text.length;
  }
  lineText(line: number): string {
    const start = this.lineStart(line);
    const next = this.starts[line + 1];
    return this.text.slice(start, next === undefined ? this.text.length : next - 1).replace(/\r$/, '');
  }
}

/**
 * The edits taken so far, sorted by start, with the same notion of conflict as `editsOverlap`, but
 * each test a binary search instead of a scan of every taken edit (which made fix-all quadratic in
 * a file's findings).
 */
export class EditSpans {
  /** Sorted by (end, start). */
  private readonly spans: TextEdit[] = [];
  private readonly keys = new Set<string>();

  /** Adds the edits when none conflicts with one taken; false (and nothing added) otherwise. */
  tryAdd(edits: readonly TextEdit[]): boolean {
    if (edits.some((e) => !this.keys.has(key(e)) && this.conflicts(e))) return false;
    for (const e of edits) {
      if (this.keys.has(key(e))) continue;
      this.keys.add(key(e));
      this.spans.splice(this.insertionIndex(e), 0, e);
    }
    return true;
  }

  private conflicts(e: TextEdit): boolean {
    // The taken spans are disjoint and sorted: only those around e.start can touch it.
    for (let i = Math.max(0, this.firstEndingAfter(e.start) - 1); i < this.spans.length; i++) {
      const t = this.spans[i];
      if (t.start > e.end) break;
      if (editsOverlap([t], [e])) return true;
    }
    return false;
  }

  /**
   * Where `e` goes to keep the spans sorted by (end, start); disjoint spans sorted so are sorted by
   * start too, which `conflicts` relies on to stop early.
   */
  private insertionIndex(e: TextEdit): number {
    let lo = 0;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = this.spans[mid];
      if (s.end < e.end || (s.end === e.end && s.start < e.start)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first span whose end is at or after `offset` (binary search). */
  private firstEndingAfter(offset: number): number {
    let lo = 0;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.spans[mid].end < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function key(e: TextEdit): string {
  return `${e.start}:${e.end}:${e.newText}`;
}

/**
 * The members of `items` (fixes, pairwise non-overlapping) whose combined result passes, for one
 * check when all of them do: apply them all and check once. When the combination fails, the bad
 * ones are found by halving (a few checks per bad item), and the union of the good halves is
 * checked again as a whole. This relies on syntax errors being local: a fix that parses badly on
 * its own also makes any combination with fixes elsewhere parse badly, so a combination that
 * passes vouches for each of its members. Cost: a few checks per round, not one per finding.
 */
export function largestValidSubset<T>(items: readonly T[], passes: (group: readonly T[]) => boolean): T[] {
  if (items.length === 0) return [];
  if (passes(items)) return [...items];
  if (items.length === 1) return [];
  const good: T[] = [];
  const halve = (group: readonly T[], knownBad: boolean): void => {
    if (group.length === 0) return;
    if (!knownBad && passes(group)) {
      good.push(...group);
      return;
    }
    if (group.length === 1) return;
    const mid = group.length >> 1;
    halve(group.slice(0, mid), false);
    halve(group.slice(mid), false);
  };
  halve(items, true);
  if (good.length === 0 || passes(good)) return good;
  // The good halves clash together (not expected: see above): fall back to each item alone.
  return items.filter((item) => passes([item]));
}
