/**
 * The "asyncwise" output channel. Every failure in the extension ends here rather than as an
 * exception in the extension host: a linter must never break the editor it runs in.
 */
import * as vscode from 'vscode';

export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel('asyncwise', { log: true });
  }

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  error(message: string, error?: unknown): void {
    this.channel.error(error === undefined ? message : `${message}: ${describe(error)}`);
  }

  show(): void {
    this.channel.show(true);
  }

  /** Runs a callback, logging instead of throwing: for event handlers VS Code would otherwise report. */
  guard<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.error(what, error);
      return undefined;
    }
  }

  /** Attaches a rejection handler so no promise of ours is ever left unhandled. */
  detach(what: string, promise: PromiseLike<unknown>): void {
    Promise.resolve(promise).catch((error: unknown) => this.error(what, error));
  }

  dispose(): void {
    this.channel.dispose();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
