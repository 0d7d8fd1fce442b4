/**
 * AW203 cheap-blocking-io: file-system metadata calls (`os.path.exists`, `os.stat`, `os.listdir`…)
 * in a coroutine. Usually fast, but they block the loop on a slow or network disk; a hint, off the
 * critical list.
 */
import { asyncCalls } from '../python/calls';
import { defineRule } from './define';

const METADATA = new Set([
  'os.path.exists', 'os.path.lexists', 'os.path.isfile', 'os.path.isdir', 'os.path.islink', 'os.path.ismount',
  'os.path.getsize', 'os.path.getmtime', 'os.path.getatime', 'os.path.getctime', 'os.path.samefile', 'os.path.realpath',
  'os.stat', 'os.lstat', 'os.listdir', 'os.scandir', 'os.access', 'os.walk',
  'pathlib.Path.exists', 'pathlib.Path.is_file', 'pathlib.Path.is_dir', 'pathlib.Path.stat', 'pathlib.Path.iterdir',
  'pathlib.Path.glob', 'pathlib.Path.rglob', 'pathlib.Path.resolve',
]);

const rule = defineRule({
  code: 'AW203',
  name: 'cheap-blocking-io',
  languages: ['python'],
  severity: 'hint',
  aliases: ['ASYNC240'],
  fixable: 'never',
  summary: 'File-system metadata calls (os.path.exists, os.stat, os.listdir) in a coroutine block the loop on slow disks.',
  messages: {
    metadata: '`{callee}()` touches the file system on the event loop thread: fast on a local disk, a stall on a network or busy one.',
  },
  docs: `## What it does
Flags file-system metadata calls made directly in an \`async def\`: \`os.path.exists\`, \`isfile\`, \`isdir\`,
\`getsize\`, \`getmtime\`…, \`os.stat\`, \`os.listdir\`, \`os.scandir\`, \`os.walk\`, and the same methods on a
\`pathlib.Path\` the code constructed. Pure path arithmetic (\`os.path.join\`, \`basename\`, \`splitext\`) does
no I/O and is never flagged. It is a hint: most of these calls take microseconds.

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

## Use instead
\`\`\`py
import asyncio
import os

async def cleanup(folder):
    for name in await asyncio.to_thread(os.listdir, folder):
        print(name)
\`\`\`

## Fix safety
No automatic fix: whether a metadata call is worth a thread hop is a judgement call.
`,
  python(ctx) {
    for (const c of asyncCalls(ctx)) {
      if (c.awaited || !c.name || !METADATA.has(c.name)) continue;
      const callee = c.receiverType && c.method ? `Path.${c.method}` : c.callee.text;
      ctx.report(c.call, 'metadata', { callee });
    }
  },
});
export default rule;
