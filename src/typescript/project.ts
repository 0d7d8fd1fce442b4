/**
 * Following calls from one TS/JS file into the functions of its project (AW202): the function a
 * call denotes — in this file or in another module — with a `TsContext` for the file that holds it,
 * so that function's own calls and imports resolve as they do there.
 *
 * With a checker (the tsserver plugin, the CLI under a tsconfig.json) the checker answers: imports,
 * re-exports, methods of typed receivers. Without one (the CLI outside any program, TypeScript 7's
 * fallback), by syntax: the file's own functions (`ctx.localFunction`), and relative imports and
 * requires resolved by path, each module read and parsed once per process (until it changes on disk).
 * Packages (`node_modules`) and declaration files are never followed: only the project's own code.
 */
import * as path from 'node:path';
import type * as ts from 'typescript';
import { LineIndex } from '../core/finding';
import { isAsyncFunction, isFunctionLike, TsContext, type FunctionLike } from './context';

/** A function of the project, with the context of its file. */
export interface ProjectFunction {
  readonly fn: FunctionLike;
  readonly ctx: TsContext;
  /** `load`, `Config.read`, `Store.constructor`: how the chain names it. */
  readonly name: string;
}

/** Extensions tried for an import written without one, in TypeScript's order. */
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
/** `./x.js` in TypeScript source names `./x.ts` (the emitted file's name). */
const EMITTED: Readonly<Record<string, readonly string[]>> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };
/** How many `export … from` hops a name is followed through. */
const MAX_REEXPORTS = 4;

/** Modules parsed by path (syntax-only), by absolute file name; bounded, oldest dropped first. */
const parsed = new Map<string, { stamp: number; sourceFile: ts.SourceFile }>();
const PARSED_LIMIT = 256;

export class ProjectView {
  private readonly contexts = new Map<ts.SourceFile, TsContext>();
  private readonly modules = new Map<string, TsContext | undefined>();

  constructor(private readonly root: TsContext) {
    this.contexts.set(root.sourceFile, root);
  }

  private get ts(): typeof import('typescript') {
    return this.root.ts;
  }

  /** The context of another file; `typed` when the checker knows the file (it came from the program). */
  contextOf(sourceFile: ts.SourceFile, typed: boolean): TsContext {
    let ctx = this.contexts.get(sourceFile);
    if (!ctx) {
      ctx = new TsContext(this.ts, sourceFile, new LineIndex(sourceFile.text), this.root.settings, typed ? this.root.checker : undefined);
      // The analysed file's budget covers the modules its calls lead into.
      ctx.deadline = this.root.deadline;
      this.contexts.set(sourceFile, ctx);
    }
    return ctx;
  }

  /** The project function a call (or `new`) in `ctx` runs, if it is one with a body. */
  callee(ctx: TsContext, call: ts.CallExpression | ts.NewExpression): ProjectFunction | undefined {
    ctx.deadline.tick();
    return this.viaChecker(ctx, call) ?? this.viaSyntax(ctx, call);
  }

  private viaChecker(ctx: TsContext, call: ts.CallExpression | ts.NewExpression): ProjectFunction | undefined {
    const ts = this.ts;
    const checker = ctx.checker;
    if (!checker) return undefined;
    let decl: ts.Node | undefined;
    try {
      decl = checker.getResolvedSignature(call)?.declaration;
      // An overload's signature has no body: its implementation is the declaration that has one.
      if (decl && ts.isFunctionDeclaration(decl) && !decl.body && decl.name) {
        decl = checker.getSymbolAtLocation(decl.name)?.declarations?.find((d) => ts.isFunctionDeclaration(d) && d.body !== undefined);
      }
    } catch {
      return undefined;
    }
    if (!decl || !isFunctionLike(ts, decl) || !decl.body) return undefined;
    const file = decl.getSourceFile();
    if (!isProjectFile(file)) return undefined;
    return { fn: decl, ctx: this.contextOf(file, true), name: functionName(ts, decl) };
  }

  private viaSyntax(ctx: TsContext, call: ts.CallExpression | ts.NewExpression): ProjectFunction | undefined {
    const ts = this.ts;
    let callee: ts.Expression = call.expression;
    while (ts.isParenthesizedExpression(callee) || ts.isNonNullExpression(callee)) callee = callee.expression;
    if (ts.isCallExpression(call)) {
      const local = ctx.localFunction(callee);
      if (local) return local.body ? { fn: local, ctx, name: functionName(ts, local) } : undefined;
    } else if (ts.isIdentifier(callee)) {
      const decl = ctx.declarationOf(callee);
      if (decl && ts.isClassDeclaration(decl)) return this.constructorOf(decl, ctx);
    }
    // An import of a module of the project: `load()` (named, default or a whole CommonJS module),
    // `config.load()` (a namespace or a required module).
    let member: string | undefined;
    let head = callee;
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.name)) {
      member = callee.name.text;
      head = callee.expression;
    }
    if (!ts.isIdentifier(head)) return undefined;
    const binding = ctx.importOf(head);
    if (!binding) return undefined;
    let name: string;
    if (member === undefined) name = binding.member ?? 'default';
    else if (binding.member === undefined) name = member;
    else return undefined;
    const target = this.module(ctx, binding.module);
    if (!target) return undefined;
    const found = this.exported(target, name, 0);
    if (!found) return undefined;
    if (ts.isClassLike(found.node)) return ts.isNewExpression(call) ? this.constructorOf(found.node, found.ctx) : undefined;
    if (ts.isNewExpression(call) || !found.node.body) return undefined;
    return { fn: found.node, ctx: found.ctx, name: functionName(ts, found.node) };
  }

  /** The function a module of the project exports under `name`, if it is one with a body. */
  exportedFunction(ctx: TsContext, name: string): FunctionLike | undefined {
    const found = this.exported(ctx, name, 0);
    return found && isFunctionLike(this.ts, found.node) && found.node.body ? found.node : undefined;
  }

  private constructorOf(cls: ts.ClassLikeDeclaration, ctx: TsContext): ProjectFunction | undefined {
    const ctor = cls.members.find((m): m is ts.ConstructorDeclaration => this.ts.isConstructorDeclaration(m) && m.body !== undefined);
    return ctor ? { fn: ctor, ctx, name: `${cls.name?.text ?? 'class'}.constructor` } : undefined;
  }

  /**
   * The context of the module a relative import names, found by path (the analysed file itself when
   * it is that file), if it is a file of the project. Answered once per importing file and specifier
   * for this view: each call of an imported helper asks, and the lookup probes up to 26 paths.
   */
  module(from: TsContext, spec: string): TsContext | undefined {
    const key = `${from.sourceFile.fileName}\0${spec}`;
    if (this.modules.has(key)) return this.modules.get(key);
    const file = moduleFile(this.ts, from.sourceFile.fileName, spec);
    let found: TsContext | undefined;
    if (file && path.resolve(file) === path.resolve(this.root.sourceFile.fileName)) found = this.root;
    else if (file) {
      const sourceFile = parseModule(this.ts, file);
      found = sourceFile && this.contextOf(sourceFile, false);
    }
    this.modules.set(key, found);
    return found;
  }

  /**
   * What a module exports under `name` (`default` for the default export or `module.exports`
   * itself), when it is a function or class written in the module or re-exported from a relative one.
   */
  private exported(ctx: TsContext, name: string, depth: number): { node: FunctionLike | ts.ClassLikeDeclaration; ctx: TsContext } | undefined {
    const ts = this.ts;
    const here = (node: ts.Node | undefined) => {
      const value = node && this.valueOf(ctx, node);
      return value && { node: value, ctx };
    };
    const isDefault = (s: ts.Statement) => !!ts.getModifiers(s as ts.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
    const isExported = (s: ts.Statement) => ts.canHaveModifiers(s) && !!ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    for (const s of ctx.sourceFile.statements) {
      if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && isExported(s)) {
        if (name === 'default' ? isDefault(s) : !isDefault(s) && s.name?.text === name) {
          if (ts.isClassDeclaration(s) || s.body) return { node: s, ctx };
        }
      } else if (ts.isVariableStatement(s) && isExported(s) && name !== 'default') {
        const d = s.declarationList.declarations.find((v) => ts.isIdentifier(v.name) && v.name.text === name);
        if (d) return here(d.initializer);
      } else if (ts.isExportAssignment(s)) {
        // `export default x` and `export = x` both give the module's default.
        if (name === 'default') return here(s.expression);
      } else if (ts.isExportDeclaration(s) && !s.isTypeOnly) {
        const spec = s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : undefined;
        if (s.exportClause && ts.isNamedExports(s.exportClause)) {
          const el = s.exportClause.elements.find((e) => !e.isTypeOnly && e.name.text === name);
          if (!el) continue;
          const local = (el.propertyName ?? el.name).text;
          if (spec === undefined) return here(topLevel(ts, ctx.sourceFile, local));
          if (depth >= MAX_REEXPORTS) return undefined;
          const next = this.module(ctx, spec);
          return next && this.exported(next, local, depth + 1);
        }
        if (!s.exportClause && spec !== undefined && name !== 'default' && depth < MAX_REEXPORTS) {
          const next = this.module(ctx, spec);
          const found = next && this.exported(next, name, depth + 1);
          if (found) return found;
        }
      } else if (ts.isExpressionStatement(s) && ts.isBinaryExpression(s.expression) && s.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        // CommonJS: `module.exports = f`, `module.exports = { f }`, `module.exports.f = …`, `exports.f = …`.
        const { left, right } = s.expression;
        const target = ctx.textOf(left).replace(/\s+/g, '');
        if (target === 'module.exports') {
          if (name === 'default') return here(right);
          if (ts.isObjectLiteralExpression(right)) {
            for (const p of right.properties) {
              if (!p.name || !ts.isIdentifier(p.name) || p.name.text !== name) continue;
              if (ts.isShorthandPropertyAssignment(p)) return here(p.name);
              if (ts.isPropertyAssignment(p)) return here(p.initializer);
              if (ts.isMethodDeclaration(p) && p.body) return { node: p, ctx };
            }
          }
        } else if (name !== 'default' && (target === `module.exports.${name}` || target === `exports.${name}`)) {
          return here(right);
        }
      }
    }
    return undefined;
  }

  /** A function or class an expression of a module's top level denotes: written there, or a name bound to one. */
  private valueOf(ctx: TsContext, node: ts.Node): FunctionLike | ts.ClassLikeDeclaration | undefined {
    const ts = this.ts;
    let e = node;
    while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
    if (ts.isFunctionExpression(e) || ts.isArrowFunction(e) || ts.isClassExpression(e)) return e;
    if (!ts.isIdentifier(e)) return undefined;
    const decl = topLevel(ts, ctx.sourceFile, e.text);
    if (!decl) return undefined;
    if (ts.isVariableDeclaration(decl)) {
      let init = decl.initializer;
      while (init && ts.isParenthesizedExpression(init)) init = init.expression;
      return init && (ts.isFunctionExpression(init) || ts.isArrowFunction(init) || ts.isClassExpression(init)) ? init : undefined;
    }
    return decl;
  }
}

/** A function, class or variable declared at a file's top level under `name` (the implementation of an overload). */
function topLevel(ts: typeof import('typescript'), sourceFile: ts.SourceFile, name: string): ts.FunctionDeclaration | ts.ClassDeclaration | ts.VariableDeclaration | undefined {
  for (const s of sourceFile.statements) {
    if (ts.isFunctionDeclaration(s) && s.name?.text === name && s.body) return s;
    if (ts.isClassDeclaration(s) && s.name?.text === name) return s;
    if (ts.isVariableStatement(s)) {
      const d = s.declarationList.declarations.find((v) => ts.isIdentifier(v.name) && v.name.text === name);
      if (d) return d;
    }
  }
  return undefined;
}

/** Not a package's file nor a declaration: code of the project itself. */
function isProjectFile(file: ts.SourceFile): boolean {
  return !file.isDeclarationFile && !/[\\/]node_modules[\\/]/.test(file.fileName);
}

/** How a chain names a function: `load`, `Config.read`, `Store.constructor`, the variable an arrow is bound to. */
export function functionName(ts: typeof import('typescript'), fn: FunctionLike): string {
  const cls = ts.isClassLike(fn.parent) ? fn.parent.name?.text : undefined;
  if (ts.isConstructorDeclaration(fn)) return `${cls ?? 'class'}.constructor`;
  let own: string | undefined;
  if (fn.name && (ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name))) own = fn.name.text;
  else if (ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)) own = fn.parent.name.text;
  else if ((ts.isPropertyAssignment(fn.parent) || ts.isPropertyDeclaration(fn.parent)) && ts.isIdentifier(fn.parent.name)) own = fn.parent.name.text;
  const owner = cls ?? (ts.isPropertyDeclaration(fn.parent) && ts.isClassLike(fn.parent.parent) ? fn.parent.parent.name?.text : undefined);
  own ??= 'function';
  return owner ? `${owner}.${own}` : own;
}

/** Whether a function runs to its end when called (not `async`, not a generator). */
export function runsWhenCalled(ts: typeof import('typescript'), fn: FunctionLike): boolean {
  return !isAsyncFunction(ts, fn) && !((ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn) || ts.isMethodDeclaration(fn)) && fn.asteriskToken);
}

/** The file a relative import names (`./config`, `./config.js` for `config.ts`, `./lib` for `lib/index.ts`), if it exists. */
export function moduleFile(tsm: typeof ts, fromFile: string, spec: string): string | undefined {
  if (!/^\.\.?(\/|$)/.test(spec) || !tsm.sys) return undefined;
  const base = path.resolve(path.dirname(fromFile), spec);
  const ext = path.extname(base);
  const candidates: string[] = [];
  if (EXTENSIONS.includes(ext)) {
    for (const emitted of EMITTED[ext] ?? []) candidates.push(base.slice(0, -ext.length) + emitted);
    candidates.push(base);
  }
  for (const e of EXTENSIONS) candidates.push(base + e);
  for (const e of EXTENSIONS) candidates.push(path.join(base, `index${e}`));
  return candidates.find((c) => !/\.d\.[mc]?ts$/.test(c) && !/[\\/]node_modules[\\/]/.test(c) && tsm.sys.fileExists(c));
}

/** A module read from disk and parsed (with parent pointers), reused while its modification time stays the same. */
function parseModule(tsm: typeof ts, file: string): ts.SourceFile | undefined {
  const stamp = tsm.sys.getModifiedTime?.(file)?.getTime() ?? 0;
  const known = parsed.get(file);
  if (known && known.stamp === stamp) return known.sourceFile;
  const text = tsm.sys.readFile(file);
  // Generated bundles are not where a project's helpers live, and the CLI skips files this large.
  if (text === undefined || text.length > 2 * 1024 * 1024) return undefined;
  const ext = path.extname(file).toLowerCase();
  const kind = ext === '.tsx' ? tsm.ScriptKind.TSX : ext === '.jsx' ? tsm.ScriptKind.JSX : /^\.[mc]?js$/.test(ext) ? tsm.ScriptKind.JS : tsm.ScriptKind.TS;
  const sourceFile = tsm.createSourceFile(file, text, tsm.ScriptTarget.Latest, true, kind);
  parsed.delete(file);
  parsed.set(file, { stamp, sourceFile });
  if (parsed.size > PARSED_LIMIT) parsed.delete(parsed.keys().next().value!);
  return sourceFile;
}
