/**
 * A Debug Adapter Protocol client over a TCP socket: the `DapChannel` the inspector backends use
 * outside VS Code (tests, the benchmark, any tool). Inside VS Code the extension adapts a
 * `DebugSession` to the same interface instead.
 *
 * Framing is DAP's base protocol: `Content-Length: N\r\n\r\n` followed by N bytes of UTF-8 JSON.
 * Every request has a timeout; a closed socket rejects everything still pending.
 */
import * as net from 'node:net';
import type { DapChannel, Disposable } from './channel';

const DEFAULT_TIMEOUT_MS = 10_000;
const HEADER_END = Buffer.from('\r\n\r\n');
/** `ASYNCWISE_DAP_TRACE=1` prints every message (truncated) to stderr: for debugging a backend. */
const TRACE = process.env.ASYNCWISE_DAP_TRACE === '1';
function trace(direction: string, message: unknown): void {
  if (TRACE) process.stderr.write(`[dap ${direction}] ${JSON.stringify(message).slice(0, 300)}\n`);
}

interface Pending {
  readonly command: string;
  readonly resolve: (body: any) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class SocketDapChannel implements DapChannel {
  private seq = 1;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(event: string, body: any) => void>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private closedReason: string | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.finish(`socket error: ${error.message}`));
    socket.on('close', () => this.finish('the debug adapter closed the connection'));
  }

  /** Connects to a debug adapter listening on `host:port`, retrying until it listens or `timeoutMs` passes. */
  static async connect(host: string, port: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SocketDapChannel> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    while (Date.now() < deadline) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host, port });
          const timer = setTimeout(() => { s.destroy(); reject(new Error('connect timed out')); }, Math.max(100, deadline - Date.now()));
          s.once('connect', () => { clearTimeout(timer); s.removeAllListeners('error'); resolve(s); });
          s.once('error', (e) => { clearTimeout(timer); s.destroy(); reject(e); });
        });
        socket.setNoDelay(true);
        return new SocketDapChannel(socket);
      } catch (e) {
        lastError = (e as Error).message;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`could not connect to the debug adapter at ${host}:${port} within ${timeoutMs} ms (${lastError})`);
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  request<T = any>(command: string, args?: Record<string, unknown>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    if (this.closedReason !== undefined) return Promise.reject(new Error(`DAP ${command}: session ended (${this.closedReason})`));
    const seq = this.seq++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`DAP ${command}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, { command, resolve, reject, timer });
      this.write({ seq, type: 'request', command, arguments: args ?? {} });
    });
  }

  onEvent(listener: (event: string, body: any) => void): Disposable {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  onClose(listener: (reason: string) => void): Disposable {
    if (this.closedReason !== undefined) {
      const reason = this.closedReason;
      queueMicrotask(() => listener(reason));
      return { dispose: () => undefined };
    }
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  /** Resolves with the body of the next `event` for which `predicate` holds; rejects on timeout or close. */
  waitForEvent<T = any>(event: string, timeoutMs = DEFAULT_TIMEOUT_MS, predicate: (body: T) => boolean = () => true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => { clearTimeout(timer); sub.dispose(); closeSub.dispose(); };
      const timer = setTimeout(() => { done(); reject(new Error(`DAP: no '${event}' event within ${timeoutMs} ms`)); }, timeoutMs);
      const sub = this.onEvent((name, body) => {
        if (name === event && predicate(body)) { done(); resolve(body); }
      });
      const closeSub = this.onClose((reason) => { done(); reject(new Error(`DAP: session ended while waiting for '${event}' (${reason})`)); });
    });
  }

  close(): void {
    this.socket.destroy();
    this.finish('closed by the client');
  }

  private write(message: Record<string, unknown>): void {
    trace('>', message);
    const json = Buffer.from(JSON.stringify(message), 'utf8');
    this.socket.write(Buffer.concat([Buffer.from(`Content-Length: ${json.length}\r\n\r\n`, 'ascii'), json]));
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const headerEnd = this.buffer.indexOf(HEADER_END);
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const match = /Content-Length:\s*(\d+)/i.exec(header);
      if (!match) {
        this.socket.destroy();
        this.finish(`malformed DAP header: ${JSON.stringify(header.slice(0, 80))}`);
        return;
      }
      const start = headerEnd + HEADER_END.length;
      const end = start + Number(match[1]);
      if (this.buffer.length < end) return;
      const body = this.buffer.subarray(start, end).toString('utf8');
      this.buffer = this.buffer.subarray(end);
      let message: any;
      try {
        message = JSON.parse(body);
      } catch {
        continue; // one unreadable message must not take the session down
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: any): void {
    trace('<', message);
    if (message.type === 'response') {
      const pending = this.pending.get(message.request_seq);
      if (!pending) return; // timed out already
      this.pending.delete(message.request_seq);
      clearTimeout(pending.timer);
      if (message.success) pending.resolve(message.body ?? {});
      else pending.reject(new Error(`DAP ${pending.command}: ${message.message ?? 'failed'}${message.body?.error?.format ? ` (${message.body.error.format})` : ''}`));
    } else if (message.type === 'event') {
      for (const listener of [...this.eventListeners]) {
        try {
          listener(message.event, message.body ?? {});
        } catch {
          // a failing listener must not stop the others
        }
      }
    } else if (message.type === 'request') {
      // Reverse requests (runInTerminal, startDebugging) are not supported by this client.
      this.write({ seq: this.seq++, type: 'response', request_seq: message.seq, command: message.command, success: false, message: 'not supported by this client' });
    }
  }

  private finish(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const [, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`DAP ${pending.command}: session ended (${reason})`));
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

export interface AttachOptions {
  /** Extra `attach` arguments (`justMyCode`, `subProcess`, …). */
  readonly attach?: Record<string, unknown>;
  /** Breakpoints to set before `configurationDone`: absolute path → 1-based lines. */
  readonly breakpoints?: Readonly<Record<string, readonly number[]>>;
  readonly timeoutMs?: number;
}

/**
 * The handshake debugpy's adapter expects from a client attaching to a `--listen` endpoint:
 * `initialize`, then `attach` (answered only after configuration), the `initialized` event,
 * breakpoints, `configurationDone`, and finally the `attach` response.
 */
export async function attachDebugpy(channel: SocketDapChannel, options: AttachOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  await channel.request('initialize', {
    clientID: 'asyncwise',
    clientName: 'asyncwise inspector',
    adapterID: 'debugpy',
    pathFormat: 'path',
    linesStartAt1: true,
    columnsStartAt1: true,
    supportsVariableType: true,
    supportsRunInTerminalRequest: false,
  }, timeoutMs);
  const initialized = channel.waitForEvent('initialized', timeoutMs);
  const attached = channel.request('attach', { justMyCode: true, ...options.attach }, timeoutMs);
  attached.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
  await initialized;
  for (const [path, lines] of Object.entries(options.breakpoints ?? {})) {
    await channel.request('setBreakpoints', { source: { path }, breakpoints: lines.map((line) => ({ line })) }, timeoutMs);
  }
  await channel.request('setExceptionBreakpoints', { filters: [] }, timeoutMs);
  await channel.request('configurationDone', {}, timeoutMs);
  await attached;
}

/** The same handshake for a `launch` (the adapter starts the program, as the editor's Run and Debug does). */
export async function launchDebugpy(channel: SocketDapChannel, launch: Record<string, unknown>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  await channel.request('initialize', {
    clientID: 'asyncwise', clientName: 'asyncwise inspector', adapterID: 'debugpy', pathFormat: 'path',
    linesStartAt1: true, columnsStartAt1: true, supportsVariableType: true, supportsRunInTerminalRequest: false,
  }, timeoutMs);
  const initialized = channel.waitForEvent('initialized', timeoutMs);
  const launched = channel.request('launch', launch, timeoutMs);
  launched.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
  await initialized;
  await channel.request('setExceptionBreakpoints', { filters: [] }, timeoutMs);
  await channel.request('configurationDone', {}, timeoutMs);
  await launched;
}
