/**
 * AW304 async-promise-executor: `new Promise(async (resolve, reject) => …)`. An error thrown after
 * the executor's first `await` rejects the executor's own promise, which nobody holds: the outer
 * promise never settles and the rejection goes unhandled.
 */
import type * as ts from 'typescript';
import { walkTree } from '../typescript/walk';
import type { TsContext } from '../typescript/context';
import { defineRule } from './define';

const rule = defineRule({
  code: 'AW304',
  name: 'async-promise-executor',
  languages: ['typescript'],
  severity: 'warning',
  aliases: [],
  fixable: 'sometimes',
  summary: 'new Promise(async …): an error in the async executor is lost and the promise never settles.',
  messages: {
    asyncExecutor: 'The `new Promise` executor is `async`: an error it throws rejects a promise nobody holds, so this promise never settles and the process may crash on the unhandled rejection.',
    fixRemoveAsync: 'Remove `async` (the executor never awaits)',
  },
  docs: `## What it does
Flags \`new Promise(executor)\` where the executor is an \`async\` function or arrow (the global \`Promise\`,
not a class of the same name the file declares).

## Why is this bad?
The \`Promise\` constructor ignores what the executor returns. An \`async\` executor returns a promise of
its own: an exception thrown in it (after an \`await\`, or before) rejects that inner promise, not the one
being built. The outer promise stays pending forever — an \`await\` on it hangs — and the inner rejection
is unhandled, which ends a Node process by default. It is also a sign the \`new Promise\` is not needed:
async code can usually be written with \`await\` directly.

## Example
\`\`\`ts
import { readFile } from 'node:fs/promises';

export function loadConfig(path: string): Promise<unknown> {
  return new Promise(async (resolve) => {
    const text = await readFile(path, 'utf8');
    resolve(JSON.parse(text));
  });
}
\`\`\`

## Use instead
\`\`\`ts
import { readFile } from 'node:fs/promises';

export async function loadConfig(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  return JSON.parse(text);
}
\`\`\`

## Fix safety
When the executor never awaits, removing \`async\` is safe: the executor already ran synchronously up
to its end, and a throw in it now rejects the promise being built instead of getting lost. An executor
that awaits needs rewriting as an \`async\` function; no fix is offered.
`,
  typescriptNeeds: ['Promise', mayHaveAsyncExecutor],
  typescript(ctx) {
    const ts = ctx.ts;
    const visit = (n: ts.Node): boolean | void => {
      if (ts.isNewExpression(n)) {
        const executor = n.arguments?.[0];
        const fn = executor && unwrap(ctx, executor);
        if (fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) {
          const asyncKeyword = ts.getModifiers(fn)?.find((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
          // Which `Promise` this is (the checker's name resolution, in a project) only for an async
          // executor: asked for every `new Promise`, it made the CLI build a project's program for
          // files that hold no candidate at all.
          if (asyncKeyword && ctx.resolve(n.expression) === 'Promise') {
            const fixes = ctx.hasAwait(fn.body)
              ? []
              : [{ title: rule.messages.fixRemoveAsync, safety: 'safe' as const, edits: [{ start: asyncKeyword.getStart(ctx.sourceFile), end: asyncKeyword.end + whitespaceAfter(ctx.text, asyncKeyword.end), newText: '' }] }];
            ctx.report({ start: ctx.start(n), end: fn.end }, 'asyncExecutor', {}, fixes);
          }
        }
      }
    };
    walkTree(ctx.sourceFile, visit);
  },
});
export default rule;

/**
 * Whether the text may hold `new X(async …)`: an `async` whose code before it, blanks and comments
 * aside, is one or more `(` after a name (`Promise`, `globalThis.Promise`) that follows `new`. Where
 * the code before is unclear the answer is yes: type arguments (`new Promise<void>(`), a callee in
 * brackets or parentheses, a line of code ending in what may be a line comment. Each `async` reads
 * back no further than the `async` before it: linear in the text.
 */
export function mayHaveAsyncExecutor(text: string): boolean {
  let floor = -1;
  for (let at = text.indexOf('async'); at >= 0; floor = at + 4, at = text.indexOf('async', at + 5)) {
    const before = (i: number) => codeBefore(text, i, floor);
    let i = before(at - 1);
    if (i === UNCLEAR) return true;
    if (i < 0 || text[i] !== '(') continue;
    do i = before(i - 1);
    while (i >= 0 && text[i] === '(');
    if (i === UNCLEAR || (i >= 0 && '>)]'.includes(text[i]))) return true;
    // The callee: names joined by dots, back to what comes before it.
    for (;;) {
      let j = i;
      while (j > floor && isNameChar(text.charCodeAt(j))) j--;
      if (j === i) break;
      const k = before(j);
      if (k === UNCLEAR) return true;
      if (k >= 0 && text[k] === '.') {
        i = before(k - 1);
        if (i === UNCLEAR) return true;
        if (i < 0) break;
        continue;
      }
      if (k >= 2 && text.startsWith('new', k - 2) && (k < 3 || !isNameChar(text.charCodeAt(k - 3)))) return true;
      break;
    }
  }
  return false;
}

const UNCLEAR = -2;
const BLANK = /\s/;

/** What ends a line comment. */
function isLineBreak(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

/** JavaScript's blanks; ASCII answered without a regular expression. */
function isBlank(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || (c > 127 && BLANK.test(String.fromCharCode(c)));
}

/** A character of a name (non-ASCII letters all count: a yes is never wrong here). */
function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || (c > 127 && !isBlank(c));
}

/**
 * The index of the last character of code at or before `i`, blanks and comments passed over (a
 * block comment back to its `/*`, a line that is only a line comment); -1 at the start of the text;
 * UNCLEAR for a line holding code and `//` (a line comment, or `//` in a string?) and where the
 * reading would go back to `floor` or past it.
 */
function codeBefore(text: string, i: number, floor: number): number {
  for (;;) {
    let lineBreak = false;
    while (i > floor && isBlank(text.charCodeAt(i))) {
      if (isLineBreak(text.charCodeAt(i))) lineBreak = true;
      i--;
    }
    if (i < 0) return -1;
    if (i <= floor) return UNCLEAR;
    if (text[i] === '/' && text[i - 1] === '*') {
      let open = i - 2;
      while (open > floor && !(text[open] === '/' && text[open + 1] === '*')) open--;
      if (open <= floor) return UNCLEAR;
      i = open - 1;
      continue;
    }
    if (!lineBreak) return i;
    let start = i;
    while (start > floor + 1 && !isLineBreak(text.charCodeAt(start - 1))) start--;
    if (start === floor + 1 && start > 0) return UNCLEAR;
    let slash = -1;
    for (let k = start; k < i && slash < 0; k++) if (text[k] === '/' && text[k + 1] === '/') slash = k;
    if (slash < 0) return i;
    let j = slash - 1;
    while (j >= start && isBlank(text.charCodeAt(j))) j--;
    if (j >= start) return UNCLEAR;
    i = start - 1;
  }
}

function unwrap(ctx: TsContext, e: ts.Expression): ts.Expression {
  return ctx.ts.isParenthesizedExpression(e) ? unwrap(ctx, e.expression) : e;
}

function whitespaceAfter(text: string, at: number): number {
  let i = at;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i - at;
}
