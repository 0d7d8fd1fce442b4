/**
 * The loop inspector's webview logic without a browser: the protocol validators (both directions)
 * and the view model (filter, grouping, who-awaits-whom tree, sort, summary) on snapshots built here,
 * including 10,000 rows. The real webview is exercised in the editor suite (inspector.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SHUTDOWN_RULES, type LoopItem, type LoopSnapshot } from '../../src/inspector/model';
import { CATALOG } from '../../src/core/catalog';
import { parseExtensionMessage, parseWebviewMessage, snapshotProblem } from '../../src/protocol/inspector';
import { withDeepItems } from '../../src/extension/inspector/merge';
import { buildRows, countOf, DEFAULT_OPTIONS, detailFacts, formatDuration, mediumLocation, shortLocation, shutdownReport, stateText, summary, type Row, type ViewOptions } from '../../media/src/view';

function snapshot(items: LoopItem[], extra: Partial<LoopSnapshot> = {}): LoopSnapshot {
  const counts: Record<string, number> = {};
  for (const i of items) counts[i.kind] = (counts[i.kind] ?? 0) + 1;
  return { runtime: 'python', runtimeVersion: '3.11.2', tiers: [1], takenAt: 1_700_000_000_000, costs: [{ tier: 1, durationMs: 42, programStallMs: 0.4 }], counts, items, warnings: [], ...extra };
}

const at = (file: string, line: number, fn?: string) => ({ file, line, function: fn });

/** A shutdown hang in miniature: main awaits a gather of two workers; one ignores its cancellation. */
const HANG: LoopItem[] = [
  { id: 't1', kind: 'task', label: 'main', state: 'pending', location: at('/srv/app.py', 40, 'main'), waitsOn: 'gather of 2', awaits: ['t2', 't3'], ageMs: 9000, cancellable: true },
  { id: 't2', kind: 'task', label: 'worker-a', state: 'cancelling', cancelling: 1, ignoringCancellation: true, location: at('/srv/worker.py', 12, 'run'), waitsOn: 'asyncio.sleep (4.0 s left)', awaitedBy: ['t1'], ageMs: 8000, cancellable: true },
  { id: 't3', kind: 'task', label: 'worker-b', state: 'pending', location: at('/srv/worker.py', 12, 'run'), waitsOn: 'Queue.get', awaitedBy: ['t1'], ageMs: 7000, cancellable: true },
  { id: 'h1', kind: 'timer', label: 'TimerHandle 30 s', state: 'scheduled', location: at('/srv/app.py', 22), ageMs: 100 },
];

const opts = (o: Partial<ViewOptions>): ViewOptions => ({ ...DEFAULT_OPTIONS, ...o });
const labels = (rows: Row[]) => rows.map((r) => (r.type === 'group' ? `[${r.label} ${r.count}]` : `${'  '.repeat(r.depth)}${r.item.label}`));

describe('inspector protocol', () => {
  it('accepts well-formed messages both ways', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'refresh', tier: 2 }), { type: 'refresh', tier: 2 });
    assert.deepEqual(parseWebviewMessage({ type: 'openLocation', location: { file: '/a.py', line: 3 }, extra: 'dropped' }), { type: 'openLocation', location: { file: '/a.py', line: 3 } });
    assert.deepEqual(parseWebviewMessage({ type: 'cancelTask', id: 't2' }), { type: 'cancelTask', id: 't2' });
    assert.deepEqual(parseWebviewMessage({ type: 'rendered', takenAt: 5, rows: 10_000, drawn: 52, ms: 31.5 }), { type: 'rendered', takenAt: 5, rows: 10_000, drawn: 52, ms: 31.5 });
    assert.ok(parseExtensionMessage({ type: 'snapshot', sessionId: 's', snapshot: snapshot(HANG) }));
    assert.ok(parseExtensionMessage({ type: 'state', state: 'ended', message: 'gone' }));
    assert.ok(parseExtensionMessage({ type: 'sessions', sessions: [{ id: 'a', name: 'x', runtime: 'node' }], activeId: 'a' }));
  });

  it('rejects malformed messages', () => {
    for (const bad of [null, 42, 'refresh', [], { type: 'refresh', tier: 3 }, { type: 'openLocation', location: { file: '', line: 1 } }, { type: 'openLocation', location: { file: '/a', line: '1' } }, { type: 'cancelTask' }, { type: 'eval', code: 'x' }, { type: 'setAutoRefresh', enabled: 'yes' }])
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
    for (const bad of [{ type: 'state', state: 'weird' }, { type: 'sessions', sessions: [{ id: 1 }] }, { type: 'snapshot', sessionId: 's', snapshot: { ...snapshot(HANG), runtime: 'ruby' } }])
      assert.equal(parseExtensionMessage(bad), undefined, JSON.stringify(bad));
  });

  it('says what is wrong with a malformed snapshot', () => {
    assert.equal(snapshotProblem(snapshot(HANG)), undefined);
    assert.equal(snapshotProblem({ ...snapshot(HANG), items: [{ ...HANG[0], kind: 'goroutine' }] }), 'bad item #0');
    assert.equal(snapshotProblem({ ...snapshot(HANG), items: [HANG[0], { ...HANG[1], location: { file: '/x', line: NaN } }] }), 'bad item #1');
    assert.equal(snapshotProblem({ ...snapshot(HANG), counts: { task: '3' } }), 'bad counts');
    assert.equal(snapshotProblem({ ...snapshot(HANG), items: [{ ...HANG[3], details: { cb: { nested: 1 } } }] }), 'bad item #0');
  });
});

describe('inspector view model', () => {
  it('groups by kind in a fixed order, oldest first within a group', () => {
    assert.deepEqual(labels(buildRows(snapshot(HANG), opts({}))), ['[Tasks 3]', '  main', '  worker-a', '  worker-b', '[Timers 1]', '  TimerHandle 30 s']);
  });

  it('says when the backend sent fewer rows than the program has', () => {
    const rows = buildRows(snapshot(HANG, { counts: { task: 40, timer: 1 } }), opts({}));
    assert.deepEqual(rows.filter((r) => r.type === 'group').map((r) => r.type === 'group' && [r.count, r.total]), [[3, 40], [1, undefined]]);
  });

  it('collapses a group to its header', () => {
    assert.deepEqual(labels(buildRows(snapshot(HANG), opts({ collapsed: new Set(['kind:task']) }))), ['[Tasks 3]', '[Timers 1]', '  TimerHandle 30 s']);
  });

  it('groups by location, largest group first', () => {
    const rows = buildRows(snapshot(HANG), opts({ groupBy: 'location' }));
    assert.deepEqual(labels(rows)[0], '[run — /srv/worker.py:12 2]');
    assert.equal(rows.filter((r) => r.type === 'group').length, 3);
  });

  it('filters on any shown text, case-insensitively', () => {
    assert.deepEqual(labels(buildRows(snapshot(HANG), opts({ filter: 'QUEUE' }))), ['[Tasks 1]', '  worker-b']);
    assert.deepEqual(labels(buildRows(snapshot(HANG), opts({ filter: 'app.py:22', groupBy: 'none' }))), ['TimerHandle 30 s']);
    assert.deepEqual(buildRows(snapshot(HANG), opts({ filter: 'nothing like this' })), []);
  });

  it('draws who awaits whom as a tree, and keeps the path to a filtered match', () => {
    assert.deepEqual(labels(buildRows(snapshot(HANG), opts({ groupBy: 'tree' }))), ['main', '  worker-a', '  worker-b', 'TimerHandle 30 s']);
    assert.deepEqual(labels(buildRows(snapshot(HANG), opts({ groupBy: 'tree', filter: 'queue' }))), ['main', '  worker-b']);
    const rows = buildRows(snapshot(HANG), opts({ groupBy: 'tree' }));
    const main = rows[0]!;
    assert.ok(main.type === 'item' && main.hasChildren && main.key);
    assert.deepEqual(labels(buildRows(snapshot(HANG), opts({ groupBy: 'tree', collapsed: new Set([main.key!]) }))), ['main', 'TimerHandle 30 s']);
  });

  it('survives cycles and dangling ids in the await graph', () => {
    const cycle: LoopItem[] = [
      { id: 'a', kind: 'task', label: 'a', state: 'pending', awaits: ['b', 'missing'] },
      { id: 'b', kind: 'task', label: 'b', state: 'pending', awaits: ['a'] },
    ];
    assert.deepEqual(labels(buildRows(snapshot(cycle), opts({ groupBy: 'tree', sortBy: 'label', sortDescending: false }))), ['a', '  b']);
  });

  it('sorts by a column in either direction', () => {
    const names = (o: Partial<ViewOptions>) => labels(buildRows(snapshot(HANG), opts({ groupBy: 'none', ...o })));
    assert.deepEqual(names({ sortBy: 'label', sortDescending: false }), ['main', 'TimerHandle 30 s', 'worker-a', 'worker-b']);
    assert.deepEqual(names({ sortBy: 'label', sortDescending: true }), ['worker-b', 'worker-a', 'TimerHandle 30 s', 'main']);
    assert.deepEqual(names({ sortBy: 'age', sortDescending: false }), ['TimerHandle 30 s', 'worker-b', 'worker-a', 'main']);
  });

  it('summarises counts, loop lag and what each tier cost', () => {
    const s = summary(snapshot(HANG, { health: { delayP50Ms: 1.2, delayP99Ms: 250, utilization: 0.5 }, costs: [{ tier: 1, durationMs: 3 }, { tier: 2, durationMs: 480, programStallMs: 410 }] }));
    assert.equal(s.counts, '3 tasks · 1 timer');
    const one = summary(snapshot([{ id: 's', kind: 'server', label: 'TCP 127.0.0.1:8123', state: 'listening' }, { id: 'c', kind: 'process', label: 'child', state: 'running' }]));
    assert.equal(one.counts, '1 server · 1 child process');
    assert.equal(countOf('async-function', 3), '3 suspended async functions');
    assert.equal(s.health, 'loop lag p50 1 ms · p99 250 ms · busy 50%');
    assert.equal(s.costs, 'tier 1: 3 ms · tier 2: 480 ms, program stalled 410 ms');
    assert.equal(summary(snapshot([])).counts, 'nothing pending');
  });

  it('the detail pane reads in words: no raw field names, durations and yes/no spelled out', () => {
    assert.deepEqual(detailFacts({ coroutine: 'flusher', wakesInMs: 3200, cancelRequestedMsAgo: 4100 }), [['coroutine', 'flusher'], ['cancel requested', '4.1 s ago']], 'wakesInMs: the waits-on text has it');
    assert.deepEqual(detailFacts({ delayMs: 1000, repeat: true, ref: false, callback: 'reportMetrics' }), [['interval', '1.0 s'], ['repeats', 'yes'], ['keeps the process alive', 'no'], ['callback', 'reportMetrics']]);
    assert.deepEqual(detailFacts({ awaitLine: 'resolved', definedAt: '/work/app/srv/a.js:3' }), [['defined at', 'srv/a.js:3']], '"resolved" is not news');
    assert.deepEqual(detailFacts({ awaitLine: 'not resolved yet' }), [['await line', 'not resolved yet']]);
    // A field a backend adds later still reads as words, never as its name.
    assert.deepEqual(detailFacts({ queueDepth: 4, idleForMs: 65_000, is_daemon: true }), [['queue depth', '4'], ['idle for', '1 m 5 s'], ['is daemon', 'yes']]);
    for (const [label] of detailFacts({ wakesInMs: 1, cancelRequestedMsAgo: 1, delayMs: 1, bytesRead: 1, bytesWritten: 1, someNewFieldMs: 1 })) assert.doesNotMatch(label, /[A-Z]|Ms\b/, label);
  });

  it('a task ignoring its cancel says so in a few words; its tooltip in full', () => {
    const hang = stateText(HANG[1]!);
    assert.equal(hang.text, '⚠ ignores cancel');
    assert.match(hang.title, /cancel requested 1×, still running: it ignores the cancellation/);
    assert.deepEqual(stateText(HANG[2]!), { text: 'pending', title: 'pending' });
  });

  it('formats durations and locations the way people read them', () => {
    assert.deepEqual([0.25, 850, 12_340, 245_000, 7_500_000].map(formatDuration), ['0.25 ms', '850 ms', '12.3 s', '4 m 5 s', '2 h 5 m']);
    assert.equal(shortLocation({ file: 'file:///home/me/my%20app/server.mjs', line: 7 }), 'server.mjs:7');
    assert.equal(shortLocation({ file: 'C:\\srv\\app.py', line: 3 }), 'app.py:3');
    assert.equal(mediumLocation({ file: '/work/x/.cache/demo/python/inspector/service.py', line: 27, function: 'flush_once' }), 'flush_once — inspector/service.py:27');
    assert.equal(mediumLocation({ file: 'file:///home/me/my%20app/server.mjs', line: 7 }), 'my app/server.mjs:7');
  });

  it('builds 10,000 rows quickly in every grouping', () => {
    const items: LoopItem[] = [];
    for (let i = 0; i < 10_000; i++) {
      items.push({ id: `p${i}`, kind: i % 10 ? 'promise' : 'async-function', label: `handler #${i}`, state: 'pending', location: at(`/srv/route${i % 50}.js`, i % 300), waitsOn: i % 7 ? 'fetch' : 'db.query', awaitedBy: i % 10 ? [`p${i - (i % 10)}`] : undefined, ageMs: i });
    }
    const big = snapshot(items, { runtime: 'node' });
    assert.equal(snapshotProblem(big), undefined);
    for (const groupBy of ['kind', 'location', 'tree', 'none'] as const) {
      const started = performance.now();
      const rows = buildRows(big, opts({ groupBy }));
      const ms = performance.now() - started;
      console.log(`${groupBy}: ${rows.length} rows in ${ms.toFixed(1)} ms`);
      assert.ok(rows.filter((r) => r.type === 'item').length === 10_000, `${groupBy}: ${rows.length} rows`);
      // ~40-130 ms here on an idle machine; the bound catches a quadratic slip, not a loaded CI box.
      assert.ok(ms < 2000, `${groupBy} took ${ms.toFixed(0)} ms`);
    }
    const started = performance.now();
    assert.equal(buildRows(big, opts({ filter: 'db.query', groupBy: 'none' })).length, 1429);
    assert.ok(performance.now() - started < 1000);
  });
});

describe('inspector: deep rows kept across tier 1 refreshes', () => {
  const tier1 = (takenAt: number): LoopSnapshot => ({ runtime: 'node', tiers: [1], takenAt, costs: [{ tier: 1, durationMs: 3 }], counts: { timer: 1 }, items: [{ id: 'tm', kind: 'timer', label: 'setInterval 1000 ms', state: 'scheduled' }], warnings: [] });
  const deep: LoopSnapshot = {
    runtime: 'node',
    tiers: [1, 2],
    takenAt: 1000,
    costs: [{ tier: 1, durationMs: 3 }, { tier: 2, durationMs: 400, programStallMs: 350 }],
    counts: { timer: 1, 'async-function': 2 },
    items: [tier1(0).items[0]!, { id: 'a1', kind: 'async-function', label: 'worker', state: 'suspended' }, { id: 'a2', kind: 'async-function', label: 'worker', state: 'suspended' }],
    warnings: [],
  };

  it('carries the kinds only tier 2 finds, with their cost and age', () => {
    const merged = withDeepItems(tier1(13_000), deep);
    assert.deepEqual(merged.items.map((i) => i.id), ['tm', 'a1', 'a2']);
    assert.deepEqual(merged.counts, { timer: 1, 'async-function': 2 });
    assert.deepEqual(merged.costs.map((c) => c.tier), [1, 2]);
    assert.deepEqual(merged.warnings, ['async-function rows are from the deep snapshot of 12 s ago; press Deep snapshot to refresh them.']);
  });

  it('leaves a snapshot alone when there is nothing to carry', () => {
    const fresh = tier1(2000);
    assert.equal(withDeepItems(fresh, undefined), fresh);
    assert.equal(withDeepItems(deep, deep), deep);
    assert.equal(withDeepItems(fresh, { ...deep, runtime: 'python' }), fresh);
  });
});

describe('inspector: why it does not exit (after a shutdown request)', () => {
  const SHUTDOWN: LoopItem[] = [
    { id: 'h9', kind: 'socket', label: 'TCP 127.0.0.1:8080 → 127.0.0.1:5000', state: 'connected', blocksExit: true, location: at('/srv/server.js', 7, 'handle') },
    { id: 't2', kind: 'task', label: 'flusher', state: 'cancelling', cancelling: 1, ignoringCancellation: true, blocksExit: true, rule: 'AW101', location: at('/srv/app.py', 30, 'flush_once'), cancellationSwallowedAt: at('/srv/app.py', 33, 'flusher') },
    { id: 'th1', kind: 'thread', label: 'asyncio_0', state: 'running', blocksExit: true, rule: 'AW305', location: at('/srv/app.py', 12, 'watch'), details: { executorWorker: true, daemon: false } },
    { id: 'tm1', kind: 'timer', label: 'setInterval 1000 ms', state: 'scheduled', blocksExit: true, rule: 'AW306', location: at('/srv/server.js', 40), details: { repeat: true, ref: true } },
    { id: 't3', kind: 'task', label: 'Task-7', state: 'pending' },
    { id: 'h2', kind: 'socket', label: 'stdout (pipe)', state: 'open' },
  ];

  it('validates the new fields and messages: shutdown state, blocksExit, rule codes the panel knows', () => {
    const good = snapshot(SHUTDOWN, { shutdown: { requestedAt: 1_699_999_996_000, how: 'SIGTERM sent' } });
    assert.equal(snapshotProblem(good), undefined);
    assert.equal(snapshotProblem({ ...good, shutdown: { requestedAt: 'then', how: 'x' } }), 'bad shutdown');
    assert.match(snapshotProblem(snapshot([{ ...SHUTDOWN[1]!, rule: 'AW999' }])) ?? '', /^bad item #0$/);
    assert.match(snapshotProblem(snapshot([{ ...SHUTDOWN[1]!, blocksExit: 'yes' as unknown as boolean }])) ?? '', /^bad item #0$/);
    assert.deepEqual(parseWebviewMessage({ type: 'simulateShutdown' }), { type: 'simulateShutdown' });
    assert.deepEqual(parseWebviewMessage({ type: 'showRule', code: 'AW305' }), { type: 'showRule', code: 'AW305' });
    assert.equal(parseWebviewMessage({ type: 'showRule', code: 'AW201; rm -rf' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'showRule' }), undefined);
    assert.deepEqual(parseExtensionMessage({ type: 'shutdownResult', ok: true, message: 'SIGTERM sent' }), { type: 'shutdownResult', ok: true, message: 'SIGTERM sent' });
    assert.equal(parseExtensionMessage({ type: 'shutdownResult', ok: 'yes' }), undefined);
  });

  it('lists the blockers, causes first, each with a reason, its line and its rule', () => {
    const report = shutdownReport(snapshot(SHUTDOWN, { shutdown: { requestedAt: 1_699_999_995_900, how: 'cancelled 4 tasks, as asyncio.run() does at exit' } }));
    assert.ok(report);
    assert.equal(report.asked, 'Asked to stop 4.1 s ago: cancelled 4 tasks, as asyncio.run() does at exit.');
    assert.equal(report.verdict, '4 things keep it running:');
    assert.deepEqual(report.blockers.map((b) => [b.item.label, b.why, b.rule?.code, b.rule?.name]), [
      ['flusher', 'ignores its cancellation: a handler swallows it', 'AW101', 'swallowed-cancellation'],
      ['asyncio_0', 'executor worker in an endless job: asyncio.run() and the interpreter wait for it', 'AW305', 'thread-blocks-shutdown'],
      ['setInterval 1000 ms', "ref'd interval, never cleared", 'AW306', 'interval-never-cleared'],
      ['TCP 127.0.0.1:8080 → 127.0.0.1:5000', 'open connection: server.close() waits for it', undefined, undefined],
    ]);
    assert.equal(shutdownReport(snapshot(SHUTDOWN)), undefined, 'no report before a shutdown request');
    const clear = shutdownReport(snapshot([], { shutdown: { requestedAt: 1_700_000_000_000, how: 'SIGTERM sent' } }));
    assert.deepEqual(clear?.blockers, []);
    assert.match(clear?.verdict ?? '', /^Nothing .* holds it/);
  });

  it('links only to rules the catalog has, under the same names', () => {
    for (const [code, name] of Object.entries(SHUTDOWN_RULES)) {
      const rule = CATALOG.find((r) => r.code === code);
      assert.ok(rule, `${code} is in the catalog`);
      assert.equal(rule.name, name);
    }
  });
});
