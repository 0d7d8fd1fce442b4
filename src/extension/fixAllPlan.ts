/**
 * Which of the tsserver plugin's fixes the "Fix all in this file" command applies in one round, and
 * the single edit list they make. Kept free of 'vscode' so the unit tests can run it: the command
 * (fixAllCommand.ts) turns VS Code's code actions into `FixCandidate`s and the plan back into edits.
 */
import { editsOverlap, type TextEdit } from '../core/finding';

export interface FixCandidate {
  /** The rule code, `AW201`. */
  readonly code: string;
  /** The code action's title, as the menu shows it. */
  readonly title: string;
  /** Offsets in the document version the candidates were computed on. */
  readonly edits: readonly TextEdit[];
}

/** The plugin's per-rule combined fix, as VS Code titles it (tsserver's `fixAllDescription`). */
export function isRuleFixAllTitle(title: string, code: string): boolean {
  return title.startsWith(`Fix all ${code} `) && title.endsWith(' in this file');
}

/**
 * Whether a quick fix may run unattended: not "Ignore … on this line" (a suppression, not a fix),
 * and not an unsafe one unless the user allows those (`asyncwise.fix.allowUnsafe`).
 */
export function isUnattendedFix(title: string, allowUnsafe: boolean): boolean {
  if (/^Ignore AW\d+ on this line$/.test(title)) return false;
  return allowUnsafe || !title.endsWith('(unsafe)');
}

export interface FixPlan {
  /** The candidates taken, in order. */
  readonly taken: readonly FixCandidate[];
  /** Left for the next round: their edits overlap one taken before them. */
  readonly deferred: readonly FixCandidate[];
  /** The taken candidates' edits, sorted, with identical edits (the same import twice) merged. */
  readonly edits: readonly TextEdit[];
}

/** Takes candidates in order while their edits do not overlap those already taken. */
export function planFixes(candidates: readonly FixCandidate[]): FixPlan {
  const taken: FixCandidate[] = [];
  const deferred: FixCandidate[] = [];
  const edits: TextEdit[] = [];
  for (const candidate of candidates) {
    if (candidate.edits.length === 0) continue;
    if (editsOverlap(edits, candidate.edits)) {
      deferred.push(candidate);
      continue;
    }
    taken.push(candidate);
    for (const e of candidate.edits) {
      if (!edits.some((x) => x.start === e.start && x.end === e.end && x.newText === e.newText)) edits.push(e);
    }
  }
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  return { taken, deferred, edits };
}
