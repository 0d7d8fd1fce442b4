/**
 * The editor suite on demo/node-service/src/reports.ts: the tsserver plugin, loaded by VS Code's own
 * TypeScript extension (TypeScript 6.0 in this editor) from the contributed
 * `typescriptServerPlugins`, finds AW201 on the blocking calls of async functions and nothing on the
 * start-up read in sync code; the extension shows them as it shows Python's (code `AW201` linked to
 * the rule's page, never also as tsserver's `asyncwise(990201)`), with "Show documentation for
 * AW201 …" in the menu; its quick fix is applied from the lightbulb menu; the `asyncwise.rules`
 * setting reaches the plugin through `configurePlugin`; and with `js/ts.experimental.useTsgo` on
 * (TypeScript 7 loads no plugins) the extension reports the same findings itself and says so in its
 * output channel. Only AW201 is asserted exactly: other TS/JS rules may add their own findings.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { docsUrl, formatMessage } from '../../../src/core/rule';
import type { AsyncwiseApi } from '../../../src/extension/extension';
import { numericCode } from '../../../src/tsplugin/codes';
import { E2E_DIR_ENV } from '../e2eProtocol';
import { asyncwiseDiagnostics, codeOf, describe, locate, revert, rule, screenshot, screenshotsAvailable, sleep, waitFor } from './helpers';

/** Both sources' diagnostics carry the rule code; tsserver's own numbering must never show. */
const PLUGIN_AW201 = 'AW201';
const TSSERVER_AW201 = String(numericCode('AW201'));
const EXTENSION_ID = 'asyncwise.asyncwise';
const BLOCKING_READ = "fs.readFileSync(PRICE_LIST, 'utf8')";
const BLOCKING_GZIP = 'gzipSync(toCsv(own))';
/** Blocking is fine before the server listens: never flagged. */
const STARTUP_READ = "return JSON.parse(fs.readFileSync(PRICE_LIST, 'utf8'))";
const FIX_TITLE = formatMessage(rule('AW201').messages.fixPromises, { replacement: 'readFile' });

const DOCS_TITLE = `Show documentation for AW201 ${rule('AW201').name}`;

/** The tsserver start, project load and plugin take a while on a busy machine. */
const FIRST_DIAGNOSTICS_MS = 90_000;

function aw201(document: vscode.TextDocument, code: string): vscode.Diagnostic[] {
  return asyncwiseDiagnostics(document.uri).filter((d) => codeOf(d) === code);
}

function typescriptSource(): ReturnType<AsyncwiseApi['typescriptSource']> {
  return vscode.extensions.getExtension<AsyncwiseApi>(EXTENSION_ID)?.exports?.typescriptSource();
}

/** Undefined when the AW201 diagnostics (with `code`) are exactly on the two blocking calls with `severity`. */
function aw201Mismatch(document: vscode.TextDocument, code: string, severity: vscode.DiagnosticSeverity): string | undefined {
  const text = document.getText();
  const want = [BLOCKING_READ, BLOCKING_GZIP].map((s) => `${locate(text, s, 'export async function')}-${s.length}`).sort();
  const found = aw201(document, code);
  const got = found.map((d) => `${document.offsetAt(d.range.start)}-${document.offsetAt(d.range.end) - document.offsetAt(d.range.start)}`).sort();
  if (JSON.stringify(got) === JSON.stringify(want) && found.every((d) => d.severity === severity)) return undefined;
  return `want ${want.join(', ')} (${vscode.DiagnosticSeverity[severity]}), got ${describe(document, found)}`;
}

function withFix(text: string): string {
  const at = locate(text, BLOCKING_READ, 'export async function');
  return `${text.slice(0, at)}await readFile(PRICE_LIST, 'utf8')${text.slice(at + BLOCKING_READ.length)}`;
}

/**
 * Runs `body` with the workspace setting `asyncwise.rules` set to `rules`, then removes it (and the
 * settings file it wrote: the demo has a .vscode folder, for launch.json, but no settings.json).
 */
async function withWorkspaceRules(document: vscode.TextDocument, rules: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const config = () => vscode.workspace.getConfiguration('asyncwise', document.uri);
  const settingsFolder = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.vscode');
  const hadSettingsFolder = fs.existsSync(settingsFolder);
  const settingsFile = path.join(settingsFolder, 'settings.json');
  const hadSettingsFile = fs.existsSync(settingsFile);
  try {
    await config().update('rules', rules, vscode.ConfigurationTarget.Workspace);
    await body();
  } finally {
    await config().update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    if (!hadSettingsFolder) fs.rmSync(settingsFolder, { recursive: true, force: true });
    else if (!hadSettingsFile) fs.rmSync(settingsFile, { force: true });
  }
}

/** The lines the extension wrote to its "asyncwise" output channel (the log file VS Code keeps of it). */
function outputChannelText(): string {
  const dir = process.env[E2E_DIR_ENV];
  if (!dir) return '';
  const logs = path.join(dir, '..', 'ud', 'logs');
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/asyncwise\.log$/.test(entry.name)) found.push(fs.readFileSync(full, 'utf8'));
    }
  };
  walk(logs);
  return found.join('\n');
}

export function defineTypeScriptTests(): void {
  suite('asyncwise in VS Code: the tsserver plugin on demo/node-service/src/reports.ts', () => {
    let document: vscode.TextDocument;
    let original: string;

    suiteSetup(async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'the demo workspace is not open');
      document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'node-service', 'src', 'reports.ts'));
      await vscode.window.showTextDocument(document, { preview: false });
      original = document.getText();
    });

    teardown(async () => {
      if (document.isDirty) await revert(document);
    });

    test('the plugin reports AW201 on the blocking calls in async functions, not on the start-up read', async function () {
      this.timeout(FIRST_DIAGNOSTICS_MS + 10_000);
      await waitFor('the plugin diagnostics', () => aw201Mismatch(document, PLUGIN_AW201, vscode.DiagnosticSeverity.Warning), FIRST_DIAGNOSTICS_MS);
      assert.equal(typescriptSource(), 'plugin');
      const read = aw201(document, PLUGIN_AW201).find((d) => document.getText(d.range) === BLOCKING_READ)!;
      assert.equal(read.message, formatMessage(rule('AW201').messages.file, { callee: 'fs.readFileSync', alternative: '' }));
      // As Python's: the code links to the rule's page.
      assert.ok(typeof read.code === 'object', 'the code carries a link');
      assert.equal(read.code.target.toString(), vscode.Uri.parse(docsUrl(rule('AW201'))).toString());
      // The plugin leaves its findings out of tsserver's diagnostics: none shows as asyncwise(990201).
      await waitFor('tsserver to drop its own copy', () => {
        const twice = vscode.languages.getDiagnostics(document.uri).filter((d) => codeOf(d) === TSSERVER_AW201);
        return twice.length ? `also as ${TSSERVER_AW201}: ${describe(document, twice)}` : undefined;
      }, 20_000);
      const start = locate(original, STARTUP_READ);
      const onStartup = asyncwiseDiagnostics(document.uri).filter((d) => document.offsetAt(d.range.start) >= start && document.offsetAt(d.range.start) < start + STARTUP_READ.length);
      assert.deepEqual(onStartup, [], `sync start-up code was flagged: ${describe(document, onStartup)}`);
    });

    test('the quick fix from the lightbulb replaces the read with `await readFile(...)` and the diagnostic goes', async function () {
      this.timeout(60_000);
      await waitFor('the plugin diagnostics', () => aw201Mismatch(document, PLUGIN_AW201, vscode.DiagnosticSeverity.Warning), 30_000);
      const editor = await vscode.window.showTextDocument(document, { preview: false });
      const diagnostic = aw201(document, PLUGIN_AW201).find((d) => document.getText(d.range) === BLOCKING_READ)!;
      // The fix the menu will list first: ours for our code (TypeScript has none for it).
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
      const titles = (actions ?? []).map((a) => a.title);
      assert.equal(titles[0], FIX_TITLE, `menu order: ${JSON.stringify(titles)}`);
      assert.ok(titles.includes('Ignore AW201 on this line'), JSON.stringify(titles));
      assert.ok(titles.includes(DOCS_TITLE), JSON.stringify(titles));

      editor.selection = new vscode.Selection(diagnostic.range.start, diagnostic.range.start);
      editor.revealRange(diagnostic.range, vscode.TextEditorRevealType.InCenter);
      if (screenshotsAvailable()) {
        await vscode.commands.executeCommand('workbench.actions.view.problems');
        await vscode.window.showTextDocument(document, { preview: false });
        await sleep(1500);
        const png = await screenshot('typescript-problems', 'reports.ts: the plugin AW201 squiggles and the Problems panel');
        assert.ok(fs.statSync(png).size > 20_000, 'the screenshot is suspiciously small');
      }
      // Still listed once, as the screenshot shows it (a project tsserver made again once listed each twice).
      const twice = vscode.languages.getDiagnostics(document.uri).filter((d) => codeOf(d) === TSSERVER_AW201);
      assert.deepEqual(twice.map((d) => d.message), [], `also as ${TSSERVER_AW201}`);
      await vscode.commands.executeCommand('editor.action.quickFix');
      await sleep(1500);
      if (screenshotsAvailable()) await screenshot('typescript-quick-fix', 'the lightbulb menu on fs.readFileSync in loadPrices(): the plugin fix first');
      // Enter on the menu's selected (first) item, as a user would.
      await vscode.commands.executeCommand('acceptSelectedCodeAction');
      await waitFor('the fix to apply', () => (document.getText() === withFix(original) ? undefined : 'text unchanged or different'), 10_000);
      await waitFor('the AW201 on the read to go', () => {
        const left = aw201(document, PLUGIN_AW201);
        return left.length === 1 && document.getText(left[0].range) === BLOCKING_GZIP ? undefined : describe(document, left);
      }, 30_000);
      if (screenshotsAvailable()) await screenshot('typescript-fixed', 'reports.ts after the quick fix (unsaved): only the gzipSync finding left');
      await revert(document);
      assert.equal(document.getText(), original);
    });

    test('AW202 through a helper lists the chain under the diagnostic: the helper, linked to where it is declared', async function () {
      this.timeout(60_000);
      await waitFor('the plugin diagnostics', () => aw201Mismatch(document, PLUGIN_AW201, vscode.DiagnosticSeverity.Warning), 30_000);
      // An async caller of the start-up helper (a hint in TS/JS by default: listed by the API, not in Problems).
      const edit = new vscode.WorkspaceEdit();
      const caller = '\nexport async function pricesForRequest(): Promise<Record<string, number>> {\n  return readPricesAtStartup();\n}\n';
      edit.insert(document.uri, document.positionAt(document.getText().length), caller);
      assert.ok(await vscode.workspace.applyEdit(edit));
      const call = 'readPricesAtStartup()';
      let found: vscode.Diagnostic | undefined;
      await waitFor('AW202 on the call', () => {
        found = asyncwiseDiagnostics(document.uri).find((d) => codeOf(d) === 'AW202');
        return found ? undefined : describe(document, asyncwiseDiagnostics(document.uri));
      }, 30_000);
      assert.equal(document.getText(found!.range), call);
      const related = (found!.relatedInformation ?? []).map((r) => ({ uri: r.location.uri.toString(), line: r.location.range.start.line, message: r.message }));
      assert.deepEqual(related, [
        { uri: document.uri.toString(), line: document.positionAt(locate(original, 'export function readPricesAtStartup')).line, message: '`readPricesAtStartup()` calls `fs.readFileSync()`, which blocks the event loop' },
      ]);
      if (screenshotsAvailable()) {
        // As a user who turned the rule on sees it: a warning in Problems, its chain in the rows under it.
        await withWorkspaceRules(document, { AW202: 'warning' }, async () => {
          await waitFor('AW202 as a warning', () => (asyncwiseDiagnostics(document.uri).some((d) => codeOf(d) === 'AW202' && d.severity === vscode.DiagnosticSeverity.Warning) ? undefined : describe(document, asyncwiseDiagnostics(document.uri))), 40_000);
          await vscode.commands.executeCommand('workbench.actions.view.problems');
          const editor = await vscode.window.showTextDocument(document, { preview: false });
          editor.revealRange(found!.range, vscode.TextEditorRevealType.InCenter);
          await sleep(1500);
          await screenshot('typescript-aw202-chain', 'reports.ts with AW202 turned on: the call of readPricesAtStartup() and, under it in Problems, the function that blocks');
        });
      }
      await revert(document);
      assert.equal(document.getText(), original);
    });

    test('"Show documentation for AW201 …" opens the rule\'s page, as for Python; the hover shows the linked code', async function () {
      this.timeout(60_000);
      await waitFor('the plugin diagnostics', () => aw201Mismatch(document, PLUGIN_AW201, vscode.DiagnosticSeverity.Warning), 30_000);
      const editor = await vscode.window.showTextDocument(document, { preview: false });
      const diagnostic = aw201(document, PLUGIN_AW201).find((d) => document.getText(d.range) === BLOCKING_READ)!;
      if (screenshotsAvailable()) {
        editor.selection = new vscode.Selection(diagnostic.range.start, diagnostic.range.start);
        editor.revealRange(diagnostic.range, vscode.TextEditorRevealType.InCenter);
        await vscode.commands.executeCommand('editor.action.showHover');
        await sleep(1500);
        await screenshot('typescript-hover', 'the hover on fs.readFileSync in loadPrices(): asyncwise(AW201), linked to the rule\'s page');
        await vscode.commands.executeCommand('editor.action.quickFix');
        await sleep(1500);
        await screenshot('typescript-docs-action', 'the lightbulb menu on the same call: the fix, Ignore AW201 on this line, Show documentation for AW201');
        await vscode.commands.executeCommand('hideCodeActionWidget');
      }
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
      const docs = (actions ?? []).find((a) => a.title === DOCS_TITLE);
      assert.ok(docs?.command, `no docs action among ${JSON.stringify((actions ?? []).map((a) => a.title))}`);
      assert.equal((actions ?? []).filter((a) => a.title === DOCS_TITLE).length, 1, 'offered once');
      await vscode.commands.executeCommand(docs.command.command, ...(docs.command.arguments ?? []));
      const label = `AW201-${rule('AW201').name}`;
      let tab: vscode.Tab | undefined;
      await waitFor('the documentation tab', () => {
        tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label.includes(label));
        return tab ? undefined : `tabs: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label).join(', ')}`;
      });
      if (screenshotsAvailable()) {
        // The Markdown preview renders a moment after its tab opens.
        await sleep(2500);
        await screenshot('typescript-docs', 'Show documentation for AW201 from reports.ts: the rule\'s page in the editor');
      }
      await vscode.window.tabGroups.close(tab!);
    });

    test('"Fix All in This File" applies the plugin\'s safe fixes (its combined fix per rule) and no ignore comment', async function () {
      this.timeout(90_000);
      await waitFor('the plugin diagnostics', () => aw201Mismatch(document, PLUGIN_AW201, vscode.DiagnosticSeverity.Warning), 30_000);
      await vscode.window.showTextDocument(document, { preview: false });
      const result = await vscode.commands.executeCommand<{ applied: number; message: string }>('asyncwise.fixAll');
      const text = document.getText();
      assert.ok(result.applied >= 1, result.message);
      assert.ok(text.includes("const raw = await readFile(PRICE_LIST, 'utf8');"), `the blocking read in loadPrices() is fixed (${result.message}); text:\n${text}`);
      assert.ok(text.includes(STARTUP_READ), 'the start-up read stays');
      assert.ok(!text.includes('asyncwise-ignore'), 'no ignore comment was added');
      // Every finding left has no safe fix: fixing again does nothing.
      const again = await vscode.commands.executeCommand<{ applied: number; message: string }>('asyncwise.fixAll');
      assert.equal(again.applied, 0, again.message);
      if (screenshotsAvailable()) await screenshot('typescript-fix-all', `reports.ts after asyncwise: Fix All in This File (unsaved): ${result.message}`);
      await revert(document);
      assert.equal(document.getText(), original);
    });

    test('asyncwise.rules reaches the plugin through configurePlugin: AW201 becomes an error, then goes back', async function () {
      this.timeout(90_000);
      await withWorkspaceRules(document, { AW201: 'error' }, () => waitFor('AW201 as errors', () => aw201Mismatch(document, PLUGIN_AW201, vscode.DiagnosticSeverity.Error), 40_000));
      await waitFor('AW201 as warnings again', () => aw201Mismatch(document, PLUGIN_AW201, vscode.DiagnosticSeverity.Warning), 40_000);
    });

    test('with TypeScript 7 on (no plugins), the extension reports the same AW201 itself and says so once', async function () {
      this.timeout(90_000);
      const config = () => vscode.workspace.getConfiguration();
      try {
        await config().update('js/ts.experimental.useTsgo', true, vscode.ConfigurationTarget.Global);
        await waitFor('the extension to run the rules itself', () => (typescriptSource() === 'fallback' ? undefined : `source: ${typescriptSource()}`), 10_000);
        await waitFor('the fallback diagnostics', () => aw201Mismatch(document, 'AW201', vscode.DiagnosticSeverity.Warning), 30_000);
        const diagnostic = aw201(document, 'AW201').find((d) => document.getText(d.range) === BLOCKING_READ)!;
        const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
        const fix = (actions ?? []).find((a) => a.title === FIX_TITLE && a.edit);
        assert.ok(fix?.edit, `no fallback fix among ${JSON.stringify((actions ?? []).map((a) => a.title))}`);
        assert.equal(await vscode.workspace.applyEdit(fix.edit), true);
        assert.equal(document.getText(), withFix(original));
        await revert(document);
        if (process.env[E2E_DIR_ENV]) {
          await waitFor('the output channel note', () => (/TypeScript 7 .*loads no tsserver plugins/.test(outputChannelText()) ? undefined : 'not logged'), 10_000);
          assert.equal(outputChannelText().match(/loads no tsserver plugins/g)?.length, 1, 'said more than once');
        }
      } finally {
        await config().update('js/ts.experimental.useTsgo', undefined, vscode.ConfigurationTarget.Global);
      }
      // Back to the plugin: its findings again, and once more never also as tsserver's own.
      await waitFor('the plugin to answer again', () => (typescriptSource() === 'plugin' ? undefined : `source: ${typescriptSource()}`), 30_000);
      await waitFor('the plugin diagnostics', () => aw201Mismatch(document, PLUGIN_AW201, vscode.DiagnosticSeverity.Warning), 30_000);
      await waitFor('no tsserver copy', () => (aw201(document, TSSERVER_AW201).length === 0 ? undefined : describe(document, aw201(document, TSSERVER_AW201))), 20_000);
    });
  });
}
