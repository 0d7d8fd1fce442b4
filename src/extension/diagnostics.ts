/**
 * Diagnostics the extension makes itself (TS/JS, typescriptFindings.ts) and the
 * helpers the commands use to recognise asyncwise's diagnostics, whichever component made them
 * (Python's come from the language server with the same source, codes and links).
 */
import * as vscode from 'vscode';
import { CATALOG } from '../core/catalog';
import type { Finding } from '../core/finding';
import { docsUrl } from '../core/rule';

export const DIAGNOSTIC_SOURCE = 'asyncwise';

/** `source.fixAll.asyncwise`: what `editor.codeActionsOnSave` names to run our safe fixes. */
export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('asyncwise');

/** Schemes of documents a user edits; not git's old versions, output panes or diff originals. */
const SCHEMES = new Set(['file', 'untitled', 'vscode-notebook-cell', 'vscode-remote', 'vscode-vfs']);

const SEVERITY: Record<Finding['severity'], vscode.DiagnosticSeverity> = {
  hint: vscode.DiagnosticSeverity.Hint,
  info: vscode.DiagnosticSeverity.Information,
  warning: vscode.DiagnosticSeverity.Warning,
  error: vscode.DiagnosticSeverity.Error,
};

export function isPython(document: vscode.TextDocument): boolean {
  return document.languageId === 'python' && isEditedDocument(document);
}

/** Whether the document is one a user edits (not a git original, an output pane, a diff's left side). */
export function isEditedDocument(document: vscode.TextDocument): boolean {
  return SCHEMES.has(document.uri.scheme);
}

/**
 * The finding as VS Code shows it, in the document at `uri`: its code links to the rule's
 * documentation, and its related places (AW202: each function of the chain down to the blocking
 * call) are listed under it as links.
 */
export function toDiagnostic(finding: Finding, uri: vscode.Uri): vscode.Diagnostic {
  const range = new vscode.Range(finding.startPosition.line, finding.startPosition.column, finding.endPosition.line, finding.endPosition.column);
  const diagnostic = new vscode.Diagnostic(range, finding.message, SEVERITY[finding.severity]);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  const rule = CATALOG.find((r) => r.code === finding.code);
  diagnostic.code = rule ? { value: finding.code, target: vscode.Uri.parse(docsUrl(rule)) } : finding.code;
  if (finding.related?.length) {
    diagnostic.relatedInformation = finding.related.map((r) => {
      const at = new vscode.Position(r.position.line, r.position.column);
      return new vscode.DiagnosticRelatedInformation(new vscode.Location(r.file === undefined ? uri : vscode.Uri.file(r.file), at), r.message);
    });
  }
  return diagnostic;
}

/** Whether a diagnostic VS Code hands back (a copy, not our object) is the one made from this finding. */
export function describesFinding(diagnostic: vscode.Diagnostic, finding: Finding): boolean {
  if (diagnostic.source !== DIAGNOSTIC_SOURCE) return false;
  const code = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
  const r = diagnostic.range;
  return (
    code === finding.code &&
    r.start.line === finding.startPosition.line &&
    r.start.character === finding.startPosition.column &&
    r.end.line === finding.endPosition.line &&
    r.end.character === finding.endPosition.column
  );
}
