/**
 * Messages between the language server's connection thread (server.ts: JSON-RPC, documents,
 * scheduling) and its engine thread (engine.ts: parser, analyses, project index). Plain data only:
 * they cross a worker_threads boundary by structured clone.
 */
import type { CodeAction, Diagnostic, Range, WorkspaceEdit } from 'vscode-languageserver';
import type { ContentChange } from '../python/document';

/** The client's `asyncwise` settings section, as the client gave it (validated in the engine). */
export type ClientSettings = Record<string, unknown> | undefined;

export type EngineRequest =
  | { readonly type: 'init'; readonly folders: readonly string[] }
  | { readonly type: 'open'; readonly uri: string; readonly path: string | undefined; readonly text: string }
  | { readonly type: 'change'; readonly uri: string; readonly changes: readonly ContentChange[] }
  | { readonly type: 'close'; readonly uri: string }
  /** Build the project indexes of the open files (after their own first diagnostics). */
  | { readonly type: 'index' }
  /** Files created, changed or deleted on disk (`workspace/didChangeWatchedFiles`). */
  | { readonly type: 'files'; readonly changes: readonly { readonly path: string; readonly kind: 'created' | 'changed' | 'deleted' }[] }
  /** Client settings changed: every cached settings object is stale. */
  | { readonly type: 'settingsChanged' }
  | AnalyseRequest
  | CodeActionsRequest
  | FixAllRequest;

export interface AnalyseRequest {
  readonly type: 'analyse';
  readonly id: number;
  readonly uri: string;
  /** The text the analysis must describe; the engine's copy is reset to it if they differ. */
  readonly text: string;
  /** `edit`: the typing path (only the edited coroutine when possible); `full`: exact. */
  readonly mode: 'edit' | 'full';
  /** Start over from the text (a module it imports changed: same text, different findings). */
  readonly fresh: boolean;
  readonly settings: ClientSettings;
}

export interface CodeActionsRequest {
  readonly type: 'codeActions';
  readonly id: number;
  readonly uri: string;
  readonly text: string;
  readonly range: Range;
  /** The diagnostics the client sent: the actions are for the findings they describe. */
  readonly diagnostics: readonly Diagnostic[];
  /** `CodeActionContext.only`; undefined: quick fixes. */
  readonly only: readonly string[] | undefined;
  readonly settings: ClientSettings;
  /** The client takes versioned `documentChanges`. */
  readonly documentChanges: boolean;
  readonly version: number;
}

export interface FixAllRequest {
  readonly type: 'fixAll';
  readonly id: number;
  readonly uri: string;
  readonly text: string;
  readonly settings: ClientSettings;
  readonly documentChanges: boolean;
  readonly version: number;
}

export type EngineEvent =
  | { readonly type: 'ready'; readonly parserMs: number }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string }
  | { readonly type: 'analysed'; readonly id: number; readonly diagnostics: Diagnostic[]; readonly exact: boolean; readonly ms: number }
  | { readonly type: 'codeActions'; readonly id: number; readonly actions: CodeAction[] }
  | { readonly type: 'fixAll'; readonly id: number; readonly edit: WorkspaceEdit | undefined; readonly title: string; readonly applied: number }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  /** These open documents may have different findings now (a module, a config or the index changed). */
  | { readonly type: 'stale'; readonly uris: readonly string[] }
  | { readonly type: 'indexing'; readonly phase: 'begin' | 'end'; readonly message: string };

/** The fix-all code action kind `editor.codeActionsOnSave` names. */
export const FIX_ALL_KIND = 'source.fixAll.asyncwise';

/** Commands the server executes (`workspace/executeCommand`); distinct from the extension's own command ids. */
export const SERVER_COMMANDS = {
  fixAll: 'asyncwise.server.fixAll',
  showRuleDocs: 'asyncwise.server.showRuleDocs',
} as const;
