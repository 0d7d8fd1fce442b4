/**
 * Output renderers for the CLI: text (one line per problem plus a summary, coloured only for a
 * terminal) and JSON (one array). Pure functions from results to strings, so the golden tests
 * compare exactly what a user sees.
 */
import { defaultSeverityLabel, docsUrl } from '../core/rule';
import type { Rule } from '../rules/define';
import type { Problem } from './check';

export interface Style {
  readonly color: boolean;
  /** Show each problem's source line with a caret under it (on a terminal). */
  readonly context?: boolean;
}

/** Colour only on a terminal, and never when NO_COLOR is set to a non-empty value (no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

const SGR = { bold: '1', dim: '2', red: '31', yellow: '33', blue: '34', cyan: '36', green: '32' } as const;

function paint(style: Style, codes: readonly (keyof typeof SGR)[], text: string): string {
  if (!style.color) return text;
  return `\x1b[${codes.map((c) => SGR[c]).join(';')}m${text}\x1b[0m`;
}

const SEVERITY_COLOR: Record<string, keyof typeof SGR> = { error: 'red', warning: 'yellow', info: 'blue', hint: 'cyan' };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * `path:line:col: CODE message` per problem, then `Found N problems (S fixable with --fix, U more with
 * --unsafe-fixes) in F files.`: a problem whose only fixes are unsafe is not fixed by a plain `--fix`.
 * `failedFiles` counts files a rule or the whole check failed on: their problems may be missing, so
 * the summary never says "All checks passed." beside such an error.
 */
export function renderText(problems: readonly Problem[], style: Style, failedFiles = 0): string {
  const failed = failedFiles > 0 ? paint(style, ['bold', 'red'], `${plural(failedFiles, 'file')} could not be fully checked (errors above).`) + '\n' : '';
  if (problems.length === 0) return failed || `${paint(style, ['green'], 'All checks passed.')}\n`;
  let out = '';
  for (const p of problems) {
    const where = `${paint(style, ['bold'], p.file)}:${p.line}:${p.column}:`;
    const code = paint(style, ['bold', SEVERITY_COLOR[p.severity] ?? 'yellow'], p.code);
    out += `${where} ${code} ${p.message}\n`;
    if (style.context) out += sourceContext(p, style);
  }
  const files = new Set(problems.map((p) => p.file)).size;
  out += paint(style, ['bold'], `Found ${plural(problems.length, 'problem')} (${fixableSummary(problems)}) in ${plural(files, 'file')}.`) + '\n';
  return out + failed;
}

/**
 * How many problems `--fix` fixes and how many more need `--unsafe-fixes`: `9 fixable with --fix, 5 more
 * with --unsafe-fixes`. A problem counts as safe when its preferred fix (a safe one if any) is safe.
 */
export function fixableSummary(problems: readonly Problem[]): string {
  const safe = problems.filter((p) => p.fixable && p.fix?.safety === 'safe').length;
  const unsafeOnly = problems.filter((p) => p.fixable && p.fix?.safety !== 'safe').length;
  if (safe === 0 && unsafeOnly === 0) return '0 fixable';
  if (unsafeOnly === 0) return `${safe} fixable with --fix`;
  if (safe === 0) return `${unsafeOnly} fixable with --fix --unsafe-fixes`;
  return `${safe} fixable with --fix, ${unsafeOnly} more with --unsafe-fixes`;
}

/**
 * ```
 *   |
 * 5 |     time.sleep(1)
 *   |     ^^^^^^^^^^^^^
 * ```
 * Tabs are shown as one space each, so the caret stays under the columns it counts.
 */
function sourceContext(p: Problem, style: Style): string {
  const gutter = String(p.line).length;
  const chars = Array.from(p.sourceLine.replace(/\t/g, ' '));
  const start = Math.min(p.column - 1, chars.length);
  const end = p.endLine === p.line ? Math.max(start + 1, Math.min(p.endColumn - 1, chars.length)) : Math.max(start + 1, chars.length);
  const bar = paint(style, ['blue', 'bold'], '|');
  const caret = paint(style, ['bold', SEVERITY_COLOR[p.severity] ?? 'yellow'], '^'.repeat(end - start));
  return `${' '.repeat(gutter)} ${bar}\n${paint(style, ['blue', 'bold'], String(p.line))} ${bar} ${chars.join('')}\n${' '.repeat(gutter)} ${bar} ${' '.repeat(start)}${caret}\n\n`;
}

/**
 * Problems per rule, most frequent first: `  12  AW201  blocking-call-in-async  [4 fixable]`. As in
 * the summary line, "fixable" counts what `--fix` fixes; fixes that need `--unsafe-fixes` are counted
 * apart and say so (`[2 fixable, 1 more with --unsafe-fixes]`).
 */
export function renderStatistics(problems: readonly Problem[]): string {
  const byCode = new Map<string, { rule: string; count: number; safe: number; unsafeOnly: number }>();
  for (const p of problems) {
    const entry = byCode.get(p.code) ?? { rule: p.rule, count: 0, safe: 0, unsafeOnly: 0 };
    entry.count++;
    if (p.fixable && p.fix?.safety === 'safe') entry.safe++;
    else if (p.fixable) entry.unsafeOnly++;
    byCode.set(p.code, entry);
  }
  const fixable = (e: { safe: number; unsafeOnly: number }) =>
    e.unsafeOnly === 0 ? `${e.safe} fixable` : e.safe === 0 ? `${e.unsafeOnly} fixable with --unsafe-fixes` : `${e.safe} fixable, ${e.unsafeOnly} more with --unsafe-fixes`;
  const rows = [...byCode].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
  const width = Math.max(1, ...rows.map(([, e]) => String(e.count).length));
  const nameWidth = Math.max(0, ...rows.map(([, e]) => e.rule.length));
  let out = '';
  for (const [code, e] of rows) out += `${String(e.count).padStart(width)}  ${code}  ${e.rule.padEnd(nameWidth)}  [${fixable(e)}]\n`;
  out += `Found ${plural(problems.length, 'problem')}.\n`;
  return out;
}

/**
 * GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` per problem, which the
 * runner turns into annotations on the pull request's diff.
 */
export function renderGithub(problems: readonly Problem[]): string {
  const level: Record<string, string> = { error: 'error', warning: 'warning', info: 'notice', hint: 'notice' };
  let out = '';
  for (const p of problems) {
    const props = [
      `file=${escapeProperty(p.file.split('\\').join('/'))}`,
      `line=${p.line}`,
      `col=${p.column}`,
      `endLine=${p.endLine}`,
      `endColumn=${p.endColumn}`,
      `title=${escapeProperty(`${p.code} ${p.rule}`)}`,
    ];
    out += `::${level[p.severity] ?? 'warning'} ${props.join(',')}::${escapeData(`${p.code} ${p.message}`)}\n`;
  }
  return out;
}

/** Workflow-command escaping (as @actions/core does): data escapes %, CR, LF; properties also : and ,. */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * SARIF 2.1.0 (what GitHub code scanning uploads): one run, the whole catalog as rule metadata
 * (descriptions, help text and link, default level), a result per problem with its fix. Columns count
 * Unicode characters, as the other formats do, and say so (`columnKind`).
 */
export function renderSarif(problems: readonly Problem[], rules: readonly Rule[], version: string, uriBase?: string): string {
  const index = new Map(rules.map((r, i) => [r.code, i]));
  const level = (severity: string) => (severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note');
  const uri = (file: string) => encodeURI(file.split('\\').join('/'));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'asyncwise',
            version,
            semanticVersion: version,
            informationUri: 'https://github.com/asyncwise/asyncwise',
            rules: rules.map((r) => ({
              id: r.code,
              name: r.name,
              shortDescription: { text: r.summary },
              fullDescription: { text: r.summary },
              helpUri: docsUrl(r),
              help: { text: `${r.summary} See ${docsUrl(r)}`, markdown: r.docs },
              defaultConfiguration: { level: level(r.severity), enabled: r.enabledByDefault !== false },
              properties: { tags: [...r.languages], aliases: [...r.aliases], fixable: r.fixable },
            })),
          },
        },
        ...(uriBase ? { originalUriBaseIds: { SRCROOT: { uri: uriBase.endsWith('/') ? uriBase : `${uriBase}/` } } } : {}),
        columnKind: 'unicodeCodePoints',
        results: problems.map((p) => {
          const artifactLocation = { uri: uri(p.file), ...(uriBase ? { uriBaseId: 'SRCROOT' } : {}) };
          return {
            ruleId: p.code,
            ...(index.has(p.code) ? { ruleIndex: index.get(p.code) } : {}),
            level: level(p.severity),
            message: { text: p.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation,
                  region: { startLine: p.line, startColumn: p.column, endLine: p.endLine, endColumn: p.endColumn, snippet: { text: p.sourceLine } },
                },
              },
            ],
            ...(p.fix
              ? {
                  fixes: [
                    {
                      description: { text: `${p.fix.title}${p.fix.safety === 'unsafe' ? ' (unsafe)' : ''}` },
                      artifactChanges: [
                        {
                          artifactLocation,
                          replacements: p.fix.edits.map((e) => ({
                            deletedRegion: { startLine: e.line, startColumn: e.column, endLine: e.endLine, endColumn: e.endColumn },
                            insertedContent: { text: e.newText },
                          })),
                        },
                      ],
                    },
                  ],
                }
              : {}),
            properties: { rule: p.rule, severity: p.severity, fixable: p.fixable },
          };
        }),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** One JSON array of problems, with the keys in the documented order. */
export function renderJson(problems: readonly Problem[]): string {
  const rows = problems.map((p) => ({
    file: p.file,
    line: p.line,
    column: p.column,
    endLine: p.endLine,
    endColumn: p.endColumn,
    code: p.code,
    rule: p.rule,
    severity: p.severity,
    message: p.message,
    fixable: p.fixable,
  }));
  return `${JSON.stringify(rows, null, 2)}\n`;
}

/** The catalog entry as `rules --format json` prints it. */
export function ruleEntry(rule: Rule) {
  return {
    code: rule.code,
    name: rule.name,
    languages: [...rule.languages],
    severity: rule.severity,
    ...(rule.severityIn ? { severityIn: { ...rule.severityIn } } : {}),
    enabledByDefault: rule.enabledByDefault !== false,
    aliases: [...rule.aliases],
    fixable: rule.fixable,
  };
}

export function renderRulesJson(rules: readonly Rule[]): string {
  return `${JSON.stringify(rules.map(ruleEntry), null, 2)}\n`;
}

/** A table: code, name, default severity, fix availability, summary. */
export function renderRulesText(rules: readonly Rule[], style: Style): string {
  const nameWidth = Math.max(4, ...rules.map((r) => r.name.length));
  const severityWidth = Math.max(8, ...rules.map((r) => defaultSeverityLabel(r).length));
  const header = `${'code'.padEnd(6)}  ${'name'.padEnd(nameWidth)}  ${'default'.padEnd(severityWidth)}  ${'fix'.padEnd(9)}  summary`;
  let out = paint(style, ['bold'], header) + '\n';
  for (const r of rules) {
    out += `${paint(style, ['bold'], r.code.padEnd(6))}  ${r.name.padEnd(nameWidth)}  ${defaultSeverityLabel(r).padEnd(severityWidth)}  ${r.fixable.padEnd(9)}  ${r.summary}\n`;
  }
  return out;
}
