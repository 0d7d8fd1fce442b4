/**
 * How asyncwise findings look to tsserver. TypeScript diagnostics carry numeric codes, so each rule
 * code `AWnnn` maps to `990nnn` (a range TypeScript's own messages do not use); the `source` field
 * says "asyncwise", so VS Code shows `asyncwise(990201)` and the message names the rule.
 * Shared by the plugin, the extension (which configures the plugin by name) and the tests.
 */

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
