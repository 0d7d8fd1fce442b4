/**
 * Hands the `asyncwise.*` settings to the tsserver plugin through the TypeScript extension's
 * `configurePlugin` API (the plugin runs in tsserver's process and cannot read VS Code settings).
 * The TypeScript extension keeps the last configuration and re-sends it whenever tsserver restarts.
 * tsserver plugins are global, so the settings come from the first workspace folder.
 */
import * as vscode from 'vscode';
import { EDITOR_SHOWS_FINDINGS, PLUGIN_NAME } from '../tsplugin/codes';
import { SECTION } from './config';
import type { Log } from './log';

export const TS_JS_LANGUAGES: readonly string[] = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact'];

export function isTypeScriptOrJavaScript(document: vscode.TextDocument): boolean {
  return TS_JS_LANGUAGES.includes(document.languageId);
}

const TYPESCRIPT_EXTENSION = 'vscode.typescript-language-features';

interface TypeScriptApi {
  configurePlugin(pluginId: string, configuration: unknown): void;
}

interface TypeScriptExtensionExports {
  getAPI?(version: 0): TypeScriptApi | undefined;
}

/** The `asyncwise.*` keys the plugin reads, in the shape `core/settings.parseSettings` takes. */
export function pluginConfiguration(scope?: vscode.ConfigurationScope): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    enable: config.get('enable'),
    typescript: { enable: config.get('typescript.enable') },
    rules: config.get('rules'),
    fix: { allowUnsafe: config.get('fix.allowUnsafe') },
    timeBudget: config.get('timeBudget'),
  };
}

export class TypeScriptPluginSettings implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private lastSent: string | undefined;
  private api: TypeScriptApi | undefined;
  private showsFindings = false;
  private readonly configured = new vscode.EventEmitter<void>();
  /** Fires after the plugin was sent a new configuration (its findings may have changed). */
  readonly onDidConfigure = this.configured.event;

  constructor(private readonly log: Log) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.log.detach('configuring the tsserver plugin', this.push());
      }),
      // A Python-only session never wakes the TypeScript extension: configure on the first TS/JS file.
      vscode.workspace.onDidOpenTextDocument((document) => {
        if (this.lastSent === undefined && isTypeScriptOrJavaScript(document)) this.log.detach('configuring the tsserver plugin', this.push());
      }),
    );
    if (vscode.workspace.textDocuments.some(isTypeScriptOrJavaScript)) this.log.detach('configuring the tsserver plugin', this.push());
  }

  /** Whether the plugin was told that the extension shows its findings itself (typescriptFindings.ts). */
  get editorShowsFindings(): boolean {
    return this.showsFindings;
  }

  setEditorShowsFindings(value: boolean): void {
    if (this.showsFindings === value) return;
    this.showsFindings = value;
    this.log.detach('configuring the tsserver plugin', this.push());
  }

  /** Sends the current settings (when they changed since the last send). Never rejects. */
  async push(): Promise<void> {
    try {
      const api = await this.typescriptApi();
      if (!api) return;
      const configuration = { ...pluginConfiguration(vscode.workspace.workspaceFolders?.[0]?.uri), ...(this.showsFindings ? { [EDITOR_SHOWS_FINDINGS]: true } : {}) };
      const text = JSON.stringify(configuration);
      if (text === this.lastSent) return;
      api.configurePlugin(PLUGIN_NAME, configuration);
      this.lastSent = text;
      this.log.info(`tsserver plugin configured: ${text}`);
      this.configured.fire();
    } catch (error) {
      this.log.error('configuring the tsserver plugin failed; it runs with its defaults', error);
    }
  }

  private async typescriptApi(): Promise<TypeScriptApi | undefined> {
    if (this.api) return this.api;
    const extension = vscode.extensions.getExtension<TypeScriptExtensionExports>(TYPESCRIPT_EXTENSION);
    if (!extension) {
      this.log.warn(`${TYPESCRIPT_EXTENSION} is not installed: the TS/JS rules cannot run in tsserver`);
      return undefined;
    }
    const exports = extension.isActive ? extension.exports : await extension.activate();
    this.api = exports?.getAPI?.(0);
    if (!this.api) this.log.warn(`${TYPESCRIPT_EXTENSION} offers no API (version 0): the tsserver plugin runs with its defaults`);
    return this.api;
  }

  dispose(): void {
    this.configured.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
