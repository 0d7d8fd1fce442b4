/**
 * Project configuration files, read the same way by the CLI and the editor so both check the same
 * thing: `[tool.asyncwise]` in pyproject.toml or an `asyncwise` key in package.json, whichever is
 * nearest above the file (pyproject.toml first when one folder has both). Values go through the one
 * settings parser (`parseSettings`); precedence, lowest first: defaults, the project's
 * `requires-python`, the config file, then the caller's overrides (CLI flags, editor settings).
 * A malformed config is a `ConfigError` naming the file, the key and what was expected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NotRegularFileError, readRegularFile } from './files';
import { Glob, trimTrailing } from './glob';
import type { RuleMeta } from './rule';
import { readTomlTable, targetFromPyproject } from './pyproject';
import { DEFAULT_SETTINGS, formatPythonVersion, parseSettings, type Settings } from './settings';

/** The keys a config table may hold (the file spellings of `parseSettings`' input). */
export const CONFIG_KEYS = ['select', 'ignore', 'rules', 'exclude', 'per-file-ignores', 'target-version', 'unsafe-fixes', 'time-budget'] as const;

export class ConfigError extends Error {}

export interface ConfigFile {
  /** Absolute path of pyproject.toml or package.json. */
  readonly file: string;
  /** How its keys are named in messages: `tool.asyncwise` or `asyncwise`. */
  readonly table: string;
  /** The raw table, not validated yet. */
  readonly values: Record<string, unknown>;
}

/**
 * The asyncwise configuration a file holds, undefined when it holds none (a pyproject.toml without
 * `[tool.asyncwise]`, a package.json without `asyncwise`). Throws `ConfigError` when the file cannot
 * be read or the table is malformed.
 */
export function readConfigFile(file: string): ConfigFile | undefined {
  let text: string;
  try {
    text = readRegularFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof NotRegularFileError ? 'not a regular file' : (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`${file}: cannot be read (${reason})`);
  }
  if (path.basename(file) === 'package.json') {
    // Only parsed when it mentions us: a broken package.json is someone else's problem.
    if (!text.includes('"asyncwise"')) return undefined;
    let json: unknown;
    try {
      // A BOM is legal in a UTF-8 file (editors on Windows write one) but not in JSON's grammar.
      json = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new ConfigError(`${file}: not valid JSON (${(error as Error).message})`);
    }
    const raw = typeof json === 'object' && json !== null && Object.prototype.hasOwnProperty.call(json, 'asyncwise') ? (json as Record<string, unknown>).asyncwise : undefined;
    if (raw === undefined) return undefined;
    let values: unknown;
    try {
      values = jsonAsData(raw, 'asyncwise');
    } catch (error) {
      throw new ConfigError(`${file}: ${(error as Error).message}`);
    }
    if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new ConfigError(`${file}: asyncwise: expected an object of settings, got ${JSON.stringify(values)}`);
    return { file, table: 'asyncwise', values: values as Record<string, unknown> };
  }
  const table = readTomlTable(text, 'tool.asyncwise');
  if (!table) return undefined;
  // `line N: …` is about the file's syntax, anything else about a key of our table.
  if (table.errors.length) throw new ConfigError(`${file}: ${table.errors[0].startsWith('line ') ? '' : 'tool.asyncwise.'}${table.errors[0]}`);
  return { file, table: 'tool.asyncwise', values: table.values };
}

/** Deeper JSON values are refused: no configuration needs them, and messages print values recursively. */
const MAX_JSON_NESTING = 64;

/**
 * A JSON value as configuration data: objects rebuilt without a prototype, so a `__proto__` key
 * (an own key after `JSON.parse`) stays an ordinary key however the value is copied later.
 */
function jsonAsData(value: unknown, where: string, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_JSON_NESTING) throw new Error(`${where}: nested more than ${MAX_JSON_NESTING} levels deep`);
  if (Array.isArray(value)) return value.map((item, i) => jsonAsData(item, `${where}[${i}]`, depth + 1));
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) out[key] = jsonAsData((value as Record<string, unknown>)[key], `${where}.${key}`, depth + 1);
  return out;
}

/**
 * Validates a config table over `base`. Throws `ConfigError` on the first problem: in CI a typo in
 * the config must fail loudly rather than quietly check something else.
 */
export function settingsFromConfig(config: ConfigFile, catalog: readonly RuleMeta[], base: Settings): Settings {
  for (const key of Object.keys(config.values)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`${config.file}: ${config.table}.${key}: unknown key; expected one of ${CONFIG_KEYS.join(', ')}`);
    }
  }
  const problems: string[] = [];
  const settings = parseSettings(config.values, catalog, (w) => problems.push(w), base);
  if (problems.length) {
    const problem = problems[0].replace(/^python\.targetVersion:/, 'target-version:').replace(/; using [^;]*$/, '');
    throw new ConfigError(`${config.file}: ${config.table}.${problem}`);
  }
  return settings;
}

/** What applies to one file. */
export interface FileSettings {
  readonly settings: Settings;
  /** The config file that applied, if any. */
  readonly configFile?: string;
  /** Matched an `exclude` glob: not checked when found in a directory walk, not diagnosed in the editor. */
  readonly excluded: boolean;
}

interface FolderConfig {
  readonly settings: Settings;
  readonly configFile?: string;
  /** The folder the config's globs are relative to. */
  readonly root?: string;
}

export interface ConfigResolverOptions {
  /** Applied last, over the config file: CLI flags or editor settings, as a `parseSettings` input. */
  readonly overrides?: unknown;
  /** More `exclude` globs (CLI `--exclude`), relative to `extraExcludeRoot`, added to the config's. */
  readonly extraExclude?: readonly string[];
  readonly extraExcludeRoot?: string;
}

/**
 * Finds and applies the config of each file, memoised per folder. Files and folders are re-read only
 * through a new resolver (one per CLI run; the editor makes a new one when a config file changes).
 */
export class ConfigResolver {
  private readonly byDir = new Map<string, FolderConfig>();
  private readonly configOfDir = new Map<string, ConfigFile | null>();
  /** pyproject.toml → the target its requires-python declares (null: none). */
  private readonly declaredTargets = new Map<string, string | null>();

  constructor(
    private readonly catalog: readonly RuleMeta[],
    private readonly options: ConfigResolverOptions = {},
  ) {}

  /** The settings for a file (absolute path), with its per-file ignores folded in. Throws `ConfigError`. */
  forFile(file: string): FileSettings {
    const folder = this.forDir(path.dirname(path.resolve(file)));
    const settings = folder.settings;
    const rel = (root: string | undefined) => (root ? toPosix(path.relative(root, file)) : undefined);
    const inConfig = rel(folder.root);
    const inCwd = rel(this.options.extraExcludeRoot);
    const excluded =
      (inConfig !== undefined && (settings.exclude ?? []).some((g) => matchesPath(g, inConfig))) ||
      (inCwd !== undefined && (this.options.extraExclude ?? []).some((g) => matchesPath(g, inCwd)));
    const ignored = new Set(settings.ignore);
    for (const { pattern, codes } of settings.perFileIgnores ?? []) {
      if (inConfig !== undefined && matchesPath(pattern, inConfig)) for (const c of codes) ignored.add(c);
    }
    return {
      settings: ignored.size === settings.ignore.size ? settings : { ...settings, ignore: ignored },
      configFile: folder.configFile,
      excluded,
    };
  }

  /** The settings of a folder (before per-file ignores). */
  forDir(dir: string): FolderConfig {
    let found = this.byDir.get(dir);
    if (found) return found;
    let base = DEFAULT_SETTINGS;
    const pyproject = nearest(dir, 'pyproject.toml');
    if (pyproject) {
      let declared = this.declaredTargets.get(pyproject);
      if (declared === undefined) {
        try {
          const target = targetFromPyproject(readRegularFile(pyproject, 'utf8'));
          // A declared floor below 3.8 is read as 3.8. Python 3.7 has been end-of-life since June
          // 2023 and such floors are mostly stale (on the ecosystem check, packages declaring 3.7
          // used 3.8 syntax); taking them at their word would flag every `except Exception` as
          // catching `CancelledError`. `target-version = "3.7"` (config or flag) still checks for 3.7.
          declared = target ? formatPythonVersion(target[0] === 3 && target[1] < 8 ? [3, 8] : target) : null;
        } catch {
          declared = null;
        }
        this.declaredTargets.set(pyproject, declared);
      }
      if (declared) base = parseSettings({ python: { targetVersion: declared } }, this.catalog, () => {}, base);
    }
    const config = this.configAbove(dir);
    let settings = config ? settingsFromConfig(config, this.catalog, base) : base;
    // Overrides were validated by their surface (a usage error, an editor warning) before.
    if (this.options.overrides !== undefined) {
      const overrides = this.options.overrides as { select?: unknown };
      // A select given over the file replaces the file's whole selection, its ignore list too (as in
      // Ruff): `--select AW203` must run AW203 even where the config ignores it.
      if (overrides.select !== undefined && overrides.select !== null) settings = { ...settings, ignore: DEFAULT_SETTINGS.ignore };
      settings = parseSettings(this.options.overrides, this.catalog, () => {}, settings);
    }
    found = { settings, configFile: config?.file, root: config ? path.dirname(config.file) : undefined };
    this.byDir.set(dir, found);
    return found;
  }

  /** The nearest config at or above a folder. */
  private configAbove(dir: string): ConfigFile | undefined {
    const cached = this.configOfDir.get(dir);
    if (cached !== undefined) return cached ?? undefined;
    let config: ConfigFile | undefined;
    for (const name of ['pyproject.toml', 'package.json']) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate)) config ??= readConfigFile(candidate);
    }
    const parent = path.dirname(dir);
    if (!config && parent !== dir) config = this.configAbove(parent);
    this.configOfDir.set(dir, config ?? null);
    return config;
  }
}

function nearest(dir: string, name: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, name);
    if (fs.existsSync(candidate)) return candidate;
    if (d === path.dirname(d)) return undefined;
  }
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/**
 * Whether a glob matches a relative path or one of its folders. A glob with a `/` (other than at
 * its end) is anchored at the base folder (`src/gen/**`, `build/`); one without matches a name at
 * any depth (`*_pb2.py`, `migrations`), as in .gitignore and Ruff. Throws `GlobSyntaxError` for a
 * malformed glob: settings are validated before they get here (`parseSettings`, `--exclude`).
 */
export function matchesPath(glob: string, relPath: string): boolean {
  if (relPath === '' || relPath.startsWith('../')) return false;
  const pattern = trimTrailing(glob.replace(/^\.\//, ''), '/');
  const anchored = pattern.includes('/');
  const compiled = Glob.compile(anchored ? pattern.replace(/^\//, '') : pattern);
  if (anchored) return compiled.matchesPathOrFolder(relPath);
  return relPath.split('/').some((name) => compiled.matches(name));
}
