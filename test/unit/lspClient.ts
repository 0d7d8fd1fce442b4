/**
 * A minimal LSP client for the server tests and the server benchmark: spawns `node dist/cli.js
 * server --stdio` and speaks JSON-RPC over its stdin/stdout with the protocol's own framing
 * (`Content-Length` headers). Written against the specification, independently of the
 * vscode-languageserver library the server uses, so the tests see the wire, not the library.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface Message {
  jsonrpc: '2.0';
  id?: number | string;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** Answers a request the server sends the client (workspace/configuration, workspace/applyEdit, …). */
export type ServerRequestHandler = (params: unknown) => unknown;

export class LspClient {
  readonly process: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: Message) => void }>();
  /** Every notification received, in order. */
  readonly notifications: Message[] = [];
  /** Every request the server sent, in order. */
  readonly serverRequests: Message[] = [];
  private readonly waiters: { test: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  readonly handlers = new Map<string, ServerRequestHandler>();
  stderr = '';
  exited: Promise<number | null>;

  /**
   * Spawns `node CLI server --stdio ARGS`; with `command`, `node COMMAND…` instead (another
   * language server, such as Pyright's, for the benchmark's side-by-side run).
   */
  constructor(cli: string, options: { cwd?: string; args?: readonly string[]; command?: readonly string[] } = {}) {
    this.process = spawn(process.execPath, options.command ? [...options.command] : [cli, 'server', '--stdio', ...(options.args ?? [])], { cwd: options.cwd, stdio: 'pipe' });
    this.process.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.process.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.process.on('exit', (code) => resolve(code)));
    // Defaults a real client would give.
    this.handlers.set('client/registerCapability', () => null);
    this.handlers.set('window/workDoneProgress/create', () => null);
    this.handlers.set('workspace/diagnostic/refresh', () => null);
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const length = Number(/Content-Length: (\d+)/i.exec(header)?.[1]);
      if (!Number.isFinite(length)) throw new Error(`bad header from the server: ${header}`);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(JSON.parse(body) as Message);
    }
  }

  private dispatch(message: Message): void {
    if (message.method !== undefined && message.id !== undefined) {
      this.serverRequests.push(message);
      const handler = this.handlers.get(message.method);
      if (handler) {
        Promise.resolve(handler(message.params)).then(
          (result) => this.write({ jsonrpc: '2.0', id: message.id, result: result ?? null }),
          (error: unknown) => this.write({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: String(error) } }),
        );
      } else this.write({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `client does not handle ${message.method}` } });
      this.check(message);
      return;
    }
    if (message.method !== undefined) {
      this.notifications.push(message);
      this.check(message);
      return;
    }
    const pending = this.pending.get(Number(message.id));
    if (pending) {
      this.pending.delete(Number(message.id));
      pending.resolve(message);
    }
  }

  private check(message: Message): void {
    for (const w of [...this.waiters]) {
      if (w.test(message)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
  }

  /** Writes one message, framed. */
  write(message: Message): void {
    this.writeRaw(JSON.stringify(message));
  }

  /** Writes a body with its header, whatever it holds (the malformed-message test). */
  writeRaw(body: string): void {
    this.process.stdin.write(`Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`);
  }

  /** Sends a request; resolves with the whole response (result or error). */
  request(method: string, params: unknown): { id: number; response: Promise<Message> } {
    const id = this.nextId++;
    const response = new Promise<Message>((resolve) => this.pending.set(id, { resolve }));
    this.write({ jsonrpc: '2.0', id, method, params });
    return { id, response };
  }

  /** Sends a request and returns its result; throws on an error response. */
  async call<T = unknown>(method: string, params: unknown, timeoutMs = 30_000): Promise<T> {
    const { response } = this.request(method, params);
    const message = await withTimeout(response, timeoutMs, `${method} got no answer`, () => this.stderr);
    if (message.error) throw new Error(`${method}: ${message.error.code} ${message.error.message}`);
    return message.result as T;
  }

  notify(method: string, params: unknown): void {
    this.write({ jsonrpc: '2.0', method, params });
  }

  /** The next message (notification or server request) that passes `test`, received from now on. */
  next(test: (m: Message) => boolean, timeoutMs = 30_000, what = 'message'): Promise<Message> {
    const promise = new Promise<Message>((resolve) => this.waiters.push({ test, resolve }));
    return withTimeout(promise, timeoutMs, `no ${what} within ${timeoutMs} ms`, () => this.stderr);
  }

  /** The next `publishDiagnostics` for `uri` (of `version`, when given). */
  nextDiagnostics(uri: string, version?: number, timeoutMs = 30_000): Promise<PublishedDiagnostics> {
    return this.next(
      (m) => m.method === 'textDocument/publishDiagnostics' && (m.params as PublishedDiagnostics).uri === uri && (version === undefined || (m.params as PublishedDiagnostics).version === version),
      timeoutMs,
      `diagnostics for ${uri}${version === undefined ? '' : ` version ${version}`}`,
    ).then((m) => m.params as PublishedDiagnostics);
  }

  async initialize(capabilities: unknown, options: { rootUri?: string | null; initializationOptions?: unknown; processId?: number | null } = {}): Promise<{ capabilities: Record<string, unknown> }> {
    const result = await this.call<{ capabilities: Record<string, unknown> }>('initialize', {
      processId: options.processId === undefined ? process.pid : options.processId,
      rootUri: options.rootUri ?? null,
      workspaceFolders: options.rootUri ? [{ uri: options.rootUri, name: 'workspace' }] : null,
      capabilities,
      initializationOptions: options.initializationOptions,
    });
    this.notify('initialized', {});
    return result;
  }

  async shutdown(): Promise<number | null> {
    try {
      await this.call('shutdown', null, 5000);
      this.notify('exit', null);
    } catch {
      this.process.kill();
    }
    return withTimeout(this.exited, 5000, 'the server did not exit', () => this.stderr).catch(() => {
      this.process.kill('SIGKILL');
      return null;
    });
  }
}

export interface LspPosition {
  line: number;
  character: number;
}
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}
export interface LspDiagnostic {
  range: LspRange;
  severity?: number;
  code?: string | number;
  codeDescription?: { href: string };
  source?: string;
  message: string;
  relatedInformation?: { location: { uri: string; range: LspRange }; message: string }[];
}
export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: LspDiagnostic[];
}
export interface LspTextEdit {
  range: LspRange;
  newText: string;
}
export interface WorkspaceEdit {
  changes?: Record<string, LspTextEdit[]>;
  documentChanges?: { textDocument: { uri: string; version: number | null }; edits: LspTextEdit[] }[];
}
export interface CodeAction {
  title: string;
  kind?: string;
  isPreferred?: boolean;
  diagnostics?: LspDiagnostic[];
  edit?: WorkspaceEdit;
  command?: { title: string; command: string; arguments?: unknown[] };
}

/** The edits a workspace edit makes to one document. */
export function editsFor(edit: WorkspaceEdit | undefined, uri: string): LspTextEdit[] {
  if (!edit) return [];
  if (edit.documentChanges) return edit.documentChanges.filter((c) => c.textDocument.uri === uri).flatMap((c) => c.edits);
  return edit.changes?.[uri] ?? [];
}

/** Applies LSP text edits (ranges in the original text, UTF-16 positions) to a text. */
export function applyLspEdits(text: string, edits: readonly LspTextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  const offset = (p: LspPosition) => Math.min((starts[p.line] ?? text.length) + p.character, text.length);
  const sorted = edits.map((e) => ({ start: offset(e.range.start), end: offset(e.range.end), text: e.newText })).sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** The position of the `n`th (0-based) occurrence of `needle` in `text`. */
export function positionOf(text: string, needle: string, n = 0): LspPosition {
  let at = -1;
  for (let i = 0; i <= n; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`${JSON.stringify(needle)} not found`);
  }
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  return { line, character: at - (before.lastIndexOf('\n') + 1) };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string, detail: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${message}; server stderr: ${detail().slice(-2000)}`)), ms);
    }),
  ]);
}
