/**
 * The project indexes of a `check` run (see src/python/project.ts): one per project the checked
 * files belong to, so AW202/AW301 follow calls into modules of the same project, including
 * modules outside the paths given (a helper in `src/` while checking `tests/`). A file's project is
 * the nearest folder above it holding pyproject.toml, setup.py or setup.cfg, else the checked
 * directory it was found in. Every `*.py` file of a project is registered up front (a directory walk,
 * no parsing); a module is read and summarised only when a lookup reaches it, and a checked file's
 * summary comes from its own analysis, so no file is parsed twice for nothing.
 */
import * as path from 'node:path';
import type { PythonParser } from '../python/parser';
import { findProjectRoot, ProjectIndex } from '../python/project';
import { collectFiles } from './walk';

export class ProjectIndexes {
  private readonly byRoot = new Map<string, ProjectIndex>();
  private readonly roots: ProjectRoots;

  constructor(
    private readonly parser: PythonParser,
    /** The absolute paths given on the command line: the fallback roots. */
    checked: readonly string[],
  ) {
    this.roots = new ProjectRoots(checked);
  }

  /** The index of the project holding `file`, built (registered, not parsed) on first use. */
  of(file: string): ProjectIndex {
    const root = this.roots.rootOf(file);
    let index = this.byRoot.get(root);
    if (!index) {
      index = new ProjectIndex(this.parser, { roots: [root] });
      // Unreadable files are reported by the check itself; here they only stay unresolved.
      for (const f of collectFiles([root], root).files) index.add(f);
      index.add(file);
      this.byRoot.set(root, index);
    }
    return index;
  }
}

/** Which project each file belongs to (see above); also what the results cache keys cross-file findings on. */
export class ProjectRoots {
  /** Folder → its project root, memoised: files of one folder share it. */
  private readonly rootOfDir = new Map<string, string>();

  constructor(private readonly checked: readonly string[]) {}

  rootOf(file: string): string {
    const dir = path.dirname(file);
    let root = this.rootOfDir.get(dir);
    if (root === undefined) {
      root = findProjectRoot(file) ?? this.fallbackRoot(file);
      this.rootOfDir.set(dir, root);
    }
    return root;
  }

  /** The checked directory holding the file (the outermost), or the file's folder. */
  private fallbackRoot(file: string): string {
    let best: string | undefined;
    for (const p of this.checked) {
      const rel = path.relative(p, file);
      if (rel && !rel.startsWith('..') && !path.isAbsolute(rel) && (!best || p.length < best.length)) best = p;
    }
    return best ?? path.dirname(file);
  }
}
