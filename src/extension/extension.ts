/**
 * Entry point of the VS Code extension: wires the Python language client, the TS/JS plugin settings,
 * output channel and commands. This folder is the only code that imports 'vscode'; everything it
 * shows is computed by the editor-independent engine in src/python and src/core (Python: in the
 * language server's process, src/server).
 */
import * as vscode from 'vscode';
import { COMMANDS, registerCommand } from './commands';
import { SettingsReader } from './config';
import { registerInspector } from './inspector';
import { defaultBackends } from './inspector/backends';
import { fixAllInActiveFile } from './fixAllCommand';
import { Log } from './log';
import { PythonClient, type HostCost } from './pythonClient';
import { DOCS_SCHEME, RuleDocsProvider, showRuleDocs } from './ruleDocs';
import { TypeScriptFindings } from './typescriptFindings';
import { TypeScriptPluginSettings } from './typescriptPlugin';

/** What `activate` returns; the editor tests read it to know when the engine is ready. */
export interface AsyncwiseApi {
  /** Settles once the Python language server runs: true, or false when it could not start (never rejects). */
  readonly ready: Promise<boolean>;
  /** Where the TS/JS diagnostics come from now: the tsserver plugin, the extension's own run (TypeScript 7), or neither yet. */
  typescriptSource(): 'plugin' | 'fallback' | undefined;
  /** The milliseconds the Python client's handlers held the extension host, per event (see HostCost). */
  readonly pythonHostCost: HostCost;
}

export function activate(context: vscode.ExtensionContext): AsyncwiseApi {
  const log = new Log();
  context.subscriptions.push(log);
  const settings = new SettingsReader(log);
  // Python: the language server (its own process) does the analysis; the extension is its client.
  const python = new PythonClient(context, log);
  const typescriptPlugin = new TypeScriptPluginSettings(log);
  const typescriptFindings = new TypeScriptFindings(settings, typescriptPlugin, log);
  context.subscriptions.push(
    settings,
    python,
    vscode.workspace.registerTextDocumentContentProvider(DOCS_SCHEME, new RuleDocsProvider()),
    registerCommand(COMMANDS.showRuleDocs, (rule) => showRuleDocs(log, rule).catch((e: unknown) => log.error('showing rule docs failed', e))),
    registerCommand(COMMANDS.showOutput, () => log.show()),
    registerCommand(COMMANDS.fixAll, () =>
      fixAllInActiveFile(settings, log).catch((e: unknown) => {
        log.error('fix all failed', e);
        return { applied: 0, message: 'asyncwise: fix all failed (see the asyncwise output)' };
      }),
    ),
    // TS/JS: the tsserver plugin does the work; these configure it and show its findings (or, under
    // TypeScript 7, which loads no plugins, their own).
    typescriptPlugin,
    typescriptFindings,
  );
  registerInspector(context, log, defaultBackends(log));
  log.info(`asyncwise ${String(context.extension.packageJSON.version)} activated`);
  // The server starts asynchronously; a failure is logged, never left unhandled.
  const ready = python.start().then(
    () => true,
    (error: unknown) => {
      log.error('starting the asyncwise language server failed; Python analysis is off', error);
      return false;
    },
  );
  return { ready, typescriptSource: () => typescriptFindings.running, pythonHostCost: python.hostCost };
}

export function deactivate(): void {
  // Everything is in context.subscriptions, which VS Code disposes.
}
