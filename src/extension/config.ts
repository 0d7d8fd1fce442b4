/**
 * Settings for one document, read from VS Code's `asyncwise.*` configuration and handed to the one
 * parser (`core/settings.parseSettings`). Resolved per document (resource- and language-scoped
 * values differ between folders and files), cached until the configuration changes, never global.
 */
import * as vscode from 'vscode';
import { CATALOG } from '../core/catalog';
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

  constructor(private readonly log: Log) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      this.cache.clear();
      this.changed.fire();
    });
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
      };
      return parseSettings(raw, CATALOG, (warning) => this.warnOnce(warning));
    } catch (error) {
      this.log.error(`reading settings for ${document.uri.toString()} failed; using defaults`, error);
      return DEFAULT_SETTINGS;
    }
  }

  private warnOnce(warning: string): void {
    if (this.reported.has(warning)) return;
    this.reported.add(warning);
    this.log.warn(`settings: asyncwise.${warning}`);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
    this.cache.clear();
  }
}
