/**
 * The two wires the inspector backends talk over, kept free of `vscode` so tests drive the backends
 * against real processes: the extension adapts a debug session to these; tests connect directly
 * (a WebSocket to `node --inspect`, a DAP socket to debugpy).
 */

export interface Disposable {
  /**
   * Asks the program to stop as it would be asked in production (Python: every task cancelled, as
   * `asyncio.run()` does; Node: SIGTERM), and returns what was done. Snapshots taken afterwards carry
   * `shutdown` and mark the items that keep the program from exiting (`blocksExit`). The program is
   * never paused or killed for it: a program with no SIGTERM handler exits, which is the answer too.
   */
  shutdown?(): Promise<import('./model').ShutdownState>;
  /**
   * The program was asked to stop by someone else (the editor's Stop, sent as DAP `terminate`): the
   * snapshots from now on carry `state` and mark what keeps the program alive, as after `shutdown()`.
   */
  markShutdown?(state: import('./model').ShutdownState): void;
  dispose(): void;
}

/** Chrome DevTools Protocol session (Node's inspector, or js-debug's CDP proxy). */
export interface CdpChannel {
  /** Sends a command; rejects on a protocol error, on close, or after `timeoutMs`. */
  send<T = unknown>(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Subscribes to an event by method name (`HeapProfiler.addHeapSnapshotChunk`). */
  on(method: string, listener: (params: any) => void): Disposable;
  /** Fires once when the connection ends for any reason. */
  onClose(listener: (reason: string) => void): Disposable;
  close(): void;
}

/** Debug Adapter Protocol session (debugpy's adapter, or a VS Code DebugSession). */
export interface DapChannel {
  /** Sends a request; resolves with the response body; rejects on failure, end of session, or after `timeoutMs`. */
  request<T = any>(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Every event the adapter sends (`output`, `stopped`, `continued`, `terminated`, …). */
  onEvent(listener: (event: string, body: any) => void): Disposable;
  onClose(listener: (reason: string) => void): Disposable;
}

/** A backend: one per debug session. */
export interface InspectorBackend {
  readonly runtime: 'node' | 'python';
  /** Tier 1 (cheap, safe to poll) or tier 2 (on demand; may cost the program a stall, reported in `costs`). */
  snapshot(options: { tier: 1 | 2; signal?: AbortSignal }): Promise<import('./model').LoopSnapshot>;
  /** Python: cancel a task by id. Node: unsupported (rejects with a clear message). */
  cancel?(id: string, message?: string): Promise<void>;
  /**
   * Asks the program to stop as it would be asked in production (Python: every task cancelled, as
   * `asyncio.run()` does; Node: SIGTERM), and returns what was done. Snapshots taken afterwards carry
   * `shutdown` and mark the items that keep the program from exiting (`blocksExit`). The program is
   * never paused or killed for it: a program with no SIGTERM handler exits, which is the answer too.
   */
  shutdown?(): Promise<import('./model').ShutdownState>;
  /**
   * The program was asked to stop by someone else (the editor's Stop, sent as DAP `terminate`): the
   * snapshots from now on carry `state` and mark what keeps the program alive, as after `shutdown()`.
   */
  markShutdown?(state: import('./model').ShutdownState): void;
  dispose(): void;
}
