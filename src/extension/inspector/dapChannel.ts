/**
 * Adapts a VS Code debug session to the `DapChannel` the Python backend talks over: requests go
 * through `session.customRequest` (with the timeout VS Code does not give it), events come from a
 * `DebugAdapterTracker` registered for the Python debug types at activation (trackers only see
 * sessions that start after they are registered, hence `onDebug` activation).
 */
import * as vscode from 'vscode';
import type { DapChannel, Disposable } from '../../inspector/channel';

/** DAP requests after which the program runs again. */
const RESUMING = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto', 'restartFrame']);

type EventListener = (event: string, body: any) => void;
type CloseListener = (reason: string) => void;

export class SessionDapChannel implements DapChannel {
  private readonly eventListeners = new Set<EventListener>();
  private readonly closeListeners = new Set<CloseListener>();
  private closedReason: string | undefined;
  /** The thread the program is stopped on (breakpoint, step, pause), or undefined while it runs. */
  stoppedThreadId: number | undefined;

  constructor(
    private readonly session: vscode.DebugSession,
    private readonly defaultTimeoutMs = 5000,
  ) {}

  request<T = any>(command: string, args?: Record<string, unknown>, timeoutMs = this.defaultTimeoutMs): Promise<T> {
    if (this.closedReason !== undefined) return Promise.reject(new Error(`debug session closed: ${this.closedReason}`));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        stop.dispose();
        reject(new Error(`DAP ${command} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = this.onClose((reason) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(`debug session closed during ${command}: ${reason}`));
      });
      Promise.resolve(this.session.customRequest(command, args)).then(
        (body: T) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          stop.dispose();
          resolve(body);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          stop.dispose();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  onEvent(listener: EventListener): Disposable {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  onClose(listener: CloseListener): Disposable {
    if (this.closedReason !== undefined) {
      const reason = this.closedReason;
      queueMicrotask(() => listener(reason));
      return { dispose: () => undefined };
    }
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  /** Called by the tracker for every event the adapter sends. */
  dispatchEvent(event: string, body: unknown): void {
    const threadId = (body as { threadId?: unknown } | undefined)?.threadId;
    if (event === 'stopped') this.stoppedThreadId = typeof threadId === 'number' ? threadId : this.stoppedThreadId;
    else if (event === 'continued') this.stoppedThreadId = undefined;
    for (const listener of [...this.eventListeners]) {
      try {
        listener(event, body);
      } catch (error) {
        console.error('asyncwise: DAP event listener failed', error);
      }
    }
  }

  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const listener of [...this.closeListeners]) {
      try {
        listener(reason);
      } catch (error) {
        console.error('asyncwise: DAP close listener failed', error);
      }
    }
    this.closeListeners.clear();
    this.eventListeners.clear();
  }
}

/**
 * One channel per tracked session, fed by the trackers VS Code creates. Node sessions get one too:
 * the Node backend talks CDP, but whether the program is paused at a breakpoint is known from DAP.
 */
export class DapChannels implements vscode.Disposable {
  private readonly channels = new Map<string, SessionDapChannel>();
  private readonly registrations: vscode.Disposable[];
  private readonly terminating = new vscode.EventEmitter<vscode.DebugSession>();
  /**
   * The editor sent a session DAP `terminate` (the Stop button, when the adapter supports it): a
   * polite stop the program may not obey (debugpy's `onTerminate: "KeyboardInterrupt"`, js-debug's
   * `killBehavior: "polite"`). A second Stop sends `disconnect`, which kills it.
   */
  readonly onDidRequestTerminate = this.terminating.event;

  constructor(debugTypes: readonly string[]) {
    const factory: vscode.DebugAdapterTrackerFactory = {
      createDebugAdapterTracker: (session) => {
        const channel = this.channelFor(session);
        return {
          onDidSendMessage: (message: { type?: string; event?: string; body?: unknown }) => {
            if (message?.type === 'event' && typeof message.event === 'string') channel.dispatchEvent(message.event, message.body);
          },
          // Adapters need not send `continued` after the editor's own resume requests: see them go out.
          onWillReceiveMessage: (message: { type?: string; command?: string }) => {
            if (message?.type === 'request' && typeof message.command === 'string' && RESUMING.has(message.command)) channel.stoppedThreadId = undefined;
            if (message?.type === 'request' && message.command === 'terminate') this.terminating.fire(session);
          },
          onWillStopSession: () => channel.close('the debug session is stopping'),
          onExit: () => channel.close('the debug adapter exited'),
          onError: (error) => console.error('asyncwise: debug adapter error', error),
        };
      },
    };
    this.registrations = debugTypes.map((type) => vscode.debug.registerDebugAdapterTrackerFactory(type, factory));
    this.registrations.push(vscode.debug.onDidTerminateDebugSession((session) => this.end(session.id, 'the debug session ended')));
  }

  channelFor(session: vscode.DebugSession): SessionDapChannel {
    let channel = this.channels.get(session.id);
    if (!channel) this.channels.set(session.id, (channel = new SessionDapChannel(session)));
    return channel;
  }

  private end(id: string, reason: string): void {
    this.channels.get(id)?.close(reason);
    this.channels.delete(id);
  }

  dispose(): void {
    for (const id of [...this.channels.keys()]) this.end(id, 'asyncwise is shutting down');
    for (const r of this.registrations) r.dispose();
    this.terminating.dispose();
  }
}
