/**
 * One open document for the editor path: keeps the last tree so each edit re-parses incrementally,
 * then re-runs the rules. Independent of VS Code (the extension feeds it content changes; the
 * benchmark feeds it synthetic keystrokes).
 */
import type { Tree } from 'web-tree-sitter';
import { LineIndex } from '../core/finding';
import type { Settings } from '../core/settings';
import { advance, analyzePython, type AnalyzeOptions, type PythonAnalysis } from './analyze';
import type { PythonParser } from './parser';
import { analyzeWindow, type SkeletonCache } from './window';

/**
 * Text whose insertion or removal changes facts other functions depend on (imports, globals, an
 * object's attributes): after such an edit only a full analysis is exact.
 */
const FILE_WIDE = /\bimport\b|\bglobal\b|\bnonlocal\b|self\.\w+\s*(?::[^=\n]*)?=[^=]|\bdef\b|\bclass\b|\basync\b/;

/** A change as VS Code reports it: replace `rangeLength` characters at `rangeOffset` with `text`. */
export interface ContentChange {
  readonly rangeOffset: number;
  readonly rangeLength: number;
  readonly text: string;
}

export class PythonDocument {
  private analysis: PythonAnalysis | undefined;
  private text: string;
  /** The tree of the last analysis, edited in place to follow pending changes. */
  private pendingTree: Tree | undefined;

  constructor(
    private readonly parser: PythonParser,
    text: string,
  ) {
    this.text = text;
  }

  get source(): string {
    return this.text;
  }

  /**
   * Records edits in order (each offset relative to the text after the previous one). Cheap: the
   * re-parse waits for the next `analyze`, so a burst of keystrokes costs one parse.
   */
  applyChanges(changes: readonly ContentChange[]): void {
    for (const change of changes) {
      const before = this.text;
      const start = change.rangeOffset;
      const oldEnd = start + change.rangeLength;
      this.track(start, oldEnd, change.text, before.slice(start, oldEnd));
      const after = before.slice(0, start) + change.text + before.slice(oldEnd);
      const tree = this.pendingTree ?? this.analysis?.parsedTree;
      if (tree) {
        const oldLines = new LineIndex(before);
        const startPosition = point(oldLines.position(start));
        const oldEndPosition = point(oldLines.position(oldEnd));
        const newEndPosition = advance(startPosition, change.text);
        tree.edit({ startIndex: start, oldEndIndex: oldEnd, newEndIndex: start + change.text.length, startPosition, oldEndPosition, newEndPosition });
        this.pendingTree = tree;
      }
      this.text = after;
    }
  }

  /** Changes since the last analysis, to carry its findings over; and the span they touched. */
  private changes: { start: number; oldEnd: number; newEnd: number }[] = [];
  private dirty: { start: number; end: number } | undefined;
  private fileWide = false;

  private track(start: number, oldEnd: number, inserted: string, removed: string): void {
    const newEnd = start + inserted.length;
    const delta = newEnd - oldEnd;
    this.changes.push({ start, oldEnd, newEnd });
    if (FILE_WIDE.test(inserted) || FILE_WIDE.test(removed)) this.fileWide = true;
    const d = this.dirty;
    if (!d) this.dirty = { start, end: newEnd };
    else {
      const end = d.end <= start ? d.end : d.end >= oldEnd ? d.end + delta : newEnd;
      const begin = d.start < start ? d.start : d.start >= oldEnd ? d.start + delta : start;
      this.dirty = { start: Math.min(begin, start), end: Math.max(end, newEnd) };
    }
  }

  /** Maps an offset of the last analysed text through the changes since; undefined inside replaced text. */
  private mapThroughChanges(offset: number): number | undefined {
    let o = offset;
    for (const c of this.changes) {
      if (o <= c.start) continue;
      if (o >= c.oldEnd) o += c.newEnd - c.oldEnd;
      else return undefined;
    }
    return o;
  }

  private clearChanges(): void {
    this.changes = [];
    this.dirty = undefined;
    this.fileWide = false;
  }

  /** Replaces the whole text (a reload, or changes we could not follow): the next parse is a full one. */
  reset(text: string): void {
    this.clearChanges();
    this.text = text;
    this.pendingTree = undefined;
    this.analysis?.dispose();
    this.analysis = undefined;
  }

  /** Analyses the current text, re-parsing incrementally from the previous tree when there is one. */
  analyze(settings: Settings, options: Omit<AnalyzeOptions, 'oldTree'> = {}): PythonAnalysis {
    if (this.analysis && this.exact && !this.pendingTree && this.analysis.source === this.text && this.lastSettings === settings) return this.analysis;
    const previous = this.analysis;
    // After a windowed analysis its tree matches the text: re-parsing from it is nearly free.
    const oldTree = this.pendingTree ?? (this.exact ? undefined : this.analysis?.parsedTree);
    const next = analyzePython(this.parser, this.text, settings, { ...options, oldTree });
    this.pendingTree = undefined;
    previous?.dispose();
    this.analysis = next;
    this.lastSettings = settings;
    this.clearChanges();
    this.exact = true;
    return next;
  }

  private readonly skeleton: SkeletonCache = {};

  /** False after a windowed analysis, until the next full one: the editor then schedules `analyze`. */
  exact = true;

  /**
   * The editor's fast path while typing: when every change since the last analysis sits inside one
   * `async def` body and touches nothing file-wide, re-analyse just that function (see window.ts),
   * otherwise fall back to `analyze`. Follow it with `analyze` once typing pauses.
   */
  analyzeEdit(settings: Settings, options: Omit<AnalyzeOptions, 'oldTree'> = {}): PythonAnalysis {
    const previous = this.analysis;
    const dirty = this.dirty;
    if (!previous || !dirty || this.fileWide || this.lastSettings !== settings || !this.pendingTree) return this.analyze(settings, options);
    const tree = this.parser.parse(this.text, this.pendingTree);
    const structureChanged = this.pendingTree.getChangedRanges(tree);
    let windowed: PythonAnalysis | undefined;
    try {
      windowed = analyzeWindow(this.parser, this.text, tree, settings, options, dirty, previous.findings, (o) => this.mapThroughChanges(o), this.skeleton, structureChanged);
    } catch (error) {
      // Out of time (the budget) or a failure: the tree lives in wasm memory, freed here or never.
      tree.delete();
      throw error;
    }
    if (!windowed) {
      tree.delete();
      return this.analyze(settings, options);
    }
    this.pendingTree = undefined;
    previous.dispose();
    this.analysis = windowed;
    this.clearChanges();
    this.exact = false;
    return windowed;
  }

  private lastSettings: Settings | undefined;

  /** The last analysis, if it still matches the text. */
  get current(): PythonAnalysis | undefined {
    return this.analysis && this.analysis.source === this.text ? this.analysis : undefined;
  }

  dispose(): void {
    this.skeleton.tree?.delete();
    this.skeleton.tree = undefined;
    this.skeleton.text = undefined;
    this.analysis?.dispose();
    this.analysis = undefined;
    this.pendingTree = undefined;
  }
}

function point(p: { line: number; column: number }): { row: number; column: number } {
  return { row: p.line, column: p.column };
}
