/**
 * The one settings parser. Every surface (VS Code settings, tsserver plugin config, CLI flags and,
 * later, project files) hands a partial, untrusted object to `parseSettings`; defaults fill the rest
 * and anything malformed is reported through `warn` and ignored, never thrown.
 */
import { DEFAULT_TIME_BUDGET_SECONDS } from './budget';
import { globSyntaxError, splitGlobs } from './glob';
import { defaultSeverity, SEVERITIES, type Language, type RuleMeta, type Severity } from './rule';

/** A Python version as [3, minor]. */
export type PythonVersion = readonly [number, number];

export const DEFAULT_PYTHON_TARGET: PythonVersion = [3, 9];

export interface Settings {
  readonly enable: boolean;
  readonly python: { readonly enable: boolean; readonly targetVersion: PythonVersion };
  readonly typescript: { readonly enable: boolean };
  /** Severity overrides by rule code; rules absent here keep their default severity. */
  readonly rules: Readonly<Record<string, Severity>>;
  /** Only these codes run, when set (CLI `--select`). */
  readonly select?: ReadonlySet<string>;
  /** Codes the user named exactly in `select` (enables off-by-default rules). */
  readonly explicit?: ReadonlySet<string>;
  /** These codes never run (CLI `--ignore`). */
  readonly ignore: ReadonlySet<string>;
  readonly fix: { readonly allowUnsafe: boolean };
  /**
   * Whether rules that are `hint` by default report. The editor shows hints as faint suggestions,
   * so it keeps them; the CLI is a gate for CI and leaves them out unless `--hints` is given. A rule
   * the user names (a severity in `rules`, or its exact code in `select`) reports either way.
   */
  readonly hints: boolean;
  /** Globs of paths never checked (config files' `exclude`), relative to the config file's folder. */
  readonly exclude?: readonly string[];
  /** Rules ignored in the files matching a glob (config files' `per-file-ignores`). */
  readonly perFileIgnores?: readonly PerFileIgnore[];
  /** Seconds one file's analysis may take before it is abandoned (`core/budget`); 0: no limit. */
  readonly timeBudget: number;
}

export interface PerFileIgnore {
  readonly pattern: string;
  readonly codes: ReadonlySet<string>;
}

export const DEFAULT_SETTINGS: Settings = {
  enable: true,
  python: { enable: true, targetVersion: DEFAULT_PYTHON_TARGET },
  typescript: { enable: true },
  rules: {},
  ignore: new Set(),
  fix: { allowUnsafe: false },
  hints: true,
  timeBudget: DEFAULT_TIME_BUDGET_SECONDS,
};

/** Parses `3.8`, `3.10`, `py311`, `>=3.8` (the lower bound of a requires-python spec). */
export function parsePythonVersion(value: string): PythonVersion | undefined {
  const text = value.trim();
  let m = /^py3(\d{1,2})$/i.exec(text);
  if (m) return [3, Number(m[1])];
  m = /^(?:>=|~=|==|>)?\s*3\.(\d{1,2})(?:\.\d+)?(?:\s*,.*)?$/.exec(text);
  if (m) return [3, Number(m[1])];
  return undefined;
}

export function formatPythonVersion(v: PythonVersion): string {
  return `${v[0]}.${v[1]}`;
}

/** True when the target is at least `major.minor`. */
export function atLeast(target: PythonVersion, major: number, minor: number): boolean {
  return target[0] > major || (target[0] === major && target[1] >= minor);
}

type Warn = (message: string) => void;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bool(v: unknown, fallback: boolean, key: string, warn: Warn): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  warn(`${key}: expected true or false, got ${JSON.stringify(v)}; using ${fallback}`);
  return fallback;
}

/** Looks a rule up by code (`AW101`, any case) or name (`swallowed-cancellation`). */
export function findRule<R extends RuleMeta>(catalog: readonly R[], key: string): R | undefined {
  const k = key.trim();
  return catalog.find((r) => r.code === k.toUpperCase() || r.name === k.toLowerCase());
}

function codeList(v: unknown, key: string, catalog: readonly RuleMeta[], warn: Warn): Set<string> | undefined {
  if (v === undefined || v === null) return undefined;
  const items = typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : Array.isArray(v) ? v : undefined;
  if (!items) {
    warn(`${key}: expected a list of rule codes, got ${JSON.stringify(v)}`);
    return undefined;
  }
  const out = new Set<string>();
  for (const item of items) {
    if (typeof item !== 'string') {
      warn(`${key}: expected rule codes, got ${JSON.stringify(item)}`);
      continue;
    }
    // A prefix such as `AW1` selects a whole group, as in Ruff.
    const prefix = item.trim().toUpperCase();
    const matching = catalog.filter((r) => r.code.startsWith(prefix) || r.name === item.trim().toLowerCase());
    if (matching.length === 0) warn(`${key}: unknown rule ${JSON.stringify(item)}`);
    for (const r of matching) out.add(r.code);
  }
  return out;
}

/** A list of path globs: an array of strings (or one comma-separated string). */
function globList(v: unknown, key: string, warn: Warn): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const items = typeof v === 'string' ? splitGlobs(v) : Array.isArray(v) ? v : undefined;
  if (!items || items.some((i) => typeof i !== 'string' || i.trim() === '')) {
    warn(`${key}: expected a list of path globs such as ["build/**", "*_pb2.py"], got ${JSON.stringify(v)}`);
    return undefined;
  }
  const globs = items.map((i: string) => i.trim());
  for (const glob of globs) {
    const error = globSyntaxError(glob);
    if (error !== undefined) {
      warn(`${key}: invalid glob ${JSON.stringify(glob)}: ${error}`);
      return undefined;
    }
  }
  return globs;
}

/** `{ "tests/**": ["AW201"] }`: glob → rule codes, names or prefixes. */
function perFileIgnoreList(v: unknown, catalog: readonly RuleMeta[], warn: Warn): PerFileIgnore[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) {
    warn(`per-file-ignores: expected a table of path glob → rule codes, such as { "tests/**" = ["AW201"] }, got ${JSON.stringify(v)}`);
    return undefined;
  }
  const out: PerFileIgnore[] = [];
  for (const [pattern, codes] of Object.entries(v)) {
    const error = globSyntaxError(pattern);
    if (error !== undefined) {
      warn(`per-file-ignores: invalid glob ${JSON.stringify(pattern)}: ${error}`);
      continue;
    }
    const set = codeList(codes, `per-file-ignores.${JSON.stringify(pattern)}`, catalog, warn);
    if (set) out.push({ pattern, codes: set });
  }
  return out;
}

/** The codes (or names) a select list spells out exactly. */
function exactCodes(v: unknown, catalog: readonly RuleMeta[]): Set<string> {
  const items = typeof v === 'string' ? v.split(/[\s,]+/) : Array.isArray(v) ? v : [];
  const out = new Set<string>();
  for (const item of items) {
    if (typeof item !== 'string') continue;
    const rule = findRule(catalog, item);
    if (rule) out.add(rule.code);
  }
  return out;
}

/**
 * Merges an untrusted partial over the defaults. Accepts both the nested shape and VS Code's flat
 * keys (`python.targetVersion`). Unknown rules and bad values are reported once each through `warn`.
 */
export function parseSettings(input: unknown, catalog: readonly RuleMeta[], warn: Warn = () => {}, base: Settings = DEFAULT_SETTINGS): Settings {
  if (input === undefined || input === null) return base;
  if (!isObject(input)) {
    warn(`settings: expected an object, got ${JSON.stringify(input)}`);
    return base;
  }
  const python = isObject(input.python) ? input.python : {};
  const typescript = isObject(input.typescript) ? input.typescript : {};
  const fix = isObject(input.fix) ? input.fix : {};

  let targetVersion = base.python.targetVersion;
  const rawTarget = python.targetVersion ?? input.targetVersion ?? input['target-version'];
  if (rawTarget !== undefined && rawTarget !== null && rawTarget !== '') {
    const parsed = typeof rawTarget === 'string' ? parsePythonVersion(rawTarget) : undefined;
    if (parsed && parsed[0] === 3) targetVersion = parsed;
    else warn(`python.targetVersion: expected a version such as "3.9", got ${JSON.stringify(rawTarget)}; using ${formatPythonVersion(targetVersion)}`);
  }

  const rules: Record<string, Severity> = { ...base.rules };
  if (input.rules !== undefined && input.rules !== null) {
    if (!isObject(input.rules)) warn(`rules: expected an object of rule → severity, got ${JSON.stringify(input.rules)}`);
    else {
      for (const [key, value] of Object.entries(input.rules)) {
        const rule = findRule(catalog, key);
        if (!rule) {
          warn(`rules: unknown rule ${JSON.stringify(key)}`);
          continue;
        }
        if (typeof value !== 'string' || !SEVERITIES.includes(value as Severity)) {
          warn(`rules.${key}: expected one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(value)}`);
          continue;
        }
        rules[rule.code] = value as Severity;
      }
    }
  }

  const select = codeList(input.select, 'select', catalog, warn) ?? base.select;
  const exclude = globList(input.exclude, 'exclude', warn) ?? base.exclude;
  const perFileIgnores = perFileIgnoreList(input.perFileIgnores ?? input['per-file-ignores'], catalog, warn) ?? base.perFileIgnores;
  // `unsafe-fixes` is the config files' spelling (as Ruff's), `fix.allowUnsafe` the editor's.
  const allowUnsafe = bool(fix.allowUnsafe ?? input['unsafe-fixes'], base.fix.allowUnsafe, fix.allowUnsafe !== undefined ? 'fix.allowUnsafe' : 'unsafe-fixes', warn);
  const explicit = input.select === undefined || input.select === null ? base.explicit : exactCodes(input.select, catalog);
  const ignore = codeList(input.ignore, 'ignore', catalog, warn) ?? base.ignore;
  const rawBudget = input.timeBudget ?? input['time-budget'];
  let timeBudget = base.timeBudget;
  if (rawBudget !== undefined && rawBudget !== null) {
    if (typeof rawBudget === 'number' && Number.isFinite(rawBudget) && rawBudget >= 0) timeBudget = rawBudget;
    else warn(`time-budget: expected a number of seconds (0: no limit), got ${JSON.stringify(rawBudget)}; using ${timeBudget}`);
  }

  return {
    enable: bool(input.enable, base.enable, 'enable', warn),
    python: { enable: bool(python.enable, base.python.enable, 'python.enable', warn), targetVersion },
    typescript: { enable: bool(typescript.enable, base.typescript.enable, 'typescript.enable', warn) },
    rules,
    select,
    explicit,
    ignore,
    fix: { allowUnsafe },
    hints: bool(input.hints, base.hints, 'hints', warn),
    timeBudget,
    ...(exclude ? { exclude } : {}),
    ...(perFileIgnores ? { perFileIgnores } : {}),
  };
}

/**
 * The severity a rule runs at under these settings in a language; `off` when disabled, selected
 * away or ignored, or a default hint where hints are not wanted (the CLI without `--hints`).
 */
export function effectiveSeverity(settings: Settings, rule: RuleMeta, language: Language): Severity {
  if (settings.ignore.has(rule.code)) return 'off';
  if (settings.select && !settings.select.has(rule.code)) return 'off';
  const configured = settings.rules[rule.code];
  if (configured) return configured;
  const named = settings.explicit?.has(rule.code) ?? false;
  // Off-by-default rules run when selected by name: an exact code, not a prefix such as `AW4`.
  if (rule.enabledByDefault === false && !named) return 'off';
  const severity = defaultSeverity(rule, language);
  if (severity === 'hint' && !settings.hints && !named) return 'off';
  return severity;
}
