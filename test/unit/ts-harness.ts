/**
 * The TS/JS engine's test harness: a real, in-process LanguageService over a small in-memory host
 * (the files under test in memory; lib files and @types/node from disk), for each TypeScript version
 * the extension supports, plus the syntax-only mode the CLI uses without a tsconfig.json.
 */
import * as path from 'node:path';
import type * as ts from 'typescript';
import { repoRoot } from './helpers';

/** The TS/JS fixtures (`test/fixtures/ts/<rule-name>/`): sources, and the fix outputs derived from them. */
export const TS_FIXTURES = path.join(repoRoot(), 'test', 'fixtures', 'ts');
export const FIXTURE_SOURCE = /\.(ts|tsx|js|mjs|cjs)$/;
export const FIXTURE_DERIVED = /\.(fixed|unsafe)\.(ts|tsx|js|mjs|cjs)$/;

export interface TsVersion {
  readonly label: string;
  readonly ts: typeof ts;
}

/** TypeScript 5.9 (the devDependency) and 6.0 (the `typescript-6.0` alias), loaded at run time. */
export function typescriptVersions(): TsVersion[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const v59 = require('typescript') as typeof ts;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const v60 = require('typescript-6.0') as typeof ts;
  return [
    { label: `TypeScript ${v59.version}`, ts: v59 },
    { label: `TypeScript ${v60.version}`, ts: v60 },
  ];
}

/** A LanguageService over in-memory files, type-aware (strict, ES2022, @types/node, JS allowed). */
export class MemoryLanguageService {
  private readonly files = new Map<string, { text: string; version: number }>();
  readonly service: ts.LanguageService;
  readonly root = repoRoot();

  constructor(readonly ts: typeof import('typescript')) {
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
      typeRoots: [path.join(this.root, 'node_modules', '@types')],
      strict: true,
      allowJs: true,
      checkJs: false,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
    };
    const host: ts.LanguageServiceHost = {
      getCompilationSettings: () => options,
      getScriptFileNames: () => [...this.files.keys()],
      getScriptVersion: (f) => String(this.files.get(f)?.version ?? 0),
      getScriptSnapshot: (f) => {
        const mem = this.files.get(f);
        if (mem) return ts.ScriptSnapshot.fromString(mem.text);
        const text = ts.sys.readFile(f);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => this.root,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => this.files.has(f) || ts.sys.fileExists(f),
      readFile: (f) => this.files.get(f)?.text ?? ts.sys.readFile(f),
      directoryExists: (d) => ts.sys.directoryExists(d),
      getDirectories: (d) => ts.sys.getDirectories(d),
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** Sets a file's text (a path under the repository, so module resolution finds node_modules). */
  set(fileName: string, text: string): string {
    const full = path.resolve(this.root, fileName);
    const old = this.files.get(full);
    this.files.set(full, { text, version: (old?.version ?? 0) + 1 });
    return full;
  }

  /** The program's source file and the program (type-aware analysis). */
  sourceFile(fileName: string): { program: ts.Program; sourceFile: ts.SourceFile } {
    const program = this.service.getProgram();
    if (!program) throw new Error('no program');
    const sourceFile = program.getSourceFile(path.resolve(this.root, fileName));
    if (!sourceFile) throw new Error(`${fileName} not in the program`);
    return { program, sourceFile };
  }
}

/** A file parsed alone (what the CLI does without a tsconfig.json). */
export function parseAlone(tsm: typeof ts, fileName: string, text: string): ts.SourceFile {
  const ext = path.extname(fileName);
  const kind = ext === '.tsx' ? tsm.ScriptKind.TSX : ext === '.ts' || ext === '.mts' || ext === '.cts' ? tsm.ScriptKind.TS : tsm.ScriptKind.JS;
  return tsm.createSourceFile(fileName, text, tsm.ScriptTarget.Latest, true, kind);
}

/** The parse errors of a text (what a fix must not add). */
export function parseErrors(tsm: typeof ts, fileName: string, text: string): number {
  const sf = parseAlone(tsm, fileName, text) as ts.SourceFile & { parseDiagnostics?: readonly ts.Diagnostic[] };
  return sf.parseDiagnostics?.length ?? 0;
}
