/**
 * Command-line parsing for `asyncwise`. Pure: turns argv into a command or a `UsageError`, and the
 * flags into the partial settings object that `parseSettings` (the one settings parser) validates.
 */
import type { RuleMeta } from '../core/rule';
import { parseSettings, type Settings } from '../core/settings';

export type OutputFormat = 'text' | 'json';
const FORMATS: readonly OutputFormat[] = ['text', 'json'];

export interface CheckCommand {
  readonly kind: 'check';
  readonly format: OutputFormat;
  /** Comma lists as given, one entry per occurrence of the flag; repeated flags accumulate. */
  readonly select: readonly string[];
  readonly ignore: readonly string[];
  readonly targetVersion?: string;
  readonly paths: readonly string[];
}

export interface RulesCommand {
  readonly kind: 'rules';
  readonly format: OutputFormat;
}

export interface HelpCommand {
  readonly kind: 'help';
  /** The command whose usage to print; undefined for the overview. */
  readonly topic?: 'check' | 'rules';
}

export interface VersionCommand {
  readonly kind: 'version';
}

export type Command = CheckCommand | RulesCommand | HelpCommand | VersionCommand;

/** A mistake in the command line: printed as one line plus a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` the hint points to. */
    readonly topic?: 'check' | 'rules',
  ) {
    super(message);
  }
}

export const USAGE = {
  overview: `asyncwise — finds async pitfalls (swallowed cancellation, blocking calls on the event loop) in Python asyncio code.

Usage:
  asyncwise check [options] PATH...   analyse Python files and directories
  asyncwise rules [--format FORMAT]   list the rules
  asyncwise --help | -h               this help; \`asyncwise COMMAND --help\` for a command's options
  asyncwise --version | -V            print the version

Exit status: 0 nothing found, 1 problems found, 2 usage or internal error.`,
  check: `Usage: asyncwise check [options] PATH...

Analyses every PATH: files are checked whatever their name; directories are searched for *.py files,
skipping .git, node_modules, __pycache__, tool caches (.tox, .nox, .mypy_cache, .ruff_cache,
.pytest_cache), site-packages and virtual environments (any directory holding pyvenv.cfg).

Options:
  --format text|json       output format (default: text)
                             text: path:line:col: CODE message, then a summary line
                             json: one array of {file, line, column, endLine, endColumn, code,
                                   rule, severity, message, fixable}; lines and columns are 1-based
  --select CODES           run only these rules: comma-separated codes, names or code prefixes (AW2)
  --ignore CODES           never run these rules (same syntax as --select)
  --target-version 3.X     oldest Python version the code must run on (default: 3.9)
  -h, --help               this help

Exit status: 0 nothing found, 1 problems found, 2 usage or internal error.
Files that cannot be read, binary files, non-UTF-8 files and files over 2 MiB are skipped with a
message on stderr.`,
  rules: `Usage: asyncwise rules [--format text|json]

Lists every rule of the catalog. json prints one array of
{code, name, languages, severity, aliases, fixable}.

Options:
  --format text|json       output format (default: text)
  -h, --help               this help`,
} as const;

/** Options that take a value, by command. */
const VALUE_OPTIONS = {
  check: new Set(['--format', '--select', '--ignore', '--target-version']),
  rules: new Set(['--format']),
} as const;

export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) throw new UsageError('missing command: expected `check` or `rules`');
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0];
    if (topic === 'check' || topic === 'rules') return { kind: 'help', topic };
    return { kind: 'help' };
  }
  if (first === '--version' || first === '-V') return { kind: 'version' };
  if (first !== 'check' && first !== 'rules') {
    if (first.startsWith('-')) throw new UsageError(`unknown option ${first} (options go after the command: \`asyncwise check ${first} …\`)`);
    throw new UsageError(`unknown command ${JSON.stringify(first)}: expected \`check\` or \`rules\``);
  }
  const command = first;
  const values = new Map<string, string[]>();
  const positional: string[] = [];
  let onlyPositional = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (onlyPositional || arg === '-' || !arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositional = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') return { kind: 'help', topic: command };
    const eq = arg.indexOf('=');
    const name = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    if (!VALUE_OPTIONS[command].has(name)) throw new UsageError(`unknown option ${name} for \`${command}\``, command);
    let value: string | undefined;
    if (eq > 0 && arg.startsWith('--')) value = arg.slice(eq + 1);
    else {
      value = rest[i + 1];
      // `--select --ignore X` is a forgotten value, not a code named "--ignore".
      if (value === undefined || (value.startsWith('-') && value.length > 1)) throw new UsageError(`${name} needs a value`, command);
      i++;
    }
    if (value.trim() === '') throw new UsageError(`${name} needs a value`, command);
    values.set(name, [...(values.get(name) ?? []), value]);
  }

  const format = lastValue(values, '--format') ?? 'text';
  if (!FORMATS.includes(format as OutputFormat)) throw new UsageError(`unknown format ${JSON.stringify(format)}: expected ${FORMATS.join(' or ')}`, command);

  if (command === 'rules') {
    if (positional.length) throw new UsageError(`\`rules\` takes no arguments, got ${JSON.stringify(positional[0])}`, command);
    return { kind: 'rules', format: format as OutputFormat };
  }
  if (positional.length === 0) throw new UsageError('missing PATH: give at least one file or directory to check (e.g. `asyncwise check .`)', command);
  return {
    kind: 'check',
    format: format as OutputFormat,
    select: values.get('--select') ?? [],
    ignore: values.get('--ignore') ?? [],
    targetVersion: lastValue(values, '--target-version'),
    paths: positional,
  };
}

function lastValue(values: Map<string, string[]>, name: string): string | undefined {
  const all = values.get(name);
  return all?.[all.length - 1];
}

/**
 * The settings a `check` runs with: the flags as a partial settings object, validated by
 * `parseSettings`. Anything it warns about (an unknown rule, a bad version) is a usage error here:
 * in CI a typo must fail loudly rather than quietly check something else.
 */
export function settingsFromFlags(command: CheckCommand, catalog: readonly RuleMeta[]): Settings {
  const partial: Record<string, unknown> = {};
  if (command.select.length) partial.select = command.select.join(',');
  if (command.ignore.length) partial.ignore = command.ignore.join(',');
  if (command.targetVersion !== undefined) {
    // parseSettings also accepts `py311` and `>=3.8` (pyproject spellings); the flag promises `3.X`.
    if (!/^3\.\d{1,2}$/.test(command.targetVersion.trim())) {
      throw new UsageError(`bad --target-version ${JSON.stringify(command.targetVersion)}: expected 3.X, such as 3.9`, 'check');
    }
    partial.python = { targetVersion: command.targetVersion };
  }
  const problems: string[] = [];
  const settings = parseSettings(partial, catalog, (w) => problems.push(w));
  if (problems.length) {
    const flagged = problems[0].replace(/^select:/, '--select:').replace(/^ignore:/, '--ignore:').replace(/^python\.targetVersion:/, '--target-version:');
    throw new UsageError(flagged, 'check');
  }
  return settings;
}
