/**
 * Python diagnostics: one incremental `PythonDocument` per open Python document, analysed on open,
 * after typing (debounced, feeding VS Code's content changes to the incremental re-parse) and when
 * settings change; cleared, and its trees freed, on close. Nothing here throws into VS Code.
 */
import * as vscode from 'vscode';
import { Deadline, isTimeBudgetExceeded } from '../core/budget';
import { CATALOG } from '../core/catalog';
import type { Finding } from '../core/finding';
import { docsUrl } from '../core/rule';
import type { PythonAnalysis } from '../python/analyze';
import { PythonDocument } from '../python/document';
import { PythonParser } from '../python/parser';
import type { SettingsReader } from './config';
import type { Log } from './log';
import { PythonProjects } from './pythonProject';

/** Long enough to coalesce a burst of keystrokes, short enough to feel immediate. */
export const DEBOUNCE_MS = 120;
/**
 * After a windowed re-analysis (only the edited coroutine re-checked, see src/python/window.ts),
 * the full analysis that makes every finding exact again runs once typing pauses this long.
 */
export const SETTLE_MS = 700;

export const DIAGNOSTIC_SOURCE = 'asyncwise';

/** Schemes of documents a user edits; not git's old versions, output panes or diff originals. */
const SCHEMES = new Set(['file', 'untitled', 'vscode-notebook-cell', 'vscode-remote', 'vscode-vfs']);

const SEVERITY: Record<Finding['severity'], vscode.DiagnosticSeverity> = {
  hint: vscode.DiagnosticSeverity.Hint,
  info: vscode.DiagnosticSeverity.Information,
  warning: vscode.DiagnosticSeverity.Warning,
  error: vscode.DiagnosticSeverity.Error,
};

interface Tracked {
  readonly model: PythonDocument;
  /** `TextDocument.version` the model's text corresponds to. */
  version: number;
  /** The version the published diagnostics (and `analysis`) describe. */
  analysedVersion: number | undefined;
  analysis: PythonAnalysis | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The last analysis ran out of its time budget (logged once until one succeeds again). */
  overBudget?: boolean;
}

/** An analysis together with the document version it describes. */
export interface CurrentAnalysis {
  readonly analysis: PythonAnalysis;
  readonly version: number;
}

export function isPython(document: vscode.TextDocument): boolean {
  return document.languageId === 'python' && SCHEMES.has(document.uri.scheme);
}

export class PythonDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
  private readonly tracked = new Map<string, Tracked>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private loadedParser: PythonParser | undefined;
  /** The workspace's module index, for cross-file rules (AW202, AW301); see pythonProject.ts. */
  private projects: PythonProjects | undefined;
  private disposed = false;

  constructor(
    private readonly settings: SettingsReader,
    private readonly log: Log,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.log.guard('opening a document', () => this.open(d))),
      vscode.workspace.onDidChangeTextDocument((e) => this.log.guard('following an edit', () => this.change(e))),
      vscode.workspace.onDidCloseTextDocument((d) => this.log.guard('closing a document', () => this.close(d))),
      settings.onDidChange(() => this.log.guard('re-analysing after a settings change', () => this.reanalyseAll())),
    );
  }

  /** Loads the parser and analyses every Python document already open. */
  async start(): Promise<void> {
    const started = Date.now();
    this.loadedParser = await PythonParser.load();
    this.log.info(`Python parser loaded in ${Date.now() - started} ms`);
    if (this.disposed) return;
    for (const document of vscode.workspace.textDocuments) this.open(document);
    // Open documents get their same-file findings first; cross-file ones once the workspace's
    // Python files are registered (a file search), then whenever a module they import changes.
    const projects = new PythonProjects(this.loadedParser, this.log);
    this.subscriptions.push(projects, projects.onDidChangeModules((files) => this.log.guard('re-analysing after a module changed', () => this.reanalyseFiles(files))));
    try {
      await projects.start();
    } catch (error) {
      // Without the index, same-file findings still work: never fail activation over it.
      this.log.error('indexing the workspace\'s Python files failed; cross-file rules see only the current file', error);
      return;
    }
    if (this.disposed) return;
    this.projects = projects;
    for (const document of vscode.workspace.textDocuments) {
      if (this.tracked.has(document.uri.toString())) projects.documentChanged(document);
    }
    // Now, not debounced: `ready` (the editor tests' signal) then means cross-file findings are in.
    for (const document of vscode.workspace.textDocuments) {
      const entry = this.tracked.get(document.uri.toString());
      if (!entry || !projects.forDocument(document)) continue;
      entry.model.reset(document.getText());
      this.analyse(document);
    }
  }

  /** Re-analyses the open documents among these files (a module they import changed; their text did not). */
  private reanalyseFiles(files: readonly string[]): void {
    const wanted = new Set(files);
    for (const document of vscode.workspace.textDocuments) {
      const entry = this.tracked.get(document.uri.toString());
      if (!entry || document.uri.scheme !== 'file' || !wanted.has(document.uri.fsPath)) continue;
      // Same text and settings would return the cached analysis: start over from the text.
      entry.model.reset(document.getText());
      this.schedule(document, entry);
    }
  }

  /** The process-wide parser once loaded (code actions re-analyse fixed text with it). */
  get parser(): PythonParser | undefined {
    return this.loadedParser;
  }

  /**
   * The analysis of the document's current version. When typing got ahead of the debounce it
   * analyses now if `catchUp` (so a fix-on-save right after a keystroke sees the latest text), and
   * otherwise returns undefined. Undefined too when the document is not tracked or the parser is
   * not loaded yet.
   */
  current(document: vscode.TextDocument, catchUp: boolean): CurrentAnalysis | undefined {
    const entry = this.tracked.get(document.uri.toString());
    if (!entry || !this.loadedParser) return undefined;
    if (entry.analysedVersion !== document.version || (catchUp && !entry.model.exact)) {
      if (!catchUp) return undefined;
      this.analyse(document);
    }
    if (!entry.analysis || entry.analysedVersion !== document.version) return undefined;
    return { analysis: entry.analysis, version: entry.analysedVersion };
  }

  private open(document: vscode.TextDocument): void {
    if (!isPython(document)) return;
    const key = document.uri.toString();
    if (!this.loadedParser || this.tracked.has(key)) return;
    this.tracked.set(key, {
      model: new PythonDocument(this.loadedParser, document.getText()),
      version: document.version,
      analysedVersion: undefined,
      analysis: undefined,
      timer: undefined,
    });
    this.analyse(document);
    this.projects?.documentChanged(document);
  }

  private change(event: vscode.TextDocumentChangeEvent): void {
    const entry = this.tracked.get(event.document.uri.toString());
    if (!entry || event.contentChanges.length === 0) return;
    // Changes of one event apply in order (VS Code sorts a multi-cursor edit bottom-up for that).
    entry.model.applyChanges(event.contentChanges.map((c) => ({ rangeOffset: c.rangeOffset, rangeLength: c.rangeLength, text: c.text })));
    entry.version = event.document.version;
    this.schedule(event.document, entry);
    this.projects?.documentChanged(event.document);
  }

  private close(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const entry = this.tracked.get(key);
    this.collection.delete(document.uri);
    this.settings.forget(document);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.model.dispose();
    this.tracked.delete(key);
  }

  private schedule(document: vscode.TextDocument, entry: Tracked): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.log.guard('analysing after an edit', () => this.analyse(document, 'edit'));
      if (!entry.model.exact && !document.isClosed) {
        entry.timer = setTimeout(() => {
          entry.timer = undefined;
          this.log.guard('analysing once typing paused', () => this.analyse(document));
        }, SETTLE_MS);
      }
    }, DEBOUNCE_MS);
  }

  private reanalyseAll(): void {
    for (const document of vscode.workspace.textDocuments) {
      if (this.tracked.has(document.uri.toString())) this.analyse(document);
    }
  }

  /** `edit`: the typing path (windowed when the edit stayed inside one coroutine); `full`: exact. */
  private analyse(document: vscode.TextDocument, mode: 'edit' | 'full' = 'full'): void {
    const entry = this.tracked.get(document.uri.toString());
    if (!entry || document.isClosed) return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    try {
      const text = document.getText();
      if (entry.model.source !== text) {
        // Our copy drifted from the editor's (an edit we could not follow): start from the real text.
        if (entry.version === document.version) this.log.warn(`${document.uri.toString()}: incremental text diverged; re-parsing in full`);
        entry.model.reset(text);
      }
      entry.version = document.version;
      const settings = this.settings.forDocument(document);
      const options = {
        // The path decides test code (src/core/testCode.ts) even outside a project.
        filePath: document.uri.fsPath,
        relativePath: vscode.workspace.asRelativePath(document.uri, false),
        ...this.projects?.forDocument(document),
        onRuleError: (rule: { code: string; name: string }, error: unknown) => this.log.error(`rule ${rule.code} ${rule.name} failed on ${document.uri.toString()}`, error),
        // The extension host runs every extension's code on one thread: a file too costly to
        // analyse (deep nesting, half-typed code) is abandoned rather than freezing the editor.
        deadline: new Deadline(settings.timeBudget),
      };
      const analysis = mode === 'edit' ? entry.model.analyzeEdit(settings, options) : entry.model.analyze(settings, options);
      entry.analysis = analysis;
      entry.analysedVersion = document.version;
      this.collection.set(document.uri, analysis.findings.map(toDiagnostic));
      entry.overBudget = false;
    } catch (error) {
      // A broken analysis must not leave stale squiggles pointing at text that moved.
      entry.analysis = undefined;
      entry.analysedVersion = undefined;
      this.collection.delete(document.uri);
      if (isTimeBudgetExceeded(error)) {
        // One line, not one per keystroke while the file stays too costly.
        if (!entry.overBudget) this.log.warn(`${document.uri.toString()}: ${error.message}`);
        entry.overBudget = true;
      } else this.log.error(`analysing ${document.uri.toString()} failed`, error);
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.subscriptions) s.dispose();
    for (const entry of this.tracked.values()) {
      clearTimeout(entry.timer);
      entry.model.dispose();
    }
    this.tracked.clear();
    this.collection.dispose();
  }
}

/** The finding as VS Code shows it; its code links to the rule's documentation. */
export function toDiagnostic(finding: Finding): vscode.Diagnostic {
  const range = new vscode.Range(finding.startPosition.line, finding.startPosition.column, finding.endPosition.line, finding.endPosition.column);
  const diagnostic = new vscode.Diagnostic(range, finding.message, SEVERITY[finding.severity]);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  const rule = CATALOG.find((r) => r.code === finding.code);
  diagnostic.code = rule ? { value: finding.code, target: vscode.Uri.parse(docsUrl(rule)) } : finding.code;
  return diagnostic;
}

/** Whether a diagnostic VS Code hands back (a copy, not our object) is the one made from this finding. */
export function describesFinding(diagnostic: vscode.Diagnostic, finding: Finding): boolean {
  if (diagnostic.source !== DIAGNOSTIC_SOURCE) return false;
  const code = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
  const r = diagnostic.range;
  return (
    code === finding.code &&
    r.start.line === finding.startPosition.line &&
    r.start.character === finding.startPosition.column &&
    r.end.line === finding.endPosition.line &&
    r.end.character === finding.endPosition.column
  );
}
