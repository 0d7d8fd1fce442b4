/**
 * TS/JS diagnostics and fixes as VS Code shows them: the same look as Python's (code `AW201` linked to
 * the rule's page, the quick fixes, "Ignore AWnnn on this line", "Show documentation for AWnnn …",
 * `source.fixAll.asyncwise`), from one of two sources:
 *
 * - the tsserver plugin (the usual case), asked through `typescript.tsserverRequest` for its
 *   `_asyncwise.findings` (type-aware, on tsserver's program). VS Code's TypeScript extension would
 *   show the plugin's own tsserver diagnostics as `asyncwise(990201)`: it copies a diagnostic's numeric
 *   code and nothing that could link it. Once the plugin answers, the extension tells it (through
 *   `configurePlugin`) to leave the findings out of tsserver's diagnostics, so nothing shows twice. A
 *   VS Code whose TypeScript extension refuses the request keeps the plugin's own diagnostics.
 * - the extension's own run of the rules when no plugin can run: the native TypeScript 7 (VS Code runs
 *   it when `js/ts.experimental.useTsgo` is on) loads no plugins; the extension then parses with a
 *   JavaScript TypeScript (the one VS Code ships with its TypeScript extension, or a TypeScript 5/6 in
 *   the workspace; the extension bundles none), syntax only (no program, so no type information: the
 *   type-aware parts of the rules stay quiet rather than guess), and says so once in its output channel.
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ts from 'typescript';
import * as vscode from 'vscode';
import type { Finding } from '../core/finding';
import { FINDINGS_REQUEST, FIX_ALL_REQUEST, type FindingsBody, type FixAllBody } from '../tsplugin/codes';
import { COMMANDS } from './commands';
import type { Settings } from '../core/settings';
import { analyzeTypeScript, fixAllTypeScript, scriptKindOf } from '../typescript/analyze';
import type { SettingsReader } from './config';
import type { Log } from './log';
import { describesFinding, DIAGNOSTIC_SOURCE, FIX_ALL_KIND, isEditedDocument, toDiagnostic } from './diagnostics';
import { isTypeScriptOrJavaScript, TS_JS_LANGUAGES, type TypeScriptPluginSettings } from './typescriptPlugin';

const TSGO_SETTINGS = ['js/ts.experimental.useTsgo', 'typescript.experimental.useTsgo'];

/** Whether the user runs the native TypeScript 7 language server (which loads no plugins). */
export function tsgoEnabled(): boolean {
  const config = vscode.workspace.getConfiguration();
  return TSGO_SETTINGS.some((key) => config.get<boolean>(key) === true);
}

/** Waits this long after the last keystroke before re-analysing. */
const DEBOUNCE_MS = 250;
/** An unanswered request (tsserver starting) is repeated this often, at most this many times (a minute). */
const RETRY_MS = 2000;
const MAX_RETRIES = 30;
/** Other open files are asked again after an edit (their types may depend on it), less urgently. */
const OTHERS_DELAY_MS = 1500;

/** Loads a JavaScript TypeScript (5.x or 6.x, which has the compiler API) from the first place that has one. */
export function loadTypeScript(log: Log): typeof ts | undefined {
  const candidates = [path.join(vscode.env.appRoot, 'extensions', 'node_modules', 'typescript')];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme === 'file') candidates.push(path.join(folder.uri.fsPath, 'node_modules', 'typescript'));
  }
  const load = createRequire(__filename);
  for (const dir of candidates) {
    try {
      const manifest = path.join(dir, 'package.json');
      if (!fs.existsSync(manifest)) continue;
      const version = String((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: unknown }).version ?? '');
      // TypeScript 7's package is the native compiler: no JavaScript compiler API to parse with.
      if (!/^[4-6]\./.test(version)) continue;
      const module = load(path.join(dir, 'lib', 'typescript.js')) as typeof ts;
      if (typeof module.createSourceFile === 'function') {
        log.info(`TS/JS fallback parses with TypeScript ${module.version} from ${dir}`);
        return module;
      }
    } catch (error) {
      log.warn(`could not load TypeScript from ${dir}: ${String(error)}`);
    }
  }
  return undefined;
}

/** Where a TS/JS file's findings come from: tsserver's plugin or the extension's own syntax-level run. */
interface FindingsSource {
  readonly name: 'plugin' | 'fallback';
  /** The findings of the document as it is now; undefined when this source cannot answer. */
  findings(document: vscode.TextDocument): Promise<readonly Finding[] | undefined>;
  /** One round of the fixes that may run unattended, as the file's whole fixed text. */
  fixAll(document: vscode.TextDocument, allowUnsafe: boolean): Promise<FixAllBody | undefined>;
}

/** The extension's own run of the TS/JS rules (TypeScript 7 loads no plugins), cached per version and settings. */
class FallbackSource implements FindingsSource {
  readonly name = 'fallback';
  private readonly entries = new Map<string, { version: number; settings: Settings; sourceFile: ts.SourceFile; findings: readonly Finding[] }>();

  constructor(
    private readonly tsModule: typeof ts,
    private readonly settings: SettingsReader,
    private readonly log: Log,
  ) {}

  private analyse(document: vscode.TextDocument) {
    const key = document.uri.toString();
    const settings = this.settings.forDocument(document);
    const cached = this.entries.get(key);
    if (cached && cached.version === document.version && cached.settings === settings) return cached;
    const fileName = document.uri.scheme === 'file' ? document.uri.fsPath : document.uri.path;
    const sourceFile = this.tsModule.createSourceFile(fileName, document.getText(), this.tsModule.ScriptTarget.Latest, true, scriptKindOf(this.tsModule, fileName));
    const result = analyzeTypeScript(this.tsModule, sourceFile, settings, { relativePath: vscode.workspace.asRelativePath(document.uri, false) });
    for (const error of result.errors) this.log.error(`rule ${error.rule} failed on ${key}: ${error.message}`);
    const entry = { version: document.version, settings, sourceFile, findings: result.findings };
    this.entries.set(key, entry);
    return entry;
  }

  findings(document: vscode.TextDocument): Promise<readonly Finding[]> {
    return Promise.resolve(this.analyse(document).findings);
  }

  fixAll(document: vscode.TextDocument, allowUnsafe: boolean): Promise<FixAllBody> {
    const entry = this.analyse(document);
    return Promise.resolve(fixAllTypeScript(this.tsModule, entry.sourceFile, entry.findings, allowUnsafe));
  }

  forget(document: vscode.TextDocument): void {
    this.entries.delete(document.uri.toString());
  }
}

/** Why the plugin's answer is missing: its request refused by this VS Code, or no plugin in this tsserver. */
type PluginAbsence = 'refused' | 'not loaded';

/** The tsserver plugin's findings, asked through VS Code's TypeScript extension. */
class PluginSource implements FindingsSource {
  readonly name = 'plugin';
  /** Set once an answer showed why the plugin cannot be asked (logged once). */
  absence: PluginAbsence | undefined;
  /** Failures already logged: a request repeated while tsserver starts would say the same each time. */
  private readonly logged = new Set<string>();

  constructor(private readonly log: Log) {}

  private async request<T>(command: string, document: vscode.TextDocument): Promise<T | undefined> {
    let response: { body?: T } | undefined;
    try {
      // The TypeScript extension turns the Uri into tsserver's name for the open file, and sends the
      // document's pending edits first, so the answer is about the text as it is now.
      response = await vscode.commands.executeCommand<{ body?: T } | undefined>('typescript.tsserverRequest', command, { file: document.uri });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (/Unrecognized JSON command/i.test(text)) this.absent('not loaded', text);
      else if (!this.logged.has(text)) {
        this.logged.add(text);
        this.log.warn(`${command} for ${document.uri.toString()} failed (asked again while tsserver starts; said once): ${text}`);
      }
      return undefined;
    }
    // An older TypeScript extension passes on only a fixed list of requests and answers others with nothing.
    if (response === undefined) this.absent('refused', 'no answer');
    return response?.body;
  }

  private absent(why: PluginAbsence, detail: string): void {
    if (this.absence === why) return;
    this.absence = why;
    this.log.warn(
      why === 'refused'
        ? `this VS Code's TypeScript extension does not pass asyncwise's requests to tsserver (${detail}): TS/JS findings show as the plugin's tsserver diagnostics, asyncwise(990201)`
        : `the asyncwise tsserver plugin is not loaded in this TypeScript server (${detail}); TS/JS findings appear once it is`,
    );
  }

  async findings(document: vscode.TextDocument): Promise<readonly Finding[] | undefined> {
    const body = await this.request<FindingsBody>(FINDINGS_REQUEST, document);
    if (body) this.absence = undefined;
    return body?.findings;
  }

  fixAll(document: vscode.TextDocument): Promise<FixAllBody | undefined> {
    // The plugin applies its own settings' allowUnsafe (the extension configured it with the same).
    return this.request<FixAllBody>(FIX_ALL_REQUEST, document);
  }
}

interface Entry {
  readonly version: number;
  readonly findings: readonly Finding[];
}

export class TypeScriptFindings implements vscode.Disposable, vscode.CodeActionProvider {
  private readonly subscriptions: vscode.Disposable[] = [];
  private active: vscode.Disposable[] = [];
  private collection: vscode.DiagnosticCollection | undefined;
  private source: FindingsSource | undefined;
  private tsModule: typeof ts | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Unanswered requests per file, since its last answer. */
  private readonly retries = new Map<string, number>();
  /**
   * Bumped whenever every file is asked again (new settings for the plugin): an answer to a request
   * sent before was computed with the old settings and is neither cached nor shown. Without it, a
   * request still in flight when the settings changed answered after the refresh cleared the cache,
   * was cached for the unchanged document version, and the refresh's own request then read that.
   */
  private generation = 0;
  private announced = false;

  constructor(
    private readonly settings: SettingsReader,
    private readonly plugin: TypeScriptPluginSettings,
    private readonly log: Log,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (TSGO_SETTINGS.some((key) => e.affectsConfiguration(key))) this.log.guard('switching the TS/JS source', () => this.update());
      }),
      settings.onDidChange(() => {
        // The plugin's findings change once it has the new settings; the fallback's at once.
        if (this.source?.name === 'fallback') this.log.guard('re-analysing TS/JS files', () => this.refreshAll());
      }),
      plugin.onDidConfigure(() => {
        if (this.source?.name === 'plugin') this.log.guard('asking the plugin again', () => this.refreshAll());
      }),
    );
    this.update();
  }

  /** Which source the diagnostics come from now: the plugin once it has answered (the editor suite reads it). */
  get running(): 'plugin' | 'fallback' | undefined {
    if (this.source?.name === 'plugin') return this.plugin.editorShowsFindings ? 'plugin' : undefined;
    return this.source?.name;
  }

  private update(): void {
    this.stop();
    if (tsgoEnabled()) {
      this.tsModule ??= loadTypeScript(this.log);
      if (!this.tsModule) {
        this.log.warn('TypeScript 7 is on and no JavaScript TypeScript (5.x/6.x) was found to parse with: asyncwise TS/JS rules are off');
        return;
      }
      if (!this.announced) {
        this.announced = true;
        this.log.info(
          'TypeScript 7 (js/ts.experimental.useTsgo) loads no tsserver plugins: asyncwise now checks TS/JS files itself, syntax-level (no type information, so type-aware checks such as floating promises of unknown functions are skipped).',
        );
      }
      this.start(new FallbackSource(this.tsModule, this.settings, this.log));
    } else {
      this.start(new PluginSource(this.log));
    }
  }

  private start(source: FindingsSource): void {
    this.source = source;
    this.collection = vscode.languages.createDiagnosticCollection('asyncwise-typescript');
    this.active = [
      this.collection,
      vscode.languages.registerCodeActionsProvider(
        TS_JS_LANGUAGES.map((language) => ({ language })),
        this,
        { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND] },
      ),
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0 || !isTypeScriptOrJavaScript(e.document)) return;
        this.schedule(e.document, DEBOUNCE_MS);
        // Type-aware findings of other files can change with this one (a function made async).
        if (this.source?.name === 'plugin') {
          for (const other of vscode.workspace.textDocuments) if (other !== e.document) this.schedule(other, OTHERS_DELAY_MS, true);
        }
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)),
    ];
    this.refreshAll();
  }

  private stop(): void {
    if (!this.source) return;
    const was = this.source.name;
    for (const d of this.active) d.dispose();
    this.active = [];
    this.collection = undefined;
    this.source = undefined;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.entries.clear();
    this.retries.clear();
    if (was === 'plugin') this.plugin.setEditorShowsFindings(false);
    else this.log.info('TypeScript 7 is off: the tsserver plugin checks TS/JS files again');
  }

  private refreshAll(): void {
    this.generation++;
    this.entries.clear();
    this.retries.clear();
    for (const document of vscode.workspace.textDocuments) this.schedule(document, 0);
  }

  /** Debounced: a later call resets the file's wait; `ifIdle` calls only start one when none is pending. */
  private schedule(document: vscode.TextDocument, delay: number, ifIdle = false): void {
    if (!this.collection || !isTypeScriptOrJavaScript(document) || !isEditedDocument(document)) return;
    const key = document.uri.toString();
    if (ifIdle && this.timers.has(key)) return;
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.log.detach(`analysing ${key}`, this.publish(document));
      }, delay),
    );
  }

  private forget(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.entries.delete(key);
    this.retries.delete(key);
    if (this.source instanceof FallbackSource) this.source.forget(document);
    this.collection?.delete(document.uri);
  }

  private async publish(document: vscode.TextDocument): Promise<void> {
    const key = document.uri.toString();
    const version = document.version;
    const entry = await this.entryFor(document);
    if (!this.collection || document.isClosed) return;
    if (entry && entry.version === document.version) {
      this.retries.delete(key);
      this.collection.set(document.uri, entry.findings.map((f) => toDiagnostic(f, document.uri)));
      return;
    }
    // No answer for this version: the TypeScript extension or tsserver may still be starting (its
    // command not registered yet, the file not yet synced, the project loading). Ask again a while.
    const source = this.source;
    if (!(source instanceof PluginSource) || source.absence === 'refused' || document.version !== version) return;
    const tries = (this.retries.get(key) ?? 0) + 1;
    this.retries.set(key, tries);
    if (tries <= MAX_RETRIES) this.schedule(document, RETRY_MS, true);
  }

  /**
   * The findings of the document's current version, or undefined. An answer about a version the
   * document has already left is dropped (its offsets would be wrong); the edit that moved it on
   * scheduled the next request.
   */
  private async entryFor(document: vscode.TextDocument): Promise<Entry | undefined> {
    const source = this.source;
    if (!source || document.isClosed) return undefined;
    const key = document.uri.toString();
    const cached = this.entries.get(key);
    if (cached && cached.version === document.version) return cached;
    const version = document.version;
    const generation = this.generation;
    const findings = await source.findings(document);
    if (findings === undefined || source !== this.source || document.version !== version || generation !== this.generation) return undefined;
    if (source instanceof PluginSource && !this.plugin.editorShowsFindings) {
      // The plugin answers: from now on it leaves these out of tsserver's diagnostics (else each shows twice).
      this.plugin.setEditorShowsFindings(true);
      this.log.info('TS/JS findings: the extension shows the tsserver plugin\'s findings (rule codes linked to their docs)');
    }
    const entry: Entry = { version, findings };
    this.entries.set(key, entry);
    return entry;
  }

  async provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    try {
      const source = this.source;
      if (!source) return [];
      const actions: vscode.CodeAction[] = [];
      if (!context.only || context.only.contains(vscode.CodeActionKind.QuickFix)) {
        const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
        const entry = ours.length ? await this.entryFor(document) : undefined;
        const fixes: vscode.CodeAction[] = [];
        const others: vscode.CodeAction[] = [];
        const documented = new Set<string>();
        for (const diagnostic of ours) {
          const finding = entry?.findings.find((f) => describesFinding(diagnostic, f));
          if (!finding) continue;
          for (const fix of finding.fixes) {
            const action = new vscode.CodeAction(fix.safety === 'unsafe' ? `${fix.title} (unsafe)` : fix.title, vscode.CodeActionKind.QuickFix);
            action.diagnostics = [diagnostic];
            action.isPreferred = fix.safety === 'safe';
            action.edit = new vscode.WorkspaceEdit();
            for (const e of fix.edits) action.edit.replace(document.uri, new vscode.Range(document.positionAt(e.start), document.positionAt(e.end)), e.newText);
            fixes.push(action);
          }
          const line = document.lineAt(diagnostic.range.start.line);
          const ignore = new vscode.CodeAction(`Ignore ${finding.code} on this line`, vscode.CodeActionKind.QuickFix);
          ignore.diagnostics = [diagnostic];
          ignore.edit = new vscode.WorkspaceEdit();
          const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
          ignore.edit.insert(document.uri, line.range.start, `${indent}// asyncwise-ignore-next-line ${finding.code}\n`);
          others.push(ignore);
          if (!documented.has(finding.code)) {
            documented.add(finding.code);
            // As the language server offers it for Python: the rule's page, rendered in the editor.
            const title = `Show documentation for ${finding.code} ${finding.rule}`;
            const docs = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
            docs.diagnostics = [diagnostic];
            docs.command = { title, command: COMMANDS.showRuleDocs, arguments: [finding.code] };
            others.push(docs);
          }
        }
        // Real fixes first, then the ways to silence or read about a finding.
        actions.push(...fixes, ...others);
      }
      if (context.only?.contains(FIX_ALL_KIND)) {
        const version = document.version;
        const all = await source.fixAll(document, this.settings.forDocument(document).fix.allowUnsafe);
        if (all && all.applied > 0 && document.version === version && all.text !== document.getText()) {
          const action = new vscode.CodeAction(`Fix all asyncwise problems (${all.applied})`, FIX_ALL_KIND);
          action.edit = new vscode.WorkspaceEdit();
          action.edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), all.text);
          actions.push(action);
        }
      }
      return actions;
    } catch (error) {
      this.log.error(`TS/JS code actions for ${document.uri.toString()} failed`, error);
      return [];
    }
  }

  dispose(): void {
    this.stop();
    for (const s of this.subscriptions) s.dispose();
  }
}
