/**
 * Output renderers for the CLI: text (one line per problem plus a summary, coloured only for a
 * terminal) and JSON (one array). Pure functions from results to strings, so the golden tests
 * compare exactly what a user sees.
 */
import type { Rule } from '../rules/define';
import type { Problem } from './check';

export interface Style {
  readonly color: boolean;
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

/** `path:line:col: CODE message` per problem, then `Found N problems (M fixable) in F files.` */
export function renderText(problems: readonly Problem[], style: Style): string {
  if (problems.length === 0) return `${paint(style, ['green'], 'All checks passed.')}\n`;
  let out = '';
  for (const p of problems) {
    const where = `${paint(style, ['bold'], p.file)}:${p.line}:${p.column}:`;
    const code = paint(style, ['bold', SEVERITY_COLOR[p.severity] ?? 'yellow'], p.code);
    out += `${where} ${code} ${p.message}\n`;
  }
  const fixable = problems.filter((p) => p.fixable).length;
  const files = new Set(problems.map((p) => p.file)).size;
  out += paint(style, ['bold'], `Found ${plural(problems.length, 'problem')} (${fixable} fixable) in ${plural(files, 'file')}.`) + '\n';
  return out;
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
  const header = `${'code'.padEnd(6)}  ${'name'.padEnd(nameWidth)}  ${'severity'.padEnd(8)}  ${'fix'.padEnd(9)}  summary`;
  let out = paint(style, ['bold'], header) + '\n';
  for (const r of rules) {
    out += `${paint(style, ['bold'], r.code.padEnd(6))}  ${r.name.padEnd(nameWidth)}  ${r.severity.padEnd(8)}  ${r.fixable.padEnd(9)}  ${r.summary}\n`;
  }
  return out;
}
