/**
 * `asyncwise check` on TS/JS files (`.ts/.tsx/.mts/.cts/.js/.jsx/.mjs/.cjs`, not `.d.ts`). The
 * `typescript` module is the checked project's own (resolved from the file's folder upwards), else
 * one next to asyncwise; without either the file is skipped with the reason. A file under a
 * `tsconfig.json` is analysed with that project's program (type-aware rules); a file outside any,
 * or one its project does not include, syntax-only. One program per tsconfig.json per thread,
 * built on first use.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as ts from 'typescript';
import type { Finding } from '../core/finding';
import type { Settings } from '../core/settings';
import { analyzeTypeScript, scriptKindOf } from '../typescript/analyze';
import type { FileResult, Problem } from './check';
import { readSource } from './walk';

const TS_FILE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/i;

/** Whether the CLI checks this file name with the TS/JS engine. */
export function isTypeScriptFile(name: string): boolean {
  return TS_FILE.test(name) && !/\.d\.[mc]?ts$/i.test(name);
}

type TsModule = typeof ts;

/** `typescript` modules by the folder they were resolved from (undefined: none found). */
const modules = new Map<string, TsModule | undefined>();
/** Programs by tsconfig.json path (undefined: the config could not be used). */
const programs = new Map<string, ts.Program | undefined>();
/** Nearest tsconfig.json by folder (undefined: none). */
const configs = new Map<string, string | undefined>();

/** The `typescript` module the project installs, else the one beside asyncwise. */
function loadTypeScript(dir: string): TsModule | undefined {
  if (modules.has(dir)) return modules.get(dir);
  let found: TsModule | undefined;
  // A variable, not a literal: the bundler must leave this `require` to run time.
  const name = 'typescript';
  for (const from of [path.join(dir, 'noop.js'), __filename]) {
    try {
      found = createRequire(from)(name) as TsModule;
      if (typeof found?.createSourceFile === 'function') break;
      found = undefined;
    } catch {
      // not installed there
    }
  }
  modules.set(dir, found);
  return found;
}

function nearestConfig(dir: string): string | undefined {
  if (configs.has(dir)) return configs.get(dir);
  const candidate = path.join(dir, 'tsconfig.json');
  const parent = path.dirname(dir);
  const found = fs.existsSync(candidate) ? candidate : parent === dir ? undefined : nearestConfig(parent);
  configs.set(dir, found);
  return found;
}

function programFor(tsm: TsModule, configPath: string): ts.Program | undefined {
  if (programs.has(configPath)) return programs.get(configPath);
  let program: ts.Program | undefined;
  try {
    const read = tsm.readConfigFile(configPath, tsm.sys.readFile);
    if (!read.error) {
      const parsed = tsm.parseJsonConfigFileContent(read.config, tsm.sys, path.dirname(configPath), { noEmit: true, skipLibCheck: true }, configPath);
      program = tsm.createProgram({ rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences });
    }
  } catch {
    program = undefined;
  }
  programs.set(configPath, program);
  return program;
}

/** Reads and analyses one TS/JS file; never throws for a bad file. */
export function checkTypeScriptFile(file: string, displayPath: string, settings: Settings): FileResult {
  const read = readSource(file);
  if (!read.ok) return { kind: 'skipped', file: displayPath, reason: read.reason };
  const dir = path.dirname(file);
  const tsm = loadTypeScript(dir);
  if (!tsm) return { kind: 'skipped', file: displayPath, reason: 'TS/JS files need the `typescript` package (install it in the project)' };
  const config = nearestConfig(dir);
  const program = config ? programFor(tsm, config) : undefined;
  const fromProgram = program?.getSourceFile(file);
  const sourceFile = fromProgram && fromProgram.text === read.text ? fromProgram : tsm.createSourceFile(file, read.text, tsm.ScriptTarget.Latest, true, scriptKindOf(tsm, file));
  const analysis = analyzeTypeScript(tsm, sourceFile, settings, sourceFile === fromProgram ? { program } : {});
  const problems = analysis.findings.map((f) => toProblem(displayPath, read.text, f));
  const ruleErrors = analysis.errors.map((e) => ({ rule: e.rule, detail: e.message }));
  return { kind: 'checked', file: displayPath, problems, bytes: read.bytes, ruleErrors };
}

/** As check.ts's: 1-based lines, columns in characters (not UTF-16 units). Fixes are already re-parse-checked. */
function toProblem(file: string, text: string, f: Finding): Problem {
  const column = (offset: number, utf16Column: number) => {
    let c = utf16Column;
    for (let i = offset - utf16Column + 1; i < offset; i++) {
      const code = text.charCodeAt(i);
      const prev = text.charCodeAt(i - 1);
      if (code >= 0xdc00 && code <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff) c--;
    }
    return c + 1;
  };
  return {
    file,
    line: f.startPosition.line + 1,
    column: column(f.start, f.startPosition.column),
    endLine: f.endPosition.line + 1,
    endColumn: column(f.end, f.endPosition.column),
    code: f.code,
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    fixable: f.fixes.length > 0,
  };
}
