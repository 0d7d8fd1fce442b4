/**
 * Runs the TS/JS engine for tsserver and caches its findings per file: one analysis per (file
 * version, program, settings), shared by the semantic and suggestion diagnostics of a `geterr` and
 * the code-fix requests that follow, so asking twice never analyses twice.
 */
import type * as ts from 'typescript';
import type { Finding } from '../core/finding';
import type { Settings } from '../core/settings';
import { Deadline, isTimeBudgetExceeded } from '../core/budget';
import { analyzeTypeScript } from '../typescript/analyze';
import { relativeTo } from '../core/testCode';

export interface FileAnalysis {
  /** The program analysed: where a finding's related places in other files are read. */
  readonly program: ts.Program;
  readonly sourceFile: ts.SourceFile;
  readonly findings: readonly Finding[];
}

interface Entry {
  readonly version: string;
  readonly program: ts.Program;
  readonly settings: Settings;
  readonly analysis: FileAnalysis;
}

/**
 * The files asyncwise reads: TypeScript and JavaScript sources, never declarations. Dependencies
 * are skipped by the program's own knowledge (`isSourceFileFromExternalLibrary`), not by path.
 */
const ANALYSED = /\.(?:[cm]?[tj]s|[tj]sx)$/i;
const DECLARATION = /\.d\.(?:[cm]?ts|[^.]+\.ts)$/i;

export function isAnalysedFile(fileName: string): boolean {
  return ANALYSED.test(fileName) && !DECLARATION.test(fileName);
}

export class AnalysisCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly tsModule: typeof ts,
    private readonly log: (message: string) => void,
  ) {}

  /**
   * The findings for a file of `program` (undefined when asyncwise does not read the file or is
   * disabled). The checker is the program's own: type-aware rules see what tsserver sees.
   */
  analyse(program: ts.Program, fileName: string, version: string, settings: Settings): FileAnalysis | undefined {
    if (!settings.enable || !settings.typescript.enable || !isAnalysedFile(fileName)) return undefined;
    const cached = this.entries.get(fileName);
    if (cached && cached.version === version && cached.program === program && cached.settings === settings) return cached.analysis;
    const sourceFile = program.getSourceFile(fileName);
    if (!sourceFile || program.isSourceFileFromExternalLibrary(sourceFile)) return undefined;
    const started = performance.now();
    let result: ReturnType<typeof analyzeTypeScript>;
    try {
      // A file that costs more than its budget is abandoned: tsserver answers every request on one
      // thread, so an unbounded analysis would freeze the editor's TypeScript features.
      const deadline = new Deadline(settings.timeBudget);
      result = analyzeTypeScript(this.tsModule, sourceFile, settings, { program, checker: program.getTypeChecker(), relativePath: relativeTo(program.getCurrentDirectory(), fileName), deadline });
    } catch (error) {
      // This file's failure (the checker's "Debug Failure", a stack overflow on deep nesting, the
      // time budget) is logged once for this version and answered with no findings: tsserver's own
      // answer stands, and the next request does not pay for the same failure again.
      if (isTimeBudgetExceeded(error)) this.log(`${fileName}: ${error.message}; no asyncwise findings for this version`);
      else this.log(`analysing ${fileName} failed; no asyncwise findings for this version: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      result = { findings: [], errors: [] };
    }
    const elapsed = performance.now() - started;
    for (const error of result.errors) this.log(`rule ${error.rule} failed on ${fileName}: ${error.message}`);
    if (elapsed > 200) this.log(`analysing ${fileName} took ${elapsed.toFixed(0)} ms`);
    const analysis: FileAnalysis = { program, sourceFile, findings: result.findings };
    this.entries.set(fileName, { version, program, settings, analysis });
    return analysis;
  }

  /** Drops every entry (settings changed; entries also go stale on their own by version). */
  clear(): void {
    this.entries.clear();
  }

  /** Forgets files the program no longer has, so a long session does not keep closed files alive. */
  prune(program: ts.Program): void {
    for (const [fileName, entry] of this.entries) {
      if (entry.program !== program && !program.getSourceFile(fileName)) this.entries.delete(fileName);
    }
  }
}
