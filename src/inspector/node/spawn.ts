/**
 * Starts a real `node --inspect=127.0.0.1:0` program and connects a CDP channel to it: how the tests
 * and the benchmark drive the Node backend against a real process (the editor uses js-debug's proxy).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { WebSocketCdpChannel } from './cdp';

export interface InspectedProgram {
  readonly child: ChildProcess;
  readonly channel: WebSocketCdpChannel;
  /** The inspector's `ws://` URL, for a second connection. */
  readonly url: string;
  /** Lines the program printed to stdout so far. */
  readonly stdout: string[];
  /** Resolves with the first stdout line matching `pattern` (or rejects after `timeoutMs`). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Kills the program (if still running) and closes the channel. */
  stop(): Promise<void>;
}

export async function spawnInspected(
  script: string,
  options: { args?: readonly string[]; env?: NodeJS.ProcessEnv; nodePath?: string; nodeArgs?: readonly string[]; timeoutMs?: number } = {},
): Promise<InspectedProgram> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const child = spawn(options.nodePath ?? process.execPath, ['--inspect=127.0.0.1:0', ...(options.nodeArgs ?? []), script, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const lineWaiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      stdout.push(line);
      for (const w of [...lineWaiters]) {
        const m = w.pattern.exec(line);
        if (m) {
          lineWaiters.splice(lineWaiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no inspector URL from ${script} after ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      const m = /ws:\/\/\S+/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before its inspector listened: ${stderr}`));
    });
  });
  let channel: WebSocketCdpChannel;
  try {
    channel = await WebSocketCdpChannel.connect(url, timeoutMs);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    child,
    channel,
    url,
    stdout,
    waitForLine(pattern, waitMs = timeoutMs) {
      const already = stdout.map((l) => pattern.exec(l)).find((m) => m);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const entry = { pattern, resolve: (m: RegExpExecArray) => { clearTimeout(timer); resolve(m); } };
        const timer = setTimeout(() => {
          lineWaiters.splice(lineWaiters.indexOf(entry), 1);
          reject(new Error(`no line matching ${pattern} from ${script} after ${waitMs} ms; stdout: ${stdout.join('\n')}`));
        }, waitMs);
        lineWaiters.push(entry);
      });
    },
    async stop() {
      channel.close();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
