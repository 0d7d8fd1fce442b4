/**
 * `node out/bench/server.js`: the language server's latencies, measured from a client over real
 * JSON-RPC (the spawned `dist/cli.js server`, the spec-level client of the tests). A script, not a
 * test: it prints a table (or, with `--json`, one JSON object) and asserts nothing.
 *
 *   node esbuild.js --tests && node esbuild.js && node out/bench/server.js [--edits N] [--files N] [--json]
 *
 * - keystroke → diagnostics: a 5,000-line asyncio module (bench/generate.ts) open, single-character
 *   edits (typed and backspaced in bursts) anywhere in the file, then inside coroutines; each
 *   `didChange` timed until the `publishDiagnostics` of its version, one keystroke at a time.
 * - request latency while analysing: a `textDocument/codeAction` sent right after each keystroke,
 *   while the engine thread analyses it, timed until its answer.
 * - fast typing: keystrokes 30 ms apart, no waiting; how many analyses were published and the time
 *   from the last keystroke to its diagnostics.
 * - a generated workspace of --files Python modules (default 20,000): the open file's diagnostics
 *   after `didOpen`, the project index's progress `end`, the server's resident memory.
 * - side by side (Ruff's native server does not run here): Pyright's language server
 *   (`pyright-langserver --stdio`, the npm package) on the same file and the same keystrokes,
 *   each timed until Pyright publishes diagnostics for that version (`--no-pyright` skips it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { ContentChange } from '../src/python/document';
import { LspClient, type Message, type PublishedDiagnostics } from '../test/unit/lspClient';
import { generateAsyncModule, keystrokes } from './generate';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const CAPABILITIES = { textDocument: { publishDiagnostics: {} }, window: { workDoneProgress: true }, workspace: {} };

interface Options {
  edits: number;
  files: number;
  json: boolean;
  pyright: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const opts: Options = { edits: 200, files: 20_000, json: false, pyright: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => Number(argv[++i]);
    if (arg === '--edits') opts.edits = value();
    else if (arg === '--files') opts.files = value();
    else if (arg === '--json') opts.json = true;
    else if (arg === '--no-pyright') opts.pyright = false;
    else throw new Error(`unknown option ${arg} (expected --edits N, --files N, --json, --no-pyright)`);
  }
  return opts;
}

function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const stats = (xs: readonly number[]) => ({ medianMs: round(percentile(xs, 50)), p95Ms: round(percentile(xs, 95)), maxMs: round(Math.max(...xs)), n: xs.length });
const round = (x: number) => Math.round(x * 10) / 10;

function rssMb(pid: number | undefined): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024);
  } catch {
    return undefined;
  }
}

/** The LSP range of an engine-style change (offsets into `text`). */
function toLsp(text: string, change: ContentChange): { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string } {
  const position = (offset: number) => {
    const before = text.slice(0, offset);
    const line = before.split('\n').length - 1;
    return { line, character: offset - (before.lastIndexOf('\n') + 1) };
  };
  return { range: { start: position(change.rangeOffset), end: position(change.rangeOffset + change.rangeLength) }, text: change.text };
}

function apply(text: string, change: ContentChange): string {
  return text.slice(0, change.rangeOffset) + change.text + text.slice(change.rangeOffset + change.rangeLength);
}

async function typing(client: LspClient, uri: string, start: string, changes: readonly ContentChange[], firstVersion: number, probeRequests = true): Promise<{ diagnostics: number[]; requests: number[]; text: string; version: number }> {
  let text = start;
  let version = firstVersion;
  const diagnostics: number[] = [];
  const requests: number[] = [];
  for (const change of changes) {
    version++;
    const published = client.nextDiagnostics(uri, version, 60_000);
    const t0 = performance.now();
    client.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [toLsp(text, change)] });
    text = apply(text, change);
    // A request while the engine works on the keystroke: answered by the connection thread.
    if (probeRequests) {
      const r0 = performance.now();
      await client.call('textDocument/codeAction', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } });
      requests.push(performance.now() - r0);
    }
    await published;
    diagnostics.push(performance.now() - t0);
  }
  return { diagnostics, requests, text, version };
}

/** The server's own account of each analysis (ASYNCWISE_SERVER_TRACE): engine time and round trip, by mode. */
function traceStats(stderr: string) {
  const engine: Record<string, number[]> = { edit: [], full: [] };
  const roundTrip: number[] = [];
  let windowed = 0;
  let total = 0;
  for (const m of stderr.matchAll(/asyncwise-trace analyse (edit|full)( fresh)? v\d+ engine ([\d.]+) ms round trip ([\d.]+) ms exact (true|false)/g)) {
    engine[m[1]].push(Number(m[3]));
    roundTrip.push(Number(m[4]) - Number(m[3]));
    total++;
    if (m[5] === 'false') windowed++;
  }
  return { analyses: total, windowed, engineEdit: engine.edit.length ? stats(engine.edit) : undefined, engineFull: engine.full.length ? stats(engine.full) : undefined, transportOverhead: roundTrip.length ? stats(roundTrip) : undefined };
}

async function keystrokeBench(opts: Options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-server-bench-'));
  const file = path.join(dir, 'service.py');
  const text = generateAsyncModule(5000, 7);
  fs.writeFileSync(file, text);
  const client = new LspClient(CLI, { cwd: dir });
  try {
    await client.initialize(CAPABILITIES, { rootUri: pathToFileURL(dir).href });
    const uri = pathToFileURL(file).href;
    const first = client.nextDiagnostics(uri, 1, 60_000);
    const t0 = performance.now();
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
    const opened = await first;
    const openMs = performance.now() - t0;
    // Let the project index's re-analysis pass.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const anywhere = await typing(client, uri, text, keystrokes(text, opts.edits, 11), 1);
    const inside = await typing(client, uri, anywhere.text, keystrokes(anywhere.text, opts.edits, 13, true), anywhere.version);

    // Fast typing: keystrokes 30 ms apart, not waiting for anything.
    let current = inside.text;
    let version = inside.version;
    const burst = keystrokes(current, 60, 17);
    const publishedBefore = client.notifications.filter((n) => n.method === 'textDocument/publishDiagnostics').length;
    let lastSent = 0;
    let lastArrived: Promise<number | undefined> = Promise.resolve(undefined);
    for (const [i, change] of burst.entries()) {
      version++;
      // Waited for before it is sent: its diagnostics may well come within the 30 ms pause below.
      if (i === burst.length - 1) {
        lastArrived = client.nextDiagnostics(uri, version, 60_000).then(
          () => performance.now(),
          () => undefined,
        );
      }
      client.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [toLsp(current, change)] });
      lastSent = performance.now();
      current = apply(current, change);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const arrived = await lastArrived;
    const last = arrived !== undefined;
    const lastMs = (arrived ?? 0) - lastSent;
    const publishedDuring = client.notifications.filter((n) => n.method === 'textDocument/publishDiagnostics').length - publishedBefore;
    const rss = rssMb(client.process.pid);
    await client.shutdown();
    return {
      engine: traceStats(client.stderr),
      file: { lines: text.split('\n').length, findings: opened.diagnostics.length },
      openToDiagnosticsMs: round(openMs),
      keystrokeAnywhere: stats(anywhere.diagnostics),
      keystrokeInCoroutines: stats(inside.diagnostics),
      requestWhileAnalysing: stats([...anywhere.requests, ...inside.requests]),
      fastTyping: { keystrokes: burst.length, intervalMs: 30, published: publishedDuring, lastKeystrokeToDiagnosticsMs: last ? round(lastMs) : undefined },
      serverRssMb: rss,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Pyright's language server on the same 5,000-line module and keystrokes (anywhere, then in
 * coroutines): each `didChange` timed until Pyright publishes diagnostics for its version. Pyright
 * type-checks (a different job); it is the Python language server that runs here, so the figure
 * says what a keystroke costs in the server a Python user most likely has open beside ours.
 */
async function pyrightBench(opts: Options) {
  const langserver = path.join(ROOT, 'node_modules', 'pyright', 'langserver.index.js');
  if (!fs.existsSync(langserver)) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-pyright-bench-'));
  const file = path.join(dir, 'service.py');
  const text = generateAsyncModule(5000, 7);
  fs.writeFileSync(file, text);
  const client = new LspClient(CLI, { cwd: dir, command: [langserver, '--stdio'] });
  client.handlers.set('workspace/configuration', (params) => ((params as { items?: unknown[] }).items ?? []).map(() => null));
  try {
    await client.initialize({ ...CAPABILITIES, textDocument: { publishDiagnostics: { versionSupport: true } }, workspace: { configuration: true } }, { rootUri: pathToFileURL(dir).href });
    const uri = pathToFileURL(file).href;
    const first = client.nextDiagnostics(uri, 1, 120_000);
    const t0 = performance.now();
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
    await first;
    const openMs = performance.now() - t0;
    const anywhere = await typing(client, uri, text, keystrokes(text, opts.edits, 11), 1, false);
    const inside = await typing(client, uri, anywhere.text, keystrokes(anywhere.text, opts.edits, 13, true), anywhere.version, false);
    const rss = rssMb(client.process.pid);
    await client.shutdown().catch(() => undefined);
    return { openToDiagnosticsMs: round(openMs), keystrokeAnywhere: stats(anywhere.diagnostics), keystrokeInCoroutines: stats(inside.diagnostics), serverRssMb: rss };
  } finally {
    if (client.process.exitCode === null) client.process.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function workspaceBench(opts: Options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-server-ws-'));
  try {
    fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[project]\nname = "big"\n');
    fs.mkdirSync(path.join(dir, 'pkg'));
    fs.writeFileSync(path.join(dir, 'pkg', '__init__.py'), '');
    const module = (i: number) => `import time\n\n\ndef helper_${i}(path):\n    with open(path) as f:\n        return f.read()\n\n\nasync def handler_${i}(x):\n    return x + ${i}\n`;
    for (let i = 0; i < opts.files; i++) {
      const pkg = path.join(dir, 'pkg', `p${Math.floor(i / 200)}`);
      if (i % 200 === 0) {
        fs.mkdirSync(pkg, { recursive: true });
        fs.writeFileSync(path.join(pkg, '__init__.py'), '');
      }
      fs.writeFileSync(path.join(pkg, `m${i}.py`), module(i));
    }
    const openFile = path.join(dir, 'app.py');
    const text = 'import asyncio\nimport time\n\nfrom pkg.p0.m1 import helper_1\n\n\nasync def main():\n    time.sleep(1)\n    helper_1("x")\n';
    fs.writeFileSync(openFile, text);
    const client = new LspClient(CLI, { cwd: dir });
    try {
      await client.initialize(CAPABILITIES, { rootUri: pathToFileURL(dir).href });
      const uri = pathToFileURL(openFile).href;
      const first = client.nextDiagnostics(uri, 1, 120_000);
      const indexed = client.next((m: Message) => m.method === '$/progress' && (m.params as { value?: { kind?: string } }).value?.kind === 'end', 300_000, 'the index progress end');
      // The cross-file finding (AW202 through helper_1) arrives after the index.
      const crossFileAt = client.next((m) => m.method === 'textDocument/publishDiagnostics' && (m.params as PublishedDiagnostics).diagnostics.some((d) => d.code === 'AW202'), 300_000, 'AW202').then(
        () => performance.now(),
        () => undefined,
      );
      const t0 = performance.now();
      client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
      await first;
      const firstMs = performance.now() - t0;
      const end = await indexed;
      const indexMs = performance.now() - t0;
      const at = await crossFileAt;
      const crossFile = at === undefined ? undefined : round(at - t0);
      const rss = rssMb(client.process.pid);
      await client.shutdown();
      return { files: opts.files, openFileDiagnosticsMs: round(firstMs), indexReadyMs: round(indexMs), indexMessage: (end.params as { value: { message?: string } }).value.message, crossFileFindingMs: crossFile, serverRssMb: rss };
    } finally {
      if (client.process.exitCode === null) client.process.kill();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  // The spawned servers report each analysis' engine time on stderr (the breakdown below).
  process.env.ASYNCWISE_SERVER_TRACE = '1';
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run node esbuild.js first`);
  const keystroke = await keystrokeBench(opts);
  const workspace = opts.files > 0 ? await workspaceBench(opts) : undefined;
  const pyright = opts.pyright ? await pyrightBench(opts) : undefined;
  const result = { node: process.version, cpus: os.cpus().length, keystroke, workspace, pyright };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const k = keystroke;
  const line = (label: string, s: { medianMs: number; p95Ms: number; maxMs: number; n: number }) => `  ${label.padEnd(44)} median ${s.medianMs} ms   p95 ${s.p95Ms} ms   max ${s.maxMs} ms   (n=${s.n})`;
  const out = [
    `asyncwise server, ${k.file.lines}-line module (${k.file.findings} findings), Node ${process.version}, ${os.cpus().length} CPUs`,
    `  didOpen → diagnostics                       ${k.openToDiagnosticsMs} ms`,
    line('keystroke anywhere → its diagnostics', k.keystrokeAnywhere),
    line('keystroke in a coroutine → its diagnostics', k.keystrokeInCoroutines),
    line('request answered while analysing', k.requestWhileAnalysing),
    `  fast typing: ${k.fastTyping.keystrokes} keystrokes ${k.fastTyping.intervalMs} ms apart → ${k.fastTyping.published} publications (superseded analyses dropped); last keystroke → diagnostics ${k.fastTyping.lastKeystrokeToDiagnosticsMs} ms`,
    `  server resident memory                      ${k.serverRssMb} MB`,
    `  engine thread: ${k.engine.analyses} analyses (${k.engine.windowed} windowed)`,
    ...(k.engine.engineEdit ? [line('  typing-path analysis (engine thread)', k.engine.engineEdit)] : []),
    ...(k.engine.engineFull ? [line('  full analysis (engine thread)', k.engine.engineFull)] : []),
    ...(k.engine.transportOverhead ? [line('  round trip minus engine time', k.engine.transportOverhead)] : []),
  ];
  if (workspace) {
    out.push(
      `workspace of ${workspace.files} Python files`,
      `  didOpen → the open file's diagnostics       ${workspace.openFileDiagnosticsMs} ms`,
      `  index ready (progress end)                  ${workspace.indexReadyMs} ms (${workspace.indexMessage})`,
      `  cross-file finding (AW202) published        ${workspace.crossFileFindingMs ?? 'never'} ms`,
      `  server resident memory                      ${workspace.serverRssMb} MB`,
    );
  }
  if (pyright) {
    const ratio = (ours: number, theirs: number) => `${(theirs / ours).toFixed(1)}× asyncwise's`;
    out.push(
      `Pyright ${pyrightVersion()} language server, same module and keystrokes (its own diagnostics: a type checker's)`,
      `  didOpen → diagnostics                       ${pyright.openToDiagnosticsMs} ms`,
      `${line('keystroke anywhere → its diagnostics', pyright.keystrokeAnywhere)}   median ${ratio(k.keystrokeAnywhere.medianMs, pyright.keystrokeAnywhere.medianMs)}`,
      `${line('keystroke in a coroutine → its diagnostics', pyright.keystrokeInCoroutines)}   median ${ratio(k.keystrokeInCoroutines.medianMs, pyright.keystrokeInCoroutines.medianMs)}`,
      `  server resident memory                      ${pyright.serverRssMb} MB`,
    );
  } else if (opts.pyright) out.push('Pyright: node_modules/pyright is missing (npm ci installs it), not run');
  process.stdout.write(`${out.join('\n')}\n`);
}

function pyrightVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'pyright', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
