/**
 * TS/JS diagnostics and fixes when no tsserver plugin can run. The native TypeScript 7 (which VS Code
 * runs when `js/ts.experimental.useTsgo` is on) loads no plugins; the extension then runs the same
 * TS/JS rules itself, on a syntax tree only (no program, so no type information: the type-aware parts
 * of the rules stay quiet rather than guess), and says so once in its output channel. With the
 * setting off, this class does nothing: the plugin inside tsserver owns TS/JS.
 *
 * The TypeScript API it parses with is the JavaScript TypeScript VS Code ships with its TypeScript
 * extension (or, failing that, a TypeScript 5/6 in the workspace): the extension bundles none.
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ts from 'typescript';
import * as vscode from 'vscode';
import type { Finding } from '../core/finding';
import type { Settings } from '../core/settings';
import { analyzeTypeScript, fixAllTypeScript, scriptKindOf } from '../typescript/analyze';
import type { SettingsReader } from './config';
import type { Log } from './log';
import { describesFinding, FIX_ALL_KIND, toDiagnostic } from './diagnostics';
import { isTypeScriptOrJavaScript, TS_JS_LANGUAGES } from './typescriptPlugin';

const TSGO_SETTINGS = ['js/ts.experimental.useTsgo', 'typescript.experimental.useTsgo'];

/** Whether the user runs the native TypeScript 7 language server (which loads no plugins). */
export function tsgoEnabled(): boolean {
  const config = vscode.workspace.getConfiguration();
  return TSGO_SETTINGS.some((key) => config.get<boolean>(key) === true);
}

/** Waits this long after the last keystroke before re-analysing. */
const DEBOUNCE_MS = 250;

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

interface Entry {
  version: number;
  settings: Settings;
  sourceFile: ts.SourceFile;
  findings: readonly Finding[];
}

export class TypeScriptFallback implements vscode.Disposable, vscode.CodeActionProvider {
  private readonly subscriptions: vscode.Disposable[] = [];
  private active: vscode.Disposable[] = [];
  private collection: vscode.DiagnosticCollection | undefined;
  private tsModule: typeof ts | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private announced = false;

  constructor(
    private readonly settings: SettingsReader,
    private readonly log: Log,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (TSGO_SETTINGS.some((key) => e.affectsConfiguration(key))) this.log.guard('switching the TS/JS fallback', () => this.update());
      }),
      settings.onDidChange(() => this.log.guard('re-analysing TS/JS files', () => this.refreshAll())),
    );
    this.update();
  }

  /** True while the extension itself checks TS/JS files (the editor suite reads it). */
  get running(): boolean {
    return this.collection !== undefined;
  }

  private update(): void {
    if (tsgoEnabled()) this.start();
    else this.stop();
  }

  private start(): void {
    if (this.collection) return;
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
    this.collection = vscode.languages.createDiagnosticCollection('asyncwise-typescript');
    this.active = [
      this.collection,
      vscode.languages.registerCodeActionsProvider(
        TS_JS_LANGUAGES.map((language) => ({ language })),
        this,
        { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND] },
      ),
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, DEBOUNCE_MS)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)),
    ];
    this.refreshAll();
  }

  private stop(): void {
    if (!this.collection) return;
    for (const d of this.active) d.dispose();
    this.active = [];
    this.collection = undefined;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.entries.clear();
    this.log.info('TypeScript 7 is off: the tsserver plugin checks TS/JS files again');
  }

  private refreshAll(): void {
    if (!this.collection) return;
    this.entries.clear();
    for (const document of vscode.workspace.textDocuments) this.schedule(document, 0);
  }

  private schedule(document: vscode.TextDocument, delay: number): void {
    if (!this.collection || !isTypeScriptOrJavaScript(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.log.guard(`analysing ${key}`, () => this.publish(document));
      }, delay),
    );
  }

  private forget(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.entries.delete(key);
    this.collection?.delete(document.uri);
  }

  private publish(document: vscode.TextDocument): void {
    if (!this.collection || document.isClosed) return;
    const entry = this.analyse(document);
    this.collection.set(document.uri, entry ? entry.findings.map(toDiagnostic) : []);
  }

  /** The findings of the document's current version (cached per version and settings). */
  private analyse(document: vscode.TextDocument): Entry | undefined {
    const tsModule = this.tsModule;
    if (!tsModule) return undefined;
    const key = document.uri.toString();
    const settings = this.settings.forDocument(document);
    const cached = this.entries.get(key);
    if (cached && cached.version === document.version && cached.settings === settings) return cached;
    const fileName = document.uri.scheme === 'file' ? document.uri.fsPath : document.uri.path;
    const sourceFile = tsModule.createSourceFile(fileName, document.getText(), tsModule.ScriptTarget.Latest, true, scriptKindOf(tsModule, fileName));
    const result = analyzeTypeScript(tsModule, sourceFile, settings, { relativePath: vscode.workspace.asRelativePath(document.uri, false) });
    for (const error of result.errors) this.log.error(`rule ${error.rule} failed on ${key}: ${error.message}`);
    const entry: Entry = { version: document.version, settings, sourceFile, findings: result.findings };
    this.entries.set(key, entry);
    return entry;
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    try {
      if (!this.collection) return [];
      const entry = this.analyse(document);
      if (!entry) return [];
      const actions: vscode.CodeAction[] = [];
      if (!context.only || context.only.contains(vscode.CodeActionKind.QuickFix)) {
        for (const diagnostic of context.diagnostics) {
          const finding = entry.findings.find((f) => describesFinding(diagnostic, f));
          if (!finding) continue;
          for (const fix of finding.fixes) {
            const action = new vscode.CodeAction(fix.safety === 'unsafe' ? `${fix.title} (unsafe)` : fix.title, vscode.CodeActionKind.QuickFix);
            action.diagnostics = [diagnostic];
            action.isPreferred = fix.safety === 'safe';
            action.edit = new vscode.WorkspaceEdit();
            for (const e of fix.edits) action.edit.replace(document.uri, new vscode.Range(document.positionAt(e.start), document.positionAt(e.end)), e.newText);
            actions.push(action);
          }
          const line = document.lineAt(diagnostic.range.start.line);
          const ignore = new vscode.CodeAction(`Ignore ${finding.code} on this line`, vscode.CodeActionKind.QuickFix);
          ignore.diagnostics = [diagnostic];
          ignore.edit = new vscode.WorkspaceEdit();
          const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
          ignore.edit.insert(document.uri, line.range.start, `${indent}// asyncwise-ignore-next-line ${finding.code}\n`);
          actions.push(ignore);
        }
      }
      if (context.only?.contains(FIX_ALL_KIND) && this.tsModule) {
        const { text, applied } = fixAllTypeScript(this.tsModule, entry.sourceFile, entry.findings, entry.settings.fix.allowUnsafe);
        if (applied > 0) {
          const action = new vscode.CodeAction(`Fix all asyncwise problems (${applied})`, FIX_ALL_KIND);
          action.edit = new vscode.WorkspaceEdit();
          action.edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), text);
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
