/**
 * What a TS/JS rule sees of one file: the AST, the checker when the host has a program, import
 * resolution to module-qualified names (`fs.readFileSync` through every import spelling), async
 * scopes, and `report`. The `typescript` module comes from the host (tsserver, the CLI, the tests):
 * this file imports only its types.
 */
import type * as ts from 'typescript';
import { walkTree } from './walk';
import { Deadline } from '../core/budget';
import { makeFinding, type Finding, type LineIndex, type RelatedLocation, type TextEdit } from '../core/finding';
import type { Settings } from '../core/settings';
import type { Rule } from '../rules/define';

export interface TsFixSpec {
  readonly title: string;
  readonly safety: 'safe' | 'unsafe';
  readonly edits: readonly TextEdit[];
}

/** A local name bound by an import or `require`: the module and, for a named import, the member. */
interface Binding {
  readonly module: string;
  /** undefined: the name is the module object itself (namespace, default or `const fs = require`). */
  readonly member?: string;
  readonly declaration: ts.Node;
}

/** Modules whose default export is the module object (`import fs from 'fs'` is the namespace). */
const NODE_PREFIX = /^node:/;

export type FunctionLike = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration | ts.ConstructorDeclaration | ts.GetAccessorDeclaration | ts.SetAccessorDeclaration;

export class TsContext {
  /** Set by the engine before each rule runs. */
  rule!: Rule;
  severity!: Finding['severity'];
  readonly findings: Finding[] = [];
  private readonly bindings = new Map<string, Binding>();
  private asyncFunctions: FunctionLike[] | undefined;
  /** The file's time budget (`core/budget`), checked as the rules walk; set by the engine. */
  deadline: Deadline = Deadline.NONE;
  /** Whether the file uses `require` for Node modules rather than `import` (spelling of added imports). */
  readonly usesRequire: boolean;

  constructor(
    readonly ts: typeof import('typescript'),
    readonly sourceFile: ts.SourceFile,
    readonly lines: LineIndex,
    readonly settings: Settings,
    /** The checker, none, or a function asked on the first use of `checker` (see `analyzeTypeScript`'s `typesOnDemand`). */
    private readonly checkerSource: ts.TypeChecker | undefined | (() => ts.TypeChecker | undefined),
  ) {
    let sawImport = false;
    let sawRequire = false;
    for (const statement of sourceFile.statements) {
      if (ts.isImportDeclaration(statement)) {
        sawImport = true;
        this.bindImport(statement);
      } else if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations) if (this.bindRequire(d)) sawRequire = true;
      } else if (ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference) && ts.isStringLiteral(statement.moduleReference.expression)) {
        this.bindings.set(statement.name.text, { module: normalizeModule(statement.moduleReference.expression.text), declaration: statement });
      }
    }
    this.usesRequire = sawRequire && !sawImport;
  }

  /** The program's checker when the file is analysed with types; undefined: syntax-only. */
  get checker(): ts.TypeChecker | undefined {
    return typeof this.checkerSource === 'function' ? this.checkerSource() : this.checkerSource;
  }

  get text(): string {
    return this.sourceFile.text;
  }

  private bindImport(node: ts.ImportDeclaration): void {
    const ts = this.ts;
    if (!ts.isStringLiteral(node.moduleSpecifier) || !node.importClause || node.importClause.isTypeOnly) return;
    const module = normalizeModule(node.moduleSpecifier.text);
    const clause = node.importClause;
    if (clause.name) this.bindings.set(clause.name.text, { module, declaration: clause });
    const named = clause.namedBindings;
    if (!named) return;
    if (ts.isNamespaceImport(named)) {
      this.bindings.set(named.name.text, { module, declaration: named });
      return;
    }
    for (const spec of named.elements) {
      if (spec.isTypeOnly) continue;
      const member = (spec.propertyName ?? spec.name).text;
      this.bindings.set(spec.name.text, member === 'default' ? { module, declaration: spec } : { module, member, declaration: spec });
    }
  }

  /** `const fs = require('fs')`, `const { readFileSync: read } = require('node:fs')`, `const p = require('fs').promises`. */
  private bindRequire(d: ts.VariableDeclaration): boolean {
    const ts = this.ts;
    let init = d.initializer;
    let member: string | undefined;
    if (init && ts.isPropertyAccessExpression(init)) {
      member = init.name.text;
      init = init.expression;
    }
    if (!init || !ts.isCallExpression(init) || !ts.isIdentifier(init.expression) || init.expression.text !== 'require') return false;
    const arg = init.arguments[0];
    if (!arg || !ts.isStringLiteralLike(arg)) return false;
    const module = normalizeModule(arg.text);
    if (ts.isIdentifier(d.name)) {
      this.bindings.set(d.name.text, member ? { module, member, declaration: d } : { module, declaration: d });
    } else if (ts.isObjectBindingPattern(d.name) && !member) {
      for (const el of d.name.elements) {
        if (el.dotDotDotToken || !ts.isIdentifier(el.name)) continue;
        const prop = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : el.name.text;
        this.bindings.set(el.name.text, { module, member: prop, declaration: d });
      }
    }
    return true;
  }

  /**
   * The qualified name an expression denotes: `fs.readFileSync` for `readFileSync` imported from
   * `node:fs`, `fs.promises.readFile` for `fsp.readFile` after `import fsp from 'fs/promises'`
   * (normalised to `fs.promises`), a global such as `Atomics.wait`, or undefined. A local name that
   * shadows the import (a parameter, a function of the user's) resolves to nothing.
   */
  resolve(node: ts.Expression): string | undefined {
    // Every rule resolves the callees of the calls it visits: each is resolved once per analysis.
    const known = this.resolved.get(node);
    if (known !== undefined) return known ?? undefined;
    const found = this.resolveOnce(node);
    this.resolved.set(node, found ?? null);
    return found;
  }

  private readonly resolved = new Map<ts.Node, string | null>();

  private resolveOnce(node: ts.Expression): string | undefined {
    const ts = this.ts;
    // A loop down the chain, not recursion: a generated 10,000-long `a.b.b…` must not overflow the
    // stack; and no API path is deeper than MAX_CHAIN, so a longer chain resolves to nothing.
    const names: string[] = [];
    let base: ts.Expression = node;
    for (;;) {
      if (ts.isParenthesizedExpression(base)) base = base.expression;
      else if (ts.isPropertyAccessExpression(base) && ts.isIdentifier(base.name)) {
        if (names.length >= MAX_CHAIN) return undefined;
        names.push(base.name.text);
        base = base.expression;
      } else break;
    }
    if (!ts.isIdentifier(base)) return undefined;
    let resolved: string;
    const binding = this.bindings.get(base.text);
    if (binding) {
      if (this.isShadowed(base, binding.declaration)) return undefined;
      resolved = binding.member ? `${binding.module}.${binding.member}` : binding.module;
    } else if (GLOBALS.has(base.text) && !this.isShadowed(base, undefined)) resolved = base.text;
    else return undefined;
    for (let i = names.length - 1; i >= 0; i--) resolved = normalizeModule(`${resolved}.${names[i]}`);
    return resolved;
  }

  /**
   * The import or `require` a name refers to here (`{ module: './config', member: 'load' }`; no
   * member for a namespace, default or whole-module binding), or undefined: not imported, or a local
   * name shadows the import.
   */
  importOf(id: ts.Identifier): { readonly module: string; readonly member?: string } | undefined {
    const binding = this.bindings.get(id.text);
    if (!binding || this.isShadowed(id, binding.declaration)) return undefined;
    return binding;
  }

  /**
   * Whether an identifier refers to something other than the file-level binding: a declaration of
   * the same name in an enclosing function or block (or at file level, for globals). With a checker
   * this asks the checker; without one it looks at the declarations on the way up.
   */
  isShadowed(id: ts.Identifier, binding: ts.Node | undefined): boolean {
    const ts = this.ts;
    if (this.checker) {
      const symbol = this.checker.getSymbolAtLocation(id);
      const decl = symbol?.declarations?.[0];
      if (!decl) return false;
      if (!binding) return decl.getSourceFile() === this.sourceFile;
      const declFile = decl.getSourceFile();
      if (declFile !== this.sourceFile) return false;
      // Import specifiers, clauses and require declarations are the binding itself.
      for (let n: ts.Node | undefined = decl; n; n = n.parent) if (n === binding) return false;
      return true;
    }
    const name = id.text;
    for (let n: ts.Node | undefined = id.parent; n; n = n.parent) {
      if (isFunctionLike(ts, n)) {
        if (n.parameters.some((p) => bindsName(ts, p.name, name))) return true;
        if ((ts.isFunctionExpression(n) || ts.isFunctionDeclaration(n)) && n.name?.text === name && ts.isFunctionExpression(n)) return true;
      }
      if (ts.isBlock(n) || ts.isSourceFile(n) || ts.isModuleBlock(n) || ts.isCaseClause(n) || ts.isDefaultClause(n)) {
        if (this.declaredIn(n).names.has(name)) return true;
      }
      if ((ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n)) && n.initializer && ts.isVariableDeclarationList(n.initializer)) {
        if (n.initializer.declarations.some((d) => bindsName(ts, d.name, name))) return true;
      }
      if (ts.isCatchClause(n) && n.variableDeclaration && bindsName(ts, n.variableDeclaration.name, name)) return true;
    }
    return false;
  }

  /**
   * The function of this file a callee denotes, syntax only: an inline function (`(async () => …)()`),
   * a function declaration or `const f = async () => …` in the innermost scope that declares the
   * name (hoisting included: a declaration later in the block counts), or a method (or arrow
   * property) of the enclosing class through `this`. A parameter, a `catch` or loop variable, or any
   * other declaration of the name in between hides the function: undefined then.
   */
  localFunction(callee: ts.Expression): FunctionLike | undefined {
    const ts = this.ts;
    while (ts.isParenthesizedExpression(callee)) callee = callee.expression;
    if (ts.isFunctionExpression(callee) || ts.isArrowFunction(callee)) return callee;
    if (ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword) {
      // `this` in an arrow function is the enclosing method's; a `function` has its own.
      let cls: ts.Node | undefined = callee.parent;
      while (cls && !ts.isClassLike(cls) && !ts.isFunctionDeclaration(cls) && !ts.isFunctionExpression(cls)) cls = cls.parent;
      if (!cls || !ts.isClassLike(cls)) return undefined;
      const name = callee.name.text;
      for (const m of cls.members) {
        if (!m.name || (!ts.isIdentifier(m.name) && !ts.isPrivateIdentifier(m.name)) || m.name.text !== name) continue;
        if (ts.isMethodDeclaration(m) && m.body) return m;
        if (ts.isPropertyDeclaration(m) && m.initializer && (ts.isArrowFunction(m.initializer) || ts.isFunctionExpression(m.initializer))) return m.initializer;
      }
      return undefined;
    }
    if (!ts.isIdentifier(callee)) return undefined;
    const decl = this.declarationOf(callee);
    if (decl && ts.isFunctionDeclaration(decl) && decl.body) return decl;
    if (!decl || !ts.isVariableDeclaration(decl)) return undefined;
    let init = decl.initializer;
    while (init && ts.isParenthesizedExpression(init)) init = init.expression;
    return init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) ? init : undefined;
  }

  /**
   * The declaration a name refers to in this file, syntax only: the innermost scope declaring it
   * (hoisting included) gives a parameter, a variable declaration or binding element, a function
   * or class declaration, a `catch` or loop variable. undefined for imports, requires and globals.
   */
  declarationOf(id: ts.Identifier): ts.Node | undefined {
    const ts = this.ts;
    const name = id.text;
    const bound = (n: ts.BindingName): ts.Node | undefined => bindingOf(ts, n, name)?.parent;
    for (let n: ts.Node | undefined = id.parent; n; n = n.parent) {
      if (isFunctionLike(ts, n)) {
        for (const p of n.parameters) {
          const d = bound(p.name);
          if (d) return d;
        }
        if (ts.isFunctionExpression(n) && n.name?.text === name) return n;
      }
      if (ts.isCatchClause(n) && n.variableDeclaration) {
        const d = bound(n.variableDeclaration.name);
        if (d) return d;
      }
      if ((ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n)) && n.initializer && ts.isVariableDeclarationList(n.initializer)) {
        for (const v of n.initializer.declarations) {
          const d = bound(v.name);
          if (d) return d;
        }
      }
      if (!(ts.isBlock(n) || ts.isSourceFile(n) || ts.isModuleBlock(n) || ts.isCaseClause(n) || ts.isDefaultClause(n))) continue;
      const declared = this.declaredIn(n);
      if (declared.names.has(name)) return declared.first.get(name);
    }
    return undefined;
  }

  private readonly declared = new Map<ts.Node, BlockDeclarations>();

  /**
   * What a block's own statements declare, computed once per block so that resolving a name is
   * linear in nesting depth, never in the block's length (a file of 2,000 functions calling a
   * `declare function` would otherwise rescan every statement per call).
   */
  private declaredIn(block: ts.Node & { readonly statements: ts.NodeArray<ts.Statement> }): BlockDeclarations {
    let found = this.declared.get(block);
    if (!found) {
      const ts = this.ts;
      const names = new Set<string>();
      const first = new Map<string, ts.Node>();
      const ids: ts.Identifier[] = [];
      for (const s of block.statements) {
        if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) && s.name) {
          names.add(s.name.text);
          // Overloads: the declaration with the body.
          if ((!ts.isFunctionDeclaration(s) || s.body) && !first.has(s.name.text)) first.set(s.name.text, s);
        } else if (ts.isVariableStatement(s)) {
          for (const d of s.declarationList.declarations) {
            ids.length = 0;
            collectBoundIds(ts, d.name, ids);
            const required = isRequireOf(ts, d);
            for (const id of ids) {
              if (!required) names.add(id.text);
              if (!first.has(id.text)) first.set(id.text, id.parent);
            }
          }
        }
      }
      found = { names, first };
      this.declared.set(block, found);
    }
    return found;
  }

  /** Whether the file imports or requires `module` (normalised: `test` for `node:test`) at its top level. */
  importsModule(module: string): boolean {
    for (const b of this.bindings.values()) if (b.module === module) return true;
    return false;
  }

  /** How the file can spell a module object (`fs` for `node:fs`), or undefined. */
  spellModule(module: string): string | undefined {
    for (const [local, b] of this.bindings) {
      if (b.module === module && !b.member) return local;
      // `import { promises as fsp } from 'fs'` spells `fs.promises`.
      if (b.member && normalizeModule(`${b.module}.${b.member}`) === module) return local;
    }
    return undefined;
  }

  /** How the file can spell `module.member` through a named import, or undefined. */
  spellMember(module: string, member: string): string | undefined {
    for (const [local, b] of this.bindings) if (b.module === module && b.member === member) return local;
    const parent = this.spellModule(module);
    return parent ? `${parent}.${member}` : undefined;
  }

  /** The innermost function containing a node (a callback stops the search: its code runs later). */
  enclosingFunction(node: ts.Node): FunctionLike | undefined {
    for (let n = node.parent; n; n = n.parent) {
      if (isFunctionLike(this.ts, n)) return n;
      if (this.ts.isClassStaticBlockDeclaration(n) || this.ts.isPropertyDeclaration(n)) return undefined;
    }
    return undefined;
  }

  /** True when the node runs as part of an async function's body (not in a nested sync function). */
  isAsync(node: ts.Node): boolean {
    this.deadline.tick();
    const f = this.enclosingFunction(node);
    return !!f && isAsyncFunction(this.ts, f);
  }

  /** Every async function of the file, outermost first (computed once, shared by the rules). */
  asyncFunctionList(): readonly FunctionLike[] {
    if (!this.asyncFunctions) {
      const out: FunctionLike[] = [];
      const ts = this.ts;
      const visit = (n: ts.Node): boolean | void => {
        this.deadline.tick();
        if (isFunctionLike(ts, n) && isAsyncFunction(ts, n) && n.body) out.push(n);
      };
      // Files without the word cannot hold an async function: skip the walk.
      if (this.text.includes('async')) walkTree(this.sourceFile, visit);
      this.asyncFunctions = out;
    }
    return this.asyncFunctions;
  }

  /**
   * Visits the nodes of a function's own body: not the bodies of nested functions or classes (they
   * run at another time), which `visitor` sees only as nodes.
   */
  walkOwn(root: ts.Node, visitor: (n: ts.Node) => void): void {
    const ts = this.ts;
    const visit = (n: ts.Node): boolean | void => {
      this.deadline.tick();
      visitor(n);
      if (isFunctionLike(ts, n) || ts.isClassLike(n)) return false;
    };
    walkTree(root, visit, false);
  }

  /** Whether a subtree can suspend here: an `await` or `for await` of the same function. */
  hasAwait(root: ts.Node): boolean {
    const ts = this.ts;
    if (ts.isAwaitExpression(root)) return true;
    let found = false;
    this.walkOwn(root, (n) => {
      if (ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && n.awaitModifier)) found = true;
    });
    return found;
  }

  /** Whether the node's type is a promise-like (has a callable `then`), when a checker knows its type. */
  isThenable(node: ts.Node): boolean | undefined {
    const checker = this.checker;
    if (!checker) return undefined;
    const type = checker.getTypeAtLocation(node);
    const ts = this.ts;
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
    const parts = type.isUnion() ? type.types : [type];
    return parts.some((t) => {
      const then = t.getProperty('then');
      if (!then) return false;
      const thenType = checker.getTypeOfSymbolAtLocation(then, node);
      return thenType.getCallSignatures().length > 0;
    });
  }

  /** The source text of a node. */
  textOf(node: ts.Node): string {
    return this.text.slice(node.getStart(this.sourceFile), node.end);
  }

  start(node: ts.Node): number {
    return node.getStart(this.sourceFile);
  }

  /** The whitespace that indents the line a node starts on. */
  indentOf(node: ts.Node): string {
    const line = this.lines.lineText(this.lines.position(this.start(node)).line);
    return /^[ \t]*/.exec(line)![0];
  }

  /** One indentation step as the file writes it (two spaces when it cannot tell). */
  indentUnit(): string {
    const m = /\{[ \t]*\r?\n([ \t]+)\S/.exec(this.text);
    return m ? (m[1].startsWith('\t') ? '\t' : m[1].length <= 8 ? m[1] : '  ') : '  ';
  }

  eol(): string {
    return this.text.includes('\r\n') ? '\r\n' : '\n';
  }

  /**
   * The edit adding an import line after the file's leading imports / requires (and after a
   * shebang or `'use strict'`), spelled as the file spells them.
   */
  importEdit(esm: string, cjs: string): TextEdit {
    const ts = this.ts;
    let offset = 0;
    for (const s of this.sourceFile.statements) {
      const isPrologue = ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression);
      const isImport = ts.isImportDeclaration(s) || ts.isImportEqualsDeclaration(s) || (ts.isVariableStatement(s) && s.declarationList.declarations.some((d) => d.initializer && /^require\(|^require\([^)]*\)\./.test(d.initializer.getText(this.sourceFile))));
      if (isPrologue || isImport) offset = s.end;
      else break;
    }
    const line = this.usesRequire ? cjs : esm;
    if (offset === 0) {
      // After a shebang line, else at the very start.
      const shebang = /^#![^\n]*\n/.exec(this.text);
      return { start: shebang ? shebang[0].length : 0, end: shebang ? shebang[0].length : 0, newText: line + this.eol() };
    }
    return { start: offset, end: offset, newText: this.eol() + line };
  }

  /** Reports a finding of the running rule on a node (or an explicit range). */
  report(at: ts.Node | { start: number; end: number }, messageId: string, data: Record<string, string> = {}, fixes: TsFixSpec[] = [], related?: readonly RelatedLocation[]): void {
    this.deadline.tick();
    const range = 'kind' in at ? { start: at.getStart(this.sourceFile), end: at.end } : at;
    this.findings.push(makeFinding(this.rule, this.severity, this.lines, range, messageId, data, fixes, related));
  }
}

/** Deeper property chains than any module path resolves to (`fs.promises.constants.F_OK` is 4). */
const MAX_CHAIN = 32;
/** Globals the rules know by name (`Atomics.wait`, `Date.now`, `Promise`). */
const GLOBALS = new Set(['Atomics', 'Date', 'performance', 'Promise', 'fetch', 'setTimeout', 'setInterval', 'require', 'process']);

/** `node:fs` → `fs`; `fs/promises` → `fs.promises`; `node:timers/promises` → `timers.promises`. */
export function normalizeModule(spec: string): string {
  const bare = spec.replace(NODE_PREFIX, '');
  if (bare === 'fs/promises' || bare === 'timers/promises' || bare === 'stream/promises' || bare === 'dns/promises') return bare.replace('/', '.');
  return bare;
}

let kindsModule: typeof import('typescript') | undefined;
let kindsOfModule: ReadonlySet<ts.SyntaxKind> = new Set();

/** The kinds `isFunctionLike` accepts, for the TypeScript module at hand (kind numbers differ between versions). */
function functionKindsOf(ts: typeof import('typescript')): ReadonlySet<ts.SyntaxKind> {
  if (ts !== kindsModule) {
    const k = ts.SyntaxKind;
    kindsOfModule = new Set([k.FunctionDeclaration, k.FunctionExpression, k.ArrowFunction, k.MethodDeclaration, k.Constructor, k.GetAccessor, k.SetAccessor]);
    kindsModule = ts;
  }
  return kindsOfModule;
}

/**
 * The value at run time: parentheses and type-only wrappers seen through (`(x)`, `x as const`,
 * `x satisfies T`, `<T>x`, `x!`).
 */
export function runtimeValue(ts: typeof import('typescript'), e: ts.Expression): ts.Expression {
  let n = e;
  while (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isSatisfiesExpression(n) || ts.isTypeAssertionExpression(n) || ts.isNonNullExpression(n)) n = n.expression;
  return n;
}

/** A function with a body of its own; one set lookup, as the walks ask it of every node. */
export function isFunctionLike(ts: typeof import('typescript'), n: ts.Node): n is FunctionLike {
  return functionKindsOf(ts).has(n.kind);
}

export function isAsyncFunction(ts: typeof import('typescript'), f: ts.Node): boolean {
  return ts.canHaveModifiers(f) && !!ts.getModifiers(f)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
}

function bindsName(ts: typeof import('typescript'), name: ts.BindingName, wanted: string): boolean {
  return bindingOf(ts, name, wanted) !== undefined;
}

/** The identifier a binding name (`x`, `{ a: x }`, `[x]`) binds `wanted` with. */
function bindingOf(ts: typeof import('typescript'), name: ts.BindingName, wanted: string): ts.Identifier | undefined {
  if (ts.isIdentifier(name)) return name.text === wanted ? name : undefined;
  for (const el of name.elements) {
    if (ts.isOmittedExpression(el)) continue;
    const found = bindingOf(ts, el.name, wanted);
    if (found) return found;
  }
  return undefined;
}

function collectBoundIds(ts: typeof import('typescript'), name: ts.BindingName, out: ts.Identifier[]): void {
  if (ts.isIdentifier(name)) out.push(name);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) collectBoundIds(ts, el.name, out);
}

/**
 * A block's own declarations: the names its statements declare (import and require bindings
 * excepted: they are not the file's own), and for each name the first declaration in statement
 * order (a function's with a body; require bindings included, as `declarationOf` always returned).
 */
interface BlockDeclarations {
  readonly names: ReadonlySet<string>;
  readonly first: ReadonlyMap<string, ts.Node>;
}

function isRequireOf(ts: typeof import('typescript'), d: ts.VariableDeclaration): boolean {
  let init = d.initializer;
  if (init && ts.isPropertyAccessExpression(init)) init = init.expression;
  return !!init && ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'require';
}
