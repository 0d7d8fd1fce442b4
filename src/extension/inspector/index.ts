/**
 * Wires the loop inspector into VS Code: the session tracker, the DAP trackers for Python sessions,
 * the webview view in the Run and Debug container, and its commands.
 */
import * as vscode from 'vscode';
import type { Log } from '../log';
import { backendFactory, type BackendConstructors } from './backends';
import { INSPECTOR_VIEW_ID, InspectorController } from './controller';
import { DapChannels } from './dapChannel';
import { NODE_DEBUG_TYPES, PYTHON_DEBUG_TYPES, SessionTracker } from './sessions';

/** The inspector's commands (package.json contributes the same IDs). */
export const INSPECTOR_COMMANDS = {
  /** Takes a snapshot now; argument: the tier (1 when omitted). */
  refresh: 'asyncwise.inspector.refresh',
  /** For tests: the state, the last snapshot and what the webview drew of it (hidden from the palette). */
  testState: 'asyncwise.inspector.testState',
  /** Cancels a task by id, as the Cancel button does (Python sessions); returns `{ok, message}`. */
  cancelTask: 'asyncwise.inspector.cancelTask',
  /** Asks the program to stop (cancel every task / SIGTERM) and reports what holds it, as the Shutdown button does; returns `{ok, message}`. */
  simulateShutdown: 'asyncwise.inspector.simulateShutdown',
} as const;

export function registerInspector(context: vscode.ExtensionContext, log: Log, make: BackendConstructors): InspectorController {
  const dap = new DapChannels([...PYTHON_DEBUG_TYPES, ...NODE_DEBUG_TYPES]);
  const tracker = new SessionTracker();
  const mediaRoot = vscode.Uri.joinPath(context.extensionUri, 'dist', 'media');
  const controller = new InspectorController(mediaRoot, tracker, backendFactory(dap, make), log);
  context.subscriptions.push(
    dap.onDidRequestTerminate((session) => controller.stopRequested(session)),
    dap,
    tracker,
    controller,
    vscode.window.registerWebviewViewProvider(INSPECTOR_VIEW_ID, controller),
    vscode.commands.registerCommand(INSPECTOR_COMMANDS.refresh, (tier?: unknown) => controller.refresh(tier === 2 ? 2 : 1)),
    vscode.commands.registerCommand(INSPECTOR_COMMANDS.testState, () => controller.testState()),
    vscode.commands.registerCommand(INSPECTOR_COMMANDS.simulateShutdown, () => controller.simulateShutdown()),
    vscode.commands.registerCommand(INSPECTOR_COMMANDS.cancelTask, (id?: unknown) => (typeof id === 'string' ? controller.cancel(id) : { ok: false, message: 'no task id given' })),
  );
  return controller;
}
