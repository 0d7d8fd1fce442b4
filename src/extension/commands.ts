/**
 * Command IDs and their argument types, checked at registration and at every call site (the
 * contribution list in package.json names the same IDs).
 */
import * as vscode from 'vscode';

export const COMMANDS = {
  /** Opens a rule's documentation; argument: a rule code or name (asks when omitted). */
  showRuleDocs: 'asyncwise.showRuleDocs',
  /** Reveals the "asyncwise" output channel. */
  showOutput: 'asyncwise.showOutput',
  /** Applies the safe fixes of the active file (fixAllCommand.ts); resolves to what it did. */
  fixAll: 'asyncwise.fixAll',
} as const;

export interface CommandArguments {
  [COMMANDS.showRuleDocs]: [rule?: string];
  [COMMANDS.showOutput]: [];
  [COMMANDS.fixAll]: [];
}

export function registerCommand<K extends keyof CommandArguments>(id: K, handler: (...args: CommandArguments[K]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, handler as (...args: unknown[]) => unknown);
}
