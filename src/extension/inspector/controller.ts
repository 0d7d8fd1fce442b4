/**
 * The loop inspector view: follows the debug session the tracker picks, owns that session's backend,
 * refreshes tier 1 while the view is visible, takes tier 2 and cancels on request, and keeps the
 * webview informed through the typed protocol. Everything that talks to the debugged program has a
 * timeout and is serialised (one snapshot at a time); a result that arrives after the session changed
 * is dropped, so a session that ends, restarts or detaches mid-snapshot leaves a clear state.
 */
import * as vscode from 'vscode';
import type { InspectorBackend } from '../../inspector/channel';
import type { LoopSnapshot, SourceLocation } from '../../inspector/model';
import { parseWebviewMessage, type ExtensionMessage, type PanelState, type WebviewMessage } from '../../protocol/inspector';
import type { Log } from '../log';
import { inspectorHtml } from './html';
import { withDeepItems } from './merge';
import { runtimeOf, type SessionTracker } from './sessions';

export const INSPECTOR_VIEW_ID = 'asyncwise.inspector';
/** True while the panel holds a snapshot, live or from an ended session (package.json's view `when`). */
export const HAS_SNAPSHOT_CONTEXT = 'asyncwise.inspector.hasSnapshot';

/** Makes the backend for a session (connecting its channel); rejects when the runtime is unsupported. */
export type BackendFactory = (session: vscode.DebugSession, runtime: 'node' | 'python', signal: AbortSignal) => Promise<InspectorBackend>;

export interface InspectorTimings {
  /** Pause between two automatic tier 1 snapshots while the view is visible. */
  readonly pollMs: number;
  readonly connectTimeoutMs: number;
  readonly tierTimeoutMs: Readonly<Record<1 | 2, number>>;
  readonly cancelTimeoutMs: number;
}

export const DEFAULT_TIMINGS: InspectorTimings = { pollMs: 2000, connectTimeoutMs: 10_000, tierTimeoutMs: { 1: 10_000, 2: 60_000 }, cancelTimeoutMs: 5000 };

/**
 * How long after a simulated shutdown the report is taken: a well-behaved program has exited by then,
 * and a Python task still alive this long after its cancel is marked as ignoring it (the Python
 * backend's default `ignoreCancelAfterMs` is 3000).
 */
export const SHUTDOWN_GRACE_MS = 3500;

/** What the test command returns: the last snapshot and what the webview drew of it. */
export interface InspectorTestState {
  readonly state: PanelState;
  readonly message?: string;
  readonly sessionId?: string;
  readonly snapshot?: LoopSnapshot;
  readonly rendered?: { readonly takenAt: number; readonly rows: number; readonly drawn: number; readonly ms: number; readonly width?: number; readonly compact?: boolean; readonly cutLabels?: number; readonly cutSamples?: readonly string[]; readonly selectedId?: string; readonly whyCards?: number; readonly whyCut?: number };
  readonly visible: boolean;
}

interface Current {
  readonly session: vscode.DebugSession;
  readonly generation: number;
  readonly abort: AbortController;
  backend?: InspectorBackend;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Errors that mean the backend's connection is gone (the debug session itself may live on). */
const CONNECTION_LOST = /connection (is )?closed|session (has )?ended|not connected|socket hang up/i;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class InspectorController implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private current: Current | undefined;
  private generation = 0;
  private state: PanelState = 'no-session';
  private stateMessage: string | undefined;
  private lastSnapshot: { sessionId: string; snapshot: LoopSnapshot } | undefined;
  /**
   * The followed session's last snapshot. It outlives the session, shown read-only: the view stays in
   * Run and Debug after the session (its `when` clause reads this context key), since the last
   * snapshot before a hang or an exit is often the one that explains it.
   */
  private get last(): { sessionId: string; snapshot: LoopSnapshot } | undefined {
    return this.lastSnapshot;
  }

  private set last(value: { sessionId: string; snapshot: LoopSnapshot } | undefined) {
    const had = !!this.lastSnapshot;
    this.lastSnapshot = value;
    if (had !== !!value) void vscode.commands.executeCommand('setContext', HAS_SNAPSHOT_CONTEXT, !!value).then(undefined, () => undefined);
  }
  /** The followed session's last tier 2 snapshot, whose deep-only rows stay while tier 1 refreshes. */
  private deep: LoopSnapshot | undefined;
  private rendered: InspectorTestState['rendered'];
  private autoRefresh = true;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  /** The tail of the serialised work on the program (snapshots, cancels). */
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** When the current session's backend was re-made after its connection dropped (bounded). */
  private reconnects: number[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  /** Session id → when it was asked to stop, and by whom, to say so when it then ends. */
  private readonly shutdownAt = new Map<string, { at: number; by: 'panel' | 'stop' }>();

  constructor(
    private readonly mediaRoot: vscode.Uri,
    private readonly tracker: SessionTracker,
    private readonly createBackend: BackendFactory,
    private readonly log: Log,
    private readonly timings: InspectorTimings = DEFAULT_TIMINGS,
  ) {
    this.disposables.push(tracker.onDidChange(() => this.follow()));
    this.follow();
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [this.mediaRoot] };
    view.webview.html = inspectorHtml(view.webview, this.mediaRoot);
    const subscriptions = [
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const parsed = parseWebviewMessage(raw);
        if (!parsed) {
          this.log.warn(`inspector: ignored a malformed message from the webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
          return;
        }
        this.log.guard('inspector: handling a webview message', () => this.onMessage(parsed));
      }),
      view.onDidChangeVisibility(() => {
        // Hidden, the webview's page is gone; shown again, it must draw the last snapshot anew.
        if (!view.visible) this.rendered = undefined;
        this.schedulePoll(0);
      }),
    ];
    view.onDidDispose(() => {
      for (const s of subscriptions) s.dispose();
      if (this.view === view) this.view = undefined;
      this.rendered = undefined;
    });
  }

  /** For the editor suite: the last snapshot and what the webview drew. */
  testState(): InspectorTestState {
    return { state: this.state, message: this.stateMessage, sessionId: this.last?.sessionId, snapshot: this.last?.snapshot, rendered: this.rendered, visible: !!this.view?.visible };
  }

  /** Takes a snapshot now (the Refresh and Deep snapshot buttons, and the command). */
  refresh(tier: 1 | 2): Promise<void> {
    const current = this.current;
    if (!current) return Promise.resolve();
    return this.enqueue(() => this.takeSnapshot(current, tier));
  }

  private onMessage(msg: WebviewMessage): void {
    switch (msg.type) {
      case 'ready':
        this.sendAll();
        this.schedulePoll(0);
        break;
      case 'refresh':
        this.log.detach('inspector: refresh', this.refresh(msg.tier));
        break;
      case 'selectSession':
        this.tracker.select(msg.id);
        break;
      case 'openLocation':
        this.log.detach('inspector: opening a location', this.openLocation(msg.location));
        break;
      case 'cancelTask':
        this.log.detach('inspector: cancel', this.cancel(msg.id));
        break;
      case 'setAutoRefresh':
        this.autoRefresh = msg.enabled;
        this.schedulePoll(0);
        break;
      case 'simulateShutdown':
        this.log.detach('inspector: simulate shutdown', this.simulateShutdown());
        break;
      case 'showRule':
        this.log.detach('inspector: rule docs', Promise.resolve(vscode.commands.executeCommand('asyncwise.showRuleDocs', msg.code)));
        break;
      case 'rendered':
        this.rendered = { takenAt: msg.takenAt, rows: msg.rows, drawn: msg.drawn, ms: msg.ms, width: msg.width, compact: msg.compact, cutLabels: msg.cutLabels, cutSamples: msg.cutSamples, selectedId: msg.selectedId, whyCards: msg.whyCards, whyCut: msg.whyCut };
        break;
    }
  }

  private post(msg: ExtensionMessage): void {
    if (!this.view) return;
    // A webview being torn down rejects; that is not an error of ours.
    this.view.webview.postMessage(msg).then(undefined, () => undefined);
  }

  private setState(state: PanelState, text?: string): void {
    this.state = state;
    this.stateMessage = text;
    this.post({ type: 'state', state, message: text });
  }

  private sendAll(): void {
    this.post({ type: 'sessions', sessions: this.tracker.list(), activeId: this.current?.session.id });
    if (this.last && (this.current?.session.id === this.last.sessionId || this.state === 'ended')) this.post({ type: 'snapshot', sessionId: this.last.sessionId, snapshot: this.last.snapshot });
    this.post({ type: 'state', state: this.state, message: this.stateMessage });
  }

  /** Switches to the tracker's session when it changed. */
  private follow(): void {
    const session = this.tracker.active;
    this.post({ type: 'sessions', sessions: this.tracker.list(), activeId: session?.id });
    if (session?.id === this.current?.session.id) return;
    const previous = this.current;
    this.detach();
    if (!session) {
      // The followed session ended (or restarted and the new one is not up yet): keep its last snapshot, marked stale.
      const asked = previous ? this.shutdownAt.get(previous.session.id) : undefined;
      const after = asked ? ((Date.now() - asked.at) / 1000).toFixed(1) : '';
      if (previous && asked?.by === 'panel') this.setState('ended', `"${previous.session.name}" exited ${after} s after the shutdown request: nothing held it.`);
      else if (previous && asked) this.setState('ended', `"${previous.session.name}" ended ${after} s after Stop.`);
      else if (previous && this.last?.sessionId === previous.session.id) this.setState('ended', `"${previous.session.name}" is no longer running.`);
      else this.setState('no-session');
      return;
    }
    this.last = undefined;
    this.deep = undefined;
    this.reconnects = [];
    this.log.info(`inspector: following ${runtimeOf(session)} session "${session.name}" (${session.type})`);
    this.connect(session);
  }

  /** Makes the session's backend; the last snapshot stays on screen meanwhile (a reconnect keeps it). */
  private connect(session: vscode.DebugSession, note?: string): void {
    const current: Current = { session, generation: ++this.generation, abort: new AbortController() };
    this.current = current;
    this.setState('connecting', note);
    void withTimeout(this.createBackend(session, runtimeOf(session)!, current.abort.signal), this.timings.connectTimeoutMs, 'connecting to the debug session').then(
      (backend) => {
        if (this.current !== current) {
          backend.dispose();
          return;
        }
        current.backend = backend;
        this.setState('live');
        this.log.detach('inspector: first snapshot', this.refresh(1));
      },
      (error: unknown) => {
        if (this.current !== current) return;
        this.log.error(`inspector: cannot inspect "${session.name}"`, error);
        this.setState('error', `Cannot inspect "${session.name}": ${message(error)}`);
      },
    );
  }

  /**
   * The backend's connection dropped while the debug session goes on (a CDP proxy socket can close
   * under js-debug's feet): make a new one, a few times a minute at most.
   */
  private reconnect(current: Current, reason: string): boolean {
    const now = Date.now();
    this.reconnects = this.reconnects.filter((t) => now - t < 60_000);
    if (this.reconnects.length >= 3 || this.tracker.active?.id !== current.session.id) return false;
    this.reconnects.push(now);
    this.log.warn(`inspector: the connection to "${current.session.name}" dropped (${reason}); reconnecting`);
    this.detach();
    this.connect(current.session, 'The connection to the program dropped; reconnecting…');
    return true;
  }

  private detach(): void {
    const current = this.current;
    this.current = undefined;
    clearTimeout(this.pollTimer);
    if (!current) return;
    current.abort.abort(new Error('the inspector left this session'));
    try {
      current.backend?.dispose();
    } catch (error) {
      this.log.error('inspector: disposing a backend failed', error);
    }
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    this.queued++;
    const next = this.queue.then(work).finally(() => this.queued--);
    this.queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async takeSnapshot(current: Current, tier: 1 | 2): Promise<void> {
    if (this.current !== current || !current.backend) return;
    this.post({ type: 'busy', tier });
    try {
      const taken = await withTimeout(current.backend.snapshot({ tier, signal: current.abort.signal }), this.timings.tierTimeoutMs[tier], `tier ${tier} snapshot`);
      if (this.current !== current) return;
      if (taken.tiers.includes(2)) this.deep = taken;
      const snapshot = withDeepItems(taken, this.deep);
      this.last = { sessionId: current.session.id, snapshot };
      this.state = 'live';
      this.stateMessage = undefined;
      this.post({ type: 'snapshot', sessionId: current.session.id, snapshot });
    } catch (error) {
      if (this.current !== current) return;
      this.log.warn(`inspector: tier ${tier} snapshot of "${current.session.name}" failed: ${message(error)}`);
      if (CONNECTION_LOST.test(message(error)) || (error as Error)?.name === 'SessionEndedError') {
        if (this.reconnect(current, message(error))) return;
      }
      this.setState('error', `Tier ${tier} snapshot failed: ${message(error)}`);
      // The backend stays: the next refresh tries again (a session in a breakpoint, a slow GC…).
      this.post({ type: 'busy' });
    } finally {
      if (this.current === current) this.schedulePoll(this.timings.pollMs);
    }
  }

  /** Arms the next automatic tier 1 snapshot while the view is visible and nothing is queued. */
  private schedulePoll(delayMs: number): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    const current = this.current;
    if (!current?.backend || !this.autoRefresh || !this.view?.visible) return;
    this.pollTimer = setTimeout(() => {
      if (this.queued === 0 && this.current === current && this.view?.visible && this.autoRefresh) this.log.detach('inspector: auto refresh', this.refresh(1));
    }, delayMs);
  }

  /**
   * Runs one request of the followed session's backend in the queue, bounded by the cancel timeout,
   * as `{ok, message}`; `unsupported` when this backend has no such request.
   */
  private async request<T>(what: string, unsupported: string, send: (backend: InspectorBackend) => Promise<T> | undefined, done: (value: T, current: Current) => string | undefined): Promise<{ ok: boolean; message?: string }> {
    const current = this.current;
    const backend = current?.backend;
    if (!current || !backend) return { ok: false, message: unsupported };
    return this.enqueue(async () => {
      try {
        const sent = send(backend);
        if (!sent) return { ok: false, message: unsupported };
        const text = done(await withTimeout(sent, this.timings.cancelTimeoutMs, what), current);
        return text === undefined ? { ok: true } : { ok: true, message: text };
      } catch (error) {
        return { ok: false, message: message(error) };
      }
    });
  }

  /** Cancels a task of the followed session (the Cancel button; Python only), then refreshes tier 1. */
  async cancel(id: string): Promise<{ ok: boolean; message?: string }> {
    const result = await this.request('cancel', 'this session cannot cancel tasks', (b) => b.cancel?.(id, 'cancelled from the asyncwise loop inspector'), (_, current) => {
      this.log.info(`inspector: cancel requested for ${id} in "${current.session.name}"`);
      return undefined;
    });
    this.post({ type: 'cancelResult', id, ...result });
    if (result.ok) await this.refresh(1);
    return result;
  }

  /**
   * The Simulate shutdown button: asks the program to stop as production would (Python: every task
   * cancelled, as asyncio.run() does; Node: SIGTERM), then, after a grace period, takes the snapshot
   * that says what still holds it. Auto refresh keeps it current afterwards.
   */
  async simulateShutdown(): Promise<{ ok: boolean; message?: string }> {
    const current = this.current;
    const result = await this.request('shutdown request', 'this session cannot be asked to stop', (b) => b.shutdown?.(), (state, at) => {
      this.shutdownAt.set(at.session.id, { at: state.requestedAt, by: 'panel' });
      this.log.info(`inspector: shutdown simulated in "${at.session.name}": ${state.how}`);
      return state.how;
    });
    this.post({ type: 'shutdownResult', ...result });
    if (result.ok && current) {
      await new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS));
      if (this.current === current) await this.refresh(1);
    }
    return result;
  }

  /**
   * The editor's Stop sent the session (or js-debug's parent of it) a DAP `terminate`. A program that
   * obeys ends and the panel says so; one still alive after the grace period gets the same report as
   * after Simulate shutdown: what holds it. The second Stop (a `disconnect`) kills it as usual.
   */
  stopRequested(session: vscode.DebugSession): void {
    const current = this.current;
    if (!current || (current.session.id !== session.id && current.session.parentSession?.id !== session.id)) return;
    if (this.shutdownAt.get(current.session.id)?.by === 'stop') return; // the second Stop: a kill, nothing to report
    const at = Date.now();
    this.shutdownAt.set(current.session.id, { at, by: 'stop' });
    const how = 'Stop pressed (the debugger asked the program to terminate)';
    current.backend?.markShutdown?.({ requestedAt: at, how });
    setTimeout(() => {
      if (this.current !== current || !current.backend) return;
      current.backend.markShutdown?.({ requestedAt: at, how }); // connected meanwhile: it still needs to know
      this.log.info(`inspector: "${current.session.name}" is still running ${SHUTDOWN_GRACE_MS} ms after Stop; reporting what holds it`);
      this.log.detach('inspector: report after Stop', this.refresh(1));
    }, SHUTDOWN_GRACE_MS);
  }

  private async openLocation(location: SourceLocation): Promise<void> {
    let uri: vscode.Uri;
    if (/^file:\/\//i.test(location.file)) uri = vscode.Uri.parse(location.file);
    else if (location.file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(location.file)) uri = vscode.Uri.file(location.file);
    else {
      void vscode.window.showInformationMessage(`asyncwise: ${location.file} is not a file in the workspace (a runtime-internal module).`);
      return;
    }
    const line = Math.max(0, location.line - 1);
    const column = Math.max(0, (location.column ?? 1) - 1);
    const position = new vscode.Position(line, column);
    await vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position), preview: true });
  }

  dispose(): void {
    this.detach();
    for (const d of this.disposables) d.dispose();
  }
}
