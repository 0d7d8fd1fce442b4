/**
 * The language server's engine: runs on its own thread (a worker of the same dist/cli.js), so an
 * analysis never delays the connection thread's answers. Holds one incremental `PythonDocument` per
 * open Python document (the same engine the VS Code extension and the CLI run), resolves settings
 * as the CLI does (`ConfigResolver`: pyproject.toml / package.json) with the client's settings on
 * top, and the project indexes cross-file rules (AW202, AW301) follow calls into — built only after
 * the open files' own diagnostics went out, then kept current from edits and file events.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { CodeAction, Diagnostic, DiagnosticSeverity, TextEdit as LspTextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { Deadline, isTimeBudgetExceeded } from '../core/budget';
import { CATALOG } from '../core/catalog';
import { ConfigError, ConfigResolver } from '../core/config';
import { LineIndex, type Finding, type Fix, type TextEdit } from '../core/finding';
import { fixToFixedPoint } from '../core/fixAll';
import { docsUrl } from '../core/rule';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from '../core/settings';
import { analyzePython, type AnalyzeOptions, type PythonAnalysis } from '../python/analyze';
import { PythonDocument } from '../python/document';
import { ignoreLineEdit, minimalChange } from '../python/lineActions';
import { PythonParser } from '../python/parser';
import { findProjectRoot, type ProjectIndex } from '../python/project';
import { ProjectIndexes } from '../cli/projects';
import { FIX_ALL_KIND, SERVER_COMMANDS, type AnalyseRequest, type ClientSettings, type CodeActionsRequest, type EngineEvent, type EngineRequest, type FixAllRequest } from './protocol';
import { settingsInput } from './settings';

export const DIAGNOSTIC_SOURCE = 'asyncwise';

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = { error: 1, warning: 2, info: 3, hint: 4 };

/** A pause in typing long enough that re-summarising the module for the index (one parse) costs nothing noticeable. */
const PROJECT_UPDATE_MS = 500;

interface OpenDocument {
  readonly uri: string;
  /** The file's path, for `file:` documents. */
  readonly path: string | undefined;
  readonly model: PythonDocument;
  /** The analysis of the model's current text, when there is one. */
  analysis: PythonAnalysis | undefined;
  indexTimer: NodeJS.Timeout | undefined;
}

export class Engine {
  private readonly documents = new Map<string, OpenDocument>();
  private folders: string[] = [];
  private configs = new ConfigResolver(CATALOG);
  /** Per document: the settings and what they were computed from, so unchanged settings keep their identity (the model's cache relies on it). */
  private readonly settingsCache = new Map<string, { key: string; settings: Settings }>();
  /** Documents whose last analysis ran out of its time budget (logged once until one succeeds again). */
  private readonly overBudget = new Set<string>();
  private readonly reported = new Set<string>();
  /** Undefined until `index`: the open files' own diagnostics come before any walk of the workspace. */
  private projects: ProjectIndexes | undefined;

  constructor(
    private readonly parser: PythonParser,
    private readonly post: (event: EngineEvent) => void,
  ) {}

  handle(request: EngineRequest): void {
    try {
      this.dispatch(request);
    } catch (error) {
      if ('id' in request) this.post({ type: 'failed', id: request.id, message: describe(error) });
      this.log('error', `${request.type} failed: ${describe(error)}`);
    }
  }

  private dispatch(request: EngineRequest): void {
    switch (request.type) {
      case 'init':
        this.folders = request.folders.map((f) => path.resolve(f));
        return;
      case 'open':
        this.open(request.uri, request.path, request.text);
        return;
      case 'change': {
        const doc = this.documents.get(request.uri);
        if (!doc) return;
        doc.model.applyChanges(request.changes);
        doc.analysis = undefined;
        this.scheduleIndexUpdate(doc);
        return;
      }
      case 'close':
        this.close(request.uri);
        return;
      case 'index':
        this.buildIndexes();
        return;
      case 'files':
        this.filesChanged(request.changes);
        return;
      case 'settingsChanged':
        this.settingsCache.clear();
        return;
      case 'analyse':
        this.analyse(request);
        return;
      case 'codeActions':
        this.post({ type: 'codeActions', id: request.id, actions: this.codeActions(request) });
        return;
      case 'fixAll':
        this.fixAll(request);
        return;
    }
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.post({ type: 'log', level, message });
  }

  private open(uri: string, file: string | undefined, text: string): void {
    this.close(uri);
    this.documents.set(uri, { uri, path: file && path.resolve(file), model: new PythonDocument(this.parser, text), analysis: undefined, indexTimer: undefined });
  }

  private close(uri: string): void {
    const doc = this.documents.get(uri);
    if (!doc) return;
    clearTimeout(doc.indexTimer);
    doc.model.dispose();
    this.documents.delete(uri);
    this.settingsCache.delete(uri);
    this.overBudget.delete(uri);
  }

  // ---- settings -----------------------------------------------------------------------------

  private settingsFor(doc: OpenDocument, client: ClientSettings): Settings {
    const key = JSON.stringify(client ?? null);
    const cached = this.settingsCache.get(doc.uri);
    if (cached && cached.key === key) return cached.settings;
    const project = this.projectSettings(doc);
    let settings = parseSettings(settingsInput(client), CATALOG, (warning) => this.warnOnce(`settings: asyncwise.${warning}`), project.settings);
    // A file the project's config excludes gets no diagnostics, as CI does not check it.
    if (project.excluded) settings = { ...settings, enable: false };
    this.settingsCache.set(doc.uri, { key, settings });
    return settings;
  }

  private projectSettings(doc: OpenDocument): { settings: Settings; excluded: boolean } {
    if (!doc.path) return { settings: DEFAULT_SETTINGS, excluded: false };
    try {
      return this.configs.forFile(doc.path);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.warnOnce(`configuration error, ignoring the file: ${error.message}`);
      return { settings: DEFAULT_SETTINGS, excluded: false };
    }
  }

  private warnOnce(message: string): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    this.log('warn', message);
  }

  // ---- analysis -----------------------------------------------------------------------------

  private options(doc: OpenDocument, settings: Settings): Omit<AnalyzeOptions, 'oldTree'> {
    return {
      // A file too costly to analyse (deep nesting, half-typed code) is abandoned, not left to hold
      // the engine thread while the user's next keystrokes queue up.
      deadline: new Deadline(settings.timeBudget),
      filePath: doc.path,
      relativePath: this.relativePath(doc),
      project: this.projectOf(doc),
      onRuleError: (rule, error) => this.log('error', `rule ${rule.code} ${rule.name} failed on ${doc.uri}: ${describe(error)}`),
    };
  }

  /** As VS Code's `asRelativePath`: relative to the workspace folder holding the file, else the path itself (it decides test code). */
  private relativePath(doc: OpenDocument): string | undefined {
    if (!doc.path) return undefined;
    for (const folder of this.folders) {
      const rel = path.relative(folder, doc.path);
      if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
    }
    return doc.path;
  }

  private projectOf(doc: OpenDocument): ProjectIndex | undefined {
    if (!this.projects || !doc.path || !this.indexable(doc.path)) return undefined;
    return this.projects.of(doc.path);
  }

  /**
   * Files in a workspace folder or a project (a pyproject.toml, setup.py or setup.cfg above them):
   * a loose file opened from the home directory must not make the server walk the home directory.
   */
  private indexable(file: string): boolean {
    return this.folders.some((f) => isInside(f, file)) || findProjectRoot(file) !== undefined;
  }

  private analyse(request: AnalyseRequest): void {
    const doc = this.documents.get(request.uri);
    if (!doc) {
      this.post({ type: 'analysed', id: request.id, diagnostics: [], exact: true, ms: 0 });
      return;
    }
    const started = performance.now();
    if (request.fresh || doc.model.source !== request.text) {
      if (!request.fresh) this.log('warn', `${doc.uri}: incremental text diverged; re-parsing in full`);
      doc.model.reset(request.text);
    }
    const settings = this.settingsFor(doc, request.settings);
    const options = this.options(doc, settings);
    let analysis: PythonAnalysis;
    try {
      analysis = request.mode === 'edit' ? doc.model.analyzeEdit(settings, options) : doc.model.analyze(settings, options);
      this.overBudget.delete(doc.uri);
    } catch (error) {
      if (!isTimeBudgetExceeded(error)) throw error;
      // One line, not one per keystroke while the file stays too costly; no squiggles left pointing at moved text.
      if (!this.overBudget.has(doc.uri)) this.log('warn', `${doc.uri}: ${error.message}`);
      this.overBudget.add(doc.uri);
      doc.analysis = undefined;
      this.post({ type: 'analysed', id: request.id, diagnostics: [], exact: true, ms: performance.now() - started });
      return;
    }
    doc.analysis = analysis;
    const diagnostics = analysis.findings.map((f) => toDiagnostic(f, doc.uri));
    this.post({ type: 'analysed', id: request.id, diagnostics, exact: doc.model.exact, ms: performance.now() - started });
  }

  /** The analysis of the current text, exact when `exact` (fix-all), at least windowed otherwise. */
  private current(doc: OpenDocument, text: string, client: ClientSettings, exact: boolean): PythonAnalysis {
    if (doc.model.source !== text) doc.model.reset(text);
    const settings = this.settingsFor(doc, client);
    if (doc.analysis && doc.analysis === doc.model.current && (doc.model.exact || !exact)) return doc.analysis;
    doc.analysis = doc.model.analyze(settings, this.options(doc, settings));
    return doc.analysis;
  }

  // ---- code actions -------------------------------------------------------------------------

  private codeActions(request: CodeActionsRequest): CodeAction[] {
    const doc = this.documents.get(request.uri);
    if (!doc) return [];
    // Kinds are hierarchical: `source` asks for `source.fixAll.asyncwise` too.
    const wantsQuickFixes = !request.only || request.only.some((k) => k === 'quickfix' || k === '');
    const wantsFixAll = request.only?.some((k) => k === FIX_ALL_KIND || FIX_ALL_KIND.startsWith(`${k}.`)) ?? false;
    const analysis = this.current(doc, request.text, request.settings, wantsFixAll);
    const lines = new LineIndex(analysis.source);
    const editOf = (edits: readonly TextEdit[]) => workspaceEdit(request, lines, edits);
    const actions: CodeAction[] = [];
    if (wantsQuickFixes) {
      const fixes: CodeAction[] = [];
      const others: CodeAction[] = [];
      const ignored = new Set<string>();
      const documented = new Set<string>();
      for (const diagnostic of request.diagnostics) {
        const finding = analysis.findings.find((f) => describes(diagnostic, f));
        if (!finding) continue;
        for (const fix of this.checkedFixes(analysis, finding)) {
          fixes.push({
            title: fix.safety === 'unsafe' ? `${fix.title} (unsafe)` : fix.title,
            kind: 'quickfix',
            diagnostics: [diagnostic],
            isPreferred: fix.safety === 'safe',
            edit: editOf(fix.edits),
          });
        }
        const lineKey = `${finding.code}:${finding.startPosition.line}`;
        if (!ignored.has(lineKey)) {
          ignored.add(lineKey);
          const ignore = ignoreLineEdit(this.parser, analysis, finding, lines);
          if (ignore) others.push({ title: `Ignore ${finding.code} on this line`, kind: 'quickfix', diagnostics: [diagnostic], edit: editOf([ignore]) });
        }
        if (!documented.has(finding.code)) {
          documented.add(finding.code);
          const title = `Show documentation for ${finding.code} ${finding.rule}`;
          others.push({ title, kind: 'quickfix', diagnostics: [diagnostic], command: { title, command: SERVER_COMMANDS.showRuleDocs, arguments: [finding.code] } });
        }
      }
      // Real fixes first, then the ways to silence or read about a finding.
      actions.push(...fixes, ...others);
    }
    if (wantsFixAll) {
      const all = this.fixAllEdit(doc, analysis, request.settings);
      if (all) actions.push({ title: all.title, kind: FIX_ALL_KIND, edit: editOf([all.edit]) });
    }
    return actions;
  }

  /**
   * The finding's fixes that parse; none when checking them runs past the time budget (logged once):
   * the ignore and documentation actions are still offered.
   */
  private checkedFixes(analysis: PythonAnalysis, finding: Finding): readonly Fix[] {
    try {
      return analysis.validFixes(finding);
    } catch (error) {
      if (!isTimeBudgetExceeded(error)) throw error;
      this.log('warn', `${finding.code} at line ${finding.startPosition.line + 1}: fixes not offered, ${error.message}`);
      return [];
    }
  }

  /**
   * Every safe fix (and unsafe ones when `fix.allowUnsafe`), re-analysing between rounds, as one
   * minimal edit; undefined when nothing applies.
   */
  private fixAllEdit(doc: OpenDocument, analysis: PythonAnalysis, client: ClientSettings): { edit: TextEdit; title: string; applied: number } | undefined {
    const settings = this.settingsFor(doc, client);
    const allowUnsafe = settings.fix.allowUnsafe;
    // Each round gets its own budget, as in the CLI; running out fails this request, not the server.
    const { text, applied } = fixToFixedPoint(analysis, (next) => analyzePython(this.parser, next, settings, this.options(doc, settings)), allowUnsafe);
    if (applied === 0 || text === analysis.source) return undefined;
    return { edit: minimalChange(analysis.source, text), title: `Fix all ${allowUnsafe ? '' : 'safely fixable '}asyncwise problems`, applied };
  }

  private fixAll(request: FixAllRequest): void {
    const doc = this.documents.get(request.uri);
    if (!doc) {
      this.post({ type: 'fixAll', id: request.id, edit: undefined, title: '', applied: 0 });
      return;
    }
    const analysis = this.current(doc, request.text, request.settings, true);
    const all = this.fixAllEdit(doc, analysis, request.settings);
    const edit = all && workspaceEdit(request, new LineIndex(analysis.source), [all.edit]);
    this.post({ type: 'fixAll', id: request.id, edit, title: all?.title ?? '', applied: all?.applied ?? 0 });
  }

  // ---- project index ------------------------------------------------------------------------

  private buildIndexes(): void {
    if (this.projects) return;
    const started = performance.now();
    this.post({ type: 'indexing', phase: 'begin', message: 'indexing the workspace\'s Python modules' });
    const projects = new ProjectIndexes(this.parser, this.folders);
    const files = new Set<string>();
    try {
      // Registers (walks, parses nothing) the projects of the open files; a module is read when a lookup first reaches it.
      for (const doc of this.documents.values()) {
        if (!doc.path || !this.indexable(doc.path)) continue;
        const index = projects.of(doc.path);
        // Other modules see the open document's unsaved text, not the file on disk.
        index.update(doc.path, doc.model.source);
        for (const f of index.files) files.add(f);
      }
    } finally {
      this.projects = projects;
      const ms = Math.round(performance.now() - started);
      this.post({ type: 'indexing', phase: 'end', message: `${files.size} Python files registered in ${ms} ms` });
      this.log('info', `project index: ${files.size} Python files registered in ${ms} ms`);
    }
    // Cross-file findings now: every open document once more, from its text.
    this.post({ type: 'stale', uris: [...this.documents.keys()] });
  }

  private scheduleIndexUpdate(doc: OpenDocument): void {
    if (!this.projects || !doc.path) return;
    clearTimeout(doc.indexTimer);
    doc.indexTimer = setTimeout(() => {
      doc.indexTimer = undefined;
      try {
        const index = this.projectOf(doc);
        if (index && doc.path && index.update(doc.path, doc.model.source)) this.postDependents(index.dependents(doc.path));
      } catch (error) {
        this.log('error', `updating the project index for ${doc.uri} failed: ${describe(error)}`);
      }
    }, PROJECT_UPDATE_MS);
  }

  private postDependents(files: readonly string[]): void {
    const wanted = new Set(files.map((f) => path.resolve(f)));
    const uris = [...this.documents.values()].filter((d) => d.path && wanted.has(d.path)).map((d) => d.uri);
    if (uris.length) this.post({ type: 'stale', uris });
  }

  private filesChanged(changes: readonly { path: string; kind: 'created' | 'changed' | 'deleted' }[]): void {
    let configChanged = false;
    const stale = new Set<string>();
    for (const change of changes) {
      const file = path.resolve(change.path);
      const base = path.basename(file);
      if (base === 'pyproject.toml' || base === 'package.json') {
        configChanged = true;
        continue;
      }
      if (!file.endsWith('.py') || !this.projects || !this.indexable(file)) continue;
      const index = this.projects.of(file);
      // An open document's unsaved text is what the index holds for it; saving it changes nothing new.
      if (change.kind === 'changed' && [...this.documents.values()].some((d) => d.path === file)) continue;
      if (change.kind === 'deleted') {
        for (const f of index.dependents(file)) stale.add(f);
        index.remove(file);
        continue;
      }
      if (change.kind === 'created') index.add(file);
      else index.invalidate(file);
      for (const f of index.dependents(file)) stale.add(f);
    }
    if (configChanged) {
      // Re-read every config file: the resolver memoises per folder.
      this.configs = new ConfigResolver(CATALOG);
      this.settingsCache.clear();
      this.post({ type: 'stale', uris: [...this.documents.keys()] });
      return;
    }
    if (stale.size) this.postDependents([...stale]);
  }
}

function isInside(folder: string, file: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** The finding as an LSP diagnostic: its code links to the rule's documentation; a chain's hops are related locations. */
export function toDiagnostic(finding: Finding, uri: string): Diagnostic {
  const rule = CATALOG.find((r) => r.code === finding.code);
  const related = finding.related?.map((r) => ({
    location: { uri: r.file ? pathToFileURL(r.file).href : uri, range: { start: { line: r.position.line, character: r.position.column }, end: { line: r.position.line, character: r.position.column } } },
    message: r.message,
  }));
  return {
    range: { start: { line: finding.startPosition.line, character: finding.startPosition.column }, end: { line: finding.endPosition.line, character: finding.endPosition.column } },
    severity: SEVERITY[finding.severity],
    code: finding.code,
    ...(rule ? { codeDescription: { href: docsUrl(rule) } } : {}),
    source: DIAGNOSTIC_SOURCE,
    message: finding.message,
    ...(related?.length ? { relatedInformation: related } : {}),
  };
}

/** Whether a diagnostic the client sends back is the one made from this finding. */
function describes(diagnostic: Diagnostic, finding: Finding): boolean {
  const r = diagnostic.range;
  return (
    diagnostic.source === DIAGNOSTIC_SOURCE &&
    diagnostic.code === finding.code &&
    r.start.line === finding.startPosition.line &&
    r.start.character === finding.startPosition.column &&
    r.end.line === finding.endPosition.line &&
    r.end.character === finding.endPosition.column
  );
}

function workspaceEdit(request: { uri: string; version: number; documentChanges: boolean }, lines: LineIndex, edits: readonly TextEdit[]): WorkspaceEdit {
  const lsp: LspTextEdit[] = edits.map((e) => {
    const start = lines.position(e.start);
    const end = lines.position(e.end);
    return { range: { start: { line: start.line, character: start.column }, end: { line: end.line, character: end.column } }, newText: e.newText };
  });
  // Versioned when the client can: it then refuses the edit if the document moved on meanwhile.
  if (request.documentChanges) return { documentChanges: [{ textDocument: { uri: request.uri, version: request.version }, edits: lsp }] };
  return { changes: { [request.uri]: lsp } };
}

/** The engine thread's side: started by the server from this same bundle; returns true when this thread is one. */
export function runServerEngineIfAsked(): boolean {
  if (isMainThread || !parentPort || !(workerData as { asyncwiseServer?: boolean } | undefined)?.asyncwiseServer) return false;
  const port = parentPort;
  const queued: EngineRequest[] = [];
  let engine: Engine | undefined;
  // Requests that arrive while the parser loads wait for it, in order.
  port.on('message', (request: EngineRequest) => {
    if (engine) engine.handle(request);
    else queued.push(request);
  });
  const started = performance.now();
  PythonParser.load().then(
    (parser) => {
      engine = new Engine(parser, (event) => port.postMessage(event));
      port.postMessage({ type: 'ready', parserMs: Math.round(performance.now() - started) } satisfies EngineEvent);
      for (const request of queued.splice(0)) engine.handle(request);
    },
    (error: unknown) => {
      port.postMessage({ type: 'log', level: 'error', message: `loading the Python parser failed: ${describe(error)}` } satisfies EngineEvent);
      process.exit(3);
    },
  );
  return true;
}
