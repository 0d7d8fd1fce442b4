/**
 * `asyncwise check`: analyses files one by one and turns findings into plain, serialisable records
 * (1-based positions, a `fixable` flag), disposing each analysis before the next file. `checkFile`
 * depends only on the parser, a path and the settings, so a worker pool can later run it per file
 * and send its result back unchanged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Deadline, isTimeBudgetExceeded } from '../core/budget';
import { decodeFileName, fsPath } from '../core/files';
import { LineIndex, type Finding, type Fix } from '../core/finding';
import { fixToFixedPoint } from '../core/fixAll';
import type { Settings } from '../core/settings';
import { unifiedDiff } from './diff';
import { analyzePython } from '../python/analyze';
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
  /** The text of the finding's first line, for the caret display on a terminal. */
  readonly sourceLine: string;
  /** The preferred valid fix (safe first), for SARIF; positions as above, end exclusive. */
  readonly fix?: ProblemFix;
}

export interface ProblemFix {
  readonly title: string;
  readonly safety: 'safe' | 'unsafe';
  readonly edits: readonly { readonly line: number; readonly column: number; readonly endLine: number; readonly endColumn: number; readonly newText: string }[];
}

/** What `--fix` and `--diff` ask of `checkFile`. */
export interface FixMode {
  readonly unsafe: boolean;
  /** True: write the fixed file (`--fix`); false: return a unified diff (`--diff`). */
  readonly write: boolean;
}

/** A rule that threw on a file: the other rules' findings stand, but the run is not clean. */
export interface RuleError {
  /** `AW201 blocking-call-in-async`, or `ENGINE_FAILURE` when the file could not be checked at all. */
  readonly rule: string;
  /** The error's stack (or message), for the bug report. */
  readonly detail: string;
}

/** `RuleError.rule` of a file whose check failed as a whole (the parser or the compiler threw). */
export const ENGINE_FAILURE = 'engine';

/** `RuleError.rule` of a file whose analysis ran past the per-file time budget and was abandoned. */
export const OVER_BUDGET = 'time-budget';

/** `RuleError.rule` of a file TypeScript's own parser throws on (not asyncwise's failure). */
export const PARSER_FAILURE = 'parser';

/**
 * TypeScript's parser threw on the text (`@1await` → "Debug Failure. False expression.", in 5.9
 * and 6.0): the file cannot be checked, which the report says plainly, not as asyncwise's own
 * internal error with a stack trace.
 */
export class ParserFailure extends Error {
  constructor(readonly cause: unknown) {
    super(`TypeScript's parser fails on this file (${cause instanceof Error ? cause.message : String(cause)})`);
  }
}

export type FileResult =
  | {
      readonly kind: 'checked';
      readonly file: string;
      /** What remains after fixing, when fixing. */
      readonly problems: readonly Problem[];
      readonly bytes: number;
      readonly ruleErrors: readonly RuleError[];
      /** Fixes applied (`--fix`) or that would be (`--diff`). */
      readonly fixed?: number;
      readonly diff?: string;
      /** The fixed text (without BOM, with the file's line endings) when it changed. */
      readonly fixedText?: string;
      /** Fixing was refused or writing failed: the file is unchanged. */
      readonly fixError?: string;
    }
  | {
      readonly kind: 'skipped';
      readonly file: string;
      readonly reason: string;
      /** Skipped for a reason many files of a walk share (`minified`): the report lists a few and counts the rest. */
      readonly group?: string;
    };

/**
 * Reads and analyses one file. `displayPath` is what the report prints (relative to the working
 * directory). Never throws for a bad file; a rule that throws is returned in `ruleErrors`.
 */
export function checkFile(parser: PythonParser, file: string, displayPath: string, settings: Settings, project?: ProjectIndex, fix?: FixMode, walked = false): FileResult {
  // TS/JS: its own engine, with the program of the nearest tsconfig.json.
  if (isTypeScriptFile(file)) return checkTypeScriptFile(file, displayPath, settings, fix, walked);
  return checkFileWith(file, displayPath, fix, (text, mode) => checkText(parser, text, file, displayPath, settings, project, mode));
}

/**
 * The result of a file whose check threw (TypeScript's "Debug Failure", a stack overflow on deeply
 * nested input, a wasm fault): that file's error, with its path; the run carries on with the others
 * and its exit code says an error happened. Nothing is written for it.
 */
export function failedFile(displayPath: string, error: unknown, bytes = 0): FileResult {
  // Over budget: one line saying so, no stack (nothing is broken; the file is too costly to check).
  if (isTimeBudgetExceeded(error)) return { kind: 'checked', file: displayPath, problems: [], bytes, ruleErrors: [{ rule: OVER_BUDGET, detail: error.message }] };
  if (error instanceof ParserFailure) return { kind: 'checked', file: displayPath, problems: [], bytes, ruleErrors: [{ rule: PARSER_FAILURE, detail: error.message }] };
  return { kind: 'checked', file: displayPath, problems: [], bytes, ruleErrors: [{ rule: ENGINE_FAILURE, detail: describeError(error) }] };
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.stack ?? error.message : String(error);
}

/**
 * Reads a file, checks its text with `check` and, with `--fix`, writes the fixed text back atomically
 * (BOM kept). When the write fails the file is unchanged, and the report says so and shows what it holds.
 */
export function checkFileWith(file: string, displayPath: string, fix: FixMode | undefined, check: (text: string, fix?: FixMode) => FileResult): FileResult {
  const read = readSource(file);
  if (!read.ok) return { kind: 'skipped', file: displayPath, reason: read.reason };
  let result: FileResult;
  try {
    result = check(read.text, fix);
  } catch (error) {
    // Before anything is written: a file whose check fails stays as it is.
    return failedFile(displayPath, error, read.bytes);
  }
  if (result.kind === 'checked' && fix?.write && result.fixedText !== undefined) {
    try {
      writeAtomically(file, (read.bom ? '\uFEFF' : '') + result.fixedText);
    } catch (error) {
      let unfixed: FileResult;
      try {
        unfixed = check(read.text);
      } catch (again) {
        unfixed = failedFile(displayPath, again, read.bytes);
      }
      return unfixed.kind === 'checked' ? { ...unfixed, bytes: read.bytes, fixed: 0, fixError: `could not write the fixes: ${(error as Error).message}` } : unfixed;
    }
  }
  return result.kind === 'checked' ? { ...result, bytes: read.bytes } : result;
}

/** What the CLI needs of an engine (Python's, TS/JS's) to check and fix one text. */
export interface CheckEngine {
  /** Fix-all to a fixed point from `text`; `applied` counts the fixes. */
  fix(text: string, unsafe: boolean): { text: string; applied: number };
  /** What remains in `text`: the report's problems and the rules that threw. */
  report(text: string): { problems: Problem[]; ruleErrors: RuleError[] };
}

/**
 * Checks a text with an engine; with `fix`, fixes it first (CRLF files as LF, turned back, so the line
 * endings stay the file's; a file mixing both is fixed as is) and reports what remains. Never writes.
 */
export function checkWith(engine: CheckEngine, text: string, displayPath: string, fix?: FixMode): FileResult {
  let fixed = 0;
  let fixedText: string | undefined;
  let diff: string | undefined;
  let current = text;
  if (fix) {
    const crlf = text.includes('\r\n') && !/(^|[^\r])\n/.test(text);
    const work = crlf ? text.replace(/\r\n/g, '\n') : text;
    const outcome = engine.fix(work, fix.unsafe);
    if (outcome.applied > 0 && outcome.text !== work) {
      fixed = outcome.applied;
      fixedText = crlf ? outcome.text.replace(/\n/g, '\r\n') : outcome.text;
      current = fixedText;
      if (!fix.write) diff = unifiedDiff(displayPath.split(path.sep).join('/'), text, fixedText);
    }
  }
  const { problems, ruleErrors } = engine.report(current);
  return {
    kind: 'checked',
    file: displayPath,
    problems,
    bytes: Buffer.byteLength(text),
    ruleErrors,
    ...(fix ? { fixed } : {}),
    ...(diff !== undefined ? { diff } : {}),
    ...(fixedText !== undefined ? { fixedText } : {}),
  };
}

/**
 * Analyses a Python text as the file `file` (read from disk or stdin); with `fix`, fixes it first and
 * reports what remains. Never writes.
 */
export function checkText(parser: PythonParser, text: string, file: string, displayPath: string, settings: Settings, project?: ProjectIndex, fix?: FixMode): FileResult {
  const ruleErrors: RuleError[] = [];
  // A budget per analysis (each fix round, the report): a file too costly to analyse once is
  // abandoned at its first, and a large file with many fixes is not cut short for needing rounds.
  const analyze = (source: string) =>
    analyzePython(parser, source, settings, {
      deadline: new Deadline(settings.timeBudget),
      // The file's project, for rules that follow calls into other modules (AW202, AW301).
      project,
      filePath: file,
      relativePath: displayPath,
      onRuleError: (rule, error) => ruleErrors.push({ rule: `${rule.code} ${rule.name}`, detail: describeError(error) }),
    });
  return checkWith(
    {
      fix: (work, unsafe) => {
        const first = analyze(work);
        try {
          return fixToFixedPoint(first, analyze, unsafe);
        } finally {
          first.dispose();
        }
      },
      report: (current) => {
        // Only the final analysis' rule errors count.
        ruleErrors.length = 0;
        const analysis = analyze(current);
        try {
          const lines = new LineIndex(current);
          // Every finding's fixes checked together: one re-parse for the file, not one per finding.
          analysis.verifyAllFixes();
          return { problems: analysis.findings.map((f) => toProblem(displayPath, current, lines, f, analysis.validFixes(f))), ruleErrors: [...ruleErrors] };
        } finally {
          // The tree lives in wasm memory: it is freed here or never.
          analysis.dispose();
        }
      },
    },
    text,
    displayPath,
    fix,
  );
}

/**
 * Replaces a file's content without ever leaving it half-written: write a temporary file beside it
 * (same folder, so the rename stays on one file system), copy the mode (and, when running as root,
 * the owner), then rename over it. A symbolic link is followed, so the link stays a link. A file
 * with other hard links is written in place instead (a rename would split it from its other names),
 * and a read-only file (no write bit, or not writable by us) is refused, not replaced.
 */
export function writeAtomically(file: string, text: string): void {
  // A name that is not UTF-8 is a string with escaped bytes (core/files): its bytes for every call.
  // The native one: the JavaScript realpath turns a Buffer path into a (lossy) string.
  const real = fs.realpathSync.native(fsPath(file), { encoding: 'buffer' });
  const target = decodeFileName(real);
  const stat = fs.statSync(real);
  const mode = stat.mode & 0o7777;
  // A rename needs only the folder's permission, so it would "write" a file its mode protects.
  // Root passes every access check: the mode bits say what the owner meant.
  if ((mode & 0o222) === 0) throw new Error('the file is read-only');
  fs.accessSync(real, fs.constants.W_OK);
  if (stat.nlink > 1) {
    fs.writeFileSync(real, text);
    return;
  }
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.asyncwise-${process.pid}-${Date.now().toString(36)}.tmp`);
  try {
    const fd = fs.openSync(fsPath(temp), 'wx', mode);
    try {
      fs.writeFileSync(fd, text);
      fs.fchmodSync(fd, mode);
      // Root's new file would be root's: give it back to the file's owner and group.
      if (process.getuid?.() === 0 && (stat.uid !== 0 || stat.gid !== 0)) fs.fchownSync(fd, stat.uid, stat.gid);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(fsPath(temp), real);
  } catch (error) {
    fs.rmSync(fsPath(temp), { force: true });
    throw error;
  }
}

/** A finding as the reports print it: 1-based lines, columns in characters, the best valid fix. */
export function toProblem(file: string, text: string, lines: LineIndex, f: Finding, fixes: readonly Fix[]): Problem {
  const best = fixes.find((x) => x.safety === 'safe') ?? fixes[0];
  const at = (offset: number) => {
    const p = lines.position(offset);
    return { line: p.line + 1, column: characterColumn(text, offset, p.column) + 1 };
  };
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
    fixable: fixes.length > 0,
    sourceLine: lines.lineText(f.startPosition.line),
    ...(best
      ? {
          fix: {
            title: best.title,
            safety: best.safety,
            edits: best.edits.map((e) => {
              const start = at(e.start);
              const end = at(e.end);
              return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column, newText: e.newText };
            }),
          },
        }
      : {}),
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
