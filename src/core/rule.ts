/**
 * Rule metadata shared by every surface (editor, tsserver plugin, CLI). A rule is one file in
 * `src/rules/` named after the pattern it flags; this module owns only the shape of its metadata.
 */

/** Severity a user can give a rule; `off` disables it. */
export type Severity = 'off' | 'hint' | 'info' | 'warning' | 'error';
export const SEVERITIES: readonly Severity[] = ['off', 'hint', 'info', 'warning', 'error'];

export type Language = 'python' | 'typescript';

/** Whether the rule offers a fix: for every finding, for some, or never. */
export type FixAvailability = 'always' | 'sometimes' | 'never';

export interface RuleMeta {
  /** Stable code, `AW` + three digits: 1xx cancellation, 2xx blocking, 3xx lifetime, 4xx concurrency shape. */
  readonly code: string;
  /** kebab-case name of the pattern flagged; equals the rule's file name. */
  readonly name: string;
  readonly languages: readonly Language[];
  /** Default severity, before the user's settings. */
  readonly severity: Exclude<Severity, 'off'>;
  /**
   * The default severity in one language when it differs from `severity`: a rule that reaches the
   * precision bar on real code in one language and not in the other is on in the first and a
   * `hint` in the second (docs/ecosystem.md).
   */
  readonly severityIn?: Readonly<Partial<Record<Language, Exclude<Severity, 'off'>>>>;
  /**
   * False for opinionated rules that run only when the user asks: a severity in the settings or an
   * explicit `--select`. Default true.
   */
  readonly enabledByDefault?: boolean;
  /** Peer codes this rule corresponds to (flake8-async `ASYNC103`, Ruff `RUF006`); `# noqa` honours them. */
  readonly aliases: readonly string[];
  readonly fixable: FixAvailability;
  /** One line for tables and the catalog. */
  readonly summary: string;
  /**
   * Markdown with the fixed headings: What it does, Why is this bad?, Example, Use instead, Fix safety.
   * Code blocks fenced `py` in Example must fire the rule; those in Use instead must not (tested).
   */
  readonly docs: string;
  /** Messages by id: one sentence each, with `{placeholders}`. Tests assert ids, not wording. */
  readonly messages: Readonly<Record<string, string>>;
  /**
   * False for rules about production behaviour (blocking the loop, cancellation on shutdown,
   * concurrency) that stay out of test code unless the user names them (`src/core/testCode.ts`).
   * Default true.
   */
  readonly inTests?: boolean;
}


/** A rule's default severity in one language (before the user's settings). */
export function defaultSeverity(rule: RuleMeta, language: Language): Exclude<Severity, 'off'> {
  return rule.severityIn?.[language] ?? rule.severity;
}

/**
 * The default as the docs and the catalog print it: `warning`; `warning (python), hint
 * (typescript)` when the languages differ; `off (hint when enabled)` for rules that run only when asked.
 */
export function defaultSeverityLabel(rule: RuleMeta): string {
  if (rule.enabledByDefault === false) return `off (${rule.severity} when enabled)`;
  const per = rule.languages.map((language) => defaultSeverity(rule, language));
  if (per.every((s) => s === per[0])) return per[0];
  return rule.languages.map((language, i) => `${per[i]} (${language})`).join(', ');
}

/** Fills `{name}` placeholders of a message template. Unknown placeholders are left as written. */
export function formatMessage(template: string, data: Readonly<Record<string, string>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in data ? data[key] : whole));
}

/** Where a rule's documentation lives; each diagnostic's code links here. */
export function docsUrl(meta: Pick<RuleMeta, 'name'>): string {
  return `https://github.com/asyncwise/asyncwise/blob/main/docs/rules/${meta.name}.md`;
}
