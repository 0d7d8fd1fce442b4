/**
 * Loads tree-sitter (WebAssembly) and the Python grammar once per process, and owns the compiled
 * queries. The two wasm files ship beside every bundle: esbuild.js copies them into dist/ (and out/).
 */
import * as fs from 'node:fs';
import type { Deadline } from '../core/budget';
import * as path from 'node:path';
import { Language, Parser, Query, type Tree } from 'web-tree-sitter';

const GRAMMAR = 'tree-sitter-python.wasm';
const RUNTIME = 'tree-sitter.wasm';

export class PythonParser {
  private readonly queries = new Map<string, Query>();
  private constructor(
    readonly language: Language,
    private readonly parser: Parser,
  ) {}

  /**
   * Parses text as CPython reads it (see `asCPythonReadsLines`); with `oldTree` (already `edit`ed to
   * match), re-parses incrementally.
   */
  parse(text: string, oldTree?: Tree, deadline?: Deadline): Tree {
    // tree-sitter asks the callback as it goes and stops when it answers true.
    const options = deadline ? { progressCallback: () => deadline.passed } : undefined;
    const tree = this.parser.parse(asCPythonReadsLines(text), oldTree ?? null, options as Parameters<Parser['parse']>[2]);
    if (!tree) {
      // A cancelled parse is resumed by the parser's next call, whatever text that call is given:
      // without this reset the next file got a tree of this one (fuzz: an AW401 fix built on another
      // file's offsets was appended to an unrelated file).
      this.parser.reset();
      deadline?.check();
      throw new Error('tree-sitter returned no tree');
    }
    return tree;
  }

  /** Compiles a query once and keeps it for the life of the process. */
  query(source: string): Query {
    let q = this.queries.get(source);
    if (!q) {
      q = new Query(this.language, source);
      this.queries.set(source, q);
    }
    return q;
  }

  private static loading: Promise<PythonParser> | undefined;

  /** The process-wide parser; concurrent callers share one load. */
  static load(wasmDir?: string): Promise<PythonParser> {
    if (!PythonParser.loading) {
      PythonParser.loading = PythonParser.create(wasmDir).catch((e) => {
        PythonParser.loading = undefined;
        throw e;
      });
    }
    return PythonParser.loading;
  }

  private static async create(wasmDir?: string): Promise<PythonParser> {
    const dir = wasmDir ?? findWasmDir();
    await Parser.init({ locateFile: (name: string) => path.join(dir, name) } as never);
    const language = await Language.load(path.join(dir, GRAMMAR));
    const parser = new Parser();
    parser.setLanguage(language);
    return new PythonParser(language, parser);
  }
}

/**
 * The text with each lone CR turned into LF. CPython ends a line at `\r`, `\n` or `\r\n`;
 * tree-sitter's Python grammar only at `\n` (a lone `\r` is blank to it, so `# note\r    await x`
 * is one comment to tree-sitter and a comment then a statement to CPython, and fixes built on that
 * misreading broke files). Same length, so every offset holds for the original text; `LineIndex`
 * counts lines the same way, so rows agree too.
 */
export function asCPythonReadsLines(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}

/** Finds the folder holding both wasm files: beside this bundle or above it (esbuild.js puts them there). */
function findWasmDir(): string {
  const tried: string[] = [];
  for (let dir = __dirname, i = 0; i < 4; i++, dir = path.dirname(dir)) {
    for (const candidate of [dir, path.join(dir, 'dist')]) {
      tried.push(candidate);
      if (fs.existsSync(path.join(candidate, GRAMMAR)) && fs.existsSync(path.join(candidate, RUNTIME))) return candidate;
    }
  }
  throw new Error(`asyncwise: cannot find ${GRAMMAR} and ${RUNTIME} (looked in ${tried.join(', ')})`);
}
