/**
 * What a Python rule sees of one file: the tree, name resolution, async scopes, queries, and
 * `report`. Rules never walk the whole tree node by node (each node access crosses into wasm): they
 * run a query, then look at the few nodes it returns.
 */
import type { Node, Query, QueryCapture, QueryMatch, QueryOptions, Tree } from 'web-tree-sitter';
import { Deadline } from '../core/budget';
import { makeFinding, mergeIdenticalEdits, type Finding, type RelatedLocation, type TextEdit } from '../core/finding';
import type { LineIndex } from '../core/finding';
import { atLeast, type PythonVersion, type Settings } from '../core/settings';
import type { Rule } from '../rules/define';
import { Names } from './names';
import type { PythonParser } from './parser';
import { moduleNameOf, type ProjectIndex } from './project';
import { Scopes } from './scopes';
import { findStructure } from './structure';

const AWAIT_POINTS = `
(await) @point
(for_statement "async") @point
(with_statement "async") @point
(for_in_clause "async") @point
`;

/** A fix under construction: the edits plus the imports it needs. */
export interface FixSpec {
  readonly title: string;
  readonly safety: 'safe' | 'unsafe';
  readonly edits: readonly TextEdit[];
}

export class PythonContext {
  readonly root: Node;
  readonly names: Names;
  readonly scopes: Scopes;
  readonly target: PythonVersion;
  /** Set by the engine before each rule runs. */
  rule!: Rule;
  severity!: Finding['severity'];
  readonly findings: Finding[] = [];
  /**
   * The project's modules, for rules that follow calls into other files (AW202, AW301); undefined
   * when analysing a lone file. Same-file functions need no index: see `moduleView` in project.ts.
   */
  readonly project: ProjectIndex | undefined;
  /** The analysed file's path, when it has one (names the current module). */
  readonly filePath: string | undefined;
  private moduleName: string | undefined;

  constructor(
    readonly parser: PythonParser,
    readonly tree: Tree,
    readonly source: string,
    readonly lines: LineIndex,
    readonly settings: Settings,
    where: { readonly project?: ProjectIndex; readonly filePath?: string; readonly focus?: { readonly start: number; readonly end: number }; readonly deadline?: Deadline } = {},
  ) {
    this.focus = where.focus;
    this.deadline = where.deadline ?? Deadline.NONE;
    this.project = where.project;
    this.filePath = where.filePath;
    this.root = tree.rootNode;
    // Found by text, confirmed by the tree: a query would walk every node of the tree inside wasm.
    const structure = findStructure(tree, source);
    this.names = new Names(parser, this.root, structure.imports);
    this.scopes = new Scopes(structure.scopes);
    this.target = settings.python.targetVersion;
  }

  /** The current module's dotted name (`pkg.sub.mod`; the file's stem without an index; `__main__` without a path). */
  get module(): string {
    return (this.moduleName ??= moduleNameOf(this));
  }

  /**
   * Matches of a query, only inside async function bodies: what async-only rules need, for a
   * fraction of the cost on files that are mostly sync.
   */
  matchesInAsync(query: string): QueryMatch[] {
    this.deadline.check();
    const q = this.parser.query(query);
    const f = this.focus;
    const ranges = f
      ? this.scopes.asyncRanges().flatMap((r) => (r.end <= f.start || f.end <= r.start ? [] : [{ start: Math.max(r.start, f.start), end: Math.min(r.end, f.end) }]))
      : this.scopes.asyncRanges();
    if (ranges.length === 0) return [];
    // Query ranges are byte offsets into the UTF-16 text tree-sitter's web binding parses, while
    // node indices are in code units: hence the factor 2 (tested with non-ASCII text).
    if (ranges.length <= 8) {
      const out: QueryMatch[] = [];
      // A loop, not `push(...matches)`: spreading 140k matches as arguments overflows the stack.
      for (const range of ranges) for (const m of this.run(q, this.root, { startIndex: range.start * 2, endIndex: range.end * 2 })) out.push(m);
      return out;
    }
    // Many async functions: each ranged run walks down from the root again, so one run over their
    // span, keeping the matches that start inside a range, is cheaper.
    const all = this.run(q, this.root, { startIndex: ranges[0].start * 2, endIndex: ranges[ranges.length - 1].end * 2 });
    return all.filter((m) => {
      const at = m.captures[0]?.node.startIndex;
      if (at === undefined) return false;
      let lo = 0;
      let hi = ranges.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (ranges[mid].end <= at) lo = mid + 1;
        else if (ranges[mid].start > at) hi = mid - 1;
        else return true;
      }
      return false;
    });
  }

  /**
   * The file's time budget (`core/budget`): checked where rules spend their time (each node they
   * ask `isAsync` about, each finding), so a rule whose walk grows faster than the file is stopped.
   */
  readonly deadline: Deadline;

  /** Only findings inside this span are wanted (see AnalyzeOptions.focus). */
  readonly focus: { readonly start: number; readonly end: number } | undefined;

  /** Matches of a query (compiled once per process) over the file or a subtree. */
  matches(query: string, node: Node = this.root): QueryMatch[] {
    this.deadline.check();
    return this.run(this.parser.query(query), node);
  }

  captures(query: string, node: Node = this.root): QueryCapture[] {
    this.deadline.check();
    const out = this.parser.query(query).captures(node, this.stoppable());
    this.deadline.check();
    return out;
  }

  /**
   * One query run that the file's deadline can stop midway: a single run can be superlinear (the
   * query cursor slows sharply past 65,536 nested matches in progress — an 80,000-term
   * expression took 32 s), and nothing else would interrupt it. A halted run returns what it had
   * found, so the deadline is checked again before anyone uses the answer.
   */
  private run(q: Query, node: Node, range?: { startIndex: number; endIndex: number }): QueryMatch[] {
    const out = q.matches(node, this.stoppable(range));
    this.deadline.check();
    return out;
  }

  /** Query options that let the deadline halt the run (none without a deadline). */
  private stoppable(range?: { startIndex: number; endIndex: number }): QueryOptions | undefined {
    const poll = this.deadline.poll;
    return poll ? { ...range, progressCallback: poll } : range;
  }

  /** The qualified name an expression denotes (`t.sleep` → `time.sleep`). */
  resolve(node: Node | null | undefined): string | undefined {
    return this.names.resolve(node);
  }

  /** True when the node runs as part of a coroutine (its innermost def/lambda/class is an `async def`). */
  isAsync(node: Node): boolean {
    this.deadline.check();
    return this.scopes.isAsync(node.startIndex);
  }

  targetAtLeast(major: number, minor: number): boolean {
    return atLeast(this.target, major, minor);
  }

  /**
   * Whether the node's code can suspend (an `await`, `async for`, `async with`, async comprehension)
   * in the same function, not in a nested def or lambda.
   */
  hasAwaitPoint(node: Node): boolean {
    const own = this.scopes.functionAt(node.startIndex);
    for (const c of this.captures(AWAIT_POINTS, node)) {
      if (this.scopes.functionAt(c.node.startIndex) === own) return true;
    }
    return false;
  }

  /** The whitespace that indents the line a node starts on. */
  indentOf(node: Node): string {
    const line = this.lines.lineText(node.startPosition.row);
    return /^[ \t]*/.exec(line)![0];
  }

  /** One indentation step as the file writes it (four spaces when it cannot tell). */
  indentUnit(): string {
    const m = /^(?:[^\n]*:[ \t]*(?:#[^\n]*)?\r?\n)([ \t]+)\S/m.exec(this.source);
    return m ? (m[1].startsWith('\t') ? '\t' : m[1].length <= 8 ? m[1] : '    ') : '    ';
  }

  /** The file's line ending (a file of lone CRs gets LF: `source` has them as LF, and CPython reads both). */
  eol(): string {
    return this.source.includes('\r\n') ? '\r\n' : '\n';
  }

  /**
   * How to spell `module.member` here, with the edit that adds `import module` when the file
   * cannot spell it yet (`asyncio.sleep` → `aio.sleep` after `import asyncio as aio`).
   */
  spell(qualified: string): { text: string; edits: TextEdit[] } {
    const existing = this.names.spell(qualified);
    if (existing) return { text: existing, edits: [] };
    const module = qualified.split('.')[0];
    const local = this.names.spell(module);
    if (local) return { text: local + qualified.slice(module.length), edits: [] };
    return { text: qualified, edits: [this.importEdit(module)] };
  }

  /** Inserts `import module` after the module's docstring, `__future__` imports and leading imports. */
  importEdit(module: string): TextEdit {
    let offset = 0;
    let sawCode = false;
    for (const child of this.root.namedChildren) {
      if (!child) continue;
      const t = child.type;
      const isDocstring = t === 'expression_statement' && child.namedChild(0)?.type === 'string' && !sawCode;
      if (t === 'comment' && !sawCode) continue;
      if (isDocstring || t === 'future_import_statement' || t === 'import_statement' || t === 'import_from_statement') {
        offset = this.lines.lineStart(child.endPosition.row + 1);
        sawCode = true;
        continue;
      }
      break;
    }
    if (offset > this.source.length) offset = this.source.length;
    const needsNewline = offset === this.source.length && this.source.length > 0 && !this.source.endsWith('\n');
    return { start: offset, end: offset, newText: (needsNewline ? this.eol() : '') + `import ${module}` + this.eol() };
  }

  /** Reports a finding of the running rule on a node (or an explicit range). */
  report(at: Node | { start: number; end: number }, messageId: string, data: Record<string, string> = {}, fixes: FixSpec[] = [], related?: readonly RelatedLocation[]): void {
    this.deadline.check();
    const range = 'startIndex' in at ? { start: at.startIndex, end: at.endIndex } : at;
    this.findings.push(makeFinding(this.rule, this.severity, this.lines, range, messageId, data, fixes.map((f) => ({ ...f, edits: mergeIdenticalEdits(f.edits) })), related));
  }
}

