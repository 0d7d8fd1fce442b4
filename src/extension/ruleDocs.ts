/**
 * Rule documentation inside the editor: a read-only `asyncwise-docs:` document per rule, rendered
 * in the Markdown preview. Works offline (the diagnostic's code link points at the web copy).
 */
import * as vscode from 'vscode';
import { CATALOG } from '../core/catalog';
import { findRule } from '../core/settings';
import type { Rule } from '../rules/define';
import type { Log } from './log';

export const DOCS_SCHEME = 'asyncwise-docs';

export class RuleDocsProvider implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): string {
    const rule = findRule(CATALOG, uri.path.replace(/^\//, '').replace(/\.md$/, '').split('-')[0] ?? '');
    if (!rule) return `# Unknown rule\n\nNo asyncwise rule matches \`${uri.path}\`.\n`;
    return renderRuleDocs(rule);
  }
}

export function renderRuleDocs(rule: Rule): string {
  return `# ${rule.code} ${rule.name}\n\n${rule.summary}\n\nDefault severity: **${rule.severity}**. Fixable: **${rule.fixable}**.${rule.aliases.length ? ` Peer codes: ${rule.aliases.map((a) => `\`${a}\``).join(', ')}.` : ''}\n\n${rule.docs}`;
}

export function docsUri(rule: Rule): vscode.Uri {
  return vscode.Uri.from({ scheme: DOCS_SCHEME, path: `/${rule.code}-${rule.name}.md` });
}

/** The command: by code or name, or picked from the catalog when called without an argument. */
export async function showRuleDocs(log: Log, key?: unknown): Promise<void> {
  let rule = typeof key === 'string' ? findRule(CATALOG, key) : undefined;
  if (typeof key === 'string' && !rule) {
    void vscode.window.showWarningMessage(`asyncwise: no rule named ${key}`);
    return;
  }
  if (!rule) {
    const picked = await vscode.window.showQuickPick(
      CATALOG.map((r) => ({ label: `${r.code} ${r.name}`, detail: r.summary, rule: r })),
      { placeHolder: 'Rule documentation to open', matchOnDetail: true },
    );
    rule = picked?.rule;
  }
  if (!rule) return;
  const uri = docsUri(rule);
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch (error) {
    // The built-in Markdown extension can be disabled; the source text is still readable.
    log.warn(`Markdown preview unavailable (${String(error)}); opening the text`);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
  }
}
