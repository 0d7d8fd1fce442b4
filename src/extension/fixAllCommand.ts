/**
 * "asyncwise: Fix All in This File" (`asyncwise.fixAll`): the safe fixes of the active file, from the
 * command palette, without setting up `editor.codeActionsOnSave`.
 *
 * - Python and TS/JS: asks the existing `source.fixAll.asyncwise` code action providers (the language
 *   server's; TypeScriptFindings, which asks the tsserver plugin for one round of its fixes, or runs the
 *   rules itself under TypeScript 7) and applies the action they return.
 * - TS/JS on a VS Code whose TypeScript extension refuses the plugin's own requests (its findings then
 *   show as the plugin's tsserver diagnostics): that extension offers no `source.fixAll.*` kind for a
 *   plugin's codes (its `source.fixAll.ts` covers a fixed list of TypeScript's own), and
 *   `typescript.tsserverRequest` refuses `getCombinedCodeFix`. So the command asks the quick fixes at
 *   one asyncwise diagnostic per rule: the plugin's "Fix all AWnnn (…) in this file" when offered (its
 *   combined fix: every safe fix of that rule, checked to re-parse as one), else the one finding's safe
 *   fix. Non-overlapping ones are applied as one edit, then it waits for tsserver's fresh diagnostics
 *   and goes again, until nothing safe is left (a few rounds at most).
 */
import * as vscode from 'vscode';
import type { TextEdit } from '../core/finding';
import { ruleCode } from '../tsplugin/codes';
import type { SettingsReader } from './config';
import { isRuleFixAllTitle, isUnattendedFix, planFixes, type FixCandidate } from './fixAllPlan';
import type { Log } from './log';
import { DIAGNOSTIC_SOURCE, FIX_ALL_KIND, isPython } from './diagnostics';
import { isTypeScriptOrJavaScript } from './typescriptPlugin';

/** What the command did, returned for the editor tests (and shown to the user as a message). */
export interface FixAllResult {
  /** Fix actions applied (a rule's combined fix counts once). */
  readonly applied: number;
  readonly message: string;
}

const MAX_ROUNDS = 5;
/** How long to wait for tsserver to report on the fixed text, and for its reports to settle. */
const DIAGNOSTICS_TIMEOUT_MS = 8000;
const DIAGNOSTICS_QUIET_MS = 700;

export async function fixAllInActiveFile(settings: SettingsReader, log: Log): Promise<FixAllResult> {
  const editor = vscode.window.activeTextEditor;
  const document = editor?.document;
  let result: FixAllResult;
  if (!document || !(isPython(document) || isTypeScriptOrJavaScript(document))) {
    result = { applied: 0, message: 'asyncwise: open a Python, TypeScript or JavaScript file to fix.' };
  } else {
    const viaProvider = await fixAllViaProvider(document);
    if (viaProvider) result = viaProvider;
    else if (isTypeScriptOrJavaScript(document)) result = await fixAllViaPlugin(document, settings.forDocument(document).fix.allowUnsafe, log);
    else result = { applied: 0, message: 'asyncwise: nothing in this file that a safe fix can fix.' };
  }
  void vscode.window.showInformationMessage(result.message);
  log.info(`fix all: ${result.message}`);
  return result;
}

function wholeDocument(document: vscode.TextDocument): vscode.Range {
  return new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
}

/** The `source.fixAll.asyncwise` action of our own providers, applied; undefined when none is offered. */
async function fixAllViaProvider(document: vscode.TextDocument): Promise<FixAllResult | undefined> {
  const actions = (await vscode.commands.executeCommand<vscode.CodeAction[] | undefined>('vscode.executeCodeActionProvider', document.uri, wholeDocument(document), FIX_ALL_KIND.value)) ?? [];
  const action = actions.find((a) => a.kind?.value === FIX_ALL_KIND.value && a.edit);
  if (!action?.edit) return undefined;
  const ok = await vscode.workspace.applyEdit(action.edit);
  return ok ? { applied: 1, message: `asyncwise: ${action.title.replace(/^Fix all/, 'fixed all')}.` } : { applied: 0, message: 'asyncwise: the fixes could not be applied (the file changed meanwhile?).' };
}

function asyncwiseDiagnostics(document: vscode.TextDocument): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(document.uri).filter((d) => d.source === DIAGNOSTIC_SOURCE);
}

/** `990201` (the plugin's numeric code) → `AW201`. */
function codeOf(diagnostic: vscode.Diagnostic): string | undefined {
  const raw = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
  const n = Number(raw);
  return Number.isInteger(n) ? ruleCode(n) : /^AW\d{3}$/.test(String(raw)) ? String(raw) : undefined;
}

function editsIn(document: vscode.TextDocument, edit: vscode.WorkspaceEdit | undefined): TextEdit[] | undefined {
  if (!edit) return undefined;
  const entries = edit.entries();
  // Only edits of this file: a fix that touches another file is not one to run unattended here.
  if (entries.some(([uri]) => uri.toString() !== document.uri.toString())) return undefined;
  return entries.flatMap(([, edits]) => edits.map((e) => ({ start: document.offsetAt(e.range.start), end: document.offsetAt(e.range.end), newText: e.newText })));
}

async function quickFixes(document: vscode.TextDocument, diagnostic: vscode.Diagnostic): Promise<vscode.CodeAction[]> {
  // Resolving fills in the edit of the TypeScript extension's "fix all" actions (getCombinedCodeFix).
  return (await vscode.commands.executeCommand<vscode.CodeAction[] | undefined>('vscode.executeCodeActionProvider', document.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value, 100)) ?? [];
}

/** One round's candidates: per rule, its combined fix, or the safe fix of one of its findings. */
async function candidates(document: vscode.TextDocument, allowUnsafe: boolean, log: Log): Promise<FixCandidate[]> {
  const byCode = new Map<string, vscode.Diagnostic[]>();
  for (const d of asyncwiseDiagnostics(document)) {
    const code = codeOf(d);
    if (code) byCode.set(code, [...(byCode.get(code) ?? []), d]);
  }
  const found: FixCandidate[] = [];
  for (const [code, diagnostics] of byCode) {
    let single: FixCandidate | undefined;
    let combined: FixCandidate | undefined;
    for (const diagnostic of diagnostics) {
      const actions = await quickFixes(document, diagnostic);
      log.info(`fix all: ${code} at ${diagnostic.range.start.line + 1}:${diagnostic.range.start.character + 1}: ${actions.map((a) => `${JSON.stringify(a.title)}${a.edit ? '' : ' (no edit)'}`).join(', ') || 'no actions'}`);
      const fixAll = actions.find((a) => isRuleFixAllTitle(a.title, code));
      const fixAllEdits = editsIn(document, fixAll?.edit);
      if (fixAll && fixAllEdits?.length) {
        combined = { code, title: fixAll.title, edits: fixAllEdits };
        break;
      }
      if (!single) {
        // The plugin lists a finding's fixes right before its "Ignore AWnnn on this line" (the actions
        // that reach us through executeCodeActionProvider carry no diagnostics to tell them apart).
        const ignoreAt = actions.findIndex((a) => a.title === `Ignore ${code} on this line`);
        const previousIgnore = actions.slice(0, Math.max(ignoreAt, 0)).map((a) => /^Ignore AW\d+ on this line$/.test(a.title)).lastIndexOf(true);
        const own = ignoreAt >= 0 ? actions.slice(previousIgnore + 1, ignoreAt) : [];
        const fix = own.find((a) => !isRuleFixAllTitle(a.title, code) && isUnattendedFix(a.title, allowUnsafe) && (!a.diagnostics?.length || a.diagnostics.some((d) => codeOf(d) === code)));
        const edits = editsIn(document, fix?.edit);
        if (fix && edits?.length) single = { code, title: fix.title, edits };
      }
      // A rule with two or more fixable findings offers its combined fix on each: one look is enough.
      if (fixAll) break;
    }
    const chosen = combined ?? single;
    if (chosen) found.push(chosen);
  }
  return found;
}

/** Resolves once the file's diagnostics changed and then stayed quiet a moment, or on the timeout. */
function freshDiagnostics(document: vscode.TextDocument): Promise<void> {
  return new Promise((resolve) => {
    let quiet: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(quiet);
      clearTimeout(deadline);
      listener.dispose();
      resolve();
    };
    const deadline = setTimeout(finish, DIAGNOSTICS_TIMEOUT_MS);
    const listener = vscode.languages.onDidChangeDiagnostics((event) => {
      if (!event.uris.some((u) => u.toString() === document.uri.toString())) return;
      clearTimeout(quiet);
      quiet = setTimeout(finish, DIAGNOSTICS_QUIET_MS);
    });
  });
}

async function fixAllViaPlugin(document: vscode.TextDocument, allowUnsafe: boolean, log: Log): Promise<FixAllResult> {
  let applied = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const version = document.version;
    const plan = planFixes(await candidates(document, allowUnsafe, log));
    log.info(`fix all, round ${round + 1}: ${plan.taken.map((c) => `${c.code} ${JSON.stringify(c.title)}`).join(', ') || 'nothing'}${plan.deferred.length ? `; deferred ${plan.deferred.map((c) => c.code).join(', ')}` : ''}`);
    if (plan.taken.length === 0) break;
    if (document.version !== version) return { applied, message: 'asyncwise: the file changed while fixing; run Fix All again.' };
    const edit = new vscode.WorkspaceEdit();
    for (const e of plan.edits) edit.replace(document.uri, new vscode.Range(document.positionAt(e.start), document.positionAt(e.end)), e.newText);
    const settled = freshDiagnostics(document);
    if (!(await vscode.workspace.applyEdit(edit))) {
      log.warn(`fix all: applying ${plan.taken.map((c) => c.title).join('; ')} failed`);
      break;
    }
    applied += plan.taken.length;
    await settled;
  }
  const left = asyncwiseDiagnostics(document).length;
  if (applied === 0) return { applied, message: `asyncwise: nothing in this file that a safe fix can fix${left ? ` (${left} problem${left === 1 ? '' : 's'} need${left === 1 ? 's' : ''} a hand or an unsafe fix)` : ''}.` };
  return { applied, message: `asyncwise: applied ${applied} fix${applied === 1 ? '' : 'es'}; ${left} problem${left === 1 ? '' : 's'} left.` };
}
