/**
 * Python in VS Code: a thin client (`vscode-languageclient`) of the language server the CLI bundle
 * runs (`dist/cli.js server`, src/server), in its own process. The extension host runs no Python
 * analysis: a slow analysis or a crash stays in that process. Diagnostics, quick fixes, "ignore on
 * this line", `source.fixAll.asyncwise` and configuration (`asyncwise.*` settings, pyproject.toml,
 * package.json) come from the server, exactly as other editors get them.
 *
 * A server that dies is restarted with back-off (0.5 s, 1 s, 2 s, … up to 30 s; the count resets
 * after a minute of health), and the asyncwise output channel says what happened.
 */
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { SERVER_COMMANDS } from '../server/protocol';
import { COMMANDS } from './commands';
import type { Log } from './log';

/** Schemes of documents a user edits; not git's old versions, output panes or diff originals. */
const SCHEMES = ['file', 'untitled', 'vscode-notebook-cell', 'vscode-remote', 'vscode-vfs'];

const MAX_BACKOFF_MS = 30_000;
const HEALTHY_MS = 60_000;

/**
 * What the Python client's work costs VS Code's extension host, the thread every extension shares:
 * the milliseconds its handlers ran synchronously, per kind (a document change forwarded to the
 * server, a diagnostics set received from it). Two clock reads per event; the editor suite reads it
 * while a scripted user types (issue 13: at most 5 ms per keystroke).
 */
export class HostCost {
  readonly changes: number[] = [];
  readonly diagnostics: number[] = [];
  /** When each diagnostics set arrived (`performance.now()`): keystroke-to-diagnostics in the host. */
  readonly arrivals: number[] = [];

  time<T>(into: number[], run: () => T): T {
    const started = performance.now();
    try {
      return run();
    } finally {
      into.push(performance.now() - started);
      // A long session keeps the recent past only.
      if (into.length > 10_000) into.splice(0, into.length - 5_000);
    }
  }

  arrived(): void {
    this.arrivals.push(performance.now());
    if (this.arrivals.length > 10_000) this.arrivals.splice(0, this.arrivals.length - 5_000);
  }

  reset(): void {
    this.changes.length = 0;
    this.diagnostics.length = 0;
    this.arrivals.length = 0;
  }
}

export class PythonClient implements vscode.Disposable {
  readonly hostCost = new HostCost();
  private readonly client: LanguageClient;
  private failures = 0;
  private lastStart = 0;
  private disposed = false;

  constructor(context: vscode.ExtensionContext, log: Log) {
    const module = context.asAbsolutePath('dist/cli.js');
    const server: ServerOptions = {
      run: { module, args: ['server'], transport: TransportKind.stdio },
      debug: { module, args: ['server'], transport: TransportKind.stdio },
    };
    const options: LanguageClientOptions = {
      documentSelector: SCHEMES.map((scheme) => ({ scheme, language: 'python' })),
      diagnosticCollectionName: 'asyncwise',
      outputChannel: log.channel,
      // Every open Python document gets its diagnostics (as the Problems panel expects), not only
      // those in a visible tab: the server pushes them.
      initializationOptions: { pushDiagnostics: true },
      synchronize: { configurationSection: 'asyncwise' },
      middleware: {
        // Timed, not changed: the synchronous part of forwarding an edit and of taking diagnostics in.
        didChange: (event, next) => this.hostCost.time(this.hostCost.changes, () => next(event)),
        handleDiagnostics: (uri, diagnostics, next) => {
          this.hostCost.arrived();
          this.hostCost.time(this.hostCost.diagnostics, () => next(uri, diagnostics));
        },
        // The server's "show documentation" action: in VS Code, the extension's own rendered docs.
        provideCodeActions: async (document, range, context, token, next) => {
          const actions = await next(document, range, context, token);
          for (const action of actions ?? []) {
            const command = action instanceof vscode.CodeAction ? action.command : action;
            if (command?.command === SERVER_COMMANDS.showRuleDocs) command.command = COMMANDS.showRuleDocs;
          }
          return actions;
        },
      },
      errorHandler: {
        error: (error, message, count) => {
          log.error(`the asyncwise language server connection failed${message ? ` on ${JSON.stringify(message).slice(0, 200)}` : ''}`, error);
          return { action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
        },
        closed: async () => {
          if (this.disposed) return { action: CloseAction.DoNotRestart, handled: true };
          if (Date.now() - this.lastStart > HEALTHY_MS) this.failures = 0;
          const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.failures++);
          log.warn(`the asyncwise language server stopped; restarting it in ${delay} ms`);
          await new Promise((resolve) => setTimeout(resolve, delay));
          this.lastStart = Date.now();
          return { action: this.disposed ? CloseAction.DoNotRestart : CloseAction.Restart, handled: true };
        },
      },
    };
    this.client = new LanguageClient('asyncwise', 'asyncwise', server, options);
    this.client.onDidChangeState((e) => {
      if (e.newState === State.Running) log.info('asyncwise language server running');
    });
  }

  /** Starts the server; resolves false (and logs) when it cannot start. */
  async start(): Promise<boolean> {
    this.lastStart = Date.now();
    await this.client.start();
    return true;
  }

  dispose(): void {
    this.disposed = true;
    void this.client.stop().catch(() => undefined);
  }
}
