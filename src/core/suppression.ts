/**
 * Suppression comments, language-neutral: the engines hand over each comment's text and line.
 *
 *   # noqa                      every rule on the line
 *   # noqa: AW201, ASYNC251     these codes (our codes or a rule's peer aliases)
 *   # asyncwise: ignore         every rule on the line
 *   # asyncwise: ignore[AW201]  these codes or rule names
 *   // asyncwise-ignore-next-line AW201   (TS/JS) the next line
 */
import type { RuleMeta } from './rule';

export interface Suppression {
  /** Suppresses every rule. */
  readonly all: boolean;
  /** Upper-cased codes and lower-cased names it names. */
  readonly codes: ReadonlySet<string>;
}

const NOQA = /#\s*noqa(?::\s*([A-Za-z0-9_\-]+(?:[\s,]+[A-Za-z0-9_\-]+)*))?/i;
const IGNORE = /asyncwise:\s*ignore(?:\[([^\]]*)\])?/i;

function codesFrom(list: string | undefined): Set<string> {
  const codes = new Set<string>();
  for (const part of (list ?? '').split(/[\s,]+/)) {
    if (part) codes.add(/^[A-Za-z]+\d+$/.test(part) ? part.toUpperCase() : part.toLowerCase());
  }
  return codes;
}

/** Parses one comment; undefined when it suppresses nothing. */
export function parseSuppression(comment: string): Suppression | undefined {
  const ignore = IGNORE.exec(comment);
  if (ignore) {
    const codes = codesFrom(ignore[1]);
    return { all: codes.size === 0, codes };
  }
  const noqa = NOQA.exec(comment);
  if (noqa) {
    const codes = codesFrom(noqa[1]);
    return { all: codes.size === 0, codes };
  }
  return undefined;
}

/** Whether a suppression covers a rule, by its code, its name or any peer alias. */
export function suppresses(s: Suppression, rule: Pick<RuleMeta, 'code' | 'name' | 'aliases'>): boolean {
  if (s.all) return true;
  if (s.codes.has(rule.code) || s.codes.has(rule.name)) return true;
  return rule.aliases.some((alias) => s.codes.has(alias.toUpperCase()));
}
