/**
 * Settings for one document, read from VS Code's `asyncwise.*` configuration and handed to the one
 * parser (`core/settings.parseSettings`). Resolved per document (resource- and language-scoped
 * values differ between folders and files), cached until the configuration or a pyproject.toml
 * changes, never global. The Python target comes from the setting when the user set one, else
 * from the nearest pyproject.toml (`requires-python`), as in the CLI.
 */
import * as vscode from 'vscode';
import { CATALOG } from '../core/catalog';
import { ProjectTargets } from '../core/pyproject';
import { DEFAULT_SETTINGS, formatPythonVersion, parseSettings, type Settings } from '../core/settings';
import type { Log } from './log';

export const SECTION = 'asyncwise';

export class SettingsReader implements vscode.Disposable {
  /** Keyed by document URI; the same object until a change, so analyses can tell "settings unchanged" by identity. */
  private readonly cache = new Map<string, Settings>();
  /** Each malformed value is reported once per session, not on every keystroke. */
  private readonly reported = new Set<string>();
  private readonly subscription: vscode.Disposable;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after an `asyncwise.*` setting changed; every cached value is stale by then. */
  readonly onDidChange = this.changed.event;

  private readonly projectTargets = new ProjectTargets();
  private readonly pyprojects: vscode.FileSystemWatcher;

  constructor(private readonly log: Log) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) this.invalidate();
    });
    this.pyprojects = vscode.workspace.createFileSystemWatcher('**/pyproject.toml');
    for (const event of [this.pyprojects.onDidCreate, this.pyprojects.onDidChange, this.pyprojects.onDidDelete]) event(() => this.invalidate());
  }

  private invalidate(): void {
    this.cache.clear();
    this.changed.fire();
  }

  /** The effective settings for a document (its folder's settings plus `[python]` overrides). */
  forDocument(document: vscode.TextDocument): Settings {
    const key = document.uri.toString();
    let settings = this.cache.get(key);
    if (!settings) {
      settings = this.read(document);
      this.cache.set(key, settings);
    }
    return settings;
  }

  forget(document: vscode.TextDocument): void {
    this.cache.delete(document.uri.toString());
  }

  private read(document: vscode.TextDocument): Settings {
    try {
      const config = vscode.workspace.getConfiguration(SECTION, document);
      // Only the keys the schema declares; `parseSettings` fills defaults and rejects bad values.
      const raw = {
        enable: config.get('enable'),
        python: { enable: config.get('python.enable'), targetVersion: config.get('python.targetVersion') ?? this.projectTarget(document) },
        typescript: { enable: config.get('typescript.enable') },
        rules: config.get('rules'),
        fix: { allowUnsafe: config.get('fix.allowUnsafe') },
      };
      return parseSettings(raw, CATALOG, (warning) => this.warnOnce(warning));
    } catch (error) {
      this.log.error(`reading settings for ${document.uri.toString()} failed; using defaults`, error);
      return DEFAULT_SETTINGS;
    }
  }

  /** `3.X` from the nearest pyproject.toml of a file on disk, when it declares one. */
  private projectTarget(document: vscode.TextDocument): string | undefined {
    if (document.uri.scheme !== 'file') return undefined;
    const found = this.projectTargets.forFile(document.uri.fsPath);
    return found ? formatPythonVersion(found.target) : undefined;
  }

  private warnOnce(warning: string): void {
    if (this.reported.has(warning)) return;
    this.reported.add(warning);
    this.log.warn(`settings: asyncwise.${warning}`);
  }

  dispose(): void {
    this.subscription.dispose();
    this.pyprojects.dispose();
    this.changed.dispose();
    this.cache.clear();
  }
}
