/**
 * `asyncwise check`: analyses files one by one and turns findings into plain, serialisable records
 * (1-based positions, a `fixable` flag), disposing each analysis before the next file. `checkFile`
 * depends only on the parser, a path and the settings, so a worker pool can later run it per file
 * and send its result back unchanged.
 */
import type { Finding } from '../core/finding';
import type { Settings } from '../core/settings';
import { analyzePython, type PythonAnalysis } from '../python/analyze';
import type { PythonParser } from '../python/parser';
import type { ProjectIndex } from '../python/project';
import { checkTypeScriptFile, isTypeScriptFile } from './typescript';
import { readSource } from './walk';

/** One finding as the CLI reports it. Lines and columns are 1-based; columns count Unicode characters. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly code: string;
  readonly rule: string;
  readonly severity: string;
  readonly message: string;
  /** At least one of the finding's fixes applies cleanly (its result re-parses). */
  readonly fixable: boolean;
}

/** A rule that threw on a file: the other rules' findings stand, but the run is not clean. */
export interface RuleError {
  /** `AW201 blocking-call-in-async` */
  readonly rule: string;
  /** The error's stack (or message), for the bug report. */
  readonly detail: string;
}

export type FileResult =
  | { readonly kind: 'checked'; readonly file: string; readonly problems: readonly Problem[]; readonly bytes: number; readonly ruleErrors: readonly RuleError[] }
  | { readonly kind: 'skipped'; readonly file: string; readonly reason: string };

/**
 * Reads and analyses one file. `displayPath` is what the report prints (relative to the working
 * directory). Never throws for a bad file; a rule that throws is returned in `ruleErrors`.
 */
export function checkFile(parser: PythonParser, file: string, displayPath: string, settings: Settings, project?: ProjectIndex): FileResult {
  if (isTypeScriptFile(file)) return checkTypeScriptFile(file, displayPath, settings);
  const read = readSource(file);
  if (!read.ok) return { kind: 'skipped', file: displayPath, reason: read.reason };
  const ruleErrors: RuleError[] = [];
  let analysis: PythonAnalysis | undefined;
  try {
    analysis = analyzePython(parser, read.text, settings, {
      // The file's project, for rules that follow calls into other modules (AW202, AW301).
      project,
      filePath: file,
      onRuleError: (rule, error) => ruleErrors.push({ rule: `${rule.code} ${rule.name}`, detail: error instanceof Error ? error.stack ?? error.message : String(error) }),
    });
    const problems = analysis.findings.map((f) => toProblem(displayPath, read.text, f, analysis!.validFixes(f).length > 0));
    return { kind: 'checked', file: displayPath, problems, bytes: read.bytes, ruleErrors };
  } finally {
    // The tree lives in wasm memory: it is freed here or never.
    analysis?.dispose();
  }
}

function toProblem(file: string, text: string, f: Finding, fixable: boolean): Problem {
  return {
    file,
    line: f.startPosition.line + 1,
    column: characterColumn(text, f.start, f.startPosition.column) + 1,
    endLine: f.endPosition.line + 1,
    endColumn: characterColumn(text, f.end, f.endPosition.column) + 1,
    code: f.code,
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    fixable,
  };
}

/**
 * Findings count columns in UTF-16 code units (as JavaScript and VS Code do); a terminal user and
 * other linters count characters, which differ after an astral character (emoji) on the same line.
 */
function characterColumn(text: string, offset: number, utf16Column: number): number {
  const lineStart = offset - utf16Column;
  let column = utf16Column;
  for (let i = lineStart + 1; i < offset; i++) {
    // The second half of a surrogate pair is not a character of its own.
    if (isLowSurrogate(text.charCodeAt(i)) && isHighSurrogate(text.charCodeAt(i - 1))) column--;
  }
  return column;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
