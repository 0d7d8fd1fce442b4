/**
 * Where abort signals are in TS/JS code: passed to a call (`fetch(url, { signal })`,
 * `sleep(ms, undefined, { signal: ac.signal })`), or in scope as a parameter (`signal`,
 * `{ signal }`, `options: { signal?: AbortSignal }`). Shared by AW101 and AW404.
 */
import type * as ts from 'typescript';
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
