/**
 * Runs the Python rules over one file. The engine used by every surface: the editor (with
 * incremental re-parse), the CLI and the tests.
 */
import type { Tree } from 'web-tree-sitter';
import { Deadline, isTimeBudgetExceeded } from '../core/budget';
import { CATALOG } from '../core/catalog';
import { applyEdits, EditSpans, largestValidSubset, LineIndex, mergeIdenticalEdits, type Finding, type Fix, type TextEdit } from '../core/finding';

export { EditSpans } from '../core/finding';
import { runsOnFile } from '../core/testCode';
import { effectiveSeverity, type Settings } from '../core/settings';
import { parseSuppression, suppresses, type Suppression } from '../core/suppression';
import type { Rule } from '../rules/define';
import { PythonContext } from './context';
import { asCPythonReadsLines, type PythonParser } from './parser';
import type { ProjectIndex } from './project';
import type { StageProfile } from '../core/profile';

/**
 * What makes a text fail to compile, as far as tree-sitter can tell: its ERROR and MISSING nodes,
 * and what its error recovery hides. A block with no statement (`if x:` followed by a line that is
 * not indented deeper) is a zero-width `block` to tree-sitter, no error at all, while CPython stops
 * with "expected an indented block": exactly what a fix that dedents a statement, or puts one on
 * the wrong line, leaves behind. Counting those blocks is how the fix check sees changed
 * indentation structure.
 */
const PROBLEMS = '(ERROR) @e (MISSING) @m (block) @b';

export interface AnalyzeOptions {
  /** A previous tree of this document, already `edit`ed to match `source`, for incremental parsing. */
  readonly oldTree?: Tree;
  /** Rules to run (default: the catalog's Python rules). */
  readonly rules?: readonly Rule[];
  /** Called when a rule throws; the other rules still run. */
  readonly onRuleError?: (rule: Rule, error: unknown) => void;
  /** The project's module index, for rules that follow calls into other files (`ctx.project`). */
  readonly project?: ProjectIndex;
  /** The file's path: names its module in the index (`ctx.module`) and resolves its relative imports. */
  readonly filePath?: string;
  /** The file's path relative to the workspace or project root: decides test code (`core/testCode`). */
  readonly relativePath?: string;
  /**
   * Only findings inside this span are wanted (the editor's windowed re-analysis): queries for
   * async code run over it alone. Findings outside it may be missing.
   */
  readonly focus?: { readonly start: number; readonly end: number };
  /**
   * The file's time budget: past it the parse, the rules and the fix checks stop and
   * `TimeBudgetExceeded` is thrown (no partial result). Default: none.
   */
  readonly deadline?: Deadline;
  /**
   * Stage timings for the profile benchmark (bench/profile.ts): milliseconds added under `parse`,
   * `context`, each rule's code and `suppressions`. Absent in the products: no clock is read.
   */
  readonly profile?: StageProfile;
}

export class PythonAnalysis {
  private readonly checked = new Map<Finding, readonly Fix[]>();
  private baselineProblems: number | undefined;

  constructor(
    private readonly parser: PythonParser,
    readonly source: string,
    readonly findings: readonly Finding[],
    private parsed: Tree | undefined,
    /**
     * The analysis' budget. The fix checks' re-parses get the same number of seconds again, counted
     * from when each check starts: they run lazily (the editor asks for one finding's fixes when the
     * user opens the lightbulb, maybe minutes later), so the analysis' own deadline has long passed.
     */
    private readonly deadline?: Deadline,
  ) {}

  /**
   * The parse tree, owned by this analysis until `dispose`. Files that cannot hold a finding (no
   * `async` anywhere) are not parsed at all unless someone asks for the tree.
   */
  get tree(): Tree {
    return (this.parsed ??= this.parser.parse(this.source));
  }

  /** The tree if one was parsed; the editor path re-parses incrementally from it. */
  get parsedTree(): Tree | undefined {
    return this.parsed;
  }

  /**
   * The finding's fixes whose result still parses (no more syntax errors than the file has now).
   * Checked lazily, once per finding, for a surface that asks about one finding (the editor's quick
   * fixes under the cursor); a surface that wants every finding's fixes calls `verifyAllFixes` first,
   * which checks them all for the cost of one re-parse.
   */
  validFixes(finding: Finding): readonly Fix[] {
    let fixes = this.checked.get(finding);
    if (!fixes) {
      const deadline = this.fixCheckDeadline();
      fixes = finding.fixes.filter((fix) => this.parses(fix.edits, deadline));
      this.checked.set(finding, fixes);
    }
    return fixes;
  }

  /**
   * Checks the fixes of every finding at once (what a report of all findings needs): see
   * `validSubset`. Afterwards `validFixes` answers from the result, without parsing.
   */
  verifyAllFixes(): void {
    const pending = this.findings.filter((f) => !this.checked.has(f) && f.fixes.length > 0);
    if (pending.length === 0) {
      for (const f of this.findings) if (!this.checked.has(f)) this.checked.set(f, []);
      return;
    }
    // Fixes of one finding are alternatives over the same code: they overlap, so each layer holds
    // at most one of them, and most files need one or two layers.
    const valid = new Set<Fix>();
    const deadline = this.fixCheckDeadline();
    for (const layer of nonOverlappingLayers(pending.flatMap((f) => f.fixes))) for (const fix of this.validSubset(layer, deadline)) valid.add(fix);
    for (const f of this.findings) if (!this.checked.has(f)) this.checked.set(f, f.fixes.filter((fix) => valid.has(fix)));
  }

  /**
   * The text with one fix per finding applied (safe ones, and unsafe ones when allowed), skipping
   * fixes that conflict with one already chosen and fixes whose result would not parse. Callers
   * iterate to a fixed point if they need to.
   */
  fixAll(allowUnsafe: boolean): { text: string; applied: number } {
    const chosen: Fix[] = [];
    const taken = new EditSpans();
    for (const finding of this.findings) {
      // An alternative already known not to parse is passed over for the next one.
      const known = this.checked.get(finding);
      const fix = (known ?? finding.fixes).find((f) => f.safety === 'safe' || allowUnsafe);
      if (!fix || !taken.tryAdd(fix.edits)) continue;
      chosen.push(fix);
    }
    const valid = this.validSubset(chosen, this.fixCheckDeadline());
    if (valid.length === 0) return { text: this.source, applied: 0 };
    return { text: applyEdits(this.source, mergeIdenticalEdits(valid.flatMap((f) => f.edits))), applied: valid.length };
  }

  /**
   * The fixes of `fixes` (pairwise non-overlapping) whose result parses, for one re-parse when all
   * of them do: apply them all and check once. When the combination parses worse, the bad ones are
   * found by halving (a few re-parses per bad fix), and the union of the good halves is checked
   * again as a whole. This relies on syntax errors being local: a fix that parses badly on its own
   * also makes any combination with fixes elsewhere parse badly, so a combination that passes
   * vouches for each of its members. Cost: linear in the file per round, not per finding.
   */
  private validSubset(fixes: readonly Fix[], deadline: Deadline | undefined): Fix[] {
    return largestValidSubset(fixes, (group) => this.parses(mergeIdenticalEdits(group.flatMap((f) => f.edits)), deadline));
  }

  /** A fresh budget for one round of fix checks (see the constructor's `deadline`). */
  private fixCheckDeadline(): Deadline | undefined {
    return this.deadline && new Deadline(this.deadline.seconds);
  }

  /**
   * Whether `text` (this source with `edits` applied) has no more syntax errors than the source.
   * Re-parses incrementally from a copy of this tree edited to match: a fix touches a few lines, so
   * this costs a fraction of a full parse (measured 60 ms → 8.5 ms on a 5,000-line test module).
   */
  private parses(edits: readonly TextEdit[], deadline: Deadline | undefined): boolean {
    const text = applyEdits(this.source, edits);
    if (this.baselineProblems === undefined) this.baselineProblems = countProblems(this.parser, this.tree);
    const base = this.tree.copy();
    let tree: Tree | undefined;
    try {
      this.lines ??= new LineIndex(this.source);
      // From the last edit to the first, so each edit's offsets still refer to the original text.
      for (const e of [...edits].sort((a, b) => b.start - a.start || b.end - a.end)) {
        const start = this.lines.position(e.start);
        const oldEnd = this.lines.position(e.end);
        const startPosition = { row: start.line, column: start.column };
        base.edit({
          startIndex: e.start,
          oldEndIndex: e.end,
          newEndIndex: e.start + e.newText.length,
          startPosition,
          oldEndPosition: { row: oldEnd.line, column: oldEnd.column },
          newEndPosition: advance(startPosition, e.newText),
        });
      }
      tree = this.parser.parse(text, base, deadline);
      return countProblems(this.parser, tree) <= this.baselineProblems;
    } finally {
      tree?.delete();
      base.delete();
    }
  }

  private lines: LineIndex | undefined;

  dispose(): void {
    this.parsed?.delete();
    this.parsed = undefined;
  }
}

/**
 * Splits fixes into layers in which no two overlap (identical edits, such as two fixes adding the
 * same import, do not count as overlapping), keeping each fix in the first layer it fits.
 */
function nonOverlappingLayers(fixes: readonly Fix[]): Fix[][] {
  const layers: { spans: EditSpans; fixes: Fix[] }[] = [];
  for (const fix of fixes) {
    let layer = layers.find((l) => l.spans.tryAdd(fix.edits));
    if (!layer) {
      layer = { spans: new EditSpans(), fixes: [] };
      layer.spans.tryAdd(fix.edits);
      layers.push(layer);
    }
    layer.fixes.push(fix);
  }
  return layers.map((l) => l.fixes);
}

/**
 * The point reached by inserting `inserted` at `from` (columns in UTF-16 code units, as the web
 * binding counts; lines broken at `\r`, `\n` and `\r\n`, as the parser reads them).
 */
export function advance(from: { row: number; column: number }, inserted: string): { row: number; column: number } {
  const text = asCPythonReadsLines(inserted);
  const lastBreak = text.lastIndexOf('\n');
  if (lastBreak < 0) return { row: from.row, column: from.column + text.length };
  let rows = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) rows++;
  return { row: from.row + rows, column: text.length - lastBreak - 1 };
}

function countProblems(parser: PythonParser, tree: Tree): number {
  let problems = 0;
  for (const { name, node } of parser.query(PROBLEMS).captures(tree.rootNode)) {
    if (name !== 'b') problems++;
    // Cheap tests first: a file has a block per def, loop and branch, and this runs once per fix round.
    else if (node.namedChildCount === 0 || (node.firstNamedChild?.type === 'comment' && !node.namedChildren.some((s) => s !== null && s.type !== 'comment'))) problems++;
  }
  return problems;
}


export const PYTHON_RULES: readonly Rule[] = CATALOG.filter((r) => r.python);

/** Parses and analyses one Python file. The returned analysis owns a tree: keep it or `dispose()` it. */
export function analyzePython(parser: PythonParser, source: string, settings: Settings, options: AnalyzeOptions = {}): PythonAnalysis {
  const enabled = settings.enable && settings.python.enable ? (options.rules ?? PYTHON_RULES).filter((r) => r.python && effectiveSeverity(settings, r, 'python') !== 'off' && runsOnFile(settings, r, options.relativePath ?? options.filePath)) : [];
  // Every rule reports only inside coroutines: a file without `async` cannot hold a finding, so
  // skip the parse (the CLI on a large tree) unless the caller continues from a tree (the editor).
  if (enabled.length === 0 || (!options.oldTree && !source.includes('async'))) {
    return new PythonAnalysis(parser, source, [], options.oldTree ? parser.parse(source, options.oldTree, options.deadline) : undefined, options.deadline);
  }
  const profile = options.profile;
  let mark = profile ? profile.now() : 0;
  const lap = (stage: string): void => {
    if (!profile) return;
    const now = profile.now();
    profile.stages.set(stage, (profile.stages.get(stage) ?? 0) + now - mark);
    mark = now;
  };
  const tree = parser.parse(source, options.oldTree, options.deadline);
  lap('parse');
  // The rules read the text the tree was parsed from (lone CRs as LF, same offsets): their line
  // arithmetic then agrees with the tree's rows. Fixes apply to `source` itself.
  const text = asCPythonReadsLines(source);
  const lines = new LineIndex(text);
  let ctx: PythonContext;
  try {
    ctx = new PythonContext(parser, tree, text, lines, settings, { project: options.project, filePath: options.filePath, focus: options.focus, deadline: options.deadline });
    lap('context');
    for (const rule of enabled) {
      ctx.rule = rule;
      ctx.severity = effectiveSeverity(settings, rule, 'python') as Finding['severity'];
      try {
        ctx.deadline.check();
        rule.python!(ctx);
      } catch (error) {
        // Out of time is the file's outcome, not this rule's failure.
        if (isTimeBudgetExceeded(error)) throw error;
        options.onRuleError?.(rule, error);
      }
      lap(rule.code);
    }
  } catch (error) {
    // The tree lives in wasm memory: freed here, since no analysis will own it.
    tree.delete();
    throw error;
  }
  const suppressions = collectSuppressions(ctx);
  lap('suppressions');
  const findings = ctx.findings
    .filter((f) => {
      const s = suppressions.get(f.startPosition.line);
      if (!s) return true;
      const rule = (options.rules ?? PYTHON_RULES).find((r) => r.code === f.code);
      return !(rule && suppresses(s, rule));
    })
    .sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
  return new PythonAnalysis(parser, source, findings, tree, options.deadline);
}

function collectSuppressions(ctx: PythonContext): Map<number, Suppression> {
  const byLine = new Map<number, Suppression>();
  if (ctx.findings.length === 0) return byLine;
  // Only the lines holding a finding can suppress one: query just those rows.
  const query = ctx.parser.query('(comment) @c');
  for (const row of new Set(ctx.findings.map((f) => f.startPosition.line))) {
    for (const c of query.captures(ctx.root, { startPosition: { row, column: 0 }, endPosition: { row: row + 1, column: 0 } })) {
      if (c.node.startPosition.row !== row) continue;
      const s = parseSuppression(c.node.text);
      if (s) byLine.set(row, s);
    }
  }
  return byLine;
}
