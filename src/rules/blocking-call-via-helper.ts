/**
 * AW202 blocking-call-via-helper: a coroutine calls a sync function of the project (same file or
 * another module) that, directly or through more project functions, makes a call AW201 flags. The
 * loop stalls exactly as if the blocking call were written in the coroutine, but no per-call linter
 * sees it. Follows calls through the project index (`src/python/project.ts`). One finding per root
 * cause (the blocking call a chain ends in) per file; reads of files shipped with the package are
 * not reported. The TS/JS detector follows calls through the checker or, without one, the file's own
 * functions and relative imports by path (`src/typescript/project.ts`), with the same policy.
 */
import type { Node } from 'web-tree-sitter';
import * as path from 'node:path';
import { editsOverlap, type RelatedLocation, type TextEdit } from '../core/finding';
import { asyncCalls, awaitReplacing, inGeneratorExpression, type AsyncCall } from '../python/calls';
import type { FixSpec, PythonContext } from '../python/context';
import { boundLocally, enclosingClassName, moduleNameOf, moduleView, type BlockingTest, type Chain } from '../python/project';
import type * as ts from 'typescript';
import { blockingKind, classifyTsCall } from './blocking-call-in-async';
import { isAsyncFunction, isFunctionLike, type FunctionLike, type TsContext, type TsFixSpec } from '../typescript/context';
import { argumentsText, awaitReplacing as awaitReplacingTs } from '../typescript/edits';
import { quietGate } from '../typescript/entry';
import { ProjectView, runsWhenCalled, type ProjectFunction } from '../typescript/project';
import { walkTree } from '../typescript/walk';
import { stallsNoOtherTask } from '../python/entry';
import { formatMessage } from '../core/rule';
import { defineRule } from './define';

/**
 * One stable function, so the index can cache chains per classification. File I/O on a file of the
 * package itself (`open(Path(__file__).parent / "script.lua")`, `importlib.resources`) does not
 * count: see the docs.
 */
const isBlocking: BlockingTest = (name, method, packageFile) => {
  const kind = blockingKind(name, method);
  return kind !== undefined && !(packageFile && kind === 'file');
};

/** How many other call sites a repeated finding lists by line. */
const LISTED_LINES = 5;

const rule = defineRule({
  code: 'AW202',
  name: 'blocking-call-via-helper',
  languages: ['python', 'typescript'],
  severity: 'hint',
  inTests: false,
  aliases: [],
  fixable: 'sometimes',
  summary: 'A coroutine calls a sync project function that (transitively) makes a blocking call.',
  messages: {
    viaHelper: '`{callee}()` makes a blocking call on the event loop through sync code: {chain}.',
    viaHelperRepeated: '`{callee}()` makes a blocking call on the event loop through sync code: {chain}. {others} the same blocking call ({lines}): this finding stands for them all.',
    fixThread: 'Run the helper in a worker thread with `{runner}`',
    fixThreadAll: 'Run the helpers in a worker thread with `{runner}` at all {count} calls in this file',
    fixTwin: 'Await the async twin `{twin}` instead',
  },
  docs: `## What it does
Flags a call, inside an \`async def\`, to a synchronous function of the project — defined in the same
file or in another module of the project — that makes a blocking call (one that
[blocking-call-in-async](blocking-call-in-async.md) flags: \`time.sleep\`, \`open\`, sync HTTP,
\`subprocess\`…) directly or through further project functions. The message names the whole chain,
such as \`refresh() → load_config() → open()\`.

Calls are followed through plain functions, methods (\`self.helper()\`, inherited ones, \`super()\`),
classes (their \`__init__\`) and the project's imports, relative or absolute, up to six calls deep.
Code with no other task to stall is left alone too, as AW201 reads it: the program's entry coroutine
before its first await (\`asyncio.run(main())\` in the same module starts a loop whose only task is
\`main\`), later at the top level of \`main\` while nothing it started (a task, server, connection,
scheduled callback) may still be running, and a server's startup hook (Sanic \`before_server_start\`,
aiohttp \`on_startup\`, Starlette/FastAPI \`on_startup\`), which runs before any connection is accepted.
Left alone: helpers passed to \`asyncio.to_thread(helper, …)\` or \`run_in_executor\` (not called on the
loop), awaited calls (a sync function whose result is awaited returns an awaitable), helpers with a
decorator that may change how they run (anything but \`staticmethod\`, \`classmethod\`, \`functools.cache\`
and the like), methods of objects whose class is unknown, helpers called only from sync code, and
blocking calls in an \`if\` that dispatches on a type (\`if isinstance(fp, io.IOBase): … else:
open(fp)\`): which branch runs depends on what the caller passes, and a coroutine usually passes the
kind that does not block. A blocking call behind a cache check still counts: the first call blocks.

One root cause, one finding. Every call in a file whose chain ends in the same blocking call — one
constructor called from forty tests, or \`Queue()\` and \`Worker()\` both reaching
\`RedisConnection() → load_script() → open()\` — is one thing to fix, so it is reported once, at the
first such call, with the lines of the others (\`3 more calls in this file reach the same blocking
call (lines 13, 14, 15)\`). Suppressing that finding acknowledges the root cause for the whole file.

Left alone too: file I/O on a file of the package itself — a path built on the module's
\`__file__\` (\`Path(__file__).parent / "script.lua"\`, \`os.path.join(os.path.dirname(__file__), …)\`,
directly or through a name bound to it at module level, as \`self.x\` or in the function), or from
\`importlib.resources\`/\`pkg_resources\`/\`pkgutil\`. Such a file ships with the code: it is small, on local
disk and usually in the page cache, and it is typically read once (a script loaded at construction, a
bundled schema). Reading it costs microseconds, like the metadata calls that
[cheap-blocking-io](cheap-blocking-io.md) reports as hints, so this rule does not report it. Other
blocking calls on such a path (\`subprocess.run([sys.executable, HERE / "tool.py"])\`) still count.

In TypeScript and JavaScript, the same inside an \`async\` function: a call to a sync function of the
project (a function, an arrow bound to a name, a method, a class's constructor through \`new\`) that
reaches a call [blocking-call-in-async](blocking-call-in-async.md) flags (\`fs.readFileSync\`,
\`execSync\`, \`crypto.scryptSync\`, \`zlib.gzipSync\`…) directly or up to six calls down, in the same
file or another module. With a program (the tsserver plugin, the CLI under a \`tsconfig.json\`) the
checker resolves each call, imports and methods of typed receivers included; without one the file's
own functions and relative imports and requires (\`./config\`, \`./config.js\` for \`config.ts\`,
\`./lib\` for \`lib/index.ts\`, \`export … from\`, \`module.exports\`) are followed by path. Packages
(\`node_modules\`) and declaration files are never followed. Left alone as in Python: a script's entry
function (an async function the file calls at its top level: \`main()\`, \`main().catch(…)\`,
\`void main()\`) until it starts work that runs on without being awaited (\`listen\`, \`createServer\`,
\`setInterval\`, \`connect\`, \`spawn\`…, or a promise kept unawaited) — its loop has nothing else to run
— awaited calls,
async helpers, callbacks (\`setTimeout(() => helper())\` runs later), names that shadow the helper,
and reads of a file shipped with the package (a path built on \`__dirname\`, \`__filename\`,
\`import.meta.url\` or \`require.resolve\`, directly or through names bound to one, up to three deep:
\`const ROOT = path.resolve(__dirname, '..')\`, \`const SNIPPETS = path.join(ROOT, 'snippets.json')\`).
In the editor each function of the chain is listed under the finding, linked to where it is declared
(related information: the language server for Python; for TS/JS the tsserver plugin, in VS Code and in
any editor that shows tsserver's related information).

**A hint by default** (the CLI reports it with \`--hints\` or when the rule is named): on the
ecosystem check ([docs/ecosystem.md](../ecosystem.md)) 1 of its 12 Python findings was right (2 wrong,
9 debatable) — the blocking call at the end of the chain was guarded (a DNS lookup only for
\`"localhost"\`), or ran once before any concurrent work existed. In TS/JS its 6 findings (all in one
service project, none in the 17 others' own code) are debatable: helpers of release scripts (\`git\`
through \`spawnSync\`, a small file in \`./tmp\`) awaited step by step, and a server reading its
configuration at start-up before it listens; named, it finds 4 calls in test code, all debatable (a
config or fixture read once in test setup, a test of synchronous logging). Turn it on for a service's request and task code, where a helper
that reads a file or resolves a name on every call stalls every other client.

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
\`\`\`ts
import { readFileSync } from 'node:fs';

function loadConfig(): { greeting: string } {
  return JSON.parse(readFileSync('config.json', 'utf8'));
}

export async function handle(): Promise<string> {
  return loadConfig().greeting;
}
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
\`\`\`ts
import { readFile } from 'node:fs/promises';

async function loadConfig(): Promise<{ greeting: string }> {
  return JSON.parse(await readFile('config.json', 'utf8'));
}

export async function handle(): Promise<string> {
  return (await loadConfig()).greeting;
}
\`\`\`

## Fix safety
The fix runs the helper in a worker thread: \`await asyncio.to_thread(helper, …)\`
(\`loop.run_in_executor\` before Python 3.9), adding \`import asyncio\` when needed; for a finding that
stands for several calls, the first fix does so at every one of them, the second at this call only.
It is unsafe: the
whole helper then runs on another thread, concurrently with the loop, which matters when it touches
state shared with coroutines or objects bound to a thread.
In TS/JS the fix awaits the helper's async twin when the project has one beside it — \`loadSync()\` →
\`await load()\`, \`read()\` → \`await readAsync()\`: a method of the same class, or a function of the same
module the file can already spell — and is unsafe: the twin is another implementation. Otherwise no
fix is offered (Node has no \`to_thread\` for a function).
`,
  typescriptNeeds: ['async'],
  typescript(ctx) {
    detectTypeScript(ctx);
  },
  python(ctx) {
    const candidates = asyncCalls(ctx).filter((c) => !c.awaited && !blockingKind(c.name, c.receiver?.type === 'identifier' && (c.receiver.text === 'self' || c.receiver.text === 'cls') ? undefined : c.method));
    if (candidates.length === 0) return;
    const locals = localNames(ctx);
    let view: ReturnType<typeof moduleView> | undefined;
    // One root cause, one finding: every call in this file whose chain ends in the same blocking
    // call (`Queue()` and `Worker()` both reaching `load_script() → open()`, or one constructor
    // called from 40 tests) is one thing to fix. Reported at the first such call, listing the rest.
    const byOrigin = new Map<string, { site: AsyncCall; chain: Chain; others: AsyncCall[] }>();
    for (const c of candidates) {
      if (!mayBeProjectCall(ctx, c, locals) || stallsNoOtherTask(ctx, c.call)) continue;
      view ??= moduleView(ctx);
      const className = enclosingClassName(ctx.scopes, c.call.startIndex);
      const target = view.target(c.callee.text, className);
      if (!target) continue;
      const helper = view.resolve(target, className);
      if (!helper || helper.summary.async) continue;
      const chain = view.blockingChain(helper, isBlocking);
      if (!chain || shadowed(ctx, c.call, c.callee.text)) continue;
      const group = byOrigin.get(chain.origin);
      if (group) group.others.push(c);
      else byOrigin.set(chain.origin, { site: c, chain, others: [] });
    }
    for (const { site, chain, others } of byOrigin.values()) {
      const callee = compact(site.callee.text);
      const data = { callee, chain: [callee, ...chain.steps].map((step) => `${step}()`).join(' → ') };
      const related = chainLocations(ctx, chain);
      if (others.length === 0) {
        ctx.report(site.call, 'viaHelper', data, fixesFor(ctx, site), related);
        continue;
      }
      const n = others.length;
      const lines = others.map((o) => String(o.call.startPosition.row + 1));
      const listed = `line${n > 1 ? 's' : ''} ${lines.slice(0, LISTED_LINES).join(', ')}${n > LISTED_LINES ? '…' : ''}`;
      const phrase = n > 1 ? `${n} more calls in this file reach` : '1 more call in this file reaches';
      ctx.report(site.call, 'viaHelperRepeated', { ...data, others: phrase, lines: listed }, [...fixAll(ctx, [site, ...others]), ...fixesFor(ctx, site)], related);
    }
  },
});
export default rule;

/**
 * Each function of the chain as a location (its `def`), saying which call it makes next: editors
 * list them under the finding (LSP related information), so the way to the blocking call is a click
 * per hop. A hop whose file the index cannot name is left out.
 */
function chainLocations(ctx: PythonContext, chain: Chain): RelatedLocation[] {
  const here = moduleNameOf(ctx);
  const self = ctx.filePath && path.resolve(ctx.filePath);
  const out: RelatedLocation[] = [];
  chain.hops.forEach((hop, i) => {
    const last = i === chain.hops.length - 1;
    const message = `\`${hop.name}()\` calls \`${chain.steps[i]}()\`${last ? ', which blocks the event loop' : ''}`;
    if (hop.module === here) {
      out.push({ file: undefined, position: { line: hop.line, column: 0 }, message });
      return;
    }
    const file = ctx.project?.filesOf(hop.module)[0];
    if (!file) return;
    out.push({ file: path.resolve(file) === self ? undefined : path.resolve(file), position: { line: hop.line, column: 0 }, message });
  });
  return out;
}

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

/**
 * The thread fix at every call of the group at once (those that can take it and do not overlap one
 * another): fixing the root cause in this file in one step.
 */
function fixAll(ctx: PythonContext, sites: readonly AsyncCall[]): FixSpec[] {
  const edits: TextEdit[] = [];
  let fixed = 0;
  let runner = '';
  for (const site of sites) {
    const fix = threadFix(ctx, site);
    if (!fix || editsOverlap(edits, fix.edits)) continue;
    edits.push(...fix.edits);
    runner = fix.runner;
    fixed++;
  }
  return fixed > 1 ? [{ title: formatMessage(rule.messages.fixThreadAll, { runner, count: String(fixed) }), safety: 'unsafe', edits }] : [];
}

/** `await asyncio.to_thread(helper, args)` in place of `helper(args)`. */
function fixesFor(ctx: PythonContext, c: AsyncCall): FixSpec[] {
  const fix = threadFix(ctx, c);
  return fix ? [{ title: rule.messages.fixThread.replace('{runner}', fix.runner), safety: 'unsafe', edits: fix.edits }] : [];
}

function threadFix(ctx: PythonContext, c: AsyncCall): { edits: TextEdit[]; runner: string } | undefined {
  // An `await` inside a generator expression would turn it into an async generator.
  if (inGeneratorExpression(ctx, c.call)) return undefined;
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
  return { edits, runner };
}


// ---------------------------------------------------------------------------------------------
// TS/JS detector

/** How deep a chain is followed, as in Python (`MAX_CHAIN_DEPTH`): deeper ones are rarely real and costly to explain. */
const TS_MAX_DEPTH = 6;

/**
 * Global objects whose methods are never the project's (`JSON.parse`, `console.log`): their calls
 * are not looked up at all, which spares the checker most of a file's calls.
 */
const TS_GLOBAL_OBJECTS = new Set(['console', 'JSON', 'Math', 'Object', 'Array', 'String', 'Number', 'Boolean', 'Symbol', 'Reflect', 'Promise', 'Date', 'RegExp', 'Error', 'Buffer', 'process', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Intl', 'BigInt', 'URL', 'URLSearchParams', 'Atomics', 'globalThis', 'require', 'module', 'exports']);

/** `__dirname`, `__filename`, `import.meta.url` / `.dirname`: a path into the package's own files. */
const PACKAGE_PATH = /\b__dirname\b|\b__filename\b|\bimport\.meta\.(?:url|dirname|filename)\b|\brequire\.resolve\s*\(/;

interface TsChain {
  /** The calls from the helper down to the blocking one (`['loadConfig', 'fs.readFileSync']`). */
  readonly steps: readonly string[];
  /** The blocking call (file and offset): chains ending there share one root cause. */
  readonly origin: string;
  /** The functions the chain goes through: `hops[i]` makes the call `steps[i]`. */
  readonly hops: readonly ProjectFunction[];
}

/** One analysis of a file: the chain of each function visited, so each is walked once (linear cost). */
class TsChains {
  private readonly memo = new Map<FunctionLike, TsChain | null>();

  constructor(readonly view: ProjectView) {}

  of(pf: ProjectFunction): TsChain | undefined {
    return this.walk(pf, new Set(), 0).chain;
  }

  private walk(pf: ProjectFunction, visiting: Set<FunctionLike>, depth: number): { chain: TsChain | undefined; cut: boolean } {
    const { fn, ctx } = pf;
    const ts = ctx.ts;
    if (!runsWhenCalled(ts, fn) || !fn.body) return { chain: undefined, cut: false };
    const known = this.memo.get(fn);
    if (known !== undefined) return { chain: known ?? undefined, cut: false };
    if (visiting.has(fn) || depth >= TS_MAX_DEPTH) return { chain: undefined, cut: true };
    // The shortest explanation first: a blocking call made directly beats one through a helper.
    const calls: (ts.CallExpression | ts.NewExpression)[] = [];
    let direct: ts.CallExpression | undefined;
    ctx.walkOwn(fn, (n) => {
      if (direct) return;
      if (ts.isCallExpression(n)) {
        const found = classifyTsCall(ctx.resolve(n.expression));
        if (found && !(found.kind === 'file' && readsPackageFile(ctx, n))) direct = n;
        else if (!found) calls.push(n);
      } else if (ts.isNewExpression(n)) calls.push(n);
    });
    if (direct) {
      const chain: TsChain = { steps: [compact(ctx.textOf(direct.expression))], origin: `${ctx.sourceFile.fileName}:${direct.pos}`, hops: [pf] };
      this.memo.set(fn, chain);
      return { chain, cut: false };
    }
    visiting.add(fn);
    let cut = false;
    try {
      for (const call of calls) {
        if (!mayBeProjectCallee(ctx, call)) continue;
        const callee = this.view.callee(ctx, call);
        if (!callee) continue;
        const sub = this.walk(callee, visiting, depth + 1);
        cut ||= sub.cut;
        if (sub.chain) {
          const chain: TsChain = { steps: [compact(ctx.textOf(call.expression)), ...sub.chain.steps], origin: sub.chain.origin, hops: [pf, ...sub.chain.hops] };
          this.memo.set(fn, chain);
          return { chain, cut: false };
        }
      }
    } finally {
      visiting.delete(fn);
    }
    // A negative answer reached through a cut cycle or the depth limit may be wrong from another entry.
    if (!cut) this.memo.set(fn, null);
    return { chain: undefined, cut };
  }
}

function detectTypeScript(ctx: TsContext): void {
  const ts = ctx.ts;
  const functions = ctx.asyncFunctionList();
  if (functions.length === 0) return;
  const view = new ProjectView(ctx);
  const chains = new TsChains(view);
  type Site = { call: ts.CallExpression | ts.NewExpression; helper: ProjectFunction };
  const byOrigin = new Map<string, { site: Site; chain: TsChain; others: Site[] }>();
  for (const fn of functions) {
    const quiet = quietGate(ctx, fn);
    ctx.walkOwn(fn, (n) => {
      if (!ts.isCallExpression(n) && !ts.isNewExpression(n)) return;
      // The script's entry function, until it starts work that runs on (a server, a timer, a task):
      // its loop has nothing else to run, so blocking stalls nobody (Python's entry rule, by name).
      if (quiet(n)) return;
      // `await helper()`: a sync function whose result is awaited returns a promise (as in Python).
      let up = n.parent;
      while (ts.isParenthesizedExpression(up)) up = up.parent;
      if (ts.isAwaitExpression(up)) return;
      if (ts.isCallExpression(n) && classifyTsCall(ctx.resolve(n.expression))) return;
      if (!mayBeProjectCallee(ctx, n)) return;
      const helper = view.callee(ctx, n);
      if (!helper || !runsWhenCalled(ts, helper.fn)) return;
      const chain = chains.of(helper);
      if (!chain) return;
      const site = { call: n, helper };
      const group = byOrigin.get(chain.origin);
      if (group) group.others.push(site);
      else byOrigin.set(chain.origin, { site, chain, others: [] });
    });
  }
  for (const { site, chain, others } of byOrigin.values()) {
    const callee = compact(ctx.textOf(site.call.expression));
    const data = { callee, chain: [callee, ...chain.steps].map((step) => `${step}()`).join(' → ') };
    const related = tsChainLocations(ctx, chain);
    const fixes = ts.isCallExpression(site.call) ? twinFixes(ctx, view, site.call, site.helper) : [];
    if (others.length === 0) {
      ctx.report(site.call, 'viaHelper', data, fixes, related);
      continue;
    }
    const n = others.length;
    const lines = others.map((o) => String(ctx.lines.position(ctx.start(o.call)).line + 1));
    const listed = `line${n > 1 ? 's' : ''} ${lines.slice(0, LISTED_LINES).join(', ')}${n > LISTED_LINES ? '…' : ''}`;
    const phrase = n > 1 ? `${n} more calls in this file reach` : '1 more call in this file reaches';
    ctx.report(site.call, 'viaHelperRepeated', { ...data, others: phrase, lines: listed }, fixes, related);
  }
}

/**
 * A quick test before asking the checker or reading a module: the callee is a name or a member
 * chain, not a method of a global object (`JSON.parse`) nor a function of a package (`path.join`,
 * `lodash.merge`: resolved to a module that is not relative).
 */
function mayBeProjectCallee(ctx: TsContext, call: ts.CallExpression | ts.NewExpression): boolean {
  const ts = ctx.ts;
  let head: ts.Expression = call.expression;
  while (ts.isPropertyAccessExpression(head) || ts.isParenthesizedExpression(head) || ts.isNonNullExpression(head)) head = head.expression;
  if (head.kind === ts.SyntaxKind.ThisKeyword) return true;
  if (!ts.isIdentifier(head)) return false;
  if (TS_GLOBAL_OBJECTS.has(head.text) && !ctx.declarationOf(head)) return false;
  const imported = ctx.importOf(head);
  return !imported || /^\.\.?(\/|$)/.test(imported.module);
}

/** `fs.readFileSync(path.join(__dirname, 'schema.json'))`, directly or through a name bound to such a path: a file shipped with the package. */
function readsPackageFile(ctx: TsContext, call: ts.CallExpression): boolean {
  const arg = call.arguments[0];
  return !!arg && packagePath(ctx, arg, 0);
}

/** How many names a package path is followed through (`SNIPPETS = path.resolve(ROOT, …)`, `ROOT = path.resolve(__dirname, '..')`). */
const PACKAGE_PATH_HOPS = 3;

/** Whether an expression builds a path on the module's own location, directly or through names bound to such paths. */
function packagePath(ctx: TsContext, e: ts.Expression, depth: number): boolean {
  const ts = ctx.ts;
  if (PACKAGE_PATH.test(ctx.textOf(e))) return true;
  if (depth >= PACKAGE_PATH_HOPS) return false;
  let found = false;
  walkTree(e, (n) => {
    if (found) return false;
    if (!ts.isIdentifier(n) || (ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) return undefined;
    const decl = ctx.declarationOf(n);
    if (decl && ts.isVariableDeclaration(decl) && decl.initializer && packagePath(ctx, decl.initializer, depth + 1)) found = true;
    return undefined;
  });
  return found;
}

/** Each function of the chain as a location (its declaration), saying which call it makes next. */
function tsChainLocations(ctx: TsContext, chain: TsChain): RelatedLocation[] {
  return chain.hops.map((hop, i) => {
    const last = i === chain.hops.length - 1;
    const message = `\`${hop.name}()\` calls \`${chain.steps[i]}()\`${last ? ', which blocks the event loop' : ''}`;
    const at = hop.ctx.sourceFile.getLineAndCharacterOfPosition(hop.fn.getStart(hop.ctx.sourceFile));
    const file = hop.ctx.sourceFile === ctx.sourceFile ? undefined : path.resolve(hop.ctx.sourceFile.fileName);
    return { file, position: { line: at.line, column: at.character }, message };
  });
}

/**
 * `await` of the helper's async twin, where the project has one next to it (`loadSync` → `load`,
 * `read` → `readAsync`: a method of the same class, or a function of the same module the call can
 * spell): the way the project itself offers to do the same work off the loop. Unsafe: the twin is
 * another implementation, and the caller now waits for it. No fix otherwise: moving the whole
 * helper to a worker thread is not something Node does for a function.
 */
function twinFixes(ctx: TsContext, view: ProjectView, call: ts.CallExpression, helper: ProjectFunction): TsFixSpec[] {
  const ts = ctx.ts;
  const callee = call.expression;
  const nameNode = ts.isIdentifier(callee) ? callee : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.name) ? callee.name : undefined;
  if (!nameNode) return [];
  const name = nameNode.text;
  const twin = name.endsWith('Sync') && name.length > 4 ? name.slice(0, -4) : `${name}Async`;
  const isTwin = (f: ts.Node | undefined): boolean => !!f && isFunctionLike(ts, f) && !!f.body && isAsyncFunction(ts, f);
  let spelled: string | undefined;
  const cls = helper.fn.parent;
  if (ts.isMethodDeclaration(helper.fn) && ts.isClassLike(cls)) {
    // A method: the sibling method of the same class, on the same receiver.
    const sibling = cls.members.find((m) => ts.isMethodDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === twin);
    if (ts.isPropertyAccessExpression(callee) && isTwin(sibling)) spelled = `${ctx.textOf(callee.expression)}.${twin}`;
  } else if (ts.isIdentifier(callee) && helper.ctx === ctx) {
    // A function of this file: its twin declared beside it, at the top level.
    const sibling = ctx.sourceFile.statements.find((s) => ts.isFunctionDeclaration(s) && s.name?.text === twin && s.body);
    if (isTwin(sibling) && ctx.sourceFile.statements.some((s) => s === helper.fn)) spelled = twin;
  } else {
    // A function of another module: the twin it exports, spelled through this file's import of it.
    const head = ts.isIdentifier(callee) ? callee : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) ? callee.expression : undefined;
    const binding = head && ctx.importOf(head);
    const module = binding && view.module(ctx, binding.module);
    if (binding && module && isTwin(view.exportedFunction(module, twin))) {
      spelled = ts.isIdentifier(callee) ? ctx.spellMember(binding.module, twin) : binding.member === undefined ? `${head!.text}.${twin}` : undefined;
    }
  }
  if (!spelled) return [];
  const replacement = `${spelled}(${argumentsText(ctx, call)})`;
  return [{ title: formatMessage(rule.messages.fixTwin, { twin: `${spelled}()` }), safety: 'unsafe', edits: [awaitReplacingTs(ctx, call, replacement)] }];
}
