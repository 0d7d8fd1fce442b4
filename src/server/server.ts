/**
 * `asyncwise server`: the language server, over stdio. This thread speaks JSON-RPC and keeps the
 * documents (incremental sync); every analysis runs on the engine thread (engine.ts), so a request
 * is answered while a file is analysed and typing never waits on the engine.
 *
 * Scheduling, per document: an edit goes to the engine at once (it only records it) and asks for an
 * analysis; at most one analysis per document is in flight, and edits arriving meanwhile coalesce
 * into the next one. A result for a version that is no longer current is dropped, never published.
 * The typing path re-checks only the edited coroutine when it can (`analyzeEdit`); the exact
 * analysis follows once typing pauses (`SETTLE_MS`).
 *
 * Diagnostics are pulled (`textDocument/diagnostic`) by clients that can, pushed
 * (`textDocument/publishDiagnostics`) to the others. A pull waits for the analysis of the version it
 * asks about and is dropped when the client cancels it (`$/cancelRequest`).
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  CodeActionKind,
  createConnection,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  FileChangeType,
  LSPErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocumentSyncKind,
  WorkDoneProgress,
  type CancellationToken,
  type ClientCapabilities,
  type CodeAction,
  type Connection,
  type Diagnostic,
  type DocumentDiagnosticReport,
  type InitializeResult,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { version } from '../../package.json';
import { CATALOG } from '../core/catalog';
import { docsUrl } from '../core/rule';
import type { ContentChange } from '../python/document';
import { FIX_ALL_KIND, SERVER_COMMANDS, type ClientSettings, type EngineEvent, type EngineRequest } from './protocol';

/** After a windowed analysis while typing, the exact one runs once typing pauses this long. */
export const SETTLE_MS = 700;
const TRACE = process.env.ASYNCWISE_SERVER_TRACE === '1';
/** Engine restarts allowed in a row before the server gives up (and says so). */
const MAX_RESTARTS = 5;

interface Tracked {
  /** Updated in place by each change (`TextDocument.update`): read its version and text, never keep it. */
  readonly document: TextDocument;
  readonly path: string | undefined;
  /** The version the published diagnostics describe, and them. */
  analysedVersion: number | undefined;
  diagnostics: Diagnostic[];
  /** Changes each time diagnostics are published; a pull that already has them gets `unchanged`. */
  resultId: string;
  /** What was last published, to publish only what changed. */
  publishedKey: string | undefined;
  publishedVersion: number | undefined;
  inFlight: { version: number } | undefined;
  /** The next analysis wanted once the one in flight returns. */
  wanted: 'edit' | 'full' | undefined;
  /** Start the next analysis from the text (a module it depends on changed). */
  fresh: boolean;
  exact: boolean;
  settle: NodeJS.Timeout | undefined;
  waiters: { version: number; resolve: () => void }[];
  /** The client's settings for this document (resolved on open and after a configuration change). */
  settings: Promise<ClientSettings>;
}

/** Why a pending engine request failed: the engine thread died (it is restarted). */
class EngineGone extends Error {}

export interface ServerOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** The script the engine thread runs (this same bundle). */
  readonly engineScript: string;
}

export function startServer(options: ServerOptions): Promise<number> {
  const connection = createConnection(ProposedFeatures.all, options.input, options.output);
  const server = new AsyncwiseServer(connection, options.engineScript);
  // A client's error reply to one of our requests, or a bug in a handler, is logged; it never ends the server.
  process.on('unhandledRejection', (reason) => connection.console.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
  server.register();
  connection.listen();
  // The connection ends the process itself (`exit`, a closed stdin, a dead parent process).
  return new Promise<number>(() => {});
}

class AsyncwiseServer {
  private readonly tracked = new Map<string, Tracked>();
  private engine!: Worker;
  private restarts = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (event: EngineEvent) => void; reject: (error: Error) => void }>();
  private capabilities: ClientCapabilities = {};
  private folders: string[] = [];
  private pull = false;
  /** Settings for clients that push them (`didChangeConfiguration`) or give them at start. */
  private pushedSettings: ClientSettings;
  private indexRequested = false;

  constructor(
    private readonly connection: Connection,
    private readonly engineScript: string,
  ) {}

  register(): void {
    const c = this.connection;
    c.onInitialize((params): InitializeResult => {
      this.capabilities = params.capabilities;
      const init = params.initializationOptions as { settings?: unknown; pushDiagnostics?: unknown } | undefined;
      // `pushDiagnostics`: a client that pulls only for visible documents but wants every open one's (VS Code's).
      this.pull = Boolean(params.capabilities.textDocument?.diagnostic) && init?.pushDiagnostics !== true;
      if (init && typeof init.settings === 'object' && init.settings !== null) this.pushedSettings = init.settings as ClientSettings;
      const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
      this.folders = folders.map(pathOf).filter((p): p is string => p !== undefined);
      this.startEngine();
      return {
        capabilities: {
          textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
          codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
          executeCommandProvider: { commands: [SERVER_COMMANDS.fixAll, SERVER_COMMANDS.showRuleDocs] },
          ...(this.pull ? { diagnosticProvider: { identifier: 'asyncwise', interFileDependencies: true, workspaceDiagnostics: false } } : {}),
        },
        serverInfo: { name: 'asyncwise', version },
      };
    });
    c.onInitialized(() => {
      if (this.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration) {
        void c.client
          .register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.py' }, { globPattern: '**/pyproject.toml' }, { globPattern: '**/package.json' }] })
          .catch((e: unknown) => this.log('warn', `could not watch files: ${String(e)}`));
      }
      // The open files' own diagnostics first; the project index (cross-file rules) after them.
      setTimeout(() => this.requestIndex(), 1000);
    });
    c.onDidOpenTextDocument(({ textDocument: d }) => this.guard('opening a document', () => this.open(d.uri, d.languageId, d.version, d.text)));
    c.onDidChangeTextDocument((params) => this.guard('following an edit', () => this.change(params.textDocument.uri, params.textDocument.version, params.contentChanges)));
    c.onDidCloseTextDocument(({ textDocument }) => this.guard('closing a document', () => this.close(textDocument.uri)));
    c.onDidChangeConfiguration((params) =>
      this.guard('changing settings', () => {
        const pushed = (params.settings as { asyncwise?: unknown } | undefined)?.asyncwise;
        if (pushed && typeof pushed === 'object') this.pushedSettings = pushed as ClientSettings;
        this.post({ type: 'settingsChanged' });
        for (const [uri, t] of this.tracked) {
          t.settings = this.fetchSettings(uri);
          this.schedule(t, 'full', true);
        }
      }),
    );
    c.onDidChangeWatchedFiles((params) =>
      this.guard('following file events', () => {
        const changes = params.changes.flatMap((change) => {
          const file = pathOf(change.uri);
          if (!file) return [];
          const kind = change.type === FileChangeType.Created ? 'created' : change.type === FileChangeType.Deleted ? 'deleted' : 'changed';
          return [{ path: file, kind } as const];
        });
        if (changes.length) this.post({ type: 'files', changes });
      }),
    );
    c.languages.diagnostics.on((params, token) => this.pullDiagnostics(params.textDocument.uri, params.previousResultId, token));
    c.onCodeAction((params, token) => this.codeActions(params.textDocument.uri, params.range, params.context.diagnostics, params.context.only, token));
    c.onExecuteCommand((params) => this.executeCommand(params.command, params.arguments ?? []));
  }

  // ---- engine thread ------------------------------------------------------------------------

  private startEngine(): void {
    const engine = new Worker(this.engineScript, { workerData: { asyncwiseServer: true } });
    this.engine = engine;
    engine.on('message', (event: EngineEvent) => this.guard('handling an engine event', () => this.onEngineEvent(event)));
    engine.on('error', (error) => this.log('error', `the analysis engine failed: ${error.stack ?? error.message}`));
    engine.on('exit', (code) => {
      if (this.engine !== engine) return;
      for (const p of this.pending.values()) p.reject(new EngineGone(`the analysis engine stopped (exit code ${code})`));
      this.pending.clear();
      for (const t of this.tracked.values()) {
        t.inFlight = undefined;
        clearTimeout(t.settle);
      }
      if (++this.restarts > MAX_RESTARTS) {
        this.log('error', `the analysis engine stopped ${MAX_RESTARTS} times; asyncwise diagnostics are off until the server restarts`);
        this.showMessage(1, 'asyncwise: the analysis engine keeps stopping; see the asyncwise output.');
        return;
      }
      this.log('error', `the analysis engine stopped (exit code ${code}); restarting it`);
      this.startEngine();
      // Everything it knew, again: the open documents, the index, then every document re-analysed.
      for (const [uri, t] of this.tracked) this.post({ type: 'open', uri, path: t.path, text: t.document.getText() });
      if (this.indexRequested) this.post({ type: 'index' });
      for (const t of this.tracked.values()) this.schedule(t, 'full', true);
    });
    this.post({ type: 'init', folders: this.folders });
  }

  private post(request: EngineRequest): void {
    this.engine.postMessage(request);
  }

  /** Posts a request and resolves with the engine's answer to it. */
  private ask<E extends EngineEvent>(build: (id: number) => EngineRequest): Promise<E> {
    const id = this.nextId++;
    return new Promise<E>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (e: EngineEvent) => void, reject });
      this.post(build(id));
    });
  }

  private onEngineEvent(event: EngineEvent): void {
    switch (event.type) {
      case 'ready':
        this.log('info', `asyncwise ${version} language server: Python parser loaded in ${event.parserMs} ms`);
        return;
      case 'log':
        this.log(event.level, event.message);
        return;
      case 'stale':
        for (const uri of event.uris) {
          const t = this.tracked.get(uri);
          if (t) this.schedule(t, 'full', true);
        }
        return;
      case 'indexing':
        this.indexProgress(event.phase, event.message);
        return;
      default: {
        const p = this.pending.get(event.id);
        if (!p) return;
        this.pending.delete(event.id);
        // A successful answer also proves the engine healthy again.
        if (event.type === 'failed') p.reject(new Error(event.message));
        else {
          this.restarts = 0;
          p.resolve(event);
        }
      }
    }
  }

  /** The index build's progress: the token once the client created it (begin and end go in order). */
  private progress: Promise<string | undefined> | undefined;
  private indexProgress(phase: 'begin' | 'end', message: string): void {
    if (!this.capabilities.window?.workDoneProgress) return;
    if (phase === 'begin') {
      const token = `asyncwise-index-${this.nextId++}`;
      this.progress = this.connection.sendRequest('window/workDoneProgress/create', { token }).then(
        () => {
          void this.connection.sendProgress(WorkDoneProgress.type, token, { kind: 'begin', title: 'asyncwise', message, cancellable: false });
          return token;
        },
        () => undefined,
      );
    } else if (this.progress) {
      void this.progress.then((token) => {
        if (token) void this.connection.sendProgress(WorkDoneProgress.type, token, { kind: 'end', message });
      });
      this.progress = undefined;
    }
  }

  private requestIndex(): void {
    if (this.indexRequested) return;
    this.indexRequested = true;
    this.post({ type: 'index' });
  }

  // ---- documents ----------------------------------------------------------------------------

  private open(uri: string, languageId: string, version: number, text: string): void {
    const file = pathOf(uri);
    if (languageId !== 'python' && !(file && /\.pyi?$/.test(file))) return;
    const t: Tracked = {
      document: TextDocument.create(uri, languageId, version, text),
      path: file,
      analysedVersion: undefined,
      diagnostics: [],
      resultId: '',
      publishedKey: undefined,
      publishedVersion: undefined,
      inFlight: undefined,
      wanted: undefined,
      fresh: false,
      exact: true,
      settle: undefined,
      waiters: [],
      settings: this.fetchSettings(uri),
    };
    this.tracked.set(uri, t);
    this.post({ type: 'open', uri, path: file, text });
    this.schedule(t, 'full');
  }

  private change(uri: string, version: number, changes: readonly ({ range?: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string })[]): void {
    const t = this.tracked.get(uri);
    if (!t) return;
    // Offsets for the engine, each relative to the text after the previous change (as it applies them).
    const engineChanges: ContentChange[] = [];
    const document = t.document;
    for (const change of changes) {
      if (change.range) {
        const start = document.offsetAt(change.range.start);
        const end = document.offsetAt(change.range.end);
        engineChanges.push({ rangeOffset: start, rangeLength: end - start, text: change.text });
      } else {
        engineChanges.push({ rangeOffset: 0, rangeLength: document.getText().length, text: change.text });
      }
      TextDocument.update(document, [change as Parameters<typeof TextDocument.update>[1][number]], version);
    }
    this.post({ type: 'change', uri, changes: engineChanges });
    this.schedule(t, 'edit');
  }

  private close(uri: string): void {
    const t = this.tracked.get(uri);
    if (!t) return;
    clearTimeout(t.settle);
    this.tracked.delete(uri);
    for (const w of t.waiters) w.resolve();
    this.post({ type: 'close', uri });
    if (!this.pull) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  private fetchSettings(uri: string): Promise<ClientSettings> {
    if (!this.capabilities.workspace?.configuration) return Promise.resolve(this.pushedSettings);
    return this.connection.workspace.getConfiguration({ scopeUri: uri, section: 'asyncwise' }).then(
      (value: unknown) => (value && typeof value === 'object' ? (value as ClientSettings) : this.pushedSettings),
      (error: unknown) => {
        this.log('warn', `workspace/configuration failed: ${String(error)}`);
        return this.pushedSettings;
      },
    );
  }

  // ---- analysis scheduling ------------------------------------------------------------------

  /** Wants an analysis of the document's current text: now when none is in flight, else right after it. */
  private schedule(t: Tracked, mode: 'edit' | 'full', fresh = false): void {
    clearTimeout(t.settle);
    t.settle = undefined;
    t.fresh ||= fresh;
    t.wanted = t.wanted === 'full' || mode === 'full' ? 'full' : 'edit';
    if (!t.inFlight) void this.analyse(t);
  }

  private async analyse(t: Tracked): Promise<void> {
    const mode = t.wanted;
    if (!mode || t.inFlight) return;
    t.wanted = undefined;
    const fresh = t.fresh;
    t.fresh = false;
    t.inFlight = { version: t.document.version };
    let result: Extract<EngineEvent, { type: 'analysed' }> | undefined;
    try {
      const settings = await t.settings;
      if (this.tracked.get(t.document.uri) !== t) return;
      // The text as of now (settings may have taken a moment). Values, not the document: a
      // `TextDocument` is updated in place by later changes.
      const uri = t.document.uri;
      const analysed = t.document.version;
      const text = t.document.getText();
      t.inFlight = { version: analysed };
      const sent = performance.now();
      result = await this.ask<Extract<EngineEvent, { type: 'analysed' }>>((id) => ({ type: 'analyse', id, uri, text, mode, fresh, settings }));
      // ASYNCWISE_SERVER_TRACE=1: each analysis' cost on the engine thread and round trip, on stderr (the benchmark's breakdown).
      if (TRACE) process.stderr.write(`asyncwise-trace analyse ${mode}${fresh ? ' fresh' : ''} v${analysed} engine ${result.ms.toFixed(1)} ms round trip ${(performance.now() - sent).toFixed(1)} ms exact ${result.exact}\n`);
      if (this.tracked.get(uri) !== t) return;
      if (analysed !== t.document.version) {
        // Superseded while it ran: dropped, and the next one (wanted by the edit) goes now.
        t.wanted ??= 'edit';
        return;
      }
      t.analysedVersion = analysed;
      t.diagnostics = result.diagnostics;
      t.exact = result.exact;
      this.publish(t);
    } catch (error) {
      if (!(error instanceof EngineGone)) this.log('error', `analysing ${t.document.uri} failed: ${error instanceof Error ? error.message : String(error)}`);
      // Never leave stale diagnostics pointing at text that moved.
      t.analysedVersion = t.document.version;
      t.diagnostics = [];
      this.publish(t);
    } finally {
      if (this.tracked.get(t.document.uri) === t) {
        t.inFlight = undefined;
        if (t.wanted) void this.analyse(t);
        else if (result && !result.exact) {
          t.settle = setTimeout(() => {
            t.settle = undefined;
            this.schedule(t, 'full');
          }, SETTLE_MS);
        }
      }
    }
  }

  private publish(t: Tracked): void {
    const version = t.analysedVersion ?? -1;
    const done = t.waiters.filter((w) => w.version <= version);
    t.waiters = t.waiters.filter((w) => w.version > version);
    const key = JSON.stringify(t.diagnostics);
    const changed = key !== t.publishedKey;
    const moved = version !== t.publishedVersion;
    t.publishedKey = key;
    t.publishedVersion = version;
    // The result id names the diagnostics, not the version: a pull of the same ones gets `unchanged`.
    if (changed) t.resultId = `${version}:${this.nextId++}`;
    for (const w of done) w.resolve();
    if (this.pull) {
      // Diagnostics the client did not ask for (the exact analysis after a pause, a module changed): ask it to pull again.
      if (changed && done.length === 0 && this.capabilities.workspace?.diagnostics?.refreshSupport) this.connection.languages.diagnostics.refresh();
      return;
    }
    if (changed || moved) void this.connection.sendDiagnostics({ uri: t.document.uri, version: t.analysedVersion, diagnostics: t.diagnostics });
  }

  /** Resolves once diagnostics of at least the document's current version are in. */
  private settled(t: Tracked, token: CancellationToken): Promise<void> {
    const version = t.document.version;
    if (t.analysedVersion !== undefined && t.analysedVersion >= version && !t.inFlight && !t.wanted) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = { version, resolve: () => (listener.dispose(), resolve()) };
      const listener = token.onCancellationRequested(() => {
        t.waiters = t.waiters.filter((w) => w !== waiter);
        reject(new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled'));
      });
      t.waiters.push(waiter);
    });
  }

  private async pullDiagnostics(uri: string, previousResultId: string | undefined, token: CancellationToken): Promise<DocumentDiagnosticReport> {
    const t = this.tracked.get(uri);
    if (!t) return { kind: 'full', items: [] };
    await this.settled(t, token);
    if (previousResultId !== undefined && previousResultId === t.resultId) return { kind: 'unchanged', resultId: t.resultId };
    return { kind: 'full', resultId: t.resultId, items: t.diagnostics };
  }

  // ---- code actions and commands ------------------------------------------------------------

  private async codeActions(uri: string, range: import('vscode-languageserver').Range, diagnostics: Diagnostic[], only: string[] | undefined, token: CancellationToken): Promise<CodeAction[] | null> {
    const t = this.tracked.get(uri);
    if (!t) return null;
    const ours = diagnostics.filter((d) => d.source === 'asyncwise');
    const wantsFixAll = only?.some((k) => FIX_ALL_KIND === k || FIX_ALL_KIND.startsWith(`${k}.`)) ?? false;
    if (ours.length === 0 && !wantsFixAll) return [];
    await this.settled(t, token);
    const settings = await t.settings;
    const version = t.document.version;
    const text = t.document.getText();
    const event = await this.ask<Extract<EngineEvent, { type: 'codeActions' }>>((id) => ({
      type: 'codeActions',
      id,
      uri,
      text,
      range,
      diagnostics: ours,
      only,
      settings,
      documentChanges: this.documentChanges(),
      version,
    }));
    // Edits computed for text that changed meanwhile would land in the wrong place.
    if (t.document.version !== version) throw new ResponseError(LSPErrorCodes.ContentModified, 'the document changed');
    return event.actions;
  }

  private documentChanges(): boolean {
    return this.capabilities.workspace?.workspaceEdit?.documentChanges === true;
  }

  private async fixAllEdit(uri: string): Promise<{ edit: WorkspaceEdit | undefined; title: string; applied: number }> {
    const t = this.tracked.get(uri);
    if (!t) return { edit: undefined, title: '', applied: 0 };
    const settings = await t.settings;
    const version = t.document.version;
    const text = t.document.getText();
    const event = await this.ask<Extract<EngineEvent, { type: 'fixAll' }>>((id) => ({ type: 'fixAll', id, uri, text, settings, documentChanges: this.documentChanges(), version }));
    if (t.document.version !== version) throw new ResponseError(LSPErrorCodes.ContentModified, 'the document changed');
    return event;
  }

  private async executeCommand(command: string, args: unknown[]): Promise<unknown> {
    if (command === SERVER_COMMANDS.fixAll) {
      const first = args[0];
      const uri = typeof first === 'string' ? first : typeof first === 'object' && first && typeof (first as { uri?: unknown }).uri === 'string' ? (first as { uri: string }).uri : undefined;
      if (!uri) throw new ResponseError(ErrorCodes.InvalidParams, `${command} takes the document's URI`);
      const { edit, title, applied } = await this.fixAllEdit(uri);
      if (!edit) return { applied: 0 };
      const result = await this.connection.workspace.applyEdit({ label: title, edit });
      return { applied: result.applied ? applied : 0 };
    }
    if (command === SERVER_COMMANDS.showRuleDocs) {
      const key = String(args[0] ?? '');
      const rule = CATALOG.find((r) => r.code === key.toUpperCase() || r.name === key);
      if (!rule) throw new ResponseError(ErrorCodes.InvalidParams, `unknown rule ${JSON.stringify(key)}`);
      const url = docsUrl(rule);
      if (this.capabilities.window?.showDocument?.support) await this.connection.window.showDocument({ uri: url, external: true });
      else this.showMessage(3, `${rule.code} ${rule.name}: ${url}`);
      return { url };
    }
    throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${command}`);
  }

  // ---- utilities ----------------------------------------------------------------------------

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    if (level === 'error') this.connection.console.error(message);
    else if (level === 'warn') this.connection.console.warn(message);
    else this.connection.console.info(message);
  }

  /** `window/showMessage` (a notification: a client that does not show messages cannot fail it). */
  private showMessage(type: 1 | 2 | 3, message: string): void {
    void this.connection.sendNotification('window/showMessage', { type, message });
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log('error', `${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
}

function pathOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}
