/**
 * The workspace's Python project index for the editor: one `ProjectIndex` per workspace folder
 * (src/python/project.ts), so AW202/AW301 follow calls into the workspace's other modules. Files
 * are registered at start (a file search, nothing parsed) and read from disk when a lookup first
 * needs them. A file watcher keeps closed files current; open documents feed their unsaved text
 * after a typing pause. When a module's summary changes in a way other modules can see (a new
 * blocking call in a helper, a def turned async), `onDidChangeModules` names the files that may
 * have different findings now: the module and, transitively, the summarised modules importing it.
 */
import * as vscode from 'vscode';
import type { PythonParser } from '../python/parser';
import { ProjectIndex } from '../python/project';
import type { Log } from './log';

/** Folders never indexed: dependencies, caches and virtual environments (as the CLI skips them). */
const EXCLUDE = '**/{node_modules,.git,.hg,.svn,__pycache__,.tox,.nox,.mypy_cache,.ruff_cache,.pytest_cache,site-packages,.venv,venv}/**';

/** A pause in typing long enough that re-summarising the module (one parse) costs nothing noticeable. */
export const PROJECT_UPDATE_MS = 500;

export class PythonProjects implements vscode.Disposable {
  private readonly indexes = new Map<string, ProjectIndex>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly changed = new vscode.EventEmitter<readonly string[]>();
  /** Fires with the file paths whose findings may depend on a module that just changed. */
  readonly onDidChangeModules = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly parser: PythonParser,
    private readonly log: Log,
  ) {}

  /** Registers the Python files of every workspace folder and starts watching them. */
  async start(): Promise<void> {
    const started = Date.now();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const markers = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/{pyproject.toml,setup.py,setup.cfg}'), EXCLUDE);
      const roots = [folder.uri.fsPath, ...markers.map((m) => vscode.Uri.joinPath(m, '..').fsPath)];
      const index = new ProjectIndex(this.parser, { roots });
      for (const uri of await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*.py'), EXCLUDE)) index.add(uri.fsPath);
      this.indexes.set(folder.uri.toString(), index);
      this.log.info(`project index of ${folder.name}: ${index.files.length} Python files registered in ${Date.now() - started} ms`);
    }
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.py');
    this.subscriptions.push(
      watcher,
      watcher.onDidCreate((uri) => this.log.guard('indexing a new file', () => this.onDisk(uri, 'created'))),
      watcher.onDidChange((uri) => this.log.guard('re-indexing a changed file', () => this.onDisk(uri, 'changed'))),
      watcher.onDidDelete((uri) => this.log.guard('un-indexing a deleted file', () => this.onDisk(uri, 'deleted'))),
    );
  }

  /** The index and path to analyse a document with; undefined outside the workspace's folders. */
  forDocument(document: vscode.TextDocument): { project: ProjectIndex; filePath: string } | undefined {
    const index = this.indexOf(document.uri);
    return index && { project: index, filePath: document.uri.fsPath };
  }

  /** An open document's text changed: update the index after a pause (its own analysis does not wait for this). */
  documentChanged(document: vscode.TextDocument): void {
    const index = this.indexOf(document.uri);
    if (!index) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.log.guard('updating the project index', () => {
          if (document.isClosed) return;
          if (index.update(document.uri.fsPath, document.getText())) this.fire(index, document.uri.fsPath);
        });
      }, PROJECT_UPDATE_MS),
    );
  }

  private onDisk(uri: vscode.Uri, what: 'created' | 'changed' | 'deleted'): void {
    const index = this.indexOf(uri);
    if (!index) return;
    // An open document's unsaved text is what the index holds for it; saving it changes nothing new.
    if (what === 'changed' && vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) return;
    if (what === 'deleted') {
      const dependents = index.dependents(uri.fsPath);
      index.remove(uri.fsPath);
      this.changed.fire(dependents);
      return;
    }
    if (what === 'created') index.add(uri.fsPath);
    else index.invalidate(uri.fsPath);
    this.fire(index, uri.fsPath);
  }

  private fire(index: ProjectIndex, file: string): void {
    this.changed.fire(index.dependents(file));
  }

  private indexOf(uri: vscode.Uri): ProjectIndex | undefined {
    if (uri.scheme !== 'file') return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    return folder && this.indexes.get(folder.uri.toString());
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const s of this.subscriptions) s.dispose();
  }
}
