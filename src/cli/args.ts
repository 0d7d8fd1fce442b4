/**
 * Command-line parsing for `asyncwise`. Pure: turns argv into a command or a `UsageError`, and the
 * flags into the partial settings object that `parseSettings` (the one settings parser) validates.
 */
import { globSyntaxError, splitGlobs } from '../core/glob';
import type { RuleMeta } from '../core/rule';
import { parseSettings, type Settings } from '../core/settings';

export type OutputFormat = 'text' | 'json' | 'sarif' | 'github';
const FORMATS: readonly OutputFormat[] = ['text', 'json', 'sarif', 'github'];

export interface CheckCommand {
  readonly kind: 'check';
  readonly format: OutputFormat;
  /** Comma lists as given, one entry per occurrence of the flag; repeated flags accumulate. */
  readonly select: readonly string[];
  readonly ignore: readonly string[];
  readonly targetVersion?: string;
  /** `--time-budget SECONDS`, as given. */
  readonly timeBudget?: string;
  /** More globs never checked in a directory walk, relative to the working directory. */
  readonly exclude: readonly string[];
  /** Apply the fixes (`--fix`); `unsafeFixes` adds the unsafe ones, `diff` prints them instead of writing. */
  readonly fix: boolean;
  readonly unsafeFixes: boolean;
  readonly diff: boolean;
  /** `--no-cache`: neither read nor write the results cache. */
  readonly noCache: boolean;
  /** `--statistics`: counts per rule instead of the problems. */
  readonly statistics: boolean;
  /** `--hints`: also report the rules that are hints by default (the editor's faint suggestions). */
  readonly hints: boolean;
  /** Write the report here instead of stdout. */
  readonly outputFile?: string;
  /** Read the source from stdin and report it under this path (editor integrations). */
  readonly stdinFilename?: string;
  readonly paths: readonly string[];
}

export interface RulesCommand {
  readonly kind: 'rules';
  readonly format: OutputFormat;
}

export interface HelpCommand {
  readonly kind: 'help';
  /** The command whose usage to print; undefined for the overview. */
  readonly topic?: 'check' | 'rules' | 'server';
}

export interface VersionCommand {
  readonly kind: 'version';
}

/** `asyncwise server`: the language server over stdio (`--stdio`, which editors pass, is accepted and the default). */
export interface ServerCommand {
  readonly kind: 'server';
}

export type Command = CheckCommand | RulesCommand | HelpCommand | VersionCommand | ServerCommand;

/** A mistake in the command line: printed as one line plus a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` the hint points to. */
    readonly topic?: 'check' | 'rules' | 'server',
  ) {
    super(message);
  }
}

export const USAGE = {
  overview: `asyncwise — finds async pitfalls (swallowed cancellation, blocking calls on the event loop) in Python asyncio and TypeScript/JavaScript code.

Usage:
  asyncwise check [options] PATH...   analyse Python and TS/JS files and directories
  asyncwise rules [--format FORMAT]   list the rules
  asyncwise server                    the language server (LSP over stdin/stdout) for editors
  asyncwise --help | -h               this help; \`asyncwise COMMAND --help\` for a command's options
  asyncwise --version | -V            print the version

Exit status: 0 nothing found, 1 problems found, 2 usage or internal error.`,
  check: `Usage: asyncwise check [options] PATH...

Analyses every PATH: a file named is checked whatever its name (TS/JS by its extension, anything
else as Python). Directories are searched for Python (*.py) and TS/JS files (*.ts, *.tsx, *.mts,
*.cts, *.js, *.jsx, *.mjs, *.cjs; not *.d.ts) that neither .gitignore nor an \`exclude\` glob
ignores, skipping .git, node_modules, __pycache__, tool caches (.tox, .nox, .mypy_cache,
.ruff_cache, .pytest_cache), site-packages and virtual environments (any directory holding
pyvenv.cfg).

Options:
  --format FORMAT          output format (default: text)
                             text: path:line:col: CODE message, then a summary line (on a terminal
                                   also the source line and a caret)
                             json: one array of {file, line, column, endLine, endColumn, code,
                                   rule, severity, message, fixable}; lines and columns are 1-based
                             sarif: SARIF 2.1.0, with rule metadata, help links and fixes
                             github: GitHub Actions workflow commands (pull-request annotations)
  --output-file FILE       write the report to FILE instead of stdout
  --select CODES           run only these rules: comma-separated codes, names or code prefixes (AW2)
  --ignore CODES           never run these rules (same syntax as --select)
  --exclude GLOBS          also skip these paths (comma-separated globs) in directory walks
  --target-version 3.X     oldest Python version the code must run on (default: the project's
                           requires-python, else 3.9)
  --time-budget SECONDS    abandon a file's analysis after this long, reporting it as an error
                           (default 5; 0: no limit)
  --fix                    apply the safe fixes, then report what remains
  --unsafe-fixes           with --fix or --diff, apply the unsafe fixes too
  --diff                   print the fixes as a unified diff instead of writing them
  --statistics             print how many problems each rule found instead of the problems
  --hints                  also report the rules that are hints by default (under the precision
                           bar on real code; a rule named in --select or in the config's rules
                           reports either way)
  --no-cache               neither read nor write the results cache (./node_modules/.cache/asyncwise
                           when there is a ./node_modules, else ./.cache/asyncwise;
                           ASYNCWISE_CACHE_DIR moves it)
  --stdin-filename PATH    check the source read from stdin as if it were PATH (with --fix,
                           print the fixed source)
  -h, --help               this help

Configuration: [tool.asyncwise] in pyproject.toml or an "asyncwise" key in package.json, the nearest
above each file: select, ignore, rules (code → severity), exclude, per-file-ignores (glob → codes),
target-version, unsafe-fixes, time-budget (seconds). Flags win over the file (--select replaces its select and ignore).

Exit status: 0 nothing found, 1 problems found (with --fix: problems remain; with --diff: a fix
would change a file), 2 usage, configuration or internal error.
Files that cannot be read, binary files, non-UTF-8 files and files over 2 MiB are skipped with a
message on stderr.`,
  rules: `Usage: asyncwise rules [--format text|json]

Lists every rule of the catalog. json prints one array of
{code, name, languages, severity, aliases, fixable}.

Options:
  --format text|json       output format (default: text)
  -h, --help               this help`,
  server: `Usage: asyncwise server [--stdio]

Runs the asyncwise language server: the Language Server Protocol over stdin and stdout, for any
editor with an LSP client (Neovim, Helix, Zed, Emacs, Sublime Text, …). Python files get
diagnostics with documentation links, quick fixes, "ignore on this line" and
source.fixAll.asyncwise. Settings: the project's [tool.asyncwise] in pyproject.toml or "asyncwise"
in package.json, as for \`check\`, with the editor's \`asyncwise\` settings section on top
(workspace/configuration, workspace/didChangeConfiguration or initializationOptions.settings).
Analyses run on their own thread: the server answers while it analyses. It exits when stdin closes
or the editor process that started it is gone.

Options:
  --stdio                  talk over stdin and stdout (the default; editors often pass it)
  --clientProcessId PID    exit when this process is gone (also from initialize's processId)
  -h, --help               this help`,
} as const;

/** Options that take a value, by command. */
const VALUE_OPTIONS = {
  check: new Set(['--format', '--select', '--ignore', '--target-version', '--time-budget', '--exclude', '--output-file', '--stdin-filename']),
  rules: new Set(['--format']),
} as const;

/** Options that take no value, by command. */
const FLAG_OPTIONS = {
  check: new Set(['--fix', '--unsafe-fixes', '--diff', '--no-cache', '--statistics', '--hints']),
  rules: new Set<string>(),
} as const;

export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) throw new UsageError('missing command: expected `check` or `rules`');
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0];
    if (topic === 'check' || topic === 'rules' || topic === 'server') return { kind: 'help', topic };
    return { kind: 'help' };
  }
  if (first === '--version' || first === '-V') return { kind: 'version' };
  if (first === 'server') {
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i];
      if (arg === '--help' || arg === '-h') return { kind: 'help', topic: 'server' };
      if (arg === '--stdio' || /^--clientProcessId=\d+$/.test(arg)) continue;
      // VS Code's client passes its process id; the server exits when that process is gone.
      if (arg === '--clientProcessId' && /^\d+$/.test(rest[i + 1] ?? '')) {
        i++;
        continue;
      }
      throw new UsageError(`unknown option ${arg} for \`server\``, 'server');
    }
    return { kind: 'server' };
  }
  if (first !== 'check' && first !== 'rules') {
    if (first.startsWith('-')) throw new UsageError(`unknown option ${first} (options go after the command: \`asyncwise check ${first} …\`)`);
    throw new UsageError(`unknown command ${JSON.stringify(first)}: expected \`check\`, \`rules\` or \`server\``);
  }
  const command = first;
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
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
    if (FLAG_OPTIONS[command].has(arg)) {
      flags.add(arg);
      continue;
    }
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
  const stdinFilename = lastValue(values, '--stdin-filename');
  if (positional.length === 0 && stdinFilename === undefined) throw new UsageError('missing PATH: give at least one file or directory to check (e.g. `asyncwise check .`)', command);
  if (stdinFilename !== undefined && positional.length) throw new UsageError('--stdin-filename checks stdin: give no PATH with it', command);
  if (flags.has('--fix') && flags.has('--diff')) throw new UsageError('--fix writes the fixes and --diff only shows them: give one of them', command);
  if (flags.has('--unsafe-fixes') && !flags.has('--fix') && !flags.has('--diff')) throw new UsageError('--unsafe-fixes needs --fix or --diff', command);
  return {
    kind: 'check',
    format: format as OutputFormat,
    select: values.get('--select') ?? [],
    ignore: values.get('--ignore') ?? [],
    targetVersion: lastValue(values, '--target-version'),
    timeBudget: lastValue(values, '--time-budget'),
    exclude: (values.get('--exclude') ?? []).flatMap(splitGlobs),
    fix: flags.has('--fix'),
    unsafeFixes: flags.has('--unsafe-fixes'),
    diff: flags.has('--diff'),
    noCache: flags.has('--no-cache'),
    statistics: flags.has('--statistics'),
    hints: flags.has('--hints'),
    outputFile: lastValue(values, '--output-file'),
    stdinFilename,
    paths: positional,
  };
}

function lastValue(values: Map<string, string[]>, name: string): string | undefined {
  const all = values.get(name);
  return all?.[all.length - 1];
}

/** The flags as a partial settings object, applied over the config files (see core/config). */
export function flagOverrides(command: CheckCommand): Record<string, unknown> {
  const partial: Record<string, unknown> = {};
  if (command.select.length) partial.select = command.select.join(',');
  if (command.ignore.length) partial.ignore = command.ignore.join(',');
  if (command.targetVersion !== undefined) partial.python = { targetVersion: command.targetVersion };
  if (command.unsafeFixes) partial.fix = { allowUnsafe: true };
  if (command.timeBudget !== undefined) partial.timeBudget = /^\s*\d+(\.\d+)?\s*$/.test(command.timeBudget) ? Number(command.timeBudget) : command.timeBudget;
  // A CI gate: hints (rules under the precision bar) only when asked for.
  partial.hints = command.hints;
  return partial;
}

/**
 * The settings a `check` runs with: the flags as a partial settings object, validated by
 * `parseSettings`. Anything it warns about (an unknown rule, a bad version) is a usage error here:
 * in CI a typo must fail loudly rather than quietly check something else.
 */
export function settingsFromFlags(command: CheckCommand, catalog: readonly RuleMeta[]): Settings {
  const partial = flagOverrides(command);
  if (command.targetVersion !== undefined) {
    // parseSettings also accepts `py311` and `>=3.8` (pyproject spellings); the flag promises `3.X`.
    if (!/^3\.\d{1,2}$/.test(command.targetVersion.trim())) {
      throw new UsageError(`bad --target-version ${JSON.stringify(command.targetVersion)}: expected 3.X, such as 3.9`, 'check');
    }
  }
  for (const glob of command.exclude) {
    const error = globSyntaxError(glob);
    if (error !== undefined) throw new UsageError(`--exclude: invalid glob ${JSON.stringify(glob)}: ${error}`, 'check');
  }
  const problems: string[] = [];
  const settings = parseSettings(partial, catalog, (w) => problems.push(w));
  if (problems.length) {
    const flagged = problems[0].replace(/^time-budget:/, '--time-budget:').replace(/^select:/, '--select:').replace(/^ignore:/, '--ignore:').replace(/^python\.targetVersion:/, '--target-version:');
    throw new UsageError(flagged, 'check');
  }
  return settings;
}
