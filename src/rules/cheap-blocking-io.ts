/**
 * AW203 cheap-blocking-io: file-system metadata calls (`os.path.exists`, `os.stat`, `os.listdir`…)
 * in a coroutine. Usually fast, but they block the loop on a slow or network disk; a hint, off the
 * critical list.
 */
import { asyncCalls } from '../python/calls';
import type { TsContext } from '../typescript/context';
import { quietGate } from '../typescript/entry';
import { classifyTsCall, TS_CHEAP_FS } from './blocking-call-in-async';
import { stallsNoOtherTask } from '../python/entry';
import { defineRule } from './define';

const METADATA = new Set([
  'os.path.exists', 'os.path.lexists', 'os.path.isfile', 'os.path.isdir', 'os.path.islink', 'os.path.ismount',
  'os.path.getsize', 'os.path.getmtime', 'os.path.getatime', 'os.path.getctime', 'os.path.samefile', 'os.path.realpath',
  'os.stat', 'os.lstat', 'os.listdir', 'os.scandir', 'os.access', 'os.walk',
  // Metadata changes: one system call each, as cheap (or as slow) as a stat.
  'os.mkdir', 'os.makedirs', 'os.remove', 'os.unlink', 'os.rmdir', 'os.rename', 'os.replace', 'os.chmod', 'os.symlink',
  'os.readlink', 'os.truncate',
  ...[
    'exists', 'is_file', 'is_dir', 'is_symlink', 'is_socket', 'is_fifo', 'is_mount', 'is_block_device', 'is_char_device',
    'stat', 'lstat', 'owner', 'group', 'samefile', 'iterdir', 'glob', 'rglob', 'walk', 'resolve', 'readlink',
    'touch', 'mkdir', 'unlink', 'rmdir', 'rename', 'replace', 'chmod', 'symlink_to', 'hardlink_to',
  ].map((m) => `pathlib.Path.${m}`),
]);

const rule = defineRule({
  code: 'AW203',
  name: 'cheap-blocking-io',
  languages: ['python', 'typescript'],
  severity: 'hint',
  inTests: false,
  aliases: ['ASYNC240'],
  fixable: 'never',
  summary: 'File-system metadata calls (os.path.exists, os.stat, os.listdir) in a coroutine block the loop on slow disks.',
  messages: {
    metadata: '`{callee}()` touches the file system on the event loop thread: fast on a local disk, a stall on a network or busy one.',
  },
  docs: `## What it does
Flags file-system metadata calls made directly in an \`async def\`: \`os.path.exists\`, \`isfile\`, \`isdir\`,
\`getsize\`, \`getmtime\`…, \`os.stat\`, \`os.listdir\`, \`os.scandir\`, \`os.walk\`, single-call changes such as
\`os.mkdir\`, \`os.remove\`, \`os.rename\`, and the same methods on a \`pathlib.Path\` the code constructed or
annotated. Pure path arithmetic (\`os.path.join\`, \`basename\`, \`splitext\`, \`normpath\`) does no I/O and is
never flagged, nor is \`os.path.abspath\` (at most a \`getcwd\`, which never touches the disk). It is a
hint: most of these calls take microseconds.
In TS/JS: \`fs.existsSync\`, \`statSync\`, \`lstatSync\` and \`accessSync\` in an \`async\` function (every other
\`fs\` \`*Sync\` call is AW201's).

Code with no other task to stall is left alone too, as AW201 reads it: the program's entry coroutine
before its first await (\`asyncio.run(main())\` in the same module starts a loop whose only task is
\`main\`), later at the top level of \`main\` while nothing it started (a task, server, connection,
scheduled callback) may still be running, and a server's startup hook (Sanic \`before_server_start\`,
aiohttp \`on_startup\`, Starlette/FastAPI \`on_startup\`), which runs before any connection is accepted.
In TS/JS the same holds for a script's entry function, read as AW201 reads it.

## Why is this bad?
Each call is a system call on the event loop thread. On NFS, a container overlay under load, or a
directory with 100,000 entries, one \`os.listdir\` can hold every task for tens of milliseconds.

## Example
\`\`\`py
import os

async def cleanup(folder):
    for name in os.listdir(folder):
        print(name)
\`\`\`
\`\`\`ts
import { existsSync } from 'node:fs';

export async function cleanup(folder: string): Promise<boolean> {
  return existsSync(folder);
}
\`\`\`

## Use instead
\`\`\`py
import asyncio
import os

async def cleanup(folder):
    for name in await asyncio.to_thread(os.listdir, folder):
        print(name)
\`\`\`

\`\`\`ts
import { access } from 'node:fs/promises';

export async function cleanup(folder: string): Promise<boolean> {
  return access(folder).then(() => true, () => false);
}
\`\`\`

## Fix safety
No automatic fix: whether a metadata call is worth a thread hop is a judgement call.
`,
  typescriptNeeds: ['async', 'Sync'],
  typescript(ctx) {
    detectTypeScript(ctx);
  },
  python(ctx) {
    for (const c of asyncCalls(ctx)) {
      if (c.awaited || !c.name || !METADATA.has(c.name) || stallsNoOtherTask(ctx, c.call)) continue;
      const callee = c.receiverType && c.method ? `Path.${c.method}` : c.callee.text;
      ctx.report(c.call, 'metadata', { callee });
    }
  },
});
export default rule;

/** TS/JS: `fs.existsSync`/`statSync`/`lstatSync`/`accessSync` in an async function (AW201 has the rest). */
function detectTypeScript(ctx: TsContext): void {
  const ts = ctx.ts;
  for (const fn of ctx.asyncFunctionList()) {
    // A script's entry function before it starts anything that runs on: nothing else to stall.
    const quiet = quietGate(ctx, fn);
    ctx.walkOwn(fn, (n) => {
      if (quiet(n) || !ts.isCallExpression(n)) return;
      const name = ctx.resolve(n.expression);
      if (!name || classifyTsCall(name)) return;
      if (name.startsWith('fs.') && TS_CHEAP_FS.has(name.slice(3))) ctx.report(n, 'metadata', { callee: ctx.textOf(n.expression) });
    });
  }
}
