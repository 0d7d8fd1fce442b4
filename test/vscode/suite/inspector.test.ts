/**
 * The loop inspector in the real editor: a `pwa-node` launch of demo/node/service.js and a `debugpy`
 * launch of demo/python/inspector/service.py (through the test-only adapter extension in
 * ../debugpy-adapter), the panel open in Run and Debug, its snapshot checked through the test
 * command against the demo sources (the lines are located in the text, so editing the demos moves
 * them along), what the webview drew checked against it, and a screenshot of each. Each test stops
 * its session and checks the panel goes to a clear "ended" state. The Shutdown tests ask each demo
 * to stop and check the panel's "why it does not exit" cards: every cause at its line, its rule.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LoopItem, LoopSnapshot } from '../../../src/inspector/model';
import type { InspectorTestState } from '../../../src/extension/inspector/controller';
import { E2E_DIR_ENV, SUITE_LOG } from '../e2eProtocol';
import { screenshot, screenshotsAvailable, screenshotWith, sleep, waitFor } from './helpers';

/** A figure for the runner's log (suite.log), beside the test results. */
function note(line: string): void {
  const dir = process.env[E2E_DIR_ENV];
  if (dir) fs.appendFileSync(path.join(dir, SUITE_LOG), `      · ${line}\n`);
}

const state = () => vscode.commands.executeCommand<InspectorTestState>('asyncwise.inspector.testState');

/** 1-based line of the only occurrence of `snippet` in `file`. */
function lineOf(file: string, snippet: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const found = lines.flatMap((l, i) => (l.includes(snippet) ? [i + 1] : []));
  assert.equal(found.length, 1, `${JSON.stringify(snippet)} occurs ${found.length} times in ${file}`);
  return found[0]!;
}

const sameFile = (reported: string | undefined, file: string) => !!reported && path.resolve(reported.startsWith('file://') ? vscode.Uri.parse(reported).fsPath : reported) === path.resolve(file);
const rows = (s: LoopSnapshot) => s.items.map((i) => `${i.kind} ${JSON.stringify(i.label)} ${i.state}${i.location ? ` @${path.basename(i.location.file)}:${i.location.line}` : ''}${i.waitsOn ? ` waits ${i.waitsOn}` : ''}`).join('\n  ');

/** Waits until the panel shows a snapshot of this session (taken after `after`) that passes `check`. */
async function snapshotWhere(what: string, sessionId: () => string | undefined, check: (s: LoopSnapshot) => string | undefined, timeoutMs = 30_000, after = 0): Promise<LoopSnapshot> {
  let found: LoopSnapshot | undefined;
  await waitFor(what, async () => {
    const st = await state();
    if (!st.snapshot) return `no snapshot yet (state ${st.state}${st.message ? `: ${st.message}` : ''})`;
    if (st.sessionId !== sessionId()) return `snapshot of another session (${st.sessionId})`;
    if (st.snapshot.takenAt <= after) return 'no newer snapshot yet';
    const problem = check(st.snapshot);
    if (problem) return `${problem}; rows:\n  ${rows(st.snapshot)}`;
    found = st.snapshot;
    return undefined;
  }, timeoutMs);
  return found!;
}

/** What the webview drew must be the snapshot the extension holds, virtualized. */
async function checkRendered(): Promise<void> {
  await waitFor('the webview to draw the last snapshot', async () => {
    const st = await state();
    if (!st.visible) return 'the view is not visible';
    if (!st.rendered || st.rendered.takenAt !== st.snapshot?.takenAt) return `drawn ${JSON.stringify(st.rendered)} vs snapshot ${st.snapshot?.takenAt}`;
    if (st.rendered.rows < st.snapshot.items.length) return `only ${st.rendered.rows} rows for ${st.snapshot.items.length} items`;
    if (st.rendered.drawn === 0 || st.rendered.drawn > st.rendered.rows) return `drew ${st.rendered.drawn} of ${st.rendered.rows}`;
    return undefined;
  }, 10_000);
}

/**
 * Starts a debug session, from a configuration or by the name of one in the demo's .vscode/launch.json
 * (what a newcomer picks in Run and Debug), and returns the concrete session the inspector follows.
 */
async function launch(config: vscode.DebugConfiguration | string, isTarget: (s: vscode.DebugSession) => boolean): Promise<vscode.DebugSession> {
  let target: vscode.DebugSession | undefined;
  const listener = vscode.debug.onDidStartDebugSession((s) => {
    if (isTarget(s)) target = s;
  });
  try {
    const folder = vscode.workspace.workspaceFolders![0];
    const name = typeof config === 'string' ? config : config.name;
    assert.ok(await vscode.debug.startDebugging(folder, config), `could not start ${name}`);
    await waitFor(`the session of ${name}`, () => (target ? undefined : 'not started'), 30_000);
  } finally {
    listener.dispose();
  }
  return target!;
}

async function openPanel(): Promise<void> {
  await vscode.commands.executeCommand('workbench.view.debug');
  await vscode.commands.executeCommand('asyncwise.inspector.focus');
}

/** The Stop button, pressed until the session ends: the demos' launches stop politely first, and hang. */
async function stop(session: vscode.DebugSession): Promise<void> {
  let ended = false;
  const listener = vscode.debug.onDidTerminateDebugSession((s) => { if (s.id === session.id || session.parentSession?.id === s.id) ended = true; });
  try {
    for (let press = 0; press < 3 && !ended; press++) {
      await vscode.debug.stopDebugging(session.parentSession ?? session);
      const until = Date.now() + 4000;
      while (!ended && Date.now() < until) await sleep(100);
    }
  } finally {
    listener.dispose();
  }
  await waitFor('the panel to show the session ended', async () => {
    const st = await state();
    return st.state === 'ended' || st.state === 'no-session' ? undefined : `state ${st.state}`;
  }, 20_000);
}

/**
 * Gives the Loop Inspector the side bar for the screenshot: the other Run and Debug views hidden, the
 * bottom panel closed, the side bar widened. The editor's user data is per run, so nothing persists.
 */
async function makeRoomForThePanel(): Promise<void> {
  for (const view of ['workbench.debug.variablesView', 'workbench.debug.watchExpressionsView', 'workbench.debug.callStackView', 'workbench.debug.breakPointsView']) {
    await vscode.commands.executeCommand(`${view}.removeView`).then(undefined, () => undefined);
  }
  await vscode.commands.executeCommand('workbench.action.closePanel');
  await vscode.commands.executeCommand('workbench.action.focusSideBar');
  // Narrowing the editor part is what widens the side bar next to it (60 px a step).
  for (let i = 0; i < 10; i++) await vscode.commands.executeCommand('workbench.action.decreaseViewWidth');
  await vscode.commands.executeCommand('asyncwise.inspector.focus');
}

/** The demo's launch configurations (demo/.vscode/launch.json), started by name as from Run and Debug. */
const NODE_LAUNCH = 'Node: order service (hangs on shutdown)';
const PYTHON_LAUNCH = 'Python: ingest service (hangs on shutdown)';

/**
 * The panel at a side bar's usual width (300 px: two-line rows, no label cut) and at a wide one
 * (700 px: one line per row under a header), each saved as a screenshot of the side bar; `select`
 * clicks a row first so the details pane shows. Returns what the webview reported at each width.
 */
async function panelAtWidths(prefix: string, caption: string, select?: string): Promise<void> {
  await makeRoomForThePanel();
  for (const width of [300, 700]) {
    const done = await screenshotWith(`${prefix}-${width}`, `${caption} (side bar ${width} px)`, { sideBarWidth: width, sideBarOnly: true, ...(select ? { clickInWebview: select } : {}) });
    assert.ok(done.sideBarWidth !== undefined && Math.abs(done.sideBarWidth - width) <= 4, `side bar ${done.sideBarWidth} px, wanted ${width}`);
    assert.ok(fs.statSync(done.path!).size > 8_000, 'the screenshot is suspiciously small');
    // The webview reports its layout after each draw: compact below 600 px, and no label cut.
    await waitFor(`the panel laid out at ${width} px`, async () => {
      const r = (await state()).rendered;
      if (!r || r.width === undefined) return 'no layout reported';
      if (Math.abs(r.width - (width - 14)) > 40) return `width ${r.width}`;
      if (r.compact !== width < 600) return `compact ${r.compact} at ${r.width} px`;
      return undefined;
    }, 10_000);
    const rendered = (await state()).rendered!;
    note(`${prefix} at ${width} px: rows ${rendered.width} px wide, ${rendered.compact ? 'two-line' : 'one-line'} rows, ${rendered.cutLabels} cut labels`);
    assert.equal(rendered.cutLabels, 0, `${rendered.cutLabels} row names or states cut at ${width} px: ${JSON.stringify(rendered.cutSamples)}`);
  }
}

const tabLabels = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));

/** The "why it does not exit" cards as the webview drew them: all there, no line overflowing at this width. */
async function checkWhyDrawn(cards: number): Promise<void> {
  await waitFor(`${cards} blocker cards drawn`, async () => {
    const r = (await state()).rendered;
    if (r?.whyCards !== cards) return `cards ${r?.whyCards}`;
    return undefined;
  }, 10_000);
  const r = (await state()).rendered!;
  note(`shutdown cards at ${r.width} px: ${r.whyCards} cards, ${r.whyCut} lines overflowing`);
  assert.equal(r.whyCut, 0, `${r.whyCut} lines of the shutdown cards overflow at ${r.width} px`);
}

export function defineInspectorTests(): void {
  suite('asyncwise loop inspector in VS Code', () => {
    let demo: string;
    suiteSetup(async () => {
      demo = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    test("the demo's launch.json offers both services in Run and Debug", () => {
      const launches = vscode.workspace.getConfiguration('launch', vscode.workspace.workspaceFolders![0]).get<vscode.DebugConfiguration[]>('configurations') ?? [];
      const byName = new Map(launches.map((c) => [c.name, c]));
      assert.equal(byName.get(NODE_LAUNCH)?.type, 'node');
      assert.equal(byName.get(PYTHON_LAUNCH)?.type, 'debugpy');
      // A debugger for each type is installed: js-debug is built in; debugpy is the stand-in adapter
      // (test/vscode/debugpy-adapter), which npm run demo installs into the demo editor too.
      const debuggers = vscode.extensions.all.flatMap((e) => ((e.packageJSON?.contributes?.debuggers ?? []) as { type: string }[]).map((d) => d.type));
      for (const type of ['node', 'debugpy']) assert.ok(debuggers.includes(type), `no debugger contributes ${type}`);
    });
    teardown(async () => {
      // Whatever failed, no debuggee outlives its test.
      for (let i = 0; i < 3 && vscode.debug.activeDebugSession; i++) {
        await vscode.debug.stopDebugging();
        await sleep(500);
      }
    });

    test('Node (pwa-node): handles, timers and, on demand, the await line of each suspended worker', async function () {
      this.timeout(120_000);
      const program = path.join(demo, 'node', 'service.js');
      const session = await launch(NODE_LAUNCH, (s) => (s.type === 'node' || s.type === 'pwa-node') && !!s.configuration.__pendingTargetId);
      await openPanel();
      const metricsLine = lineOf(program, 'setInterval(reportMetrics, 1000)');
      const tier1 = await snapshotWhere('a tier 1 snapshot with the server and the metrics timer', () => session.id, (s) => {
        if (s.runtime !== 'node') return `runtime ${s.runtime}`;
        if (!s.items.some((i) => i.kind === 'server')) return 'no server row';
        if (!s.items.some((i) => i.kind === 'timer' && sameFile(i.location?.file, program))) return `no timer located in service.js (metrics at line ${metricsLine})`;
        return undefined;
      }, 60_000);
      assert.ok(tier1.costs.some((c) => c.tier === 1), 'tier 1 reports its cost');
      await checkRendered();

      const awaitLine = lineOf(program, "const [job] = await once(jobs, 'job')");
      const atAwaitLine = (s: LoopSnapshot) => s.items.filter((i: LoopItem) => i.kind === 'async-function' && sameFile(i.location?.file, program) && i.location?.line === awaitLine);
      // js-debug's CDP proxy may drop its session a few seconds after a heap snapshot (the panel then
      // reconnects), which can cost that snapshot its await lines: a user would press Deep snapshot again.
      let tier2: LoopSnapshot | undefined;
      for (let attempt = 1; attempt <= 3 && !tier2; attempt++) {
        await waitFor('the panel to be live', async () => ((await state()).state === 'live' ? undefined : `state ${(await state()).state}`), 30_000);
        const before = (await state()).snapshot?.takenAt ?? 0;
        await vscode.commands.executeCommand('asyncwise.inspector.refresh', 2);
        const after = await snapshotWhere('a tier 2 snapshot', () => session.id, (s) => (s.tiers.includes(2) ? undefined : 'not tier 2'), 60_000, before);
        if (atAwaitLine(after).length >= 1) tier2 = after;
        else note(`tier 2 attempt ${attempt}: no await line resolved (${after.warnings.join('; ')})`);
      }
      assert.ok(tier2, `no async function suspended at service.js:${awaitLine} after 3 deep snapshots`);
      assert.ok(tier2.costs.some((c) => c.tier === 2), 'tier 2 reports its cost');
      await checkRendered();
      if (screenshotsAvailable()) {
        await makeRoomForThePanel();
        await sleep(800);
        const png = await screenshot('inspector-node', 'the Loop Inspector on the Node order service: server, sockets, timers, suspended workers');
        assert.ok(fs.statSync(png).size > 20_000, 'the screenshot is suspiciously small');
        await panelAtWidths('inspector-node', 'the Node order service, a suspended worker selected', '.label:text-is("async worker()")');
      }
      await stop(session);
    });

    test('Python (debugpy): tasks with what they wait on, and a cancel the task ignores', async function () {
      this.timeout(120_000);
      const program = path.join(demo, 'python', 'inspector', 'service.py');
      const session = await launch(PYTHON_LAUNCH, (s) => s.type === 'debugpy');
      await openPanel();
      const names = ['heartbeat', 'consumer-1', 'consumer-2', 'flusher'];
      const flusherLines = [lineOf(program, 'await asyncio.sleep(5)'), lineOf(program, 'await flush_once()')];
      const first = await snapshotWhere('the demo tasks', () => session.id, (s) => {
        if (s.runtime !== 'python') return `runtime ${s.runtime}`;
        const tasks = new Map(s.items.filter((i) => i.kind === 'task').map((i) => [i.label, i]));
        const missing = names.filter((n) => !tasks.has(n));
        if (missing.length) return `missing tasks ${missing.join(', ')}`;
        const flusher = tasks.get('flusher')!;
        if (!sameFile(flusher.location?.file, program) || !flusherLines.includes(flusher.location!.line)) return `flusher located at ${JSON.stringify(flusher.location)}`;
        if (!/Queue\.get/.test(tasks.get('consumer-1')!.waitsOn ?? '')) return `consumer-1 waits on ${tasks.get('consumer-1')!.waitsOn}`;
        return undefined;
      }, 60_000);
      await checkRendered();

      // Hidden and shown again, the view draws the last snapshot anew (its page was torn down meanwhile).
      await vscode.commands.executeCommand('workbench.view.explorer');
      await waitFor('the view to hide', async () => ((await state()).visible ? 'still visible' : undefined), 10_000);
      await openPanel();
      await checkRendered();

      const flusher = first.items.find((i) => i.label === 'flusher')!;
      assert.equal(flusher.cancellable, true, 'tasks offer a cancel button');
      const result = await vscode.commands.executeCommand<{ ok: boolean; message?: string }>('asyncwise.inspector.cancelTask', flusher.id);
      assert.ok(result.ok, `cancel failed: ${result.message}`);
      // The flusher swallows the cancel: still there, a cancel requested, marked as ignoring it a few seconds on.
      await snapshotWhere('the flusher still running after its cancel', () => session.id, (s) => {
        const f = s.items.find((i) => i.id === flusher.id);
        if (!f) return 'the flusher is gone';
        return (f.cancelling ?? 0) >= 1 && f.ignoringCancellation ? undefined : `flusher ${f.state}, cancelling ${f.cancelling}, ignoring ${f.ignoringCancellation}`;
      }, 30_000, first.takenAt);
      await checkRendered();
      if (screenshotsAvailable()) {
        await makeRoomForThePanel();
        await sleep(800);
        const png = await screenshot('inspector-python', 'the Loop Inspector on the Python ingest service: tasks, what they wait on, the flusher ignoring its cancel');
        assert.ok(fs.statSync(png).size > 20_000, 'the screenshot is suspiciously small');
        await panelAtWidths('inspector-python', 'the Python ingest service, the flusher ignoring its cancel selected', '.label:text-is("flusher")');
      }
      if (screenshotsAvailable()) {
        // The keyboard: Home goes to the Tasks group, Down to the first task, Down to the next one, Up back.
        const tasks = new Set((await state()).snapshot!.items.filter((i) => i.kind === 'task').map((i) => i.id));
        const press = async (step: string, keys: string[]) => {
          await screenshotWith(`inspector-python-keys-${step}`, `the keyboard cursor after ${keys.join(', ')}`, { sideBarWidth: 300, sideBarOnly: true, focusInWebview: '#scroller', keys });
          return (await state()).rendered?.selectedId;
        };
        const first = await press('1', ['Home', 'ArrowDown']);
        const second = await press('2', ['ArrowDown']);
        const back = await press('3', ['ArrowUp']);
        assert.ok(first && tasks.has(first) && second && tasks.has(second), `tasks selected by keyboard: ${first}, ${second}`);
        assert.notEqual(second, first, 'ArrowDown moved to another task');
        assert.equal(back, first, 'ArrowUp came back');
      }
      const last = (await state()).snapshot!;
      await stop(session);
      // The session is over; its last snapshot stays, read-only, and the view stays in Run and Debug.
      // (The demo's Stop is polite first: the panel may take one more snapshot before the second Stop.)
      const ended = await state();
      assert.equal(ended.state, 'ended');
      assert.ok(ended.snapshot && ended.snapshot.takenAt >= last.takenAt, 'the last snapshot is kept');
      assert.ok(ended.snapshot?.items.some((i) => i.label === 'flusher' && i.ignoringCancellation), 'with the flusher ignoring its cancel');
      await openPanel();
      await waitFor('the ended view to show the kept snapshot', async () => {
        const st = await state();
        return st.visible && st.rendered?.takenAt === ended.snapshot!.takenAt ? undefined : `visible ${st.visible}, drawn ${JSON.stringify(st.rendered)}`;
      }, 15_000);
      if (screenshotsAvailable()) await screenshot('inspector-python-ended', 'after the session: its last snapshot, read-only, marked as from the ended session', { sideBarWidth: 300, sideBarOnly: true });
    });

    test('Node: Shutdown sends SIGTERM; the panel says what keeps the service alive, at its lines, AW306 on the dropped interval', async function () {
      this.timeout(120_000);
      const program = path.join(demo, 'node', 'service.js');
      const session = await launch(NODE_LAUNCH, (s) => (s.type === 'node' || s.type === 'pwa-node') && !!s.configuration.__pendingTargetId);
      await openPanel();
      const first = await snapshotWhere('a first snapshot with the server', () => session.id, (s) => (s.items.some((i) => i.kind === 'server') ? undefined : 'no server row'), 60_000);
      const result = await vscode.commands.executeCommand<{ ok: boolean; message?: string }>('asyncwise.inspector.simulateShutdown');
      assert.ok(result.ok, `shutdown failed: ${result.message}`);
      assert.match(result.message ?? '', /^SIGTERM sent to a program with \d+ SIGTERM listeners?$/);
      const prunerLine = lineOf(program, 'sessions.delete(id); }, 30_000)');
      const metricsLine = lineOf(program, 'function reportMetrics()');
      const handlerLine = lineOf(program, 'const server = http.createServer((req, res) => {');
      const report = await snapshotWhere('the shutdown report', () => session.id, (s) => {
        if (!s.shutdown) return 'no shutdown yet';
        const blockers = s.items.filter((i) => i.blocksExit);
        const timers = blockers.filter((i) => i.kind === 'timer' && sameFile(i.location?.file, program)).map((i) => `${i.location!.line}:${i.rule}`).sort();
        if (JSON.stringify(timers) !== JSON.stringify([`${metricsLine}:AW306`, `${prunerLine}:AW306`].sort())) return `blocking timers ${JSON.stringify(timers)}`;
        const feed = blockers.filter((i) => i.kind === 'socket');
        if (feed.length !== 1 || !sameFile(feed[0]!.location?.file, program) || feed[0]!.location?.line !== handlerLine) return `blocking sockets ${JSON.stringify(feed.map((i) => [i.label, i.location]))}`;
        if (blockers.some((i) => i.kind === 'server')) return 'the server still listens';
        if (blockers.length !== 3) return `${blockers.length} blockers`;
        return undefined;
      }, 30_000, first.takenAt);
      // The health checker's interval and the simulated clients' sockets are unref'd: listed, not blamed.
      assert.ok(report.items.some((i) => i.kind === 'timer' && i.state === 'unref' && !i.blocksExit), 'the unref\'d health-check timer is not a blocker');
      await checkRendered();
      if (screenshotsAvailable()) {
        await makeRoomForThePanel();
        const done = await screenshotWith('inspector-node-shutdown-300', 'the Node order service after Shutdown (SIGTERM): why it does not exit (side bar 300 px)', { sideBarWidth: 300, sideBarOnly: true });
        assert.ok(done.sideBarWidth !== undefined && Math.abs(done.sideBarWidth - 300) <= 4, `side bar ${done.sideBarWidth} px`);
        await checkWhyDrawn(3);
        // One click on a rule link opens that rule's docs; one click on a line opens the source there.
        await screenshotWith('inspector-node-shutdown-rule', 'a click on the AW306 link of a blocker', { sideBarWidth: 300, sideBarOnly: true, clickInWebview: '.rule-link' });
        await waitFor('the AW306 docs to open', () => (tabLabels().some((l) => /AW306/.test(l)) ? undefined : `tabs ${tabLabels().join(', ')}`), 15_000);
        await screenshotWith('inspector-node-shutdown-open', 'a click on the line of a blocker', { sideBarWidth: 300, sideBarOnly: true, clickInWebview: '.blocker-link' });
        const lines = report.items.filter((i) => i.blocksExit).map((i) => i.location!.line);
        await waitFor('service.js to open at a blocker\'s line', () => {
          const editor = vscode.window.activeTextEditor;
          if (!editor || !sameFile(editor.document.uri.fsPath, program)) return `active editor ${editor?.document.uri.fsPath}`;
          return lines.includes(editor.selection.active.line + 1) ? undefined : `at line ${editor.selection.active.line + 1}, blockers at ${lines}`;
        }, 15_000);
      }
      await stop(session);
    });

    test('Python: Shutdown cancels every task; the panel names the task that swallows it (AW101) and the endless executor thread (AW305)', async function () {
      this.timeout(120_000);
      const program = path.join(demo, 'python', 'inspector', 'service.py');
      const session = await launch(PYTHON_LAUNCH, (s) => s.type === 'debugpy');
      await openPanel();
      const first = await snapshotWhere('the demo tasks', () => session.id, (s) => (s.items.some((i) => i.label === 'flusher') ? undefined : 'no flusher yet'), 60_000);
      const result = await vscode.commands.executeCommand<{ ok: boolean; message?: string }>('asyncwise.inspector.simulateShutdown');
      assert.ok(result.ok, `shutdown failed: ${result.message}`);
      assert.match(result.message ?? '', /^cancelled 6 tasks, as asyncio\.run\(\) does at exit$/);
      const swallowLine = lineOf(program, 'except asyncio.CancelledError:');
      const threadLine = lineOf(program, 'time.sleep(0.5)');
      await snapshotWhere('the shutdown report', () => session.id, (s) => {
        if (!s.shutdown) return 'no shutdown yet';
        const blockers = s.items.filter((i) => i.blocksExit);
        const flusher = blockers.find((i) => i.label === 'flusher');
        if (!flusher || flusher.rule !== 'AW101' || !sameFile(flusher.cancellationSwallowedAt?.file, program) || flusher.cancellationSwallowedAt?.line !== swallowLine) return `flusher ${JSON.stringify(flusher)}`;
        const thread = blockers.find((i) => i.kind === 'thread');
        if (!thread || thread.rule !== 'AW305' || !sameFile(thread.location?.file, program) || thread.location?.line !== threadLine) return `thread ${JSON.stringify(thread)}`;
        if (blockers.length !== 2) return `${blockers.length} blockers`;
        return undefined;
      }, 30_000, first.takenAt);
      await checkRendered();
      if (screenshotsAvailable()) {
        await makeRoomForThePanel();
        // The thread's card selected: the detail pane shows its whole stack.
        const done = await screenshotWith('inspector-python-shutdown-300', 'the Python ingest service after Shutdown: the flusher swallowing its cancel, the endless executor thread (side bar 300 px)', { sideBarWidth: 300, sideBarOnly: true, clickInWebview: '.blocker:has-text("asyncio_")' });
        assert.ok(done.sideBarWidth !== undefined && Math.abs(done.sideBarWidth - 300) <= 4, `side bar ${done.sideBarWidth} px`);
        await checkWhyDrawn(2);
        const selected = (await state()).rendered?.selectedId;
        assert.match(selected ?? '', /^thread:\d+$/, 'a click on a card selects its row');
      }
      await stop(session);
    });

    // js-debug ends its session at Stop whatever the program does (its killBehavior "polite" sends
    // SIGTERM and detaches at once): only a Python launch stays inspectable after a polite Stop.
    for (const runtime of ['Python'] as const) {
      test(`${runtime}: Stop (polite, as the demo launches) leaves the service running; the panel says why; Stop again ends it`, async function () {
        this.timeout(120_000);
        const isNode = (runtime as string) === 'Node';
        const program = isNode ? path.join(demo, 'node', 'service.js') : path.join(demo, 'python', 'inspector', 'service.py');
        const session = isNode
          ? await launch(NODE_LAUNCH, (s) => (s.type === 'node' || s.type === 'pwa-node') && !!s.configuration.__pendingTargetId)
          : await launch(PYTHON_LAUNCH, (s) => s.type === 'debugpy');
        await openPanel();
        const first = await snapshotWhere('a first snapshot', () => session.id, (s) => (s.items.length > 0 ? undefined : 'empty'), 60_000);
        let ended = false;
        const listener = vscode.debug.onDidTerminateDebugSession((s) => { if (s.id === session.id) ended = true; });
        try {
          await vscode.debug.stopDebugging(session.parentSession ?? session); // the Stop button, once
          const expected = isNode ? ['socket', 'timer', 'timer'] : ['task', 'thread'];
          const report = await snapshotWhere('the report after Stop', () => session.id, (s) => {
            if (!s.shutdown) return 'no shutdown yet';
            if (!/^Stop pressed/.test(s.shutdown.how)) return `how ${s.shutdown.how}`;
            const kinds = s.items.filter((i) => i.blocksExit && sameFile(i.location?.file, program)).map((i) => i.kind).sort();
            return JSON.stringify(kinds) === JSON.stringify(expected) ? undefined : `blockers ${JSON.stringify(kinds)}`;
          }, 30_000, first.takenAt);
          assert.equal(ended, false, 'the session is still alive: the program ignored the polite stop');
          note(`${runtime} after Stop: ${report.items.filter((i) => i.blocksExit).map((i) => `${i.kind} ${i.label}${i.rule ? ` (${i.rule})` : ''}`).join(', ')}`);
          await checkRendered();
          if (screenshotsAvailable()) {
            await makeRoomForThePanel();
            await screenshotWith(`inspector-${runtime.toLowerCase()}-stop-300`, `the ${runtime} demo still running after Stop: why it does not exit (side bar 300 px)`, { sideBarWidth: 300, sideBarOnly: true });
            await checkWhyDrawn(expected.length);
          }
        } finally {
          listener.dispose();
        }
        await stop(session); // Stop again: a kill
        assert.match((await state()).message ?? '', /ended [\d.]+ s after Stop/);
      });
    }

    test('10,000 tasks: the webview draws one screenful of the rows, quickly', async function () {
      this.timeout(120_000);
      // The workspace is a scratch copy of demo/: the fixture is in the repository, the extension's folder.
      const repository = vscode.extensions.getExtension('asyncwise.asyncwise')!.extensionPath;
      const program = path.join(repository, 'test', 'fixtures', 'inspector', 'python', 'many_tasks.py');
      // User settings live in this run's own user-data folder: nothing persists, the demo stays untouched.
      const settings = vscode.workspace.getConfiguration('asyncwise');
      await settings.update('inspector.python.maxTasks', 10_000, vscode.ConfigurationTarget.Global);
      let session: vscode.DebugSession;
      try {
        session = await launch({ type: 'debugpy', request: 'launch', name: 'many tasks', program, args: ['10000'] }, (s) => s.type === 'debugpy');
      } finally {
        await settings.update('inspector.python.maxTasks', undefined, vscode.ConfigurationTarget.Global);
      }
      await openPanel();
      await snapshotWhere('10,000 task rows', () => session.id, (s) => ((s.counts.task ?? 0) >= 10_000 && s.items.length >= 10_000 ? undefined : `${s.counts.task} tasks, ${s.items.length} rows`), 90_000);
      await checkRendered();
      const drawn = (await state()).rendered!;
      note(`webview: ${drawn.rows} rows, ${drawn.drawn} DOM rows drawn, rows built + one screenful drawn in ${drawn.ms.toFixed(1)} ms`);
      assert.ok(drawn.rows >= 10_000, `${drawn.rows} rows`);
      assert.ok(drawn.drawn < 200, `virtualized: drew ${drawn.drawn} DOM rows`);
      assert.ok(drawn.ms < 1500, `building and drawing 10,000 rows took ${drawn.ms} ms`);
      await stop(session);
    });
  });
}
