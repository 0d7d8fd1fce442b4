/**
 * `asyncwise check` on TS/JS files (`.ts/.tsx/.mts/.cts/.js/.jsx/.mjs/.cjs`, not `.d.ts`). The
 * `typescript` module is the checked project's own (resolved from the file's folder upwards), else
 * one next to asyncwise; without either the file is skipped with the reason. A file under a
 * `tsconfig.json` is analysed with that project's program (type-aware rules); a file outside any,
 * or one its project does not include, syntax-only. One program per tsconfig.json per thread,
 * built when the first rule asks for types (until then files are checked syntax-first; see
 * `checkTypeScriptText`).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as ts from 'typescript';
import { Deadline } from '../core/budget';
import { LineIndex } from '../core/finding';
import type { Settings } from '../core/settings';
import type { Rule } from '../rules/define';
import { type FixableAnalysis, fixToFixedPoint } from '../core/fixAll';
import { analyzeTypeScript, fixAllTypeScript, isTypesNeeded, rulesFor, scriptKindOf, type TsAnalysis } from '../typescript/analyze';
import { requireWithCodeCache } from './compileCache';
import { checkFileWith, checkWith, ParserFailure, toProblem, type FileResult, type FixMode } from './check';

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
      // Through V8's code cache: compiling typescript.js is a tenth of a small project's check.
      found = requireWithCodeCache(createRequire(from).resolve(name)) as TsModule;
      if (typeof found?.createSourceFile === 'function') break;
      found = undefined;
    } catch {
      // not installed there
    }
  }
  modules.set(dir, found);
  return found;
}

/** The nearest tsconfig.json above a folder (memoised per folder), if any. */
export function nearestConfig(dir: string): string | undefined {
  if (configs.has(dir)) return configs.get(dir);
  const candidate = path.join(dir, 'tsconfig.json');
  const parent = path.dirname(dir);
  const found = fs.existsSync(candidate) ? candidate : parent === dir ? undefined : nearestConfig(parent);
  configs.set(dir, found);
  return found;
}

/** A tsconfig.json read and parsed, by path (undefined: unreadable). */
const parsedConfigs = new Map<string, ts.ParsedCommandLine | undefined>();

function parsedConfig(tsm: TsModule, configPath: string): ts.ParsedCommandLine | undefined {
  if (parsedConfigs.has(configPath)) return parsedConfigs.get(configPath);
  let parsed: ts.ParsedCommandLine | undefined;
  try {
    const read = tsm.readConfigFile(configPath, tsm.sys.readFile);
    if (!read.error) parsed = tsm.parseJsonConfigFileContent(read.config, tsm.sys, path.dirname(configPath), { noEmit: true, skipLibCheck: true }, configPath);
  } catch {
    parsed = undefined;
  }
  parsedConfigs.set(configPath, parsed);
  return parsed;
}

/**
 * Files parsed syntax-first, by tsconfig.json and absolute path, each with the options a program of its tsconfig
 * parses it with: the program, once built, takes these trees instead of parsing the files again.
 */
const syntaxTrees = new Map<string, Map<string, ts.SourceFile>>();

/**
 * What a program of these options passes its host's `getSourceFile` for a file (TypeScript 4.7+; else
 * undefined). JSDoc: no rule reads it, so a file checked syntax-only skips it (ParseNone, `parse`),
 * and a project's program parses it only where types come from it, in JS files (ParseForTypeInfo:
 * not in .ts and .d.ts files, @types/node's included) — a fifth less parse time on
 * node-mongodb-native's src, the same types (TypeScript 5.3+; older versions parse it all).
 */
function createOptionsFor(tsm: TsModule, file: string, options: ts.CompilerOptions): ts.CreateSourceFileOptions | undefined {
  // `getEmitScriptTarget` is internal (the target with its defaults applied); without it, no reuse.
  const target = (tsm as unknown as { getEmitScriptTarget?: (o: ts.CompilerOptions) => ts.ScriptTarget }).getEmitScriptTarget?.(options);
  if (target === undefined || typeof tsm.getImpliedNodeFormatForFile !== 'function') return undefined;
  return { languageVersion: target, impliedNodeFormat: tsm.getImpliedNodeFormatForFile(path.resolve(file) as ts.Path, undefined, tsm.sys, options), jsDocParsingMode: tsm.JSDocParsingMode?.ParseForTypeInfo };
}

/** The syntax-first tree of a file of a project (kept for the project's program when the text is the file's). */
function syntaxTree(tsm: TsModule, configPath: string, file: string, text: string): ts.SourceFile {
  const key = path.resolve(file);
  let trees = syntaxTrees.get(configPath);
  if (!trees) syntaxTrees.set(configPath, (trees = new Map()));
  const known = trees.get(key);
  if (known && known.text === text) return known;
  const options = parsedConfig(tsm, configPath)?.options;
  const create = options && createOptionsFor(tsm, file, options);
  const tree = parse(tsm, file, text, create);
  if (create) trees.set(key, tree);
  return tree;
}

function programFor(tsm: TsModule, configPath: string): ts.Program | undefined {
  if (programs.has(configPath)) return programs.get(configPath);
  let program: ts.Program | undefined;
  try {
    const parsed = parsedConfig(tsm, configPath);
    if (parsed) {
      const host = tsm.createCompilerHost(parsed.options);
      host.jsDocParsingMode = tsm.JSDocParsingMode?.ParseForTypeInfo;
      const getSourceFile = host.getSourceFile.bind(host);
      const trees = syntaxTrees.get(configPath);
      host.getSourceFile = (name, languageVersionOrOptions, onError, shouldCreate) => {
        // A file already parsed syntax-first, with the same text and options: that tree, not a second parse.
        const known = trees?.get(path.resolve(name));
        const wanted = typeof languageVersionOrOptions === 'object' ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
        const sameOptions = known && known.languageVersion === wanted.languageVersion && known.impliedNodeFormat === wanted.impliedNodeFormat && wanted.jsDocParsingMode === tsm.JSDocParsingMode?.ParseForTypeInfo;
        if (known && sameOptions && known.text === host.readFile(name)) {
          // As a parse with the program's options sets it (moduleDetection): the file is a module or a script.
          wanted.setExternalModuleIndicator?.(known);
          return known;
        }
        return getSourceFile(name, languageVersionOrOptions, onError, shouldCreate);
      };
      program = tsm.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host, projectReferences: parsed.projectReferences });
    }
  } catch {
    program = undefined;
  }
  programs.set(configPath, program);
  // The program holds the trees it took; the others are no longer needed.
  syntaxTrees.delete(configPath);
  return program;
}

/** Reads and analyses one TS/JS file; with `fix`, fixes it first (and writes it with `--fix`). Never throws for a bad file. */
export function checkTypeScriptFile(file: string, displayPath: string, settings: Settings, fix?: FixMode, walked = false): FileResult {
  return checkFileWith(file, displayPath, fix, (text, mode) => {
    const built = walked ? minified(file, text) : undefined;
    if (built) return { kind: 'skipped', file: displayPath, reason: built, group: 'minified' };
    return checkTypeScriptText(text, file, displayPath, settings, mode);
  });
}

/** Build output (JavaScript files only): its findings belong to the sources it was built from. */
const JAVASCRIPT = /\.(js|mjs|cjs)$/i;
/** GitHub Linguist's test for a minified file: lines longer than this on average. */
const MINIFIED_AVERAGE_LINE = 110;

/**
 * Why a JavaScript file found in a walk is not checked: minified (a bundle, `*.min.js`, a docs site's
 * script), so a finding would point into one long line nobody edits; the same code is checked in its
 * sources. A file named on the command line is always checked.
 */
export function minified(file: string, text: string): string | undefined {
  if (!JAVASCRIPT.test(file) || text.length <= MINIFIED_AVERAGE_LINE) return undefined;
  let lines = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  const average = Math.round(text.length / lines);
  return average > MINIFIED_AVERAGE_LINE ? `minified (lines of ${average.toLocaleString('en-US')} characters on average): name the file to check it` : undefined;
}

/**
 * Analyses a TS/JS text as the file `file` (from disk or stdin): with the program of the nearest
 * tsconfig.json (re-created with this text in place when the file's text differs), syntax-only for a
 * file in no program. With `fix`, applies fix-all to a fixed point first and reports what remains.
 * Never writes.
 */
export function checkTypeScriptText(text: string, file: string, displayPath: string, settings: Settings, fix?: FixMode): FileResult {
  const tsm = loadTypeScript(path.dirname(file));
  if (!tsm) return { kind: 'skipped', file: displayPath, reason: 'TS/JS files need the `typescript` package (install it in the project)' };
  const config = nearestConfig(path.dirname(file));
  const typed = (source: string, rules: readonly Rule[]) => {
    const program = config ? programFor(tsm, config) : undefined;
    const fromProgram = program?.getSourceFile(file);
    // A file of the program with other text (a fix round, stdin, CRLF worked as LF): the same program
    // with this text in its place, so the type-aware rules still see it.
    const own = fromProgram && (fromProgram.text === source ? program : withText(tsm, program!, file, source));
    const sourceFile = own?.getSourceFile(file) ?? parse(tsm, file, source);
    // TypeScript's own work (the program, its checker) is not asyncwise's to bound: the budget of
    // each analysis starts once the checker is there (a failing checker is reported by the engine).
    let checker: ts.TypeChecker | undefined;
    try {
      checker = own?.getTypeChecker();
    } catch {
      checker = undefined;
    }
    const deadline = new Deadline(settings.timeBudget);
    return { sourceFile, analysis: analyzeTypeScript(tsm, sourceFile, settings, own ? { program: own, checker, rules, relativePath: displayPath, deadline } : { rules, relativePath: displayPath, deadline }) };
  };
  const analyze = (source: string): { sourceFile?: ts.SourceFile; analysis: TsAnalysis } => {
    // A file that holds none of the words the enabled rules need (most files of a project under the
    // default catalog: no `async` with a `finally`, no `new Promise(async …)`) cannot have a finding:
    // not parsed at all, as the Python engine leaves a file without `async` unparsed.
    // The rules found here are the ones the engine runs: their needs are not tested twice over.
    const rules = rulesFor(file, source, settings, displayPath);
    if (rules.length === 0) return { analysis: { findings: [], errors: [] } };
    // Syntax first while the project has no program yet: building one (parse every file and lib of
    // the tsconfig, bind) is most of a typed check's cost, and most files have no rule that asks for
    // types (mongodb's src, default catalog: none). The first file whose rules ask builds it; from
    // then on every file of the project is checked with it, as before.
    if (config && !programs.has(config)) {
      const sourceFile = syntaxTree(tsm, config, file, source);
      try {
        return { sourceFile, analysis: analyzeTypeScript(tsm, sourceFile, settings, { rules, relativePath: displayPath, deadline: new Deadline(settings.timeBudget), typesOnDemand: true }) };
      } catch (error) {
        if (!isTypesNeeded(error)) throw error;
      }
    }
    return typed(source, rules);
  };
  const fixable = (source: string): FixableAnalysis => {
    const { sourceFile, analysis } = analyze(source);
    return { source, findings: analysis.findings, fixAll: (unsafe) => (sourceFile ? fixAllTypeScript(tsm, sourceFile, analysis.findings, unsafe) : { text: source, applied: 0 }), dispose: () => {} };
  };
  return checkWith(
    {
      fix: (work, unsafe) => fixToFixedPoint(fixable(work), fixable, unsafe),
      report: (current) => {
        const { analysis } = analyze(current);
        // The engine's fixes are already checked to re-parse.
        const lines = new LineIndex(current);
        return { problems: analysis.findings.map((f) => toProblem(displayPath, current, lines, f, f.fixes)), ruleErrors: analysis.errors.map((e) => ({ rule: e.rule, detail: e.message })) };
      },
    },
    text,
    displayPath,
    fix,
  );
}

function parse(tsm: TsModule, file: string, text: string, options?: ts.CreateSourceFileOptions): ts.SourceFile {
  try {
    return tsm.createSourceFile(file, text, options ?? { languageVersion: tsm.ScriptTarget.Latest, jsDocParsingMode: tsm.JSDocParsingMode?.ParseNone }, true, scriptKindOf(tsm, file));
  } catch (error) {
    throw new ParserFailure(error);
  }
}

/** `program` with `file` holding `text` instead; the other files are reused from it. */
function withText(tsm: TsModule, program: ts.Program, file: string, text: string): ts.Program | undefined {
  try {
    const options = program.getCompilerOptions();
    const host = tsm.createCompilerHost(options, true);
    const getSourceFile = host.getSourceFile.bind(host);
    const target = path.resolve(file);
    host.getSourceFile = (name, languageVersion, onError, shouldCreate) =>
      path.resolve(name) === target ? tsm.createSourceFile(name, text, languageVersion, true, scriptKindOf(tsm, name)) : getSourceFile(name, languageVersion, onError, shouldCreate);
    return tsm.createProgram({ rootNames: program.getRootFileNames(), options, host, oldProgram: program, projectReferences: program.getProjectReferences() });
  } catch {
    return undefined;
  }
}
