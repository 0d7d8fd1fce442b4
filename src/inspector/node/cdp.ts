/**
 * `CdpChannel` over a WebSocket: to `node --inspect` directly (tests, benchmark) or to js-debug's CDP
 * proxy (the extension: `extension.js-debug.requestCDPProxy` gives `{host, port, path}`).
 */
import type { CdpChannel, Disposable } from '../channel';
import { WebSocketClient } from '../ws';

const DEFAULT_TIMEOUT_MS = 10_000;

export class CdpError extends Error {
  constructor(readonly method: string, readonly code: number | undefined, message: string) {
    super(`${method}: ${message}`);
    this.name = 'CdpError';
  }
}

interface Pending {
  readonly method: string;
  readonly resolve: (value: any) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class WebSocketCdpChannel implements CdpChannel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(params: any) => void>>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private closeReason: string | undefined;

  private constructor(private readonly socket: WebSocketClient) {
    socket.onMessage((text) => this.dispatch(text));
    socket.onClose((reason) => this.closed(reason));
  }

  static async connect(url: string, timeoutMs = 5000): Promise<WebSocketCdpChannel> {
    return new WebSocketCdpChannel(await WebSocketClient.connect(url, timeoutMs));
  }

  /** What `extension.js-debug.requestCDPProxy` returns. */
  static connectToProxy(proxy: { host: string; port: number; path?: string }, timeoutMs = 5000): Promise<WebSocketCdpChannel> {
    const host = proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host;
    const path = proxy.path ? (proxy.path.startsWith('/') ? proxy.path : `/${proxy.path}`) : '/';
    return WebSocketCdpChannel.connect(`ws://${host}:${proxy.port}${path}`, timeoutMs);
  }

  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    if (this.closeReason !== undefined) return Promise.reject(new CdpError(method, undefined, `connection closed (${this.closeReason})`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CdpError(method, undefined, `no answer after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      try {
        this.socket.send(JSON.stringify({ id, method, params }));
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new CdpError(method, undefined, (e as Error).message));
      }
    });
  }

  on(method: string, listener: (params: any) => void): Disposable {
    let set = this.listeners.get(method);
    if (!set) this.listeners.set(method, (set = new Set()));
    set.add(listener);
    return { dispose: () => set!.delete(listener) };
  }

  onClose(listener: (reason: string) => void): Disposable {
    if (this.closeReason !== undefined) {
      listener(this.closeReason);
      return { dispose() {} };
    }
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  close(): void {
    this.socket.close();
  }

  private dispatch(text: string): void {
    let message: any;
    try {
      message = JSON.parse(text);
    } catch {
      return; // not CDP; ignore rather than break the session
    }
    if (typeof message.id === 'number') {
      const pending = this.pending.get(message.id);
      if (!pending) return; // answered after its timeout
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error) pending.reject(new CdpError(pending.method, message.error.code, message.error.message ?? 'protocol error'));
      else pending.resolve(message.result ?? {});
    } else if (typeof message.method === 'string') {
      const set = this.listeners.get(message.method);
      if (!set) return;
      for (const listener of [...set]) {
        try {
          listener(message.params ?? {});
        } catch {
          // A listener's bug must not break the channel.
        }
      }
    }
  }

  private closed(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    for (const [, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new CdpError(pending.method, undefined, `connection closed (${reason})`));
    }
    this.pending.clear();
    for (const listener of [...this.closeListeners]) {
      try {
        listener(reason);
      } catch {
        // ignore
      }
    }
    this.closeListeners.clear();
  }
}
