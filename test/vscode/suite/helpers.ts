/** Small helpers of the editor suite: waiting on the editor, locating text, asking for screenshots. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CATALOG } from '../../../src/core/catalog';
import { ConfigResolver } from '../../../src/core/config';
import { effectiveSeverity } from '../../../src/core/settings';
import { E2E_DIR_ENV, SCREENSHOTS, SCREENSHOT_NAME, type ScreenshotDone, type ScreenshotRequest } from '../e2eProtocol';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns undefined (success) or the time runs out; then fails with the last
 * reason it gave, so a timeout says what was still wrong.
 */
export async function waitFor(what: string, check: () => string | undefined | Promise<string | undefined>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let reason: string | undefined = 'never checked';
  while (Date.now() < deadline) {
    reason = await check();
    if (reason === undefined) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${reason}`);
}

export function asyncwiseDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'asyncwise');
}

export function codeOf(d: vscode.Diagnostic): string {
  return String(typeof d.code === 'object' ? d.code.value : d.code);
}

export function describe(document: vscode.TextDocument, diagnostics: readonly vscode.Diagnostic[]): string {
  return diagnostics.map((d) => `${codeOf(d)} ${vscode.DiagnosticSeverity[d.severity]} ${d.range.start.line + 1}:${d.range.start.character + 1} ${JSON.stringify(document.getText(d.range))}`).join('; ') || '(none)';
}

/** The offset of `snippet` in `text`, which must occur exactly once after `after` (when given). */
export function locate(text: string, snippet: string, after?: string): number {
  let from = 0;
  if (after !== undefined) {
    from = text.indexOf(after);
    if (from < 0) throw new Error(`anchor ${JSON.stringify(after)} not in the file`);
  }
  const at = text.indexOf(snippet, from);
  if (at < 0) throw new Error(`${JSON.stringify(snippet)} not in the file`);
  if (after === undefined && text.indexOf(snippet, at + 1) >= 0) throw new Error(`${JSON.stringify(snippet)} occurs more than once; give an anchor`);
  return at;
}

export async function codeActions(uri: vscode.Uri, range: vscode.Range, kind?: string): Promise<vscode.CodeAction[]> {
  const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, range, kind);
  // A bare Command has a string `command`; a CodeAction has an optional Command object there.
  return (actions ?? []).filter((a): a is vscode.CodeAction => typeof (a as vscode.Command).command !== 'string');
}

/** Undoes every unsaved change of the document (the demo workspace must stay as it is on disk). */
export async function revert(document: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(document, { preview: false });
  await vscode.commands.executeCommand('workbench.action.files.revert');
  await waitFor('the document to be reverted', () => (document.isDirty ? 'still dirty' : undefined), 5000);
}

export function screenshotsAvailable(): boolean {
  return !!process.env[E2E_DIR_ENV];
}

/**
 * Asks the runner driving the browser for a screenshot of the whole workbench and waits until the
 * PNG is written (see e2eProtocol.ts). Returns its path.
 */
export async function screenshot(name: string, caption: string, options: Omit<ScreenshotRequest, 'name' | 'caption'> = {}): Promise<string> {
  return (await screenshotWith(name, caption, options)).path!;
}

/** `screenshot` with the runner's whole answer (the side bar's width it measured). */
export async function screenshotWith(name: string, caption: string, options: Omit<ScreenshotRequest, 'name' | 'caption'> = {}): Promise<ScreenshotDone> {
  const dir = process.env[E2E_DIR_ENV];
  if (!dir) throw new Error(`${E2E_DIR_ENV} is not set: screenshots need runCodeServer.ts`);
  if (!SCREENSHOT_NAME.test(name)) throw new Error(`bad screenshot name ${name}`);
  const folder = path.join(dir, SCREENSHOTS);
  const request: ScreenshotRequest = { name, caption, ...options };
  const file = path.join(folder, `${name}.request`);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(request));
  fs.renameSync(`${file}.tmp`, file);
  const donePath = path.join(folder, `${name}.done`);
  await waitFor(`screenshot ${name}`, () => (fs.existsSync(donePath) ? undefined : 'not taken yet'), 20_000);
  const done = JSON.parse(fs.readFileSync(donePath, 'utf8')) as ScreenshotDone;
  if (!done.ok || !done.path) throw new Error(`screenshot ${name} failed: ${done.error}`);
  return done;
}

/** A diagnostic the suite expects: its code, the text it covers (after `after`), exactly or only starting there. */
export interface Expected {
  readonly code: string;
  readonly snippet: string;
  readonly after?: string;
  /** False: the diagnostic only has to start inside the snippet (statement-level findings). Default true. */
  readonly exact?: boolean;
}

export const SEVERITY = { hint: vscode.DiagnosticSeverity.Hint, info: vscode.DiagnosticSeverity.Information, warning: vscode.DiagnosticSeverity.Warning, error: vscode.DiagnosticSeverity.Error };

/**
 * The severity a Python file's diagnostics of `code` carry: the rule's default, or what the nearest
 * config file sets (the demo opts in to some hint rules in python/pyproject.toml), as the extension
 * reads it with no VS Code settings of the user's.
 */
export function configuredSeverity(document: vscode.TextDocument, code: string): vscode.DiagnosticSeverity | undefined {
  const settings = new ConfigResolver(CATALOG).forFile(document.uri.fsPath).settings;
  const severity = effectiveSeverity(settings, rule(code), 'python');
  return severity === 'off' ? undefined : SEVERITY[severity];
}

export function rule(code: string): (typeof CATALOG)[number] {
  const found = CATALOG.find((r) => r.code === code);
  assert.ok(found, `${code} is not in the catalog`);
  return found;
}

/** Undefined when the document's asyncwise diagnostics are exactly `expected`, else what differs. */
export function mismatch(document: vscode.TextDocument, expected: readonly Expected[]): string | undefined {
  const text = document.getText();
  const remaining = asyncwiseDiagnostics(document.uri);
  const missing: string[] = [];
  for (const e of expected) {
    const start = locate(text, e.snippet, e.after);
    const end = start + e.snippet.length;
    const index = remaining.findIndex((d) => {
      if (codeOf(d) !== e.code) return false;
      const dStart = document.offsetAt(d.range.start);
      return e.exact !== false ? dStart === start && document.offsetAt(d.range.end) === end : dStart >= start && dStart <= end;
    });
    if (index < 0) missing.push(`${e.code} on ${JSON.stringify(e.snippet)}`);
    else remaining.splice(index, 1);
  }
  if (!missing.length && !remaining.length) return undefined;
  return `missing [${missing.join(', ')}]; unexpected [${describe(document, remaining)}]; all: ${describe(document, asyncwiseDiagnostics(document.uri))}`;
}
