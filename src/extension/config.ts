/**
 * Settings for one document, read from VS Code's `asyncwise.*` configuration and handed to the one
 * parser (`core/settings.parseSettings`). Resolved per document (resource- and language-scoped
 * values differ between folders and files), cached until the configuration or a pyproject.toml
 * or a project config file changes, never global. Project config files (`[tool.asyncwise]` in
 * pyproject.toml, `asyncwise` in package.json) are read by the same resolver as the CLI's
 * (`core/config`), so the editor and CI check the same thing; VS Code settings the user set apply
 * on top. The Python target: the setting, else the config file, else `requires-python`.
 */
import * as vscode from 'vscode';
import { CATALOG } from '../core/catalog';
import { ConfigError, ConfigResolver } from '../core/config';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from '../core/settings';
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

  /** Re-created when a config file changes: it memoises per folder. */
  private configs = new ConfigResolver(CATALOG);
  private readonly configFiles: vscode.FileSystemWatcher[];

  constructor(private readonly log: Log) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) this.invalidate();
    });
    this.configFiles = ['**/pyproject.toml', '**/package.json'].map((glob) => vscode.workspace.createFileSystemWatcher(glob));
    for (const watcher of this.configFiles) {
      for (const event of [watcher.onDidCreate, watcher.onDidChange, watcher.onDidDelete]) event(() => this.invalidate());
    }
  }

  private invalidate(): void {
    this.cache.clear();
    this.configs = new ConfigResolver(CATALOG);
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
        python: { enable: config.get('python.enable'), targetVersion: config.get('python.targetVersion') },
        typescript: { enable: config.get('typescript.enable') },
        rules: config.get('rules'),
        fix: { allowUnsafe: config.get('fix.allowUnsafe') },
        timeBudget: config.get('timeBudget'),
      };
      const project = this.projectSettings(document);
      const settings = parseSettings(raw, CATALOG, (warning) => this.warnOnce(warning), project.settings);
      // VS Code always reports `enable` (its default is true): exclusion is applied last.
      return project.excluded ? { ...settings, enable: false } : settings;
    } catch (error) {
      this.log.error(`reading settings for ${document.uri.toString()} failed; using defaults`, error);
      return DEFAULT_SETTINGS;
    }
  }

  /**
   * The settings the project's config files give a file on disk, as the CLI computes them. A file
   * the config excludes gets no diagnostics, as CI does not check it; a broken config is reported
   * once and ignored.
   */
  private projectSettings(document: vscode.TextDocument): { settings: Settings; excluded: boolean } {
    if (document.uri.scheme !== 'file') return { settings: DEFAULT_SETTINGS, excluded: false };
    try {
      return this.configs.forFile(document.uri.fsPath);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      if (!this.reported.has(error.message)) {
        this.reported.add(error.message);
        this.log.warn(`configuration error, ignoring the file: ${error.message}`);
      }
      return { settings: DEFAULT_SETTINGS, excluded: false };
    }
  }

  private warnOnce(warning: string): void {
    if (this.reported.has(warning)) return;
    this.reported.add(warning);
    this.log.warn(`settings: asyncwise.${warning}`);
  }

  dispose(): void {
    this.subscription.dispose();
    for (const watcher of this.configFiles) watcher.dispose();
    this.changed.dispose();
    this.cache.clear();
  }
}
