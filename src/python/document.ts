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

  /** Replaces the whole text (a reload, or changes we could not follow): the next parse is a full one. */
  reset(text: string): void {
    this.text = text;
    this.pendingTree = undefined;
    this.analysis?.dispose();
    this.analysis = undefined;
  }

  /** Analyses the current text, re-parsing incrementally from the previous tree when there is one. */
  analyze(settings: Settings, options: Omit<AnalyzeOptions, 'oldTree'> = {}): PythonAnalysis {
    if (this.analysis && !this.pendingTree && this.analysis.source === this.text && this.lastSettings === settings) return this.analysis;
    const previous = this.analysis;
    const next = analyzePython(this.parser, this.text, settings, { ...options, oldTree: this.pendingTree });
    this.pendingTree = undefined;
    previous?.dispose();
    this.analysis = next;
    this.lastSettings = settings;
    return next;
  }

  private lastSettings: Settings | undefined;

  /** The last analysis, if it still matches the text. */
  get current(): PythonAnalysis | undefined {
    return this.analysis && this.analysis.source === this.text ? this.analysis : undefined;
  }

  dispose(): void {
    this.analysis?.dispose();
    this.analysis = undefined;
    this.pendingTree = undefined;
  }
}

function point(p: { line: number; column: number }): { row: number; column: number } {
  return { row: p.line, column: p.column };
}
