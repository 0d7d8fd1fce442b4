/**
 * The editor suite on demo/python/notifier.py, the demo of task lifetime and concurrency shape:
 * AW301 (a coroutine method called without `await`), AW302 (a dropped `asyncio.create_task`), AW401
 * (independent lookups awaited one at a time) and AW202 across files (a blocking write inside
 * demo/python/storage.py, found through the editor's project index), beside idioms that must stay
 * clean (a TaskGroup, a task kept in an attribute, `await asyncio.gather(...)`). The AW301 and AW302
 * quick fixes are applied through the code-action API and their exact output checked. Expected
 * ranges come from locating snippets in the text; every edit is reverted, the file on disk never
 * changes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { formatMessage } from '../../../src/core/rule';
import { asyncwiseDiagnostics, codeActions, codeOf, configuredSeverity, describe, locate, mismatch, revert, rule, screenshot, screenshotsAvailable, sleep, waitFor, type Expected } from './helpers';

/** A diagnostic the demo must show, exactly on `snippet` (located after `after` when given). */

const AW202: Expected = { code: 'AW202', snippet: 'save_subscribers(self.subscribers)' };
const AW301: Expected = { code: 'AW301', snippet: 'self.flush()', after: 'self.outbox.append((endpoint, message))' };
const AW302: Expected = { code: 'AW302', snippet: 'asyncio.create_task(self.publish(message))' };
/** AW401 reports the await, the one suspension point per item. */
const AW401: Expected = { code: 'AW401', snippet: 'await self.client.resolve(user_id)' };
const EXPECTED: readonly Expected[] = [AW202, AW301, AW302, AW401];

/**
 * Expert idioms in the same module that no rule may touch: tasks held by a TaskGroup, a task kept
 * in an attribute, concurrent work awaited through gather.
 */
const CLEAN_SNIPPETS = [
  'group.create_task(self.client.deliver(endpoint, message))',
  'self.refresher = asyncio.create_task(self.refresh_forever(), name="refresh-endpoints")',
  'return await asyncio.gather(*(self.client.ping(endpoint) for endpoint in self.subscribers.values()))',
  'self.subscribers = await asyncio.to_thread(load_subscribers)',
];

/** The module the first run of the editor waits on longest: the project index is built before AW202 can show. */
const FIRST_DIAGNOSTICS_MS = 45_000;



function diagnosticOn(document: vscode.TextDocument, e: Expected): vscode.Diagnostic {
  const start = locate(document.getText(), e.snippet, e.after);
  const found = asyncwiseDiagnostics(document.uri).find((d) => codeOf(d) === e.code && document.offsetAt(d.range.start) === start);
  assert.ok(found, `no ${e.code} on ${JSON.stringify(e.snippet)}: ${describe(document, asyncwiseDiagnostics(document.uri))}`);
  return found;
}

/** `text` with `snippet` (which must occur once) replaced. */
function replaceOnce(text: string, snippet: string, replacement: string): string {
  const at = locate(text, snippet);
  return text.slice(0, at) + replacement + text.slice(at + snippet.length);
}

/** What the AW301 fix must make of the text: `await` before the dropped call, nothing else. */
function withAwaitFix(text: string): string {
  const at = locate(text, AW301.snippet, AW301.after);
  return `${text.slice(0, at)}await ${text.slice(at)}`;
}

/**
 * What the AW302 fix must make of the text: a module-level task set after the imports (annotated,
 * the default target being 3.9), and the task bound, added to it and discarded when done.
 */
function withKeepReferenceFix(text: string): string {
  const imports = 'from storage import load_subscribers, save_subscribers\n\n';
  const declared = replaceOnce(
    text,
    imports,
    `${imports}# Strong references to fire-and-forget tasks: the event loop keeps only weak ones.\n_background_tasks: set[asyncio.Task] = set()\n\n`,
  );
  return replaceOnce(
    declared,
    `        ${AW302.snippet}\n`,
    `        task = ${AW302.snippet}\n        _background_tasks.add(task)\n        task.add_done_callback(_background_tasks.discard)\n`,
  );
}

export function defineNotifierTests(): void {
  suite('asyncwise in VS Code: demo/python/notifier.py', () => {
    let document: vscode.TextDocument;
    let original: string;

    suiteSetup(async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'the demo workspace is not open');
      document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'python', 'notifier.py'));
      await vscode.window.showTextDocument(document, { preview: false });
      original = document.getText();
      // The module exists to show these rules; a catalog without one of them makes this suite moot.
      for (const e of EXPECTED) rule(e.code);
    });

    /** Once the baseline was seen, later tests wait for it again (after a revert) with a shorter deadline. */
    let baselineSeen = false;
    const baseline = () => waitFor('the notifier diagnostics', () => mismatch(document, EXPECTED), baselineSeen ? 20_000 : 3_000);

    teardown(async () => {
      if (document.isDirty) await revert(document);
    });

    test('shows AW301, AW302, AW401 and the cross-file AW202 exactly where they are, and nothing on the idioms', async function () {
      this.timeout(FIRST_DIAGNOSTICS_MS + 10_000);
      await waitFor('the notifier diagnostics', () => mismatch(document, EXPECTED), FIRST_DIAGNOSTICS_MS);
      baselineSeen = true;
      const diagnostics = asyncwiseDiagnostics(document.uri);
      for (const d of diagnostics) assert.equal(d.severity, configuredSeverity(document, codeOf(d)), `${codeOf(d)} severity (the rule's default, or the demo's python/pyproject.toml)`);
      // The chain runs into storage.py: only the project index can know what save_subscribers does.
      const viaHelper = diagnosticOn(document, AW202);
      assert.equal(viaHelper.message, formatMessage(rule('AW202').messages.viaHelper, { callee: 'save_subscribers', chain: 'save_subscribers() → _write_atomically() → open()' }));
      assert.equal(diagnosticOn(document, AW301).message, formatMessage(rule('AW301').messages.dropped, { callee: 'self.flush' }));
      for (const snippet of CLEAN_SNIPPETS) {
        const start = locate(original, snippet);
        const end = start + snippet.length;
        const touching = diagnostics.filter((d) => document.offsetAt(d.range.end) > start && document.offsetAt(d.range.start) < end);
        assert.deepEqual(touching, [], `an idiom was flagged: ${describe(document, touching)}`);
      }
    });

    test('screenshot: the notifier diagnostics in the editor and the Problems panel', async function () {
      if (!screenshotsAvailable()) this.skip();
      await baseline();
      const editor = await vscode.window.showTextDocument(document, { preview: false });
      // From subscribe() down: AW202, AW301, AW302 and AW401 are on screen together.
      const at = document.positionAt(locate(original, '    async def subscribe('));
      editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.AtTop);
      await vscode.commands.executeCommand('workbench.actions.view.problems');
      await vscode.window.showTextDocument(document, { preview: false });
      // Nothing to observe from the extension host for the paint itself: give the workbench a moment.
      await sleep(1500);
      const png = await screenshot('notifier-problems', 'notifier.py with AW202, AW301, AW302 and AW401 squiggles and the Problems panel');
      assert.ok(fs.statSync(png).size > 20_000, 'the screenshot is suspiciously small');
    });

    test('screenshot: the quick-fix menu on the dropped task', async function () {
      if (!screenshotsAvailable()) this.skip();
      await baseline();
      const editor = await vscode.window.showTextDocument(document, { preview: false });
      const diagnostic = diagnosticOn(document, AW302);
      editor.selection = new vscode.Selection(diagnostic.range.start, diagnostic.range.start);
      editor.revealRange(diagnostic.range, vscode.TextEditorRevealType.InCenter);
      await sleep(300);
      await vscode.commands.executeCommand('editor.action.quickFix');
      await sleep(1200);
      const png = await screenshot('notifier-quick-fix-aw302', 'the quick-fix menu open on AW302 (asyncio.create_task dropped in announce())');
      await vscode.commands.executeCommand('hideCodeActionWidget').then(undefined, () => undefined);
      assert.ok(fs.statSync(png).size > 20_000, 'the screenshot is suspiciously small');
    });

    test('AW301 quick fix adds `await` to self.flush() and the diagnostic goes', async () => {
      await baseline();
      const actions = await codeActions(document.uri, diagnosticOn(document, AW301).range, vscode.CodeActionKind.QuickFix.value);
      const titles = actions.map((a) => a.title);
      const fix = actions.find((a) => a.title === rule('AW301').messages.fixAwait);
      assert.ok(fix?.edit, `no await fix among ${JSON.stringify(titles)}`);
      assert.equal(fix.isPreferred, true, 'a safe fix is the preferred one');
      assert.ok(titles.includes('Ignore AW301 on this line'), `no ignore action among ${JSON.stringify(titles)}`);

      assert.equal(await vscode.workspace.applyEdit(fix.edit), true);
      assert.equal(document.getText(), withAwaitFix(original));
      assert.equal(document.lineAt(document.positionAt(locate(original, AW301.snippet, AW301.after)).line).text, '        await self.flush()');
      await waitFor('AW301 to go and the others to stay', () => mismatch(document, [AW202, AW302, AW401]));
      await revert(document);
      assert.equal(document.getText(), original);
      await baseline();
    });

    test('AW302 quick fix keeps a reference to the task in a module-level set and the diagnostic goes', async () => {
      await baseline();
      const actions = await codeActions(document.uri, diagnosticOn(document, AW302).range, vscode.CodeActionKind.QuickFix.value);
      const title = formatMessage(rule('AW302').messages.fixKeepReference, { set: '_background_tasks' });
      const fix = actions.find((a) => a.title === title);
      assert.ok(fix?.edit, `no "${title}" among ${JSON.stringify(actions.map((a) => a.title))}`);
      assert.equal(fix.isPreferred, true, 'a safe fix is the preferred one');

      assert.equal(await vscode.workspace.applyEdit(fix.edit), true);
      assert.equal(document.getText(), withKeepReferenceFix(original));
      await waitFor('AW302 to go and the others to stay', () => mismatch(document, [AW202, AW301, AW401]));
      await revert(document);
      assert.equal(document.getText(), original);
    });

    test('AW202 follows an unsaved edit of storage.py: gone when the helper stops blocking, back on revert', async () => {
      await baseline();
      const storage = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(document.uri, '..', 'storage.py'));
      const storageText = storage.getText();
      try {
        // save_subscribers() keeps the state in memory instead of writing the file: nothing blocks.
        const call = '_write_atomically(STATE_PATH, json.dumps(subscribers, indent=2))';
        const at = locate(storageText, call);
        const edit = new vscode.WorkspaceEdit();
        edit.replace(storage.uri, new vscode.Range(storage.positionAt(at), storage.positionAt(at + call.length)), 'PENDING.append(json.dumps(subscribers, indent=2))');
        assert.equal(await vscode.workspace.applyEdit(edit), true);
        await waitFor('AW202 to go from notifier.py', () => mismatch(document, [AW301, AW302, AW401]), 20_000);
      } finally {
        await revert(storage);
        // The notifier is the editor the other tests expect in front.
        await vscode.window.showTextDocument(document, { preview: false });
      }
      assert.equal(storage.getText(), storageText);
      await waitFor('AW202 back in notifier.py', () => mismatch(document, EXPECTED), 20_000);
    });

    test('both fixes applied one after the other leave only AW202 and AW401', async () => {
      await baseline();
      const apply = async (e: Expected, title: string) => {
        // Asked right after the previous edit: the provider analyses the new version itself.
        const fix = (await codeActions(document.uri, diagnosticOn(document, e).range, vscode.CodeActionKind.QuickFix.value)).find((a) => a.title === title);
        assert.ok(fix?.edit, `no "${title}" for ${e.code}`);
        assert.equal(await vscode.workspace.applyEdit(fix.edit), true);
      };
      await apply(AW302, formatMessage(rule('AW302').messages.fixKeepReference, { set: '_background_tasks' }));
      await waitFor('AW302 to go', () => mismatch(document, [AW202, AW301, AW401]));
      await apply(AW301, rule('AW301').messages.fixAwait);
      assert.equal(document.getText(), withAwaitFix(withKeepReferenceFix(original)));
      await waitFor('only AW202 and AW401 to remain', () => mismatch(document, [AW202, AW401]));
      if (screenshotsAvailable()) {
        const editor = await vscode.window.showTextDocument(document, { preview: false });
        const at = document.positionAt(locate(document.getText(), '    async def subscribe('));
        editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.AtTop);
        await sleep(1000);
        await screenshot('notifier-fixed', 'notifier.py after the AW302 and AW301 quick fixes (unsaved): only AW202 and AW401 left');
      }
      await revert(document);
      assert.equal(document.getText(), original);
      await baseline();
    });
  });
}
