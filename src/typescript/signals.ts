/**
 * Where abort signals are in TS/JS code: passed to a call (`fetch(url, { signal })`,
 * `sleep(ms, undefined, { signal: ac.signal })`), or in scope as a parameter (`signal`,
 * `{ signal }`, `options: { signal?: AbortSignal }`). Shared by AW101 and AW404.
 */
import type * as ts from 'typescript';
import { walkTree } from './walk';
import type { FunctionLike, TsContext } from './context';

const SIGNAL_NAME = /^(signal|abortSignal|cancelSignal|cancellationSignal)$/i;

/** The signal expression a call passes, if any (an argument named like one, or an options object's `signal`). */
export function signalArgument(ctx: TsContext, call: ts.CallExpression | ts.NewExpression, spreadMayCarry = true): ts.Expression | undefined {
  const ts = ctx.ts;
  for (const arg of call.arguments ?? []) {
    if (isSignalExpression(ctx, arg)) return arg;
    if (ts.isObjectLiteralExpression(arg)) {
      for (const p of arg.properties) {
        if (ts.isShorthandPropertyAssignment(p) && p.name.text === 'signal') return p.name;
        if (ts.isPropertyAssignment(p) && propertyName(ts, p.name) === 'signal') return p.initializer;
        // `{ ...options }` may carry a signal: AW404 assumes it does, AW101 that it does not (precision first either way).
        if (ts.isSpreadAssignment(p) && spreadMayCarry) return p.expression;
      }
    }
  }
  return undefined;
}

/** `signal`, `opts.signal`, `controller.signal`, `AbortSignal.timeout(ms)`, or (with types) any AbortSignal. */
export function isSignalExpression(ctx: TsContext, e: ts.Expression): boolean {
  const ts = ctx.ts;
  if (ts.isIdentifier(e) && SIGNAL_NAME.test(e.text)) return true;
  if (ts.isPropertyAccessExpression(e) && SIGNAL_NAME.test(e.name.text)) return true;
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && ts.isIdentifier(e.expression.expression) && e.expression.expression.text === 'AbortSignal') return true;
  if (ctx.checker && (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e))) {
    const type = ctx.checker.getTypeAtLocation(e);
    const name = type.getSymbol()?.getName();
    if (name === 'AbortSignal') return true;
  }
  return false;
}

export interface ScopeSignal {
  /** How code in the function spells it: `signal`, `s`, `options.signal`. */
  readonly expression: string;
  /** A bare identifier (usable as `{ signal }` shorthand when named `signal`). */
  readonly isIdentifier: boolean;
  /** It may be undefined (an optional parameter or member): write `?.aborted`. */
  readonly optional: boolean;
}

/** The abort signal a function receives through its parameters, if any. */
export function signalParameter(ctx: TsContext, fn: FunctionLike): ScopeSignal | undefined {
  const ts = ctx.ts;
  for (const p of fn.parameters) {
    if (ts.isIdentifier(p.name)) {
      const name = p.name.text;
      if (SIGNAL_NAME.test(name) || (p.type && ts.isTypeReferenceNode(p.type) && ts.isIdentifier(p.type.typeName) && p.type.typeName.text === 'AbortSignal')) {
        return { expression: name, isIdentifier: true, optional: !!p.questionToken || !!(p.type && ts.isUnionTypeNode(p.type)) };
      }
      if (p.type && hasSignalMember(ts, p.type)) return { expression: `${name}${p.questionToken ? '?' : ''}.signal`, isIdentifier: false, optional: true };
      if (!p.type && ctx.checker) {
        const type = ctx.checker.getTypeAtLocation(p);
        const prop = type.getNonNullableType().getProperty('signal');
        if (prop) return { expression: `${name}${p.questionToken ? '?' : ''}.signal`, isIdentifier: false, optional: true };
      }
    } else if (ts.isObjectBindingPattern(p.name)) {
      for (const el of p.name.elements) {
        const prop = el.propertyName ? propertyName(ts, el.propertyName) : ts.isIdentifier(el.name) ? el.name.text : undefined;
        if (prop === 'signal' && ts.isIdentifier(el.name)) return { expression: el.name.text, isIdentifier: true, optional: true };
      }
    }
  }
  return undefined;
}

function hasSignalMember(ts: TsContext['ts'], type: ts.TypeNode): boolean {
  if (ts.isTypeLiteralNode(type)) return type.members.some((m) => m.name !== undefined && propertyName(ts, m.name) === 'signal');
  if (ts.isUnionTypeNode(type) || ts.isIntersectionTypeNode(type)) return type.types.some((t) => hasSignalMember(ts, t));
  return false;
}

export function propertyName(ts: TsContext['ts'], name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  return undefined;
}

/**
 * A value that cannot be an AbortSignal: a literal (`signal: {}`, `signal: null`, `signal: 'x'`), an
 * array or a function. Tests of argument checking pass these; no abort can come from them.
 */
export function cannotBeSignal(ts: TsContext['ts'], e: ts.Expression): boolean {
  // `{} as AbortSignal` is still the literal.
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  if (ts.isObjectLiteralExpression(e) || ts.isArrayLiteralExpression(e) || ts.isLiteralExpression(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e)) return true;
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return true;
  const k = e.kind;
  return k === ts.SyntaxKind.NullKeyword || k === ts.SyntaxKind.TrueKeyword || k === ts.SyntaxKind.FalseKeyword || (ts.isIdentifier(e) && e.text === 'undefined');
}

/**
 * The controller a signal comes from, when this file creates it: `c.signal`, or a variable set from
 * one (`const signal = c.signal`, `const { signal } = c`, `let signal` assigned `signal = c.signal` in a
 * `beforeEach`), where `c` is a variable initialised or assigned only with `new AbortController()`.
 * A parameter or a property is handed in or shared: undefined then. Returns the controller's
 * declaration (its scope tells who can abort it).
 */
export function localController(ctx: TsContext, e: ts.Expression): ts.VariableDeclaration | undefined {
  const ts = ctx.ts;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  const ofController = (x: ts.Expression | undefined): ts.VariableDeclaration | undefined => {
    while (x && ts.isParenthesizedExpression(x)) x = x.expression;
    if (!x || !ts.isPropertyAccessExpression(x) || x.name.text !== 'signal' || !ts.isIdentifier(x.expression)) return undefined;
    return controllerDeclaration(ctx, x.expression);
  };
  if (ts.isPropertyAccessExpression(e)) return ofController(e);
  if (!ts.isIdentifier(e)) return undefined;
  const decl = ctx.declarationOf(e);
  if (!decl) return undefined;
  // `const { signal } = controller`
  if (ts.isBindingElement(decl)) {
    const pattern = decl.parent;
    const prop = decl.propertyName ? propertyName(ts, decl.propertyName) : ts.isIdentifier(decl.name) ? decl.name.text : undefined;
    const owner = pattern.parent;
    if (prop !== 'signal' || !ts.isObjectBindingPattern(pattern) || !ts.isVariableDeclaration(owner) || !owner.initializer || !ts.isIdentifier(owner.initializer)) return undefined;
    return controllerDeclaration(ctx, owner.initializer);
  }
  if (!ts.isVariableDeclaration(decl)) return undefined;
  const sources = valuesOf(ctx, decl);
  const controllers = new Set(sources.map(ofController));
  const [only] = controllers;
  return controllers.size === 1 ? only : undefined;
}

function controllerDeclaration(ctx: TsContext, id: ts.Identifier): ts.VariableDeclaration | undefined {
  const ts = ctx.ts;
  const decl = ctx.declarationOf(id);
  if (!decl || !ts.isVariableDeclaration(decl)) return undefined;
  const values = valuesOf(ctx, decl);
  const created = (v: ts.Expression) => ts.isNewExpression(v) && ts.isIdentifier(v.expression) && v.expression.text === 'AbortController';
  return values.length > 0 && values.every(created) ? decl : undefined;
}

/** What a variable is given: its initializer and every `name = value` in its scope. */
function valuesOf(ctx: TsContext, decl: ts.VariableDeclaration): ts.Expression[] {
  const ts = ctx.ts;
  if (!ts.isIdentifier(decl.name)) return [];
  const name = decl.name.text;
  const out: ts.Expression[] = decl.initializer ? [decl.initializer] : [];
  if (ts.isVariableDeclarationList(decl.parent) && decl.parent.flags & ts.NodeFlags.Const) return out;
  const scope = ctx.enclosingFunction(decl) ?? ctx.sourceFile;
  const visit = (n: ts.Node): boolean | void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && n.left.text === name) out.push(n.right);
  };
  walkTree(scope, visit);
  return out;
}
