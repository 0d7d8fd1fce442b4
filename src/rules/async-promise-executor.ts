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
  // An async function as a call's first argument: `(async`, with blanks, comments or more `(` between.
  typescriptNeeds: ['Promise', /\((?:\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*|\()*async\b/],
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

function unwrap(ctx: TsContext, e: ts.Expression): ts.Expression {
  return ctx.ts.isParenthesizedExpression(e) ? unwrap(ctx, e.expression) : e;
}

function whitespaceAfter(text: string, at: number): number {
  let i = at;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i - at;
}
