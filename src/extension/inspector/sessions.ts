/**
 * Which debug sessions the inspector can follow, and which one it follows. js-debug starts a
 * top-level logical session and one concrete child per target; only the child (its
 * `configuration.__pendingTargetId` is set) answers CDP, so the panel follows children and maps a
 * parent that becomes active to its child. Python sessions (debugpy) are followed as they are.
 */
import * as vscode from 'vscode';
import type { SessionInfo } from '../../protocol/inspector';

export const NODE_DEBUG_TYPES = ['pwa-node', 'node', 'node-terminal', 'pwa-extensionHost'] as const;
export const PYTHON_DEBUG_TYPES = ['debugpy', 'python'] as const;

export function runtimeOf(session: vscode.DebugSession): 'node' | 'python' | undefined {
  if ((NODE_DEBUG_TYPES as readonly string[]).includes(session.type)) {
    // Only js-debug's concrete target sessions can be inspected; the parent never answers CDP.
    return session.configuration.__pendingTargetId ? 'node' : undefined;
  }
  if ((PYTHON_DEBUG_TYPES as readonly string[]).includes(session.type)) return 'python';
  return undefined;
}

export class SessionTracker implements vscode.Disposable {
  private readonly sessions = new Map<string, vscode.DebugSession>();
  private readonly disposables: vscode.Disposable[] = [];
  private chosen: string | undefined;
  /** True when the user picked a session in the panel: then the panel stays on it until it ends. */
  private pinned = false;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the list of sessions or the followed session changes. */
  readonly onDidChange = this.changed.event;

  constructor() {
    this.disposables.push(
      this.changed,
      vscode.debug.onDidStartDebugSession((s) => this.add(s)),
      vscode.debug.onDidTerminateDebugSession((s) => this.remove(s)),
      vscode.debug.onDidChangeActiveDebugSession((s) => this.followActive(s)),
    );
    if (vscode.debug.activeDebugSession) this.add(vscode.debug.activeDebugSession);
  }

  get active(): vscode.DebugSession | undefined {
    return this.chosen === undefined ? undefined : this.sessions.get(this.chosen);
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => ({ id: s.id, name: s.name, runtime: runtimeOf(s)! }));
  }

  /** The user picked a session in the panel. */
  select(id: string): void {
    if (!this.sessions.has(id) || id === this.chosen) return;
    this.chosen = id;
    this.pinned = true;
    this.changed.fire();
  }

  private add(session: vscode.DebugSession): void {
    if (!runtimeOf(session) || this.sessions.has(session.id)) return;
    this.sessions.set(session.id, session);
    // A new session is followed when nothing is, or when it belongs to the session the user is on.
    const active = vscode.debug.activeDebugSession;
    if (this.chosen === undefined || (!this.pinned && active && (active.id === session.id || session.parentSession?.id === active.id))) this.chosen = session.id;
    this.changed.fire();
  }

  private remove(session: vscode.DebugSession): void {
    if (!this.sessions.delete(session.id)) return;
    if (this.chosen === session.id) {
      this.pinned = false;
      this.chosen = this.pick(vscode.debug.activeDebugSession);
    }
    this.changed.fire();
  }

  private followActive(active: vscode.DebugSession | undefined): void {
    if (this.pinned && this.active) return;
    const next = this.pick(active) ?? this.chosen;
    if (next === this.chosen) return;
    this.chosen = next;
    this.changed.fire();
  }

  /** The tracked session matching the editor's active one: itself, or its js-debug child. */
  private pick(active: vscode.DebugSession | undefined): string | undefined {
    if (active && this.sessions.has(active.id)) return active.id;
    if (active) for (const s of this.sessions.values()) if (s.parentSession?.id === active.id) return s.id;
    return this.sessions.keys().next().value;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
