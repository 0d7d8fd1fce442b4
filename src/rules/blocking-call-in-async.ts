/**
 * AW201 blocking-call-in-async: a call that blocks the thread (sleep, sync HTTP, subprocess, file
 * I/O, input) made directly in a coroutine. While it runs, the event loop runs nothing else.
 */
import type { Node } from 'web-tree-sitter';
import type { TextEdit } from '../core/finding';
import type { FixSpec, PythonContext } from '../python/context';
import { asyncCalls, inGeneratorExpression, type AsyncCall } from '../python/calls';
import { defineRule } from './define';

export type Kind = 'sleep' | 'http' | 'subprocess' | 'process' | 'file' | 'input';

const HTTP_VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request'];

/** Qualified callee → what kind of blocking it does. */
const BLOCKING = new Map<string, Kind>([
  ['time.sleep', 'sleep'],
  ...HTTP_VERBS.map((v): [string, Kind] => [`requests.${v}`, 'http']),
  ...HTTP_VERBS.map((v): [string, Kind] => [`requests.api.${v}`, 'http']),
  ...HTTP_VERBS.map((v): [string, Kind] => [`requests.Session.${v}`, 'http']),
  ['requests.Session.send', 'http'],
  ...[...HTTP_VERBS, 'stream'].map((v): [string, Kind] => [`httpx.${v}`, 'http']),
  ...[...HTTP_VERBS, 'send', 'stream'].map((v): [string, Kind] => [`httpx.Client.${v}`, 'http']),
  ['urllib.request.urlopen', 'http'],
  ['urllib.request.urlretrieve', 'http'],
  ['urllib.request.OpenerDirector.open', 'http'],
  ['subprocess.run', 'subprocess'],
  ['subprocess.call', 'subprocess'],
  ['subprocess.check_call', 'subprocess'],
  ['subprocess.check_output', 'subprocess'],
  ['subprocess.getoutput', 'subprocess'],
  ['subprocess.getstatusoutput', 'subprocess'],
  ['subprocess.Popen', 'process'],
  ['subprocess.Popen.wait', 'subprocess'],
  ['subprocess.Popen.communicate', 'subprocess'],
  ['os.system', 'subprocess'],
  ['os.popen', 'process'],
  ['os.wait', 'subprocess'],
  ['os.waitpid', 'subprocess'],
  ['builtins.open', 'file'],
  ['io.open', 'file'],
  ['codecs.open', 'file'],
  ['pathlib.Path.open', 'file'],
  ['builtins.input', 'input'],
]);

/** Methods that do file I/O on a path object whatever its class (pathlib, zipfile.Path, importlib resources). */
const PATH_IO_METHODS = new Set(['read_text', 'write_text', 'read_bytes', 'write_bytes']);

/** No `to_thread` fix for these: moving only the call to a thread would not make the code async. */
const NO_THREAD_FIX = new Set(['builtins.open', 'io.open', 'codecs.open', 'pathlib.Path.open', 'subprocess.Popen', 'os.popen']);

const rule = defineRule({
  code: 'AW201',
  name: 'blocking-call-in-async',
  languages: ['python'],
  severity: 'warning',
  aliases: ['ASYNC210', 'ASYNC211', 'ASYNC212', 'ASYNC220', 'ASYNC221', 'ASYNC222', 'ASYNC230', 'ASYNC250', 'ASYNC251'],
  fixable: 'sometimes',
  summary: 'A blocking call (sleep, sync HTTP, subprocess, file I/O, input) inside a coroutine freezes the event loop.',
  messages: {
    sleep: '`{callee}()` blocks the event loop: no other task runs until the sleep ends.',
    http: '`{callee}()` blocks the event loop until the HTTP response arrives: every other task stalls meanwhile.',
    subprocess: '`{callee}()` blocks the event loop until the process exits.',
    process: '`{callee}()` starts a process with blocking pipes: reading or waiting on it blocks the event loop; use `asyncio.create_subprocess_exec`.',
    file: '`{callee}()` does blocking file I/O on the event loop thread.',
    input: '`{callee}()` blocks the event loop until the user types a line.',
    fixSleep: 'Replace with `await asyncio.sleep(…)`',
    fixThread: 'Run in a worker thread with `{runner}`',
  },
  docs: `## What it does
Flags calls that block the calling thread — \`time.sleep\`, synchronous HTTP (\`requests\`, \`httpx\`
without \`Async\`, \`urllib.request.urlopen\`), \`subprocess\`, \`os.system\`/\`os.popen\`, \`open\`, \`io.open\`,
\`Path.read_text\`/\`write_text\`/\`read_bytes\`/\`write_bytes\`/\`open\`, \`input\` — made directly inside an
\`async def\`. Calls in a nested sync \`def\`, \`lambda\` or class body are not flagged, nor are awaited
calls (\`await path.read_text()\` on an async path library).

## Why is this bad?
A coroutine runs on the event loop's only thread. While a blocking call waits, no other task runs:
requests time out, heartbeats stop, and a \`time.sleep(5)\` in one handler stalls every connection for
five seconds.

## Example
\`\`\`py
import time
import requests

async def poll(url):
    while True:
        data = requests.get(url, timeout=5).json()
        time.sleep(10)
\`\`\`

## Use instead
\`\`\`py
import asyncio
import httpx

async def poll(url):
    async with httpx.AsyncClient() as client:
        while True:
            data = (await client.get(url, timeout=5)).json()
            await asyncio.sleep(10)
\`\`\`

## Fix safety
\`time.sleep(x)\` → \`await asyncio.sleep(x)\` is safe: the coroutine still waits as long, and only lets
other tasks run meanwhile. Running another call in a worker thread with \`await asyncio.to_thread(f, …)\`
(\`loop.run_in_executor\` before Python 3.9) is unsafe: the call then runs on another thread, which
matters for objects bound to a thread (sqlite connections, some client sessions). \`import asyncio\` is
added when the file lacks it. No fix is offered for \`open()\` and \`Popen\`: moving only the call to a
thread would leave the reads and waits that follow blocking.
`,
  python(ctx) {
    for (const c of asyncCalls(ctx)) {
      if (c.awaited) continue;
      const kind = classify(c);
      if (!kind) continue;
      const callee = displayName(c);
      ctx.report(c.call, kind, { callee }, fixesFor(ctx, c, kind));
    }
  },
});
export default rule;

/**
 * AW201's classification of a call known only by name, for rules that follow calls through helper
 * functions (AW202): `qualifiedName` when the callee resolves, `method` alone for a method called on
 * a receiver of unknown type (never `self`). Wraps `classify`, which reads only `name`, `method` and
 * `receiver` of the call.
 */
export function blockingKind(qualifiedName: string | undefined, method?: string): Kind | undefined {
  return classify({ name: qualifiedName, method, receiver: method ? UNKNOWN_RECEIVER : undefined } as AsyncCall);
}

/** Stands for a receiver expression that is neither `self` nor `cls`. */
const UNKNOWN_RECEIVER = { type: 'expression', text: '' } as unknown as Node;

function classify(c: AsyncCall): Kind | undefined {
  if (c.name) {
    const kind = BLOCKING.get(c.name);
    if (kind) return kind;
  }
  if (c.method && PATH_IO_METHODS.has(c.method) && c.receiver) {
    // `self.read_text()` is the class's own method, not a path's.
    if (c.receiver.type === 'identifier' && (c.receiver.text === 'self' || c.receiver.text === 'cls')) return undefined;
    return 'file';
  }
  return undefined;
}

function displayName(c: AsyncCall): string {
  if (c.name?.startsWith('builtins.')) return c.name.slice('builtins.'.length);
  if (c.receiverType && c.method) return `${c.receiverType.split('.').pop()}.${c.method}`;
  if (!c.name && c.method) return `.${c.method}`;
  return c.callee.text.length <= 40 ? c.callee.text : (c.name ?? c.callee.text.slice(0, 40));
}

/** `await X` placed where the call was, in parentheses where precedence needs them. */
function awaitReplacing(call: Node, inner: string): string {
  const parent = call.parent;
  const tight =
    parent !== null &&
    ((parent.type === 'attribute' && parent.childForFieldName('object')?.equals(call)) ||
      (parent.type === 'subscript' && parent.childForFieldName('value')?.equals(call)) ||
      (parent.type === 'call' && parent.childForFieldName('function')?.equals(call)) ||
      parent.type === 'unary_operator' ||
      (parent.type === 'binary_operator' && parent.child(1)?.type === '**'));
  return tight ? `(await ${inner})` : `await ${inner}`;
}

function fixesFor(ctx: PythonContext, c: AsyncCall, kind: Kind): FixSpec[] {
  // An `await` inside a generator expression would turn it into an async generator.
  if (inGeneratorExpression(ctx, c.call)) return [];
  const argList = c.args.text.slice(1, -1);
  const positional = c.args.namedChildren.filter((a) => a && a.type !== 'comment');
  if (kind === 'sleep') {
    if (positional.length !== 1 || positional[0]!.type === 'keyword_argument' || positional[0]!.type.includes('splat')) return [];
    const sleep = ctx.spell('asyncio.sleep');
    return [{
      title: rule.messages.fixSleep,
      safety: 'safe',
      edits: [...sleep.edits, { start: c.call.startIndex, end: c.call.endIndex, newText: awaitReplacing(c.call, `${sleep.text}(${argList.trim()})`) }],
    }];
  }
  if (c.name && NO_THREAD_FIX.has(c.name)) return [];
  if (inWithItem(c.call)) return [];
  const fn = c.callee.text;
  const args = argList.trim().replace(/,\s*$/, '');
  const edits: TextEdit[] = [];
  let replacement: string;
  let runner: string;
  if (ctx.targetAtLeast(3, 9)) {
    const toThread = ctx.spell('asyncio.to_thread');
    edits.push(...toThread.edits);
    replacement = `${toThread.text}(${fn}${args ? `, ${args}` : ''})`;
    runner = 'asyncio.to_thread';
  } else {
    const loop = ctx.spell('asyncio.get_running_loop');
    edits.push(...loop.edits);
    const hasKeywords = positional.some((a) => a!.type === 'keyword_argument' || a!.type === 'dictionary_splat');
    replacement = hasKeywords
      ? `${loop.text}().run_in_executor(None, lambda: ${c.call.text})`
      : `${loop.text}().run_in_executor(None, ${fn}${args ? `, ${args}` : ''})`;
    runner = 'loop.run_in_executor';
  }
  edits.push({ start: c.call.startIndex, end: c.call.endIndex, newText: awaitReplacing(c.call, replacement) });
  return [{ title: rule.messages.fixThread.replace('{runner}', runner), safety: 'unsafe', edits }];
}

function inWithItem(call: Node): boolean {
  for (let n = call.parent; n; n = n.parent) {
    if (n.type === 'with_item') return true;
    if (n.type.endsWith('statement') || n.type === 'block') return false;
  }
  return false;
}
