/**
 * `asyncwise server` over real JSON-RPC: each test spawns the bundle (`node dist/cli.js server
 * --stdio`) and talks to it with the spec-level client in lspClient.ts, on a scratch copy of the
 * demo workspace (demo/python: its pyproject.toml turns the hint rules into warnings).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './helpers';
import { applyLspEdits, editsFor, LspClient, positionOf, type CodeAction, type LspDiagnostic, type WorkspaceEdit } from './lspClient';

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist', 'cli.js');

/** What a client that can pull diagnostics, take versioned edits and answer configuration says. */
const PULL_CAPABILITIES = {
  textDocument: { diagnostic: { dynamicRegistration: false }, codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source.fixAll'] } } }, synchronization: { didSave: true } },
  workspace: { configuration: true, workspaceEdit: { documentChanges: true }, diagnostics: { refreshSupport: true }, didChangeWatchedFiles: { dynamicRegistration: true } },
  window: { workDoneProgress: true, showDocument: { support: true } },
};
/** A client with no pull support, no configuration requests, plain `changes` edits (Neovim 0.7-like). */
const PUSH_CAPABILITIES = { textDocument: { publishDiagnostics: { relatedInformation: true } }, workspace: {} };

let workspace: string;
let workspaceUri: string;
const uriOf = (file: string) => pathToFileURL(path.join(workspace, file)).href;
const read = (file: string) => fs.readFileSync(path.join(workspace, file), 'utf8');

before(() => {
  if (!fs.existsSync(CLI)) {
    const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `building dist/cli.js failed: ${build.stderr}`);
  }
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-server-'));
  fs.cpSync(path.join(ROOT, 'demo', 'python'), workspace, { recursive: true });
  workspaceUri = pathToFileURL(workspace).href;
});

after(() => fs.rmSync(workspace, { recursive: true, force: true }));

/** Opens `text` (by default the demo file's) under the name `as`, in the demo workspace. */
function open(client: LspClient, file: string, text = read(file), as = file): string {
  const uri = uriOf(as);
  client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
  return uri;
}

/** Closes a document and waits for its diagnostics to be cleared (a push client). */
async function close(client: LspClient, uri: string): Promise<void> {
  const cleared = client.next((m) => m.method === 'textDocument/publishDiagnostics' && (m.params as { uri: string; diagnostics: unknown[] }).uri === uri && (m.params as { diagnostics: unknown[] }).diagnostics.length === 0, 10_000, `cleared diagnostics of ${uri}`);
  client.notify('textDocument/didClose', { textDocument: { uri } });
  await cleared;
}

function codes(diagnostics: readonly LspDiagnostic[]): string[] {
  return diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${String(d.code)}`);
}

/** The CLI's view of the same text: `check --stdin-filename`, JSON. */
function cliProblems(file: string, text: string, extra: readonly string[] = []): { line: number; column: number; code: string; severity: string }[] {
  const run = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--hints', '--no-cache', '--stdin-filename', path.join(workspace, file), ...extra], { input: text, encoding: 'utf8', cwd: workspace });
  return JSON.parse(run.stdout) as { line: number; column: number; code: string; severity: string }[];
}

describe('asyncwise server, push diagnostics (a client without pull)', () => {
  let client: LspClient;
  before(async () => {
    client = new LspClient(CLI, { cwd: workspace });
    const init = await client.initialize(PUSH_CAPABILITIES, { rootUri: workspaceUri });
    assert.deepEqual(init.capabilities.textDocumentSync, { openClose: true, change: 2 }, 'incremental sync');
    assert.equal(init.capabilities.diagnosticProvider, undefined, 'no pull for a client that cannot pull');
  });
  after(async () => {
    assert.equal(await client.shutdown(), 0);
  });

  test('diagnostics match the CLI on the same file: positions, codes, severities, docs links', async () => {
    const diagnostics = client.nextDiagnostics(uriOf('worker.py'));
    const uri = open(client, 'worker.py');
    const published = await diagnostics;
    assert.equal(published.version, 1);
    const expected = cliProblems('worker.py', read('worker.py'));
    assert.ok(expected.length >= 8, `the demo has findings: ${JSON.stringify(expected)}`);
    assert.deepEqual(codes(published.diagnostics).sort(), expected.map((p) => `${p.line}:${p.column} ${p.code}`).sort());
    const severity = { error: 1, warning: 2, info: 3, hint: 4 } as Record<string, number>;
    for (const p of expected) {
      const d = published.diagnostics.find((x) => x.range.start.line + 1 === p.line && x.code === p.code)!;
      assert.equal(d.severity, severity[p.severity], `${p.code} at line ${p.line}`);
      assert.equal(d.source, 'asyncwise');
      assert.match(d.codeDescription?.href ?? '', /\/docs\/rules\/[a-z-]+\.md$/);
    }
    // The demo's pyproject.toml names AW203 a hint: the LSP Hint severity.
    assert.ok(published.diagnostics.some((d) => d.code === 'AW203' && d.severity === 4));
    await close(client, uri);
  });

  test('code actions: the exact quick-fix edit (safe preferred, unsafe labelled), ignore on this line, docs', async () => {
    const text = read('worker.py');
    const first = client.nextDiagnostics(uriOf('worker_actions.py'));
    const uri = open(client, 'worker.py', text, 'worker_actions.py');
    const { diagnostics } = await first;
    const sleep = diagnostics.find((d) => d.code === 'AW201' && d.message.includes('time.sleep'))!;
    assert.ok(sleep, 'time.sleep flagged');
    const actions = await client.call<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: sleep.range, context: { diagnostics: [sleep] } });
    const preferred = actions.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, JSON.stringify(actions.map((a) => a.title)));
    const fixed = applyLspEdits(text, editsFor(preferred[0].edit, uri));
    assert.ok(fixed.includes('        await asyncio.sleep(0.2)\n'), fixed.slice(0, 1500));
    assert.ok(!fixed.includes('time.sleep(0.2)'));
    // `requests.get` has only an unsafe fix (a worker thread): offered, labelled, not preferred.
    const http = diagnostics.find((d) => d.code === 'AW201' && d.message.includes('requests.get'))!;
    const httpActions = await client.call<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: http.range, context: { diagnostics: [http] } });
    const unsafe = httpActions.filter((a) => /\(unsafe\)$/.test(a.title));
    assert.ok(unsafe.length > 0 && unsafe.every((a) => !a.isPreferred), JSON.stringify(httpActions.map((a) => [a.title, a.isPreferred])));
    assert.ok(applyLspEdits(text, editsFor(unsafe[0].edit, uri)).includes('await asyncio.to_thread(requests.get, UPSTREAM, timeout=5)'));
    const ignore = actions.find((a) => a.title === 'Ignore AW201 on this line')!;
    const line = sleep.range.start.line;
    assert.equal(applyLspEdits(text, editsFor(ignore.edit, uri)).split('\n')[line], `${text.split('\n')[line]}  # noqa: AW201`);
    const docs = actions.find((a) => a.command?.command === 'asyncwise.server.showRuleDocs')!;
    assert.deepEqual(docs.command?.arguments, ['AW201']);
    const shown = await client.call<{ url: string }>('workspace/executeCommand', { command: 'asyncwise.server.showRuleDocs', arguments: ['AW201'] });
    assert.match(shown.url, /blocking-call-in-async\.md$/);
    await close(client, uri);
  });

  test('incremental changes: diagnostics follow the edit, for the new version only', async () => {
    const text = read('worker.py');
    const first = client.nextDiagnostics(uriOf('worker_edits.py'));
    const uri = open(client, 'worker.py', text, 'worker_edits.py');
    const before = await first;
    // Two lines inserted above everything, then a blocking call typed into `handle` in two changes of one notification.
    const at = positionOf(text, '        self.processed += 1');
    const v2 = client.nextDiagnostics(uri, 3);
    client.notify('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# one\n# two\n' }],
    });
    client.notify('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [
        { range: { start: { line: at.line + 2, character: 0 }, end: { line: at.line + 2, character: 0 } }, text: '        time.sleep(1)\n' },
        { range: { start: { line: at.line + 3, character: 0 }, end: { line: at.line + 3, character: 0 } }, text: '        os.system("ls")\n' },
      ],
    });
    const after = await v2;
    const expected = cliProblems('worker_edits.py', `# one\n# two\n${text}`.replace('        self.processed += 1\n', '        time.sleep(1)\n        os.system("ls")\n        self.processed += 1\n'));
    assert.deepEqual(codes(after.diagnostics).sort(), expected.map((p) => `${p.line}:${p.column} ${p.code}`).sort());
    assert.equal(after.diagnostics.length, before.diagnostics.length + 2);
    await close(client, uri);
  });

  test('fix all: source.fixAll.asyncwise and the fix-all command give what `check --fix` writes', async () => {
    const text = read('worker.py');
    const first = client.nextDiagnostics(uriOf('worker_fixes.py'));
    const uri = open(client, 'worker.py', text, 'worker_fixes.py');
    await first;
    const actions = await client.call<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll.asyncwise'] },
    });
    assert.deepEqual(actions.map((a) => a.kind), ['source.fixAll.asyncwise']);
    const fixed = applyLspEdits(text, editsFor(actions[0].edit, uri));
    const cli = spawnSync(process.execPath, [CLI, 'check', '--fix', '--no-cache', '--stdin-filename', path.join(workspace, 'worker_fixes.py')], { input: text, encoding: 'utf8', cwd: workspace });
    assert.equal(fixed, cli.stdout);
    assert.notEqual(fixed, text);
    // The command: the server asks the client to apply the same edit.
    let applied: WorkspaceEdit | undefined;
    client.handlers.set('workspace/applyEdit', (params) => {
      applied = (params as { edit: WorkspaceEdit }).edit;
      return { applied: true };
    });
    const result = await client.call<{ applied: number }>('workspace/executeCommand', { command: 'asyncwise.server.fixAll', arguments: [uri] });
    assert.ok(result.applied > 0);
    assert.equal(applyLspEdits(text, editsFor(applied, uri)), cli.stdout);
    await close(client, uri);
  });

  test('an unknown method gets an error reply and a malformed message is survived', async () => {
    const unknown = await client.request('asyncwise/noSuchMethod', {}).response;
    assert.equal(unknown.error?.code, -32601);
    client.writeRaw('{"jsonrpc": "2.0", "id": 999, "method": ');
    client.writeRaw('{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": 42}');
    const diagnostics = client.nextDiagnostics(uriOf('storage.py'));
    const uri = open(client, 'storage.py');
    assert.ok((await diagnostics).diagnostics.length >= 0);
    await close(client, uri);
  });
});

describe('asyncwise server, pull diagnostics and configuration', () => {
  let client: LspClient;
  let clientSettings: Record<string, unknown> = {};
  before(async () => {
    client = new LspClient(CLI, { cwd: workspace });
    client.handlers.set('workspace/configuration', (params) => (params as { items: unknown[] }).items.map(() => clientSettings));
    const init = await client.initialize(PULL_CAPABILITIES, { rootUri: workspaceUri });
    assert.deepEqual(init.capabilities.diagnosticProvider, { identifier: 'asyncwise', interFileDependencies: true, workspaceDiagnostics: false });
  });
  after(async () => {
    assert.equal(await client.shutdown(), 0);
  });

  test('a pull returns the diagnostics, then `unchanged` for the same result; nothing is pushed', async () => {
    const uri = open(client, 'worker.py');
    const report = await client.call<{ kind: string; resultId: string; items: LspDiagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } });
    assert.equal(report.kind, 'full');
    assert.deepEqual(codes(report.items).sort(), cliProblems('worker.py', read('worker.py')).map((p) => `${p.line}:${p.column} ${p.code}`).sort());
    const again = await client.call<{ kind: string }>('textDocument/diagnostic', { textDocument: { uri }, previousResultId: report.resultId });
    assert.equal(again.kind, 'unchanged');
    assert.equal(client.notifications.filter((n) => n.method === 'textDocument/publishDiagnostics').length, 0);
    client.notify('textDocument/didClose', { textDocument: { uri } });
  });

  test('client settings (workspace/configuration) apply on top of pyproject.toml, re-read on didChangeConfiguration', async () => {
    clientSettings = { rules: { AW201: 'error' } };
    client.notify('workspace/didChangeConfiguration', { settings: null });
    const uri = open(client, 'worker.py');
    const pull = async () => (await client.call<{ items: LspDiagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } })).items;
    const first = await pull();
    assert.ok(first.filter((d) => d.code === 'AW201').length >= 2);
    assert.ok(first.filter((d) => d.code === 'AW201').every((d) => d.severity === 1), 'AW201 an error');
    assert.ok(first.some((d) => d.code === 'AW101' && d.severity === 2), 'the rest as pyproject.toml says');
    clientSettings = { rules: { AW201: 'off' } };
    const refresh = client.next((m) => m.method === 'workspace/diagnostic/refresh', 10_000, 'a refresh request');
    client.notify('workspace/didChangeConfiguration', { settings: null });
    await refresh;
    const second = await pull();
    assert.equal(second.filter((d) => d.code === 'AW201').length, 0);
    assert.equal(second.length, first.length - first.filter((d) => d.code === 'AW201').length);
    clientSettings = {};
    client.notify('textDocument/didClose', { textDocument: { uri } });
  });

  test('a pull waiting for an analysis is cancelled by $/cancelRequest', async () => {
    // A large module keeps the engine busy long enough for the cancellation to arrive first.
    const big = read('worker.py').repeat(80);
    const uri = open(client, 'worker.py', big, 'big.py');
    const { id, response } = client.request('textDocument/diagnostic', { textDocument: { uri } });
    // Once the server has started on the request (a cancellation read before it is ignored, as the
    // protocol allows), well before the analysis of ~6,000 lines ends.
    await new Promise((resolve) => setTimeout(resolve, 30));
    client.notify('$/cancelRequest', { id });
    const answer = await response;
    assert.equal(answer.error?.code, -32800, JSON.stringify(answer).slice(0, 300));
    // The server is fine afterwards: the next pull answers.
    const report = await client.call<{ items: LspDiagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } });
    assert.ok(report.items.some((d) => d.code === 'AW201'));
    client.notify('textDocument/didClose', { textDocument: { uri } });
  });

  test('cross-file: AW202 through a helper of another module arrives once the project index is built', async () => {
    const uri = open(client, 'notifier.py');
    const deadline = Date.now() + 20_000;
    let items: LspDiagnostic[] = [];
    while (Date.now() < deadline) {
      items = (await client.call<{ items: LspDiagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } })).items;
      if (items.some((d) => d.code === 'AW202')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual(codes(items).sort(), cliProblems('notifier.py', read('notifier.py')).map((p) => `${p.line}:${p.column} ${p.code}`).sort());
    // Each function of the chain is a related location: save_subscribers() → _write_atomically() → open().
    const chain = items.find((d) => d.code === 'AW202')!;
    const storage = read('storage.py').split('\n');
    assert.deepEqual(
      chain.relatedInformation?.map((r) => [path.basename(new URL(r.location.uri).pathname), storage[r.location.range.start.line].trim().replace(/\(.*/, ''), r.message]),
      [
        ['storage.py', 'def save_subscribers', '`save_subscribers()` calls `_write_atomically()`'],
        ['storage.py', 'def _write_atomically', '`_write_atomically()` calls `open()`, which blocks the event loop'],
      ],
    );
    client.notify('textDocument/didClose', { textDocument: { uri } });
  });

  test('a 100,000-line document: diagnostics arrive and requests are answered while it is analysed', async () => {
    const lines: string[] = ['import asyncio', 'import time', ''];
    while (lines.length < 100_000) lines.push('async def handler(n):', '    time.sleep(n)', '    return n', '');
    const uri = open(client, 'worker.py', lines.join('\n'), 'huge.py');
    const pulled = client.call<{ items: LspDiagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } }, 120_000);
    // While the engine works on it, another request is answered at once.
    const t0 = Date.now();
    const unknown = await client.request('asyncwise/noSuchMethod', {}).response;
    const answeredIn = Date.now() - t0;
    assert.equal(unknown.error?.code, -32601);
    const { items } = await pulled;
    assert.equal(items.filter((d) => d.code === 'AW201').length, 25_000);
    assert.ok(answeredIn < 2000, `a request waited ${answeredIn} ms behind the analysis`);
    client.notify('textDocument/didClose', { textDocument: { uri } });
  });
});

describe('asyncwise server, time budget', () => {
  test('a file past the time budget is abandoned with one log line, its diagnostics cleared, and the server carries on', async () => {
    const client = new LspClient(CLI, { cwd: workspace });
    // Awaits nested 1,500 deep: about 40 s of analysis without a budget (the fuzz campaign's input).
    const deep = `import asyncio\nasync def f():\n    x = ${'await '.repeat(1500)}g()\n`;
    await client.initialize(PUSH_CAPABILITIES, { rootUri: workspaceUri, initializationOptions: { settings: { timeBudget: 0.2 } } });
    const logged = client.next((m) => m.method === 'window/logMessage' && /deep\.py: analysis abandoned after 0\.2 s/.test(String((m.params as { message: string }).message)), 60_000, 'the budget log line');
    const deepDiagnostics = client.nextDiagnostics(uriOf('deep.py'), undefined, 60_000);
    open(client, 'deep.py', deep);
    await logged;
    assert.deepEqual((await deepDiagnostics).diagnostics, []);
    // Still answering: another file gets its diagnostics.
    const workerDiagnostics = client.nextDiagnostics(uriOf('worker.py'), undefined, 60_000);
    open(client, 'worker.py');
    assert.ok((await workerDiagnostics).diagnostics.length > 0);
    assert.equal(await client.shutdown(), 0);
  });
});

describe('asyncwise server, lifecycle', () => {
  test('exits when the editor process that started it dies (processId)', async () => {
    const parent = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const client = new LspClient(CLI, { cwd: workspace });
    await client.initialize(PUSH_CAPABILITIES, { rootUri: workspaceUri, processId: parent.pid });
    parent.kill('SIGKILL');
    const code = await Promise.race([client.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    if (code === 'still running') client.process.kill('SIGKILL');
    assert.notEqual(code, 'still running');
  });

  test('exits when its stdin closes', async () => {
    const client = new LspClient(CLI, { cwd: workspace });
    await client.initialize(PUSH_CAPABILITIES, { rootUri: workspaceUri });
    client.process.stdin.end();
    const code = await Promise.race([client.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000))]);
    if (code === 'still running') client.process.kill('SIGKILL');
    assert.notEqual(code, 'still running');
  });

  test('settings from initializationOptions, for clients that send no configuration requests', async () => {
    const client = new LspClient(CLI, { cwd: workspace });
    await client.initialize(PUSH_CAPABILITIES, { rootUri: workspaceUri, initializationOptions: { settings: { rules: { 'blocking-call-in-async': 'off' } } } });
    const diagnostics = client.nextDiagnostics(uriOf('worker.py'));
    open(client, 'worker.py');
    const published = await diagnostics;
    assert.ok(published.diagnostics.length > 0);
    assert.equal(published.diagnostics.filter((d) => d.code === 'AW201').length, 0);
    assert.equal(await client.shutdown(), 0);
  });
});
