/**
 * The tsserver plugin inside a real tsserver, the way VS Code runs it: `--globalPlugins
 * asyncwise-tsserver-plugin --pluginProbeLocations <this repository>` (the build writes the plugin
 * package into node_modules, where tsserver resolves it), for TypeScript 5.9 and 6.0. Also the
 * plugin listed in a tsconfig.json `plugins` entry, as outside VS Code.
 *
 * Checked over tsserver's protocol: `getSupportedCodeFixes` with no arguments lists our codes (VS Code
 * asks for fixes only for those), `geterr` reports our diagnostics next to TypeScript's, `getCodeFixes`
 * and `getCombinedCodeFix` return exactly the expected edits, `configurePlugin` changes severity, and a
 * malformed configuration is logged, not fatal.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CATALOG } from '../../src/core/catalog';
import { applyEdits, LineIndex } from '../../src/core/finding';
import { formatMessage } from '../../src/core/rule';
import { isRuleFixAllTitle, isUnattendedFix } from '../../src/extension/fixAllPlan';
import { EDITOR_SHOWS_FINDINGS, FINDINGS_REQUEST, FIX_ALL_REQUEST, numericCode, PLUGIN_NAME, type FindingsBody, type FixAllBody } from '../../src/tsplugin/codes';
import { repoRoot } from './helpers';
import { TsServer, type ProtocolDiagnostic } from './tsserverClient';

const ROOT = repoRoot();
const PLUGIN_DIR = path.join(ROOT, 'node_modules', PLUGIN_NAME);
const AW201 = numericCode('AW201')!;

/** Two TypeScript versions tsserver plugins load in: the pinned 5.9 and the 6.0 VS Code bundles. */
const VERSIONS = [
  { label: 'TypeScript 5.9', dir: path.join(ROOT, 'node_modules', 'typescript') },
  { label: 'TypeScript 6.0', dir: path.join(ROOT, 'node_modules', 'typescript-6.0') },
];

const SERVICE = `import * as fs from 'node:fs';

export async function loadConfig(file: string): Promise<string> {
  const raw = fs.readFileSync(file, 'utf8');
  return raw.trim();
}

export async function loadPair(a: string, b: string): Promise<string[]> {
  const first = fs.readFileSync(a, 'utf8');
  const second = fs.readFileSync(b, 'utf8');
  return [first, second];
}

export function loadAtStartup(file: string): string {
  // Sync code may block as it likes: a CLI or start-up path is not on a busy loop.
  return fs.readFileSync(file, 'utf8');
}
`;

/** The three AW201 calls, each located after its anchor. */
const CALLS = [
  { snippet: "fs.readFileSync(file, 'utf8')", after: 'loadConfig' },
  { snippet: "fs.readFileSync(a, 'utf8')", after: 'loadPair' },
  { snippet: "fs.readFileSync(b, 'utf8')", after: 'loadPair' },
];

function locate(text: string, snippet: string, anchor: string): number {
  const from = text.indexOf(anchor);
  const at = text.indexOf(snippet, from);
  assert.ok(from >= 0 && at >= 0, `${snippet} after ${anchor}`);
  return at;
}

function toOffset(lines: LineIndex, loc: { line: number; offset: number }): number {
  return lines.offset({ line: loc.line - 1, column: loc.offset - 1 });
}

function toLocation(lines: LineIndex, offset: number): { line: number; offset: number } {
  const p = lines.position(offset);
  return { line: p.line + 1, offset: p.column + 1 };
}

interface ProtocolTextChange {
  start: { line: number; offset: number };
  end: { line: number; offset: number };
  newText: string;
}

/** Applies tsserver text changes (1-based line/offset) to a text, last first. */
function applyChanges(text: string, changes: readonly ProtocolTextChange[]): string {
  const lines = new LineIndex(text);
  const edits = changes.map((c) => ({ start: toOffset(lines, c.start), end: toOffset(lines, c.end), newText: c.newText })).sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

function ours(diagnostics: readonly ProtocolDiagnostic[]): ProtocolDiagnostic[] {
  return diagnostics.filter((d) => d.source === 'asyncwise');
}

/** "start-end category" of each AW201 diagnostic, in order, for exact comparison. */
function spans(text: string, diagnostics: readonly ProtocolDiagnostic[]): string[] {
  const lines = new LineIndex(text);
  return diagnostics.map((d) => `${d.code} ${JSON.stringify(text.slice(toOffset(lines, d.start), toOffset(lines, d.end)))}@${toOffset(lines, d.start)} ${d.category}`);
}

function expectedSpans(text: string, category: string): string[] {
  return CALLS.map((c) => `${AW201} ${JSON.stringify(c.snippet)}@${locate(text, c.snippet, c.after)} ${category}`);
}

/** What the AW201 fix makes of a call: the promise API, awaited, same arguments. */
function promisesCall(call: string): string {
  return `await ${call.replace('fs.readFileSync(', 'fs.promises.readFile(')}`;
}

/**
 * A project of one file. AW201 is a hint in TS/JS by default (docs/ecosystem.md); `packageJson`
 * holds the project's own config, which the plugin reads as the CLI does.
 */
function makeProject(tsconfig: object, packageJson?: object): { dir: string; file: string } {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-tsserver-')));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  if (packageJson) fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(packageJson, null, 2));
  const file = path.join(dir, 'service.ts');
  fs.writeFileSync(file, SERVICE);
  return { dir, file };
}

const COMPILER_OPTIONS = { target: 'es2022', module: 'commonjs', strict: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')] };

before(() => {
  assert.ok(fs.existsSync(path.join(PLUGIN_DIR, 'index.js')), `${PLUGIN_DIR} is missing: run "node esbuild.js" first`);
});

for (const version of VERSIONS) {
  describe(`the plugin in a real tsserver (${version.label}, VS Code's flags)`, () => {
    let server: TsServer;
    let project: { dir: string; file: string };

    before(async () => {
      project = makeProject({ compilerOptions: COMPILER_OPTIONS, include: ['*.ts'] }, { name: 'service', asyncwise: { rules: { 'blocking-call-in-async': 'warning' } } });
      server = new TsServer({ typescriptDir: version.dir, globalPlugins: [PLUGIN_NAME], pluginProbeLocations: [ROOT] });
      await server.request('configure', { preferences: {} });
      server.open(project.file, project.dir);
    });

    after(async () => {
      await server?.close();
      fs.rmSync(project.dir, { recursive: true, force: true });
    });

    test('geterr reports AW201 on the blocking calls in async functions, as warnings (the package.json config), and nothing in sync code', async () => {
      const { semantic, suggestion } = await server.diagnostics(project.file);
      assert.deepEqual(spans(SERVICE, ours(semantic)), expectedSpans(SERVICE, 'warning'), server.log().slice(-3000));
      assert.deepEqual(ours(suggestion), []);
      // TypeScript's own check ran too and found nothing wrong with the file.
      assert.deepEqual(semantic.filter((d) => d.source !== 'asyncwise').map((d) => d.text), []);
      const rule = CATALOG.find((r) => r.code === 'AW201')!;
      assert.equal(ours(semantic)[0].text, formatMessage(rule.messages.file, { callee: 'fs.readFileSync', alternative: '' }));
      assert.match(server.log(), /\[asyncwise\] decorating/);
    });

    test('getSupportedCodeFixes with no arguments lists our codes (VS Code asks for fixes only for those)', async () => {
      const codes = await server.request<string[]>('getSupportedCodeFixes');
      assert.ok(codes.includes(String(AW201)), `${AW201} not among ${codes.length} supported codes`);
    });

    test('getCodeFixes on one call returns the promise-API fix and the ignore comment, with exact edits', async () => {
      const lines = new LineIndex(SERVICE);
      const at = locate(SERVICE, CALLS[0].snippet, CALLS[0].after);
      const fixes = await server.request<{ fixName: string; description: string; changes: { fileName: string; textChanges: ProtocolTextChange[] }[]; fixId?: string; fixAllDescription?: string }[]>('getCodeFixes', {
        file: project.file,
        ...(() => {
          const s = toLocation(lines, at);
          const e = toLocation(lines, at + CALLS[0].snippet.length);
          return { startLine: s.line, startOffset: s.offset, endLine: e.line, endOffset: e.offset };
        })(),
        errorCodes: [AW201],
      });
      const replace = fixes.find((f) => f.fixName === 'asyncwise.AW201');
      assert.ok(replace, `no AW201 fix among ${JSON.stringify(fixes.map((f) => f.description))}`);
      assert.equal(replace.changes.length, 1);
      assert.equal(replace.changes[0].fileName, project.file);
      const fixed = applyChanges(SERVICE, replace.changes[0].textChanges);
      assert.equal(fixed, SERVICE.slice(0, at) + promisesCall(CALLS[0].snippet) + SERVICE.slice(at + CALLS[0].snippet.length));
      // The file has three AW201 findings with safe fixes: the fix offers "fix all" too.
      assert.equal(replace.fixId, 'asyncwise:AW201');
      // What the "Fix All in This File" command looks for in VS Code's menu (fixAllPlan.ts).
      assert.ok(isRuleFixAllTitle(replace.fixAllDescription ?? '', 'AW201'), `fix-all title ${replace.fixAllDescription}`);
      assert.ok(isUnattendedFix(replace.description, false), `${replace.description} is a safe fix`);

      const ignore = fixes.find((f) => f.fixName === 'asyncwise.ignore');
      assert.ok(ignore, 'no ignore action');
      assert.equal(ignore.description, 'Ignore AW201 on this line');
      assert.ok(!isUnattendedFix(ignore.description, true), 'fix all never adds ignore comments');
      assert.equal(
        applyChanges(SERVICE, ignore.changes[0].textChanges),
        SERVICE.replace("  const raw = fs.readFileSync(file, 'utf8');", "  // asyncwise-ignore-next-line AW201\n  const raw = fs.readFileSync(file, 'utf8');"),
      );
    });

    test('getCombinedCodeFix fixes every AW201 of the file and leaves sync code alone', async () => {
      const combined = await server.request<{ changes: { fileName: string; textChanges: ProtocolTextChange[] }[] }>('getCombinedCodeFix', {
        scope: { type: 'file', args: { file: project.file } },
        fixId: 'asyncwise:AW201',
      });
      assert.equal(combined.changes.length, 1);
      let expected = SERVICE;
      for (const c of [...CALLS].reverse()) {
        const at = locate(expected, c.snippet, c.after);
        expected = expected.slice(0, at) + promisesCall(c.snippet) + expected.slice(at + c.snippet.length);
      }
      assert.equal(applyChanges(SERVICE, combined.changes[0].textChanges), expected);
      assert.ok(expected.includes("  return fs.readFileSync(file, 'utf8');\n}"), 'the sync function keeps its call');
    });

    test('configurePlugin changes severity, then turns the rule off, and tsserver asks the editor to refresh', async () => {
      const refreshed = server.waitForEvent('projectsUpdatedInBackground', (m) => m.event === 'projectsUpdatedInBackground', 20_000);
      await server.request('configurePlugin', { pluginName: PLUGIN_NAME, configuration: { rules: { AW201: 'error' } } });
      await refreshed;
      let { semantic, suggestion } = await server.diagnostics(project.file);
      assert.deepEqual(spans(SERVICE, ours(semantic)), expectedSpans(SERVICE, 'error'));

      await server.request('configurePlugin', { pluginName: PLUGIN_NAME, configuration: { rules: { 'blocking-call-in-async': 'hint' } } });
      ({ semantic, suggestion } = await server.diagnostics(project.file));
      assert.deepEqual(ours(semantic), []);
      assert.deepEqual(spans(SERVICE, ours(suggestion)), expectedSpans(SERVICE, 'suggestion'));

      await server.request('configurePlugin', { pluginName: PLUGIN_NAME, configuration: { rules: { AW201: 'off' } } });
      ({ semantic, suggestion } = await server.diagnostics(project.file));
      assert.deepEqual([...ours(semantic), ...ours(suggestion)], []);

      // Malformed settings are logged and ignored: defaults apply and tsserver lives on.
      await server.request('configurePlugin', { pluginName: PLUGIN_NAME, configuration: { rules: 5, enable: 'yes' } });
      ({ semantic } = await server.diagnostics(project.file));
      assert.deepEqual(spans(SERVICE, ours(semantic)), expectedSpans(SERVICE, 'warning'));
      assert.match(server.log(), /\[asyncwise\] setting ignored: rules: expected an object/);
      assert.ok(server.alive);
    });

    test('VS Code\'s extension asks _asyncwise.findings and _asyncwise.fixAll; with editorShowsFindings the diagnostics leave them out', async () => {
      await server.request('configurePlugin', { pluginName: PLUGIN_NAME, configuration: {} });
      const { findings } = await server.request<FindingsBody>(FINDINGS_REQUEST, { file: project.file });
      // The same findings geterr reports, with the rule's own code and their (re-parsing) fixes.
      assert.deepEqual(
        findings.map((f) => `${f.code} ${JSON.stringify(SERVICE.slice(f.start, f.end))}@${f.start} ${f.severity}`),
        CALLS.map((c) => `AW201 ${JSON.stringify(c.snippet)}@${locate(SERVICE, c.snippet, c.after)} warning`),
      );
      const first = findings[0];
      assert.equal(applyEdits(SERVICE, first.fixes[0].edits), SERVICE.slice(0, first.start) + promisesCall(CALLS[0].snippet) + SERVICE.slice(first.end));
      assert.equal(first.fixes[0].safety, 'safe');

      const fixAll = await server.request<FixAllBody>(FIX_ALL_REQUEST, { file: project.file });
      assert.equal(fixAll.applied, 3);
      assert.ok(fixAll.text.includes('await fs.promises.readFile(b, ') && fixAll.text.includes("  return fs.readFileSync(file, 'utf8');\n}"), fixAll.text);

      await server.request('configurePlugin', { pluginName: PLUGIN_NAME, configuration: { [EDITOR_SHOWS_FINDINGS]: true } });
      const { semantic, suggestion } = await server.diagnostics(project.file);
      assert.deepEqual([...ours(semantic), ...ours(suggestion)], [], 'listed twice in VS Code');
      // The flag is not a setting: nothing is logged as ignored, and the findings are still there to ask for.
      assert.doesNotMatch(server.log(), /setting ignored: editorShowsFindings/);
      assert.equal((await server.request<FindingsBody>(FINDINGS_REQUEST, { file: project.file })).findings.length, 3);
      await assert.rejects(server.request(FINDINGS_REQUEST, {}), /expected arguments \{ file: string \}/);
      await server.request('configurePlugin', { pluginName: PLUGIN_NAME, configuration: {} });
      assert.deepEqual(spans(SERVICE, ours((await server.diagnostics(project.file)).semantic)), expectedSpans(SERVICE, 'warning'));
    });

    test('_asyncwise.findings answers for a project opened after the first one (tsserver makes a plugin instance per project)', async () => {
      // In the editor suite the inspector's demo opened another project first, and the handlers the
      // first instance registered knew only its own project: every later file answered an error.
      const second = makeProject({ compilerOptions: COMPILER_OPTIONS, include: ['*.ts'] }, { name: 'second' });
      try {
        server.open(second.file, second.dir);
        const { findings } = await server.request<FindingsBody>(FINDINGS_REQUEST, { file: second.file });
        assert.deepEqual(findings.map((f) => f.code), CALLS.map(() => 'AW201'));
      } finally {
        fs.rmSync(second.dir, { recursive: true, force: true });
      }
    });

    test('a project made after the editor took over the findings does not report them to tsserver again', async () => {
      // tsserver hands a later project the editor's configuration as its plugin entry, not through
      // onConfigurationChanged: the flag must be read there too, or VS Code lists each finding twice.
      await server.request('configurePlugin', { pluginName: PLUGIN_NAME, configuration: { [EDITOR_SHOWS_FINDINGS]: true } });
      const third = makeProject({ compilerOptions: COMPILER_OPTIONS, include: ['*.ts'] }, { name: 'third' });
      try {
        server.open(third.file, third.dir);
        const { semantic, suggestion } = await server.diagnostics(third.file);
        assert.deepEqual([...ours(semantic), ...ours(suggestion)], [], 'listed twice in VS Code');
        assert.equal((await server.request<FindingsBody>(FINDINGS_REQUEST, { file: third.file })).findings.length, CALLS.length);
        assert.doesNotMatch(server.log(), /setting ignored: editorShowsFindings/);
      } finally {
        await server.request('configurePlugin', { pluginName: PLUGIN_NAME, configuration: {} });
        fs.rmSync(third.dir, { recursive: true, force: true });
      }
    });
  });
}

describe('the plugin from a tsconfig.json plugins entry (outside VS Code)', () => {
  let server: TsServer;
  let project: { dir: string; file: string };

  before(() => {
    project = makeProject({ compilerOptions: { ...COMPILER_OPTIONS, plugins: [{ name: PLUGIN_NAME, rules: { AW201: 'error' } }] }, include: ['*.ts'] });
    // No --globalPlugins: only the tsconfig entry loads it, found in the probe location.
    server = new TsServer({ typescriptDir: VERSIONS[0].dir, pluginProbeLocations: [ROOT] });
    server.open(project.file, project.dir);
  });

  after(async () => {
    await server?.close();
    fs.rmSync(project.dir, { recursive: true, force: true });
  });

  test("loads and applies the entry's settings", async () => {
    const { semantic } = await server.diagnostics(project.file);
    assert.deepEqual(spans(SERVICE, ours(semantic)), expectedSpans(SERVICE, 'error'), server.log().slice(-3000));
  });
});

describe('the plugin with no config (VS Code\'s flags)', () => {
  let server: TsServer;
  let project: { dir: string; file: string };

  before(async () => {
    project = makeProject({ compilerOptions: COMPILER_OPTIONS, include: ['*.ts'] });
    server = new TsServer({ typescriptDir: VERSIONS[0].dir, globalPlugins: [PLUGIN_NAME], pluginProbeLocations: [ROOT] });
    await server.request('configure', { preferences: {} });
    server.open(project.file, project.dir);
  });

  after(async () => {
    await server?.close();
    fs.rmSync(project.dir, { recursive: true, force: true });
  });

  test('reports AW201, a hint in TS/JS by default, as suggestions (faint dots, no Problems entry)', async () => {
    const { semantic, suggestion } = await server.diagnostics(project.file);
    assert.deepEqual(ours(semantic), [], server.log().slice(-3000));
    assert.deepEqual(spans(SERVICE, ours(suggestion)), expectedSpans(SERVICE, 'suggestion'));
  });
});

describe('AW202 in a real tsserver: the chain down to the blocking call as related information', () => {
  const SERVICE_TS = `import { loadSettings } from './settings';

export async function handle(name: string): Promise<string> {
  return loadSettings(name);
}
`;
  const SETTINGS_TS = `import * as fs from 'node:fs';

function readRaw(name: string): string {
  return fs.readFileSync(name, 'utf8');
}

export function loadSettings(name: string): string {
  return readRaw(name).trim();
}
`;
  let server: TsServer;
  let dir: string;

  before(async () => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-tsserver-aw202-')));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: COMPILER_OPTIONS, include: ['*.ts'] }));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'service', asyncwise: { rules: { 'blocking-call-via-helper': 'warning' } } }));
    fs.writeFileSync(path.join(dir, 'service.ts'), SERVICE_TS);
    fs.writeFileSync(path.join(dir, 'settings.ts'), SETTINGS_TS);
    server = new TsServer({ typescriptDir: VERSIONS[0].dir, globalPlugins: [PLUGIN_NAME], pluginProbeLocations: [ROOT] });
    await server.request('configure', { preferences: {} });
    server.open(path.join(dir, 'service.ts'), dir);
  });

  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('geterr: the AW202 diagnostic lists loadSettings() and readRaw() in the other file, each at its function', async () => {
    const file = path.join(dir, 'service.ts');
    const { semantic } = await server.diagnostics(file);
    const found = ours(semantic).filter((d) => d.code === numericCode('AW202'));
    assert.equal(found.length, 1, JSON.stringify(ours(semantic)) + server.log().slice(-3000));
    const settings = new LineIndex(SETTINGS_TS);
    const related = (found[0].relatedInformation ?? []).map((r) => ({ message: r.message, file: r.span?.file, at: r.span && toOffset(settings, r.span.start) }));
    assert.deepEqual(related, [
      { message: '`loadSettings()` calls `readRaw()`', file: path.join(dir, 'settings.ts'), at: SETTINGS_TS.indexOf('export function loadSettings') },
      { message: '`readRaw()` calls `fs.readFileSync()`, which blocks the event loop', file: path.join(dir, 'settings.ts'), at: SETTINGS_TS.indexOf('function readRaw') },
    ]);
  });

  test("_asyncwise.findings carries the same chain for VS Code's extension", async () => {
    const file = path.join(dir, 'service.ts');
    const body = await server.request<FindingsBody>(FINDINGS_REQUEST, { file });
    const finding = body.findings.find((f) => f.code === 'AW202');
    assert.ok(finding, JSON.stringify(body.findings));
    assert.deepEqual(
      finding.related?.map((r) => [r.file, r.position.line, r.message]),
      [
        [path.join(dir, 'settings.ts'), 6, '`loadSettings()` calls `readRaw()`'],
        [path.join(dir, 'settings.ts'), 2, '`readRaw()` calls `fs.readFileSync()`, which blocks the event loop'],
      ],
    );
  });
});
