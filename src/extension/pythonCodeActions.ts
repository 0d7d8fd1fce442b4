/**
 * Quick fixes for Python diagnostics, "ignore on this line", and `source.fixAll.asyncwise` (so
 * `editor.codeActionsOnSave` can run the safe fixes). Fixes are computed by the engine; this class
 * only turns offsets of the analysed document version into VS Code edits.
 */
import * as vscode from 'vscode';
import type { Finding, Fix } from '../core/finding';
import { fixToFixedPoint } from '../core/fixAll';
import { analyzePython, type PythonAnalysis } from '../python/analyze';
import { ignoreLineEdit, minimalChange } from '../python/lineActions';
import type { PythonParser } from '../python/parser';
import { COMMANDS } from './commands';
import type { SettingsReader } from './config';
import type { Log } from './log';
import { describesFinding, isPython, type PythonDiagnostics } from './pythonDiagnostics';

/** `source.fixAll.asyncwise`: what `editor.codeActionsOnSave` names to run our safe fixes. */
export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('asyncwise');

export class PythonCodeActions implements vscode.CodeActionProvider {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND];

  constructor(
    private readonly diagnostics: PythonDiagnostics,
    private readonly settings: SettingsReader,
    private readonly log: Log,
  ) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    try {
      if (!isPython(document)) return [];
      // The lightbulb asks on every cursor move while typing; it is asked again when the debounced
      // diagnostics land, so only explicit requests and fix-on-save (`only` set) analyse ahead.
      const lightbulb = context.triggerKind === vscode.CodeActionTriggerKind.Automatic && !context.only;
      const current = this.diagnostics.current(document, !lightbulb);
      const parser = this.diagnostics.parser;
      if (!current || !parser) return [];
      const actions: vscode.CodeAction[] = [];
      if (!context.only || context.only.contains(vscode.CodeActionKind.QuickFix)) {
        actions.push(...this.quickFixes(document, parser, current.analysis, context.diagnostics));
      }
      if (context.only?.contains(FIX_ALL_KIND)) {
        const fixAll = this.fixAll(document, parser, current.analysis);
        if (fixAll) actions.push(fixAll);
      }
      return actions;
    } catch (error) {
      this.log.error(`code actions for ${document.uri.toString()} failed`, error);
      return [];
    }
  }

  private quickFixes(document: vscode.TextDocument, parser: PythonParser, analysis: PythonAnalysis, diagnostics: readonly vscode.Diagnostic[]): vscode.CodeAction[] {
    const fixes: vscode.CodeAction[] = [];
    const others: vscode.CodeAction[] = [];
    const ignoredLines = new Set<string>();
    const documented = new Set<string>();
    for (const diagnostic of diagnostics) {
      const finding = analysis.findings.find((f) => describesFinding(diagnostic, f));
      if (!finding) continue;
      for (const fix of analysis.validFixes(finding)) fixes.push(this.fixAction(document, fix, diagnostic));
      const lineKey = `${finding.code}:${finding.startPosition.line}`;
      if (!ignoredLines.has(lineKey)) {
        ignoredLines.add(lineKey);
        const ignore = this.ignoreAction(document, parser, analysis, finding, diagnostic);
        if (ignore) others.push(ignore);
      }
      if (!documented.has(finding.code)) {
        documented.add(finding.code);
        const docs = new vscode.CodeAction(`Show documentation for ${finding.code} ${finding.rule}`, vscode.CodeActionKind.QuickFix);
        docs.command = { command: COMMANDS.showRuleDocs, title: docs.title, arguments: [finding.code] };
        docs.diagnostics = [diagnostic];
        others.push(docs);
      }
    }
    // Real fixes first, then the ways to silence or read about a finding.
    return [...fixes, ...others];
  }

  private fixAction(document: vscode.TextDocument, fix: Fix, diagnostic: vscode.Diagnostic): vscode.CodeAction {
    const title = fix.safety === 'unsafe' ? `${fix.title} (unsafe)` : fix.title;
    const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    const edit = new vscode.WorkspaceEdit();
    for (const e of fix.edits) edit.replace(document.uri, new vscode.Range(document.positionAt(e.start), document.positionAt(e.end)), e.newText);
    action.edit = edit;
    action.diagnostics = [diagnostic];
    action.isPreferred = fix.safety === 'safe';
    return action;
  }

  /** "Ignore AWnnn on this line": the shared edit (src/python/lineActions.ts), when one is safe to add. */
  private ignoreAction(document: vscode.TextDocument, parser: PythonParser, analysis: PythonAnalysis, finding: Finding, diagnostic: vscode.Diagnostic): vscode.CodeAction | undefined {
    const edit = ignoreLineEdit(parser, analysis, finding);
    if (!edit) return undefined;
    const action = new vscode.CodeAction(`Ignore ${finding.code} on this line`, vscode.CodeActionKind.QuickFix);
    action.edit = new vscode.WorkspaceEdit();
    action.edit.replace(document.uri, new vscode.Range(document.positionAt(edit.start), document.positionAt(edit.end)), edit.newText);
    action.diagnostics = [diagnostic];
    return action;
  }

  /**
   * Every safe fix (and unsafe ones when `asyncwise.fix.allowUnsafe`), re-analysing between rounds,
   * as one minimal edit. Undefined when nothing applies.
   */
  private fixAll(document: vscode.TextDocument, parser: PythonParser, analysis: PythonAnalysis): vscode.CodeAction | undefined {
    const settings = this.settings.forDocument(document);
    const allowUnsafe = settings.fix.allowUnsafe;
    const { text, applied: total } = fixToFixedPoint(analysis, (next) => analyzePython(parser, next, settings, { filePath: document.uri.fsPath, relativePath: vscode.workspace.asRelativePath(document.uri, false) }), allowUnsafe);
    if (total === 0 || text === analysis.source) return undefined;
    const action = new vscode.CodeAction(`Fix all ${allowUnsafe ? '' : 'safely fixable '}asyncwise problems`, FIX_ALL_KIND);
    action.edit = new vscode.WorkspaceEdit();
    const change = minimalChange(analysis.source, text);
    action.edit.replace(document.uri, new vscode.Range(document.positionAt(change.start), document.positionAt(change.end)), change.newText);
    return action;
  }
}
