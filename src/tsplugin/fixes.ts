/**
 * asyncwise fixes in tsserver's shapes: a `CodeFixAction` per fix of a finding under the cursor (plus
 * "ignore on this line"), and the combined fix of one rule over a file. The engine keeps only fixes
 * that re-parse; a combination of them is checked again here, as one.
 */
import type * as ts from 'typescript';
import { EditSpans, largestValidSubset, mergeIdenticalEdits, type Finding, type Fix, type TextEdit } from '../core/finding';
import { fixReparses } from '../typescript/analyze';
import { fixIdFor, numericCode } from './codes';

function fixParses(tsModule: typeof ts, sourceFile: ts.SourceFile, edits: readonly TextEdit[]): boolean {
  return fixReparses(tsModule, sourceFile, { title: 'combined', safety: 'unsafe', edits });
}

/** The fixes that may run unattended: safe ones, or all when the user allows unsafe fixes. */
export function fixAllCandidate(finding: Finding, allowUnsafe: boolean): Fix | undefined {
  return finding.fixes.find((f) => f.safety === 'safe') ?? (allowUnsafe ? finding.fixes[0] : undefined);
}

function textChanges(edits: readonly TextEdit[]): ts.TextChange[] {
  return [...edits]
    .sort((a, b) => a.start - b.start)
    .map((e) => ({ span: { start: e.start, length: e.end - e.start }, newText: e.newText }));
}

export function overlaps(finding: Finding, start: number, end: number): boolean {
  // An empty selection at either edge of the squiggle still counts as "on" it.
  return finding.start <= end && start <= finding.end;
}

/** The suppression comment inserted above the finding's line, indented like it. */
function ignoreEdit(sourceFile: ts.SourceFile, finding: Finding): TextEdit {
  const lineStart = sourceFile.getLineStarts()[sourceFile.getLineAndCharacterOfPosition(finding.start).line];
  const indent = /^[ \t]*/.exec(sourceFile.text.slice(lineStart, finding.start))?.[0] ?? '';
  return { start: lineStart, end: lineStart, newText: `${indent}// asyncwise-ignore-next-line ${finding.code}\n` };
}

/** The code fixes for the findings of `errorCodes` touching [start, end]. */
export function codeFixesAt(
  sourceFile: ts.SourceFile,
  findings: readonly Finding[],
  start: number,
  end: number,
  errorCodes: readonly number[],
  allowUnsafe: boolean,
): ts.CodeFixAction[] {
  const wanted = new Set(errorCodes);
  const actions: ts.CodeFixAction[] = [];
  const ignoredLines = new Set<string>();
  for (const finding of findings) {
    const numeric = numericCode(finding.code);
    if (numeric === undefined || !wanted.has(numeric) || !overlaps(finding, start, end)) continue;
    const sameRule = findings.filter((f) => f.code === finding.code && fixAllCandidate(f, allowUnsafe));
    for (const fix of finding.fixes) {
      const fixAll = fix === fixAllCandidate(finding, allowUnsafe) && sameRule.length > 1;
      actions.push({
        fixName: `asyncwise.${finding.code}`,
        description: fix.safety === 'unsafe' ? `${fix.title} (unsafe)` : fix.title,
        changes: [{ fileName: sourceFile.fileName, textChanges: textChanges(fix.edits) }],
        ...(fixAll ? { fixId: fixIdFor(finding.code), fixAllDescription: `Fix all ${finding.code} (${finding.rule}) in this file` } : {}),
      });
    }
    const lineKey = `${finding.code}:${finding.startPosition.line}`;
    if (!ignoredLines.has(lineKey)) {
      ignoredLines.add(lineKey);
      actions.push({
        fixName: `asyncwise.ignore`,
        description: `Ignore ${finding.code} on this line`,
        changes: [{ fileName: sourceFile.fileName, textChanges: textChanges([ignoreEdit(sourceFile, finding)]) }],
      });
    }
  }
  return actions;
}

/**
 * One rule's fixes over the whole file, in order, skipping any that would overlap one already taken
 * (the next "fix all" picks those up) and any whose result would not parse together. The parse is
 * checked once for all of them (halving only when that fails), not once per fix: a file with 5,000
 * findings was re-parsed 5,000 times (over 10 minutes).
 */
export function combinedFix(tsModule: typeof ts, sourceFile: ts.SourceFile, findings: readonly Finding[], code: string, allowUnsafe: boolean): ts.CombinedCodeActions {
  const spans = new EditSpans();
  const chosen: Fix[] = [];
  for (const finding of [...findings].sort((a, b) => a.start - b.start)) {
    if (finding.code !== code) continue;
    const fix = fixAllCandidate(finding, allowUnsafe);
    if (fix && spans.tryAdd(fix.edits)) chosen.push(fix);
  }
  // Identical edits (two fixes adding the same import) are applied once.
  const combined = (group: readonly Fix[]) => mergeIdenticalEdits(group.flatMap((f) => f.edits));
  const taken = combined(largestValidSubset(chosen, (group) => fixParses(tsModule, sourceFile, combined(group))));
  return { changes: taken.length ? [{ fileName: sourceFile.fileName, textChanges: textChanges(taken) }] : [] };
}
