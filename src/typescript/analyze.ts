/**
 * Runs the TS/JS rules over one source file. The engine every TS/JS surface uses: the tsserver
 * plugin (with the program's checker), the CLI (with a program from the nearest tsconfig.json, or
 * syntax only) and the tests. It receives the `typescript` module from its host and never imports
 * its own at run time.
 */
import type * as ts from 'typescript';
import { Deadline, isTimeBudgetExceeded } from '../core/budget';
import { CATALOG } from '../core/catalog';
import { applyEdits, EditSpans, largestValidSubset, LineIndex, mergeIdenticalEdits, type Finding, type Fix, type TextEdit } from '../core/finding';
import { runsOnFile } from '../core/testCode';
import { effectiveSeverity, type Settings } from '../core/settings';
import { suppresses } from '../core/suppression';
import type { Rule } from '../rules/define';
import { TsContext } from './context';
import { suppressionAt } from './suppression';
import { sharingWalks } from './walk';
import type { StageProfile } from '../core/profile';

export interface TsAnalyzeOptions {
  /** The program the file belongs to: enables the type-aware parts of the rules. */
  program?: ts.Program;
  /** The program's checker, when the host already has it (else taken from `program`). */
  checker?: ts.TypeChecker;
  /** Rules to run (default: the catalog's TS/JS rules). */
  rules?: readonly Rule[];
  /** The file's path relative to the workspace or project root: decides test code (`core/testCode`). */
  relativePath?: string;
  /** The file's time budget: past it the analysis stops and throws `TimeBudgetExceeded` (no partial result). */
  deadline?: Deadline;
  /** Stage timings for bench/profile.ts: milliseconds added under `context`, each rule's code and `fix checks`. */
  profile?: StageProfile;
  /**
   * Syntax first, types on demand (with no `program`/`checker`): the file belongs to a project whose
   * program is not built yet, and the first rule to ask for the checker — even whether there is one —
   * stops the analysis with `TypesNeeded`. The host then builds the program and analyses the file
   * again with it. A file no rule asks about needs no program: its findings are the same either way.
   */
  typesOnDemand?: boolean;
}

/** Thrown by `analyzeTypeScript` with `typesOnDemand` when a rule asks for the checker (no partial result). */
export class TypesNeeded extends Error {
  constructor() {
    super('a rule asks for the type checker');
  }
}

export function isTypesNeeded(e: unknown): e is TypesNeeded {
  return e instanceof TypesNeeded;
}

export interface TsAnalysis {
  /** Findings in file order; each finding's fixes are only those whose result re-parses. */
  findings: Finding[];
  /** Rules that threw (the others still ran). */
  errors: { rule: string; message: string }[];
}

export const TYPESCRIPT_RULES: readonly Rule[] = CATALOG.filter((r) => r.typescript);

/**
 * The rules that run on a file: enabled in the settings for TS/JS and for this file (test code), and
 * whose needed words (`typescriptNeeds`) its text holds. Empty for a type-test file (`*.test-d.ts`).
 * The CLI asks before parsing: a file no rule can report on is not parsed at all.
 */
export function rulesFor(fileName: string, text: string, settings: Settings, relativePath?: string, all: readonly Rule[] = TYPESCRIPT_RULES): Rule[] {
  if (!settings.enable || !settings.typescript.enable || isTypeTestFile(fileName)) return [];
  return all.filter((r) => r.typescript && effectiveSeverity(settings, r, 'typescript') !== 'off' && runsOnFile(settings, r, relativePath ?? fileName) && (!r.typescriptNeeds || r.typescriptNeeds.every((w) => (typeof w === 'string' ? text.includes(w) : w(text)))));
}

/** Findings (with fixes already checked to re-parse) for one source file; throws only `TimeBudgetExceeded` (and `TypesNeeded`, see `typesOnDemand`). */
export function analyzeTypeScript(tsModule: typeof ts, sourceFile: ts.SourceFile, settings: Settings, options: TsAnalyzeOptions = {}): TsAnalysis {
  const errors: TsAnalysis['errors'] = [];
  try {
    const all = options.rules ?? TYPESCRIPT_RULES;
    const text = sourceFile.text;
    const enabled = rulesFor(sourceFile.fileName, text, settings, options.relativePath, all);
    if (enabled.length === 0) return { findings: [], errors };
    let checker = options.checker;
    if (!checker && options.program) {
      try {
        checker = options.program.getTypeChecker();
      } catch (e) {
        errors.push({ rule: 'engine', message: `no type checker: ${describe(e)}` });
      }
    }
    // The rules walk up through `parent`: a file parsed without parent pointers is parsed again with them.
    if (sourceFile.statements.length > 0 && !sourceFile.statements[0].parent) {
      sourceFile = tsModule.createSourceFile(sourceFile.fileName, text, tsModule.ScriptTarget.Latest, true, scriptKindOf(tsModule, sourceFile.fileName));
      checker = undefined;
    }
    const profile = options.profile;
    let mark = profile ? profile.now() : 0;
    const lap = (stage: string): void => {
      if (!profile) return;
      const now = profile.now();
      profile.stages.set(stage, (profile.stages.get(stage) ?? 0) + now - mark);
      mark = now;
    };
    const lines = new LineIndex(text);
    const onDemand = options.typesOnDemand && !checker && !options.program;
    const ctx = new TsContext(
      tsModule,
      sourceFile,
      lines,
      settings,
      onDemand
        ? () => {
            throw new TypesNeeded();
          }
        : checker,
    );
    const deadline = options.deadline ?? Deadline.NONE;
    ctx.deadline = deadline;
    lap('context');
    // The rules walk the file and its functions many times: one flattening of the tree serves them all.
    sharingWalks(sourceFile, () => {
      for (const rule of enabled) {
        ctx.rule = rule;
        ctx.severity = effectiveSeverity(settings, rule, 'typescript') as Finding['severity'];
        try {
          deadline.check();
          rule.typescript!(ctx);
        } catch (e) {
          // Out of time is the file's outcome, not this rule's failure; so is a call for types.
          if (isTimeBudgetExceeded(e) || isTypesNeeded(e)) throw e;
          errors.push({ rule: rule.code, message: describe(e) });
        }
        lap(rule.code);
      }
    });
    // Searched once: per finding, a 20,000-call file's 4,000 findings each scanned the whole text.
    const mayBeSuppressed = text.includes('asyncwise-ignore');
    const findings = ctx.findings
      .filter((f) => {
        if (!mayBeSuppressed) return true;
        const s = suppressionAt(text, lines, f.startPosition.line);
        if (!s) return true;
        const rule = all.find((r) => r.code === f.code);
        return !(rule && suppresses(s, rule));
      })
      .map((f) => {
        deadline.check();
        return { ...f, fixes: f.fixes.filter((fix) => fixReparses(tsModule, sourceFile, fix)) };
      })
      .sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
    lap('fix checks');
    return { findings, errors };
  } catch (e) {
    if (isTimeBudgetExceeded(e) || isTypesNeeded(e)) throw e;
    errors.push({ rule: 'engine', message: describe(e) });
    return { findings: [], errors };
  }
}

/**
 * Type tests never run: tsd's `*.test-d.ts` and TSTyche's `*.tst.ts` are only compiled, for their
 * type assertions (`expectType<…>(reply.send())`, `expect(fastify()).type…`). A promise dropped
 * there never exists and a blocking call never blocks, so no rule (each one is about run time)
 * reports in them; deciding it here keeps every TS/JS rule and every host (CLI, plugin) in step.
 */
const TYPE_TEST_FILE = /\.(?:test-d|tst)\.[cm]?tsx?$/i;

export function isTypeTestFile(fileName: string): boolean {
  return TYPE_TEST_FILE.test(fileName);
}

/**
 * Whether the text with the fix applied parses with no more syntax errors than the file has now
 * (`ts.createSourceFile`'s parse diagnostics). A fix that would not re-parse is never offered.
 * In a large file only the statement holding the edits is re-parsed, before and after, inside an
 * `async function*` (so `await` and `yield` parse as they do in place): a fix costs a few
 * milliseconds instead of two parses of the whole file.
 */
export function fixReparses(tsModule: typeof ts, sourceFile: ts.SourceFile, fix: Fix): boolean {
  try {
    if (touchesErrorRegion(tsModule, sourceFile, fix.edits)) return false;
    const statement = sourceFile.text.length > LOCAL_CHECK_ABOVE ? enclosingStatement(tsModule, sourceFile, fix.edits) : undefined;
    if (statement) {
      const from = statement.pos;
      const to = statement.end;
      const slice = sourceFile.text.slice(from, to);
      const shifted = fix.edits.map((e) => ({ start: e.start - from, end: e.end - from, newText: e.newText }));
      const wrap = (body: string) => `async function* __asyncwise_check__() {\n${body}\n}`;
      // A result with no parse error passes whatever the text had: the text before is parsed only otherwise.
      const errorsAfter = parseErrorCount(tsModule, sourceFile.fileName, wrap(applyEdits(slice, shifted)));
      return errorsAfter === 0 || errorsAfter <= parseErrorCount(tsModule, sourceFile.fileName, wrap(slice));
    }
    const after = applyEdits(sourceFile.text, fix.edits);
    const errorsAfter = parseErrorCount(tsModule, sourceFile.fileName, after);
    return errorsAfter === 0 || errorsAfter <= parseErrorCount(tsModule, sourceFile.fileName, sourceFile.text, sourceFile);
  } catch {
    return false;
  }
}

/**
 * Whether an edit falls in a statement holding a syntax error. There the tree is the parser's
 * guess (`fetch('u` unterminated: the rest of the file is one string; `catch (e)` with no block):
 * a fix built on that guess can parse no worse and still not fix anything, so every run added it
 * again (`, { signal }` five more times per --fix). No fix is offered there until the code parses.
 */
function touchesErrorRegion(tsModule: typeof ts, sourceFile: ts.SourceFile, edits: readonly TextEdit[]): boolean {
  const regions = errorRegions(tsModule, sourceFile);
  if (regions.length === 0) return false;
  return edits.some((e) => regions.some((r) => e.start <= r.end && r.start <= e.end));
}

const regionsOf = new WeakMap<ts.SourceFile, readonly { start: number; end: number }[]>();

/** The spans of the innermost statements holding a parse error (the whole file for an error outside any). */
function errorRegions(tsModule: typeof ts, sourceFile: ts.SourceFile): readonly { start: number; end: number }[] {
  let regions = regionsOf.get(sourceFile);
  if (regions) return regions;
  const diagnostics = (sourceFile as unknown as WithParseDiagnostics).parseDiagnostics ?? [];
  regions = diagnostics.map((d) => {
    const at = d.start ?? 0;
    let region = { start: 0, end: sourceFile.text.length };
    // Down from the file, one child at a time (iterative: nesting can be deep).
    let node: ts.Node = sourceFile;
    for (;;) {
      let next: ts.Node | undefined;
      node.forEachChild((child) => {
        if (!next && child.pos <= at && at <= child.end) next = child;
      });
      if (!next) break;
      if (holdsStatements(tsModule, node)) region = { start: next.pos, end: next.end };
      node = next;
    }
    return region;
  });
  regionsOf.set(sourceFile, regions);
  return regions;
}

/** A statement list's owner (its children are statements); tested on the walk's own parent, as a file parsed without parent pointers has none. */
function holdsStatements(tsModule: typeof ts, node: ts.Node): boolean {
  return tsModule.isBlock(node) || tsModule.isSourceFile(node) || tsModule.isModuleBlock(node) || tsModule.isCaseClause(node) || tsModule.isDefaultClause(node);
}

/** Files longer than this (characters) get the statement-local re-parse check. */
const LOCAL_CHECK_ABOVE = 20_000;

/** The innermost statement of a statement list (block, file, case) that holds every edit, if one does. */
function enclosingStatement(tsModule: typeof ts, sourceFile: ts.SourceFile, edits: readonly TextEdit[]): ts.Statement | undefined {
  if (edits.length === 0) return undefined;
  // Reduced, not `Math.min(...)`: a fix-all round can hold tens of thousands of edits.
  const lo = edits.reduce((m, e) => Math.min(m, e.start), Infinity);
  const hi = edits.reduce((m, e) => Math.max(m, e.end), -Infinity);
  let best: ts.Statement | undefined;
  let node: ts.Node = sourceFile;
  for (;;) {
    let next: ts.Node | undefined;
    const statements = (node as { readonly statements?: ts.NodeArray<ts.Statement> }).statements;
    if (statements && statements.length > 16 && (tsModule.isSourceFile(node) || tsModule.isBlock(node) || tsModule.isModuleBlock(node))) {
      // A long statement list (a file of 20,000 statements): binary search, not a scan per finding.
      let a = 0;
      let b = statements.length - 1;
      while (a < b) {
        const mid = (a + b + 1) >> 1;
        if (statements[mid].pos <= lo) a = mid;
        else b = mid - 1;
      }
      const child = statements[a];
      if (child && child.getStart(sourceFile) <= lo && hi <= child.end) next = child;
    } else {
      node.forEachChild((child) => {
        if (child.getStart(sourceFile) <= lo && hi <= child.end) {
          next = child;
          return true;
        }
        return undefined;
      });
    }
    if (!next) return best;
    const parent = next.parent;
    if (tsModule.isBlock(parent) || tsModule.isSourceFile(parent) || tsModule.isModuleBlock(parent) || tsModule.isCaseClause(parent) || tsModule.isDefaultClause(parent)) {
      // Edits touching a statement's edges (an insertion just before it) are checked in the wider list.
      if (next.getStart(sourceFile) < lo && hi < next.end) best = next as ts.Statement;
    }
    node = next;
  }
}

interface WithParseDiagnostics {
  readonly parseDiagnostics?: readonly ts.Diagnostic[];
}

const baseline = new WeakMap<ts.SourceFile, number>();

function parseErrorCount(tsModule: typeof ts, fileName: string, text: string, existing?: ts.SourceFile): number {
  if (existing) {
    const known = baseline.get(existing);
    if (known !== undefined) return known;
  }
  const scriptKind = scriptKindOf(tsModule, fileName);
  const file = tsModule.createSourceFile(fileName, text, tsModule.ScriptTarget.Latest, false, scriptKind);
  // Not in the public typings, but present on every SourceFile since TypeScript 1.x (5.x and 6.x).
  const count = (file as unknown as WithParseDiagnostics).parseDiagnostics?.length ?? 0;
  if (existing) baseline.set(existing, count);
  return count;
}

export function scriptKindOf(tsModule: typeof ts, fileName: string): ts.ScriptKind {
  const ext = /\.[^.\\/]+$/.exec(fileName)?.[0].toLowerCase() ?? '';
  switch (ext) {
    case '.tsx':
      return tsModule.ScriptKind.TSX;
    case '.jsx':
      return tsModule.ScriptKind.JSX;
    case '.js':
    case '.mjs':
    case '.cjs':
      return tsModule.ScriptKind.JS;
    default:
      return tsModule.ScriptKind.TS;
  }
}

/**
 * The text with one fix per finding applied (safe ones, and unsafe ones when allowed), skipping
 * fixes that conflict with one already chosen; unchanged when the result would not parse.
 */
export function fixAllTypeScript(tsModule: typeof ts, sourceFile: ts.SourceFile, findings: readonly Finding[], allowUnsafe: boolean): { text: string; applied: number } {
  const chosen: Fix[] = [];
  // Conflicts found by binary search, not by a scan of every fix chosen (quadratic in findings).
  const spans = new EditSpans();
  for (const finding of findings) {
    const fix = finding.fixes.find((f) => f.safety === 'safe' || allowUnsafe);
    if (fix && spans.tryAdd(fix.edits)) chosen.push(fix);
  }
  const combined = (group: readonly Fix[]) => mergeIdenticalEdits(group.flatMap((f) => f.edits));
  const valid = largestValidSubset(chosen, (group) => fixReparses(tsModule, sourceFile, { title: 'all', safety: 'unsafe', edits: combined(group) }));
  if (valid.length === 0) return { text: sourceFile.text, applied: 0 };
  return { text: applyEdits(sourceFile.text, combined(valid)), applied: valid.length };
}


function describe(e: unknown): string {
  return e instanceof Error ? `${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : ''}` : String(e);
}
