/**
 * The tsserver plugin: tsserver loads it by package name (`asyncwise-tsserver-plugin`, the folder
 * the build writes under the extension's node_modules) when VS Code contributes it, or when a
 * tsconfig.json lists it under `compilerOptions.plugins` outside VS Code. It decorates each
 * project's LanguageService with asyncwise's TS/JS rules, using the `typescript` module tsserver
 * hands it (never one of its own).
 *
 * Configuration, lowest first: the project's config file (an `asyncwise` key in the nearest
 * package.json, or `[tool.asyncwise]` in pyproject.toml, above the project's folder: what the CLI
 * reads for the same files), the tsconfig entry's keys (`rules`, `enable`, `fix.allowUnsafe`, ...),
 * then VS Code's settings, which arrive through `configurePlugin` (onConfigurationChanged).
 */
import type * as ts from 'typescript';
import { CATALOG } from '../core/catalog';
import { ConfigResolver } from '../core/config';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from '../core/settings';
import { TYPESCRIPT_RULES } from '../typescript/analyze';
import { AnalysisCache } from './analysis';
import { EDITOR_SHOWS_FINDINGS, numericCode } from './codes';
import { registerEditorRequests } from './editorRequests';
import { decorateLanguageService, describe, type PluginHost } from './languageService';

/** The codes of the rules with a TS/JS detector, as tsserver numbers them. */
function ourCodes(): number[] {
  return TYPESCRIPT_RULES.map((r) => numericCode(r.code))
    .filter((n): n is number => n !== undefined);
}

/**
 * Lists our codes among tsserver's supported code fixes. VS Code asks `getSupportedCodeFixes` with no
 * arguments and requests fixes only for the codes it lists; that answer comes from the codefix
 * registry, so registering is the only way in (decorating `getSupportedCodeFixes` does nothing).
 * The registered provider returns nothing: the decorated `getCodeFixesAtPosition` supplies the fixes
 * with the project's settings. Registered once per `typescript` module.
 */
const registered = new WeakSet<object>();
function registerCodes(tsModule: typeof ts, log: (message: string) => void): void {
  if (registered.has(tsModule)) return;
  registered.add(tsModule);
  const codefix = (tsModule as unknown as { codefix?: { registerCodeFix?: (fix: { errorCodes: number[]; getCodeActions: () => undefined; fixIds: string[] }) => void } }).codefix;
  if (typeof codefix?.registerCodeFix !== 'function') {
    log(`this TypeScript (${tsModule.version}) has no codefix registry: asyncwise diagnostics show without quick fixes`);
    return;
  }
  codefix.registerCodeFix({ errorCodes: ourCodes(), getCodeActions: () => undefined, fixIds: [] });
}

function init(modules: { typescript: typeof ts }): ts.server.PluginModule {
  const tsModule = modules.typescript;
  /** Every project decorated so far, to re-check them all when the editor's settings change. */
  const hosts = new Set<PluginHost>();
  let editorConfig: unknown;
  /** Set by VS Code's extension once it shows the findings itself (editorRequests.ts). */
  let editorShowsFindings = false;

  return {
    create(info: ts.server.PluginCreateInfo): ts.LanguageService {
      const logger = info.project.projectService.logger;
      const log = (message: string) => logger.info(`[asyncwise] ${message}`);
      try {
        registerCodes(tsModule, log);
        const warn = (message: string) => log(`setting ignored: ${message}`);
        // A project made after the editor's configurePlugin gets that configuration as `info.config`
        // (tsserver's override of the plugin entry), flag included: a reloaded project must not
        // start showing the findings a second time.
        const { config: created, showsFindings } = editorFlag(withoutName(info.config));
        if (showsFindings) editorShowsFindings = true;
        const projectBase = parseSettings(created, CATALOG, warn, configFileSettings(info, log));
        const host: PluginHost = {
          tsModule,
          info,
          log,
          cache: new AnalysisCache(tsModule, log),
          settings: editorConfig === undefined ? projectBase : parseSettings(editorConfig, CATALOG, warn, projectBase),
          reconfigure(config) {
            this.settings = parseSettings(config, CATALOG, warn, projectBase);
            this.cache.clear();
          },
          editorShowsFindings: () => editorShowsFindings,
        };
        hosts.add(host);
        registerEditorRequests(tsModule, info, host, log);
        log(`decorating ${info.project.getProjectName()} (TypeScript ${tsModule.version})`);
        return decorateLanguageService(host);
      } catch (error) {
        log(`could not start; the project runs without asyncwise: ${describe(error)}`);
        return info.languageService;
      }
    },

    onConfigurationChanged(configuration: unknown): void {
      const { config, showsFindings } = editorFlag(configuration);
      editorShowsFindings = showsFindings;
      editorConfig = config;
      for (const host of hosts) {
        try {
          host.reconfigure(config);
          host.log(`settings changed: ${JSON.stringify(summary(host.settings))}`);
          // Asks the editor to fetch diagnostics again: severities and enabled rules changed.
          host.info.project.refreshDiagnostics();
        } catch (error) {
          host.log(`applying new settings failed: ${describe(error)}`);
        }
      }
    },
  };
}

/**
 * The settings of the config file above the project's folder; the defaults when there is none or it
 * is malformed (logged: the CLI reports it as an error, the editor must not stop over it).
 */
function configFileSettings(info: ts.server.PluginCreateInfo, log: (message: string) => void): Settings {
  try {
    return new ConfigResolver(CATALOG).forDir(info.project.getCurrentDirectory()).settings;
  } catch (error) {
    log(`config file ignored: ${describe(error)}`);
    return DEFAULT_SETTINGS;
  }
}

/** The extension's `editorShowsFindings` flag, and the settings without it. */
function editorFlag(configuration: unknown): { config: unknown; showsFindings: boolean } {
  if (typeof configuration !== 'object' || configuration === null || !(EDITOR_SHOWS_FINDINGS in configuration)) return { config: configuration, showsFindings: false };
  const { [EDITOR_SHOWS_FINDINGS]: flag, ...config } = configuration as Record<string, unknown>;
  return { config, showsFindings: flag === true };
}

/** The plugin entry's `name` key is tsserver's, not a setting. */
function withoutName(config: unknown): unknown {
  if (typeof config !== 'object' || config === null) return config;
  const { name: _name, ...rest } = config as Record<string, unknown>;
  return rest;
}

function summary(settings: Settings): object {
  return { enable: settings.enable, typescript: settings.typescript, rules: settings.rules, fix: settings.fix };
}

export = init;
