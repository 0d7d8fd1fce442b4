/**
 * AW404 cancellation-not-propagated: an async function that receives an abort signal calls work
 * that accepts one (`fetch`, `timers/promises`, `fs.promises.readFile`, `events.once`, the file's
 * own signal-taking functions, or, with types, any function with a `signal` option) without
 * passing it on: aborting the function leaves that work running.
 */
import type * as ts from 'typescript';
import { walkTree } from '../typescript/walk';
import type { TextEdit } from '../core/finding';
import { formatMessage } from '../core/rule';
import type { FunctionLike, TsContext, TsFixSpec } from '../typescript/context';
import { isFunctionLike } from '../typescript/context';
import { isSignalExpression, signalArgument, signalParameter, type ScopeSignal } from '../typescript/signals';
import { defineRule } from './define';

/** Where a known API takes its signal: the argument index, and whether it is an options object's `signal`. */
interface SignalSlot {
  readonly index: number;
  readonly options: boolean;
}

const KNOWN: Readonly<Record<string, SignalSlot>> = {
  fetch: { index: 1, options: true },
  'timers.promises.setTimeout': { index: 2, options: true },
  'timers.promises.setImmediate': { index: 1, options: true },
  'fs.promises.readFile': { index: 1, options: true },
  'fs.promises.writeFile': { index: 2, options: true },
  'events.once': { index: 2, options: true },
};

const rule = defineRule({
  code: 'AW404',
  name: 'cancellation-not-propagated',
  languages: ['typescript'],
  severity: 'warning',
  aliases: [],
  fixable: 'sometimes',
  summary: 'An async function given an AbortSignal calls signal-aware work without passing the signal on.',
  messages: {
    notPassed: '`{callee}(…)` accepts an abort signal but is not given `{signal}`: aborting this function leaves that work running.',
    fixPass: 'Pass `{signal}` on',
  },
  docs: `## What it does
Flags, inside an \`async\` function that receives an abort signal (a parameter named \`signal\` or typed
\`AbortSignal\`, a destructured \`{ signal }\`, or an options parameter with a \`signal\` member), calls that
accept a signal but are not given one: \`fetch\`, \`timers/promises\` \`setTimeout\`/\`setImmediate\`,
\`fs.promises.readFile\`/\`writeFile\`, \`events.once\`, functions of the same file that take a signal, and,
with a type checker, any call whose parameter is an options object with a \`signal\` member. Calls that
pass any signal (or spread an options object, which may carry one) are left alone, as are calls whose
options argument is a variable the rule cannot see into, and calls on a signal itself
(\`signal.addEventListener('abort', onAbort, { once: true })\`, \`signal.throwIfAborted()\`): the signal's
own API is not work that could be given it (its listener options do take a \`signal\`, to remove the
listener on another signal's abort, which is not this function's signal to pass).

## Why is this bad?
Abort signals only work when every layer passes them down. A request handler aborted because the
client went away, or a job stopped on shutdown, keeps its \`fetch\` downloading and its timers waiting:
the work finishes (or times out) long after anyone wants it, holding sockets and memory, and an
\`await\` on it delays the abort by as long.

## Example
\`\`\`ts
export async function fetchUser(id: string, signal: AbortSignal): Promise<unknown> {
  const res = await fetch(\`https://example.com/users/\${id}\`);
  return res.json();
}
\`\`\`

## Use instead
\`\`\`ts
export async function fetchUser(id: string, signal: AbortSignal): Promise<unknown> {
  const res = await fetch(\`https://example.com/users/\${id}\`, { signal });
  return res.json();
}
\`\`\`

## Fix safety
Passing the signal on is safe: nothing changes until the signal is aborted, and then the call
rejects as the caller asked. The fix adds \`{ signal }\` as the options argument, or a \`signal\` property
to an options object literal already there; it is not offered when the options argument is not a
literal (a variable, an encoding string).
`,
  typescriptNeeds: ['async', 'ignal'],
  typescript(ctx) {
    const ts = ctx.ts;
    // The file's own signal-taking functions, found when a call needs them: finding them asks the
    // checker about untyped parameters, which in the CLI builds the project's program.
    let takers: Map<string, SignalSlot> | undefined;
    const ownTakers = () => (takers ??= signalTakers(ctx));
    for (const fn of ctx.asyncFunctionList()) {
      const signal = signalParameter(ctx, fn);
      if (!signal) continue;
      visitClosures(ctx, fn, (call) => {
        if (signalArgument(ctx, call) || isCallOnSignal(ctx, call)) return;
        const slot = slotOf(ctx, call, ownTakers);
        if (!slot) return;
        const given = call.arguments[slot.index];
        if (given && !ts.isObjectLiteralExpression(given) && !ts.isStringLiteralLike(given)) return;
        if (given && !slot.options) return;
        ctx.report(call, 'notPassed', { callee: ctx.textOf(call.expression), signal: signal.expression }, passFix(ctx, call, slot, signal));
      });
    }
  },
});
export default rule;

/**
 * A call on a signal itself (`signal.addEventListener('abort', onAbort, { once: true })`,
 * `signal.throwIfAborted()`): the signal's own API, not signal-aware work that could be given it.
 */
function isCallOnSignal(ctx: TsContext, call: ts.CallExpression): boolean {
  const ts = ctx.ts;
  const callee = call.expression;
  return ts.isPropertyAccessExpression(callee) && isSignalExpression(ctx, callee.expression);
}

/** Calls in a function's body, closures included (they share its signal), but not nested async functions with their own. */
function visitClosures(ctx: TsContext, fn: FunctionLike, visitor: (call: ts.CallExpression) => void): void {
  const ts = ctx.ts;
  const visit = (n: ts.Node): boolean | void => {
    if (ts.isCallExpression(n)) visitor(n);
    if (ts.isFunctionDeclaration(n) || ts.isClassLike(n)) return false;
    if (isFunctionLike(ts, n) && signalParameter(ctx, n)) return false;
  };
  if (fn.body) walkTree(fn.body, visit, false);
}

/** The file's own functions that take a signal, by name: where. */
function signalTakers(ctx: TsContext): Map<string, SignalSlot> {
  const ts = ctx.ts;
  const out = new Map<string, SignalSlot>();
  const consider = (name: string, fn: FunctionLike) => {
    const signal = signalParameter(ctx, fn);
    if (!signal) return;
    const index = fn.parameters.findIndex((p) => (ts.isIdentifier(p.name) ? signal.expression.split(/\??\./)[0] === p.name.text : ts.isObjectBindingPattern(p.name) && p.name.elements.some((e) => ts.isIdentifier(e.name) && e.name.text === signal.expression)));
    if (index < 0) return;
    out.set(name, { index, options: !(ts.isIdentifier(fn.parameters[index].name) && signal.expression === fn.parameters[index].name.getText(ctx.sourceFile)) });
  };
  for (const s of ctx.sourceFile.statements) {
    if (ts.isFunctionDeclaration(s) && s.name) consider(s.name.text, s);
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) consider(d.name.text, d.initializer);
      }
    }
  }
  return out;
}

function slotOf(ctx: TsContext, call: ts.CallExpression, ownTakers: () => Map<string, SignalSlot>): SignalSlot | undefined {
  const ts = ctx.ts;
  const name = ctx.resolve(call.expression);
  if (name && KNOWN[name]) return KNOWN[name];
  if (ts.isIdentifier(call.expression) && ownTakers().has(call.expression.text) && !ctx.checker) return ownTakers().get(call.expression.text);
  return ctx.checker ? typedSlot(ctx, call) : undefined;
}

/** With types: the first parameter that is an AbortSignal or an options object with a `signal` member. */
function typedSlot(ctx: TsContext, call: ts.CallExpression): SignalSlot | undefined {
  const checker = ctx.checker!;
  const signature = checker.getResolvedSignature(call);
  if (!signature) return undefined;
  // The answer depends on the signature's parameter types only; a non-generic function's calls
  // share one signature object, so 10,000 calls of a helper ask the checker once.
  const known = slotsBySignature.get(signature);
  if (known !== undefined) return known ?? undefined;
  const slot = signatureSlot(ctx, checker, signature, call);
  slotsBySignature.set(signature, slot ?? null);
  return slot;
}

/** Per signature object (the checker's own, so entries go with their checker). */
const slotsBySignature = new WeakMap<ts.Signature, SignalSlot | null>();

function signatureSlot(ctx: TsContext, checker: ts.TypeChecker, signature: ts.Signature, call: ts.CallExpression): SignalSlot | undefined {
  const params = signature.getParameters();
  for (let i = 0; i < params.length; i++) {
    const decl = params[i].valueDeclaration;
    if (decl && ctx.ts.isParameter(decl) && decl.dotDotDotToken) return undefined;
    const type = checker.getTypeOfSymbolAtLocation(params[i], call).getNonNullableType();
    if (type.getSymbol()?.getName() === 'AbortSignal') return { index: i, options: false };
    const parts = type.isUnion() ? type.types : [type];
    if (parts.some((t) => t.getProperty('signal') && t.getSymbol()?.getName() !== 'AbortController')) return { index: i, options: true };
  }
  return undefined;
}

function passFix(ctx: TsContext, call: ts.CallExpression, slot: SignalSlot, signal: ScopeSignal): TsFixSpec[] {
  const ts = ctx.ts;
  const property = signal.isIdentifier && signal.expression === 'signal' ? 'signal' : `signal: ${signal.expression}`;
  const given = call.arguments[slot.index];
  let edit: TextEdit;
  if (!given) {
    const fill = Array.from({ length: slot.index - call.arguments.length }, () => 'undefined');
    const value = slot.options ? `{ ${property} }` : signal.expression;
    const parts = [...fill, value].join(', ');
    const at = call.arguments.end;
    const trailingComma = call.arguments.hasTrailingComma;
    edit = { start: at, end: at, newText: call.arguments.length === 0 ? parts : trailingComma ? ` ${parts}` : `, ${parts}` };
  } else if (ts.isObjectLiteralExpression(given)) {
    const props = given.properties;
    if (props.length === 0) edit = { start: ctx.start(given), end: given.end, newText: `{ ${property} }` };
    else {
      const at = props.end;
      edit = { start: at, end: at, newText: props.hasTrailingComma ? ` ${property},` : `, ${property}` };
    }
  } else return [];
  return [{ title: formatMessage(rule.messages.fixPass, { signal: signal.expression }), safety: 'safe', edits: [edit] }];
}
