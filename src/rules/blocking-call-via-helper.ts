/**
 * AW202 blocking-call-via-helper: a coroutine calls a sync function of the project (same file or
 * another module) that, directly or through more project functions, makes a call AW201 flags. The
 * loop stalls exactly as if the blocking call were written in the coroutine, but no per-call linter
 * sees it. Follows calls through the project index (`src/python/project.ts`).
 */
import type { Node } from 'web-tree-sitter';
import type { TextEdit } from '../core/finding';
import { asyncCalls, awaitReplacing, inGeneratorExpression, type AsyncCall } from '../python/calls';
import type { FixSpec, PythonContext } from '../python/context';
import { boundLocally, enclosingClassName, moduleView, type BlockingTest } from '../python/project';
import { blockingKind } from './blocking-call-in-async';
import { beforeEntrySuspends } from '../python/entry';
import { defineRule } from './define';

/** One stable function, so the index can cache chains per classification. */
const isBlocking: BlockingTest = (name, method) => blockingKind(name, method) !== undefined;

const rule = defineRule({
  code: 'AW202',
  name: 'blocking-call-via-helper',
  languages: ['python'],
  severity: 'warning',
  inTests: false,
  aliases: [],
  fixable: 'sometimes',
  summary: 'A coroutine calls a sync project function that (transitively) makes a blocking call.',
  messages: {
    viaHelper: '`{callee}()` makes a blocking call on the event loop through sync code: {chain}.',
    fixThread: 'Run the helper in a worker thread with `{runner}`',
  },
  docs: `## What it does
Flags a call, inside an \`async def\`, to a synchronous function of the project — defined in the same
file or in another module of the project — that makes a blocking call (one that
[blocking-call-in-async](blocking-call-in-async.md) flags: \`time.sleep\`, \`open\`, sync HTTP,
\`subprocess\`…) directly or through further project functions. The message names the whole chain,
such as \`refresh() → load_config() → open()\`.

Calls are followed through plain functions, methods (\`self.helper()\`, inherited ones, \`super()\`),
classes (their \`__init__\`) and the project's imports, relative or absolute, up to six calls deep.
The program's entry coroutine before its first await is left alone too: \`asyncio.run(main())\` (or
\`run_until_complete\`, \`anyio.run\`, \`trio.run\`) in the same module starts a loop whose only task is
\`main\`, so a blocking call there (reading a config or credentials file at start-up) stalls nobody.
Left alone: helpers passed to \`asyncio.to_thread(helper, …)\` or \`run_in_executor\` (not called on the
loop), awaited calls (a sync function whose result is awaited returns an awaitable), helpers with a
decorator that may change how they run (anything but \`staticmethod\`, \`classmethod\`, \`functools.cache\`
and the like), methods of objects whose class is unknown, helpers called only from sync code, and
blocking calls in an \`if\` that dispatches on a type (\`if isinstance(fp, io.IOBase): … else:
open(fp)\`): which branch runs depends on what the caller passes, and a coroutine usually passes the
kind that does not block. A blocking call behind a cache check still counts: the first call blocks.

## Why is this bad?
The helper runs on the event loop's thread: while its blocking call waits, no other task runs. Moving
the blocking call behind a function does not change that, it only hides it from review and from
linters that look at one call at a time.

## Example
\`\`\`py
import json

def load_config():
    with open("config.json") as f:
        return json.load(f)

def refresh():
    return load_config()

async def handle(request):
    config = refresh()
    return config["greeting"]
\`\`\`

## Use instead
\`\`\`py
import asyncio
import json

def load_config():
    with open("config.json") as f:
        return json.load(f)

async def handle(request):
    config = await asyncio.to_thread(load_config)
    return config["greeting"]
\`\`\`

## Fix safety
The fix runs the helper in a worker thread: \`await asyncio.to_thread(helper, …)\`
(\`loop.run_in_executor\` before Python 3.9), adding \`import asyncio\` when needed. It is unsafe: the
whole helper then runs on another thread, concurrently with the loop, which matters when it touches
state shared with coroutines or objects bound to a thread.
`,
  python(ctx) {
    const candidates = asyncCalls(ctx).filter((c) => !c.awaited && !blockingKind(c.name, c.receiver?.type === 'identifier' && (c.receiver.text === 'self' || c.receiver.text === 'cls') ? undefined : c.method));
    if (candidates.length === 0) return;
    const locals = localNames(ctx);
    let view: ReturnType<typeof moduleView> | undefined;
    for (const c of candidates) {
      if (!mayBeProjectCall(ctx, c, locals) || beforeEntrySuspends(ctx, c.call)) continue;
      view ??= moduleView(ctx);
      const className = enclosingClassName(ctx.scopes, c.call.startIndex);
      const target = view.target(c.callee.text, className);
      if (!target) continue;
      const helper = view.resolve(target, className);
      if (!helper || helper.summary.async) continue;
      const chain = view.blockingChain(helper, isBlocking);
      if (!chain || shadowed(ctx, c.call, c.callee.text)) continue;
      const callee = compact(c.callee.text);
      ctx.report(c.call, 'viaHelper', { callee, chain: [callee, ...chain].map((step) => `${step}()`).join(' → ') }, fixesFor(ctx, c));
    }
  },
});
export default rule;

/** Module-level defs and classes of the file (cheap: from the scope intervals already computed). */
function localNames(ctx: PythonContext): Set<string> {
  const names = new Set<string>();
  for (const s of ctx.scopes.all) {
    if (s.parent || s.kind === 'lambda') continue;
    const name = s.node.childForFieldName('name')?.text;
    if (name) names.add(name);
  }
  return names;
}

/**
 * A quick test before building the module's summary: the callee starts with `self`/`cls`/`super()`,
 * a module-level name of this file, or an import that is relative or names a module of the project.
 */
function mayBeProjectCall(ctx: PythonContext, c: AsyncCall, locals: ReadonlySet<string>): boolean {
  const text = c.callee.text;
  const head = /^[A-Za-z_]\w*/.exec(text)?.[0];
  if (!head) return false;
  if (head === 'self' || head === 'cls' || head === 'super' || locals.has(head)) return true;
  const imported = ctx.names.imports.get(head);
  if (imported === undefined || !ctx.project) return imported?.startsWith('.') === true;
  // The called name must be defined somewhere in the project (a text scan; no module parsed).
  const last = /([A-Za-z_]\w*)\s*$/.exec(text)?.[1];
  if (!last || !ctx.project.mayDefine(last)) return false;
  return imported.startsWith('.') || ctx.project.filesOf(imported.split('.')[0]).length > 0;
}

/** The callee's first name is a parameter or local of the calling function, not the module-level helper. */
export function shadowed(ctx: PythonContext, call: Node, calleeText: string): boolean {
  const head = /^[A-Za-z_]\w*/.exec(calleeText)?.[0];
  if (!head || head === 'self' || head === 'cls' || head === 'super') return false;
  return boundLocally(ctx.parser, ctx.scopes, call.startIndex, head);
}

function compact(text: string): string {
  const flat = text.replace(/\s+/g, '');
  return flat.length <= 40 ? flat : `…${flat.slice(-39)}`;
}

/** `await asyncio.to_thread(helper, args)` in place of `helper(args)`. */
function fixesFor(ctx: PythonContext, c: AsyncCall): FixSpec[] {
  // An `await` inside a generator expression would turn it into an async generator.
  if (inGeneratorExpression(ctx, c.call)) return [];
  const args = c.args.text.slice(1, -1).trim().replace(/,\s*$/, '');
  const positional = c.args.namedChildren.filter((a) => a && a.type !== 'comment');
  const edits: TextEdit[] = [];
  let replacement: string;
  let runner: string;
  if (ctx.targetAtLeast(3, 9)) {
    const toThread = ctx.spell('asyncio.to_thread');
    edits.push(...toThread.edits);
    replacement = `${toThread.text}(${c.callee.text}${args ? `, ${args}` : ''})`;
    runner = 'asyncio.to_thread';
  } else {
    const loop = ctx.spell('asyncio.get_running_loop');
    edits.push(...loop.edits);
    // run_in_executor takes no keyword arguments: pass them through a lambda.
    const keywords = positional.some((a) => a!.type === 'keyword_argument' || a!.type === 'dictionary_splat');
    replacement = keywords ? `${loop.text}().run_in_executor(None, lambda: ${c.call.text})` : `${loop.text}().run_in_executor(None, ${c.callee.text}${args ? `, ${args}` : ''})`;
    runner = 'loop.run_in_executor';
  }
  edits.push({ start: c.call.startIndex, end: c.call.endIndex, newText: awaitReplacing(c.call, replacement) });
  return [{ title: rule.messages.fixThread.replace('{runner}', runner), safety: 'unsafe', edits }];
}

