/**
 * How asyncwise findings look to tsserver. TypeScript diagnostics carry numeric codes, so each rule
 * code `AWnnn` maps to `990nnn` (a range TypeScript's own messages do not use); the `source` field
 * says "asyncwise", so VS Code shows `asyncwise(990201)` and the message names the rule.
 * Shared by the plugin, the extension (which configures the plugin by name) and the tests.
 */
import type { Finding } from '../core/finding';

/** The package name tsserver loads the plugin by (the folder the build writes under node_modules). */
export const PLUGIN_NAME = 'asyncwise-tsserver-plugin';

export const DIAGNOSTIC_SOURCE = 'asyncwise';

const CODE_BASE = 990_000;

/** `AW201` → 990201; undefined for anything that is not an asyncwise code. */
export function numericCode(code: string): number | undefined {
  const m = /^AW(\d{3})$/.exec(code);
  return m ? CODE_BASE + Number(m[1]) : undefined;
}

/** 990201 → `AW201`; undefined for codes outside asyncwise's range. */
export function ruleCode(code: number): string | undefined {
  const n = code - CODE_BASE;
  return Number.isInteger(n) && n >= 100 && n <= 999 ? `AW${n}` : undefined;
}

/** Fix-all ids: one per rule, so "fix all AW201 in file" applies only that rule's safe fixes. */
const FIX_ID_PREFIX = 'asyncwise:';

export function fixIdFor(code: string): string {
  return FIX_ID_PREFIX + code;
}

/** The rule code of one of our fix ids; undefined for TypeScript's own (or another plugin's) ids. */
export function codeOfFixId(fixId: unknown): string | undefined {
  return typeof fixId === 'string' && fixId.startsWith(FIX_ID_PREFIX) ? fixId.slice(FIX_ID_PREFIX.length) : undefined;
}

/**
 * The plugin's own tsserver requests, for VS Code's extension. VS Code's TypeScript extension turns a
 * tsserver diagnostic's numeric `code` into a plain number (no link, so `asyncwise(990201)`) and offers
 * no way to attach a rule's documentation; `typescript.tsserverRequest` passes requests whose name
 * starts with `_` through to tsserver. So the extension asks the plugin for a file's findings and shows
 * them itself, as it shows Python's (`AW201`, linked to the rule's page), with their fixes.
 */
export const FINDINGS_REQUEST = '_asyncwise.findings';
/** One round of the file's fixes that may run unattended, as the file's whole fixed text. */
export const FIX_ALL_REQUEST = '_asyncwise.fixAll';

/**
 * The configuration key (beside the settings, via `configurePlugin`) by which the extension says it
 * shows the findings itself: the plugin then leaves them out of tsserver's diagnostics, so VS Code
 * does not list each twice. Any other tsserver client (no such key) gets them as diagnostics.
 */
export const EDITOR_SHOWS_FINDINGS = 'editorShowsFindings';

/** `_asyncwise.findings` arguments: the file as tsserver names it (the extension passes a Uri). */
export interface FindingsArgs {
  readonly file: string;
}

export interface FixAllArgs {
  readonly file: string;
}

/** The file's findings (fixes that re-parse only) in the text tsserver had when it answered. */
export interface FindingsBody {
  readonly findings: readonly Finding[];
}

export interface FixAllBody {
  /** Fixes applied in `text`; 0 and the file's text when none applies. */
  readonly applied: number;
  readonly text: string;
}
