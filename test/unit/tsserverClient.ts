/**
 * A minimal client of a real tsserver process (the one VS Code runs): spawns
 * `node <typescript>/lib/tsserver.js` with the flags VS Code passes for a contributed plugin
 * (`--globalPlugins`, `--pluginProbeLocations`), speaks its stdio protocol (JSON requests one a line,
 * `Content-Length`-framed responses and events), and collects diagnostic events. Every wait has a
 * deadline; `close()` always ends the process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ServerOptions {
  /** Folder of a `typescript` package (its lib/tsserver.js runs). */
  readonly typescriptDir: string;
  readonly globalPlugins?: readonly string[];
  readonly pluginProbeLocations?: readonly string[];
  /** A file for tsserver's own log (verbose), kept for the failure message. */
  readonly logFile?: string;
  /**
   * False: no log at all, as VS Code runs tsserver by default (`typescript.tsserver.log` off). The
   * benchmarks turn it off: a verbose log writes every event, 4,000 diagnostics included, to disk.
   */
  readonly log?: boolean;
  /** Flags for the node process running tsserver (`--cpu-prof` when profiling a benchmark). */
  readonly nodeArgs?: readonly string[];
}

export interface ProtocolLocation {
  readonly line: number;
  readonly offset: number;
}

export interface ProtocolDiagnostic {
  readonly start: ProtocolLocation;
  readonly end: ProtocolLocation;
  readonly text: string;
  readonly code: number;
  readonly category: string;
  readonly source?: string;
  readonly relatedInformation?: readonly { readonly message: string; readonly category: string; readonly code: number; readonly span?: { readonly file: string; readonly start: ProtocolLocation; readonly end: ProtocolLocation } }[];
}

interface Message {
  readonly seq: number;
  readonly type: 'response' | 'event';
  readonly command?: string;
  readonly request_seq?: number;
  readonly success?: boolean;
  readonly message?: string;
  readonly event?: string;
  readonly body?: unknown;
}

export class TsServer {
  private readonly child: ChildProcess;
  private seq = 0;
  private buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  readonly events: Message[] = [];
  private readonly eventWaiters: { test: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private stderr = '';
  private exited: string | undefined;
  readonly logFile: string;
  /** The folder made for the log when the caller named none: removed by `close()`. */
  private readonly ownLogDir: string | undefined;
  private readonly profiled: boolean;

  constructor(options: ServerOptions) {
    this.profiled = (options.nodeArgs ?? []).some((a) => a.startsWith('--cpu-prof') || a.startsWith('--heap-prof'));
    const logs = options.log !== false;
    this.ownLogDir = logs && !options.logFile ? fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-tsserver-log-')) : undefined;
    this.logFile = options.logFile ?? (this.ownLogDir ? path.join(this.ownLogDir, 'tsserver.log') : '');
    const args = [...(options.nodeArgs ?? []), path.join(options.typescriptDir, 'lib', 'tsserver.js'), '--disableAutomaticTypingAcquisition', '--locale', 'en'];
    if (logs) args.push('--logVerbosity', 'verbose', '--logFile', this.logFile);
    if (options.globalPlugins?.length) args.push('--globalPlugins', options.globalPlugins.join(','));
    if (options.pluginProbeLocations?.length) args.push('--pluginProbeLocations', options.pluginProbeLocations.join(','));
    this.child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.child.on('exit', (code, signal) => {
      this.exited = `tsserver exited (${code ?? signal})${this.stderr ? `: ${this.stderr}` : ''}`;
      for (const p of this.pending.values()) p.reject(new Error(this.exited));
      this.pending.clear();
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const m = /Content-Length: (\d+)/i.exec(header);
      if (!m) throw new Error(`bad tsserver header ${JSON.stringify(header)}`);
      const length = Number(m[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(JSON.parse(body) as Message);
    }
  }

  private dispatch(message: Message): void {
    if (message.type === 'response' && message.request_seq !== undefined) {
      const p = this.pending.get(message.request_seq);
      this.pending.delete(message.request_seq);
      p?.resolve(message);
      return;
    }
    if (message.type === 'event') {
      this.events.push(message);
      for (let i = this.eventWaiters.length - 1; i >= 0; i--) {
        if (this.eventWaiters[i].test(message)) {
          this.eventWaiters[i].resolve(message);
          this.eventWaiters.splice(i, 1);
        }
      }
    }
  }

  /** Sends a request and returns its response body; rejects on failure or after `timeoutMs`. */
  request<T = unknown>(command: string, args?: unknown, timeoutMs = 30_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const seq = ++this.seq;
    const message = args === undefined ? { seq, type: 'request', command } : { seq, type: 'request', command, arguments: args };
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`tsserver did not answer ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, {
        resolve: (m) => {
          clearTimeout(timer);
          if (m.success) resolve(m.body as T);
          else reject(new Error(`${command} failed: ${m.message}`));
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.stdin!.write(JSON.stringify(message) + '\n');
    });
  }

  /** A request tsserver answers with events only (`geterr`, `open`). */
  notify(command: string, args: unknown): void {
    if (this.exited) throw new Error(this.exited);
    this.child.stdin!.write(JSON.stringify({ seq: ++this.seq, type: 'request', command, arguments: args }) + '\n');
  }

  /** The first event (from now on) passing `test`. */
  waitForEvent(what: string, test: (m: Message) => boolean, timeoutMs = 30_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} event within ${timeoutMs} ms`)), timeoutMs);
      this.eventWaiters.push({
        test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Opens a file with its text on disk. */
  open(file: string, projectRootPath: string): void {
    this.notify('open', { file, fileContent: fs.readFileSync(file, 'utf8'), projectRootPath, scriptKindName: /\.[cm]?js$/.test(file) ? 'JS' : 'TS' });
  }

  /** `geterr` for one file: its semantic and suggestion diagnostics, as VS Code receives them. */
  async diagnostics(file: string, timeoutMs = 60_000): Promise<{ semantic: ProtocolDiagnostic[]; suggestion: ProtocolDiagnostic[] }> {
    const forFile = (event: string) => (m: Message) => m.event === event && (m.body as { file?: string }).file === file;
    const semantic = this.waitForEvent('semanticDiag', forFile('semanticDiag'), timeoutMs);
    const suggestion = this.waitForEvent('suggestionDiag', forFile('suggestionDiag'), timeoutMs);
    this.notify('geterr', { files: [file], delay: 0 });
    const [s, g] = await Promise.all([semantic, suggestion]);
    return { semantic: (s.body as { diagnostics: ProtocolDiagnostic[] }).diagnostics, suggestion: (g.body as { diagnostics: ProtocolDiagnostic[] }).diagnostics };
  }

  log(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** Ends the process and removes the log folder this client made (the log is read before close). */
  async close(): Promise<void> {
    try {
      await this.endProcess();
    } finally {
      if (this.ownLogDir) fs.rmSync(this.ownLogDir, { recursive: true, force: true });
    }
  }

  private async endProcess(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.profiled) {
      // A profiled node writes its profile only on a normal exit: ask tsserver to exit first.
      this.child.stdin!.write(JSON.stringify({ seq: ++this.seq, type: 'request', command: 'exit' }) + '\n');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (this.exited) return;
    }
    this.child.stdin!.end();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
