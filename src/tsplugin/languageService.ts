/**
 * The decorated LanguageService: TypeScript's own answers plus asyncwise's. Warnings and errors join
 * the semantic diagnostics, `info` ones too (as messages), hints join the suggestion diagnostics;
 * fixes come through `getCodeFixesAtPosition` and fix-all through `getCombinedCodeFix`. Every method
 * catches its own failures, logs them and returns TypeScript's original result: tsserver never
 * crashes because of asyncwise.
 */
import type * as ts from 'typescript';
import type { Finding } from '../core/finding';
import type { Settings } from '../core/settings';
import type { AnalysisCache, FileAnalysis } from './analysis';
import { codeOfFixId, DIAGNOSTIC_SOURCE, numericCode, ruleCode } from './codes';
import { codeFixesAt, combinedFix } from './fixes';

export interface PluginHost {
  readonly tsModule: typeof ts;
  readonly info: ts.server.PluginCreateInfo;
  readonly log: (message: string) => void;
  readonly cache: AnalysisCache;
  /** The project's current settings: its tsconfig entry under the editor's. */
  settings: Settings;
  /** True while VS Code's extension asks for the findings itself (`_asyncwise.findings`) and shows them. */
  editorShowsFindings(): boolean;
  reconfigure(config: unknown): void;
}

export function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function category(tsModule: typeof ts, severity: Finding['severity']): ts.DiagnosticCategory {
  switch (severity) {
    case 'error':
      return tsModule.DiagnosticCategory.Error;
    case 'warning':
      return tsModule.DiagnosticCategory.Warning;
    case 'info':
      return tsModule.DiagnosticCategory.Message;
    case 'hint':
      return tsModule.DiagnosticCategory.Suggestion;
  }
}

function toDiagnostic(host: PluginHost, analysis: FileAnalysis, finding: Finding): ts.DiagnosticWithLocation | undefined {
  const sourceFile = analysis.sourceFile;
  const code = numericCode(finding.code);
  if (code === undefined) return undefined;
  const related = relatedInformation(host, analysis, finding, code);
  return {
    file: sourceFile,
    start: finding.start,
    length: Math.max(0, finding.end - finding.start),
    messageText: finding.message,
    category: category(host.tsModule, finding.severity),
    code,
    source: DIAGNOSTIC_SOURCE,
    ...(related.length ? { relatedInformation: related } : {}),
  };
}

/**
 * The finding's related places (AW202: each function of the chain down to the blocking call) as
 * TypeScript's related information, which editors list under the diagnostic as links. A place the
 * analysed program does not hold is left out.
 */
function relatedInformation(host: PluginHost, analysis: FileAnalysis, finding: Finding, code: number): ts.DiagnosticRelatedInformation[] {
  if (!finding.related?.length) return [];
  const out: ts.DiagnosticRelatedInformation[] = [];
  for (const r of finding.related) {
    const file = r.file === undefined ? analysis.sourceFile : analysis.program.getSourceFile(r.file);
    if (!file || r.position.line >= file.getLineStarts().length) continue;
    const start = Math.min(file.getPositionOfLineAndCharacter(r.position.line, 0) + r.position.column, file.text.length);
    out.push({ file, start, length: 0, messageText: r.message, category: host.tsModule.DiagnosticCategory.Message, code });
  }
  return out;
}

/** This file's analysis under the project's current program and settings, or undefined (failures logged). */
export function analysisOf(host: PluginHost, fileName: string): FileAnalysis | undefined {
  const program = host.info.languageService.getProgram();
  if (!program) return undefined;
  const version = host.info.languageServiceHost.getScriptVersion(fileName);
  return host.cache.analyse(program, fileName, version, host.settings);
}

export function decorateLanguageService(host: PluginHost): ts.LanguageService {
  const original = host.info.languageService;
  const proxy: ts.LanguageService = Object.create(null);
  for (const key of Object.keys(original) as (keyof ts.LanguageService)[]) {
    const member = original[key];
    // Bound, so tsserver calls the original as before for everything asyncwise does not touch.
    (proxy as unknown as Record<string, unknown>)[key] = typeof member === 'function' ? (member as (...a: unknown[]) => unknown).bind(original) : member;
  }

  /** Runs `ours` and appends its result to `base`; on any failure logs it and returns `base` alone. */
  const guarded = <T>(what: string, fileName: string, base: T, ours: () => T): T => {
    try {
      return ours();
    } catch (error) {
      host.log(`${what} failed for ${fileName}; returning TypeScript's result alone: ${describe(error)}`);
      return base;
    }
  };

  proxy.getSemanticDiagnostics = (fileName) => {
    const base = original.getSemanticDiagnostics(fileName);
    if (host.editorShowsFindings()) return base;
    return guarded('semantic diagnostics', fileName, base, () => {
      const analysis = analysisOf(host, fileName);
      if (!analysis) return base;
      const ours = analysis.findings.filter((f) => f.severity !== 'hint').map((f) => toDiagnostic(host, analysis, f));
      return [...base, ...ours.filter((d): d is ts.DiagnosticWithLocation => d !== undefined)];
    });
  };

  proxy.getSuggestionDiagnostics = (fileName) => {
    const base = original.getSuggestionDiagnostics(fileName);
    if (host.editorShowsFindings()) return base;
    return guarded('suggestion diagnostics', fileName, base, () => {
      const analysis = analysisOf(host, fileName);
      if (!analysis) return base;
      const ours = analysis.findings.filter((f) => f.severity === 'hint').map((f) => toDiagnostic(host, analysis, f));
      return [...base, ...ours.filter((d): d is ts.DiagnosticWithLocation => d !== undefined)];
    });
  };

  proxy.getCodeFixesAtPosition = (fileName, start, end, errorCodes, formatOptions, preferences) => {
    // TypeScript's own fixes for its codes; ours answer ours (their registered provider returns none).
    const base = original.getCodeFixesAtPosition(fileName, start, end, errorCodes, formatOptions, preferences);
    if (!errorCodes.some((c) => ruleCode(c) !== undefined)) return base;
    return guarded('code fixes', fileName, base, () => {
      const analysis = analysisOf(host, fileName);
      if (!analysis) return base;
      const ours = codeFixesAt(analysis.sourceFile, analysis.findings, start, end, errorCodes, host.settings.fix.allowUnsafe);
      return [...base, ...ours];
    });
  };

  proxy.getCombinedCodeFix = (scope, fixId, formatOptions, preferences) => {
    const code = codeOfFixId(fixId);
    if (code === undefined) return original.getCombinedCodeFix(scope, fixId, formatOptions, preferences);
    const empty: ts.CombinedCodeActions = { changes: [] };
    return guarded('fix all', scope.fileName, empty, () => {
      const analysis = analysisOf(host, scope.fileName);
      if (!analysis) return empty;
      return combinedFix(host.tsModule, analysis.sourceFile, analysis.findings, code, host.settings.fix.allowUnsafe);
    });
  };

  return proxy;
}
