/**
 * The loop inspector webview: draws the snapshots the extension posts (validated on arrival), a
 * screenful of rows at a time so 10,000 rows scroll smoothly, and posts the user's requests back.
 * UI state (filter, grouping, sort, collapsed groups, scroll) lives in the webview state, so hiding
 * and showing the view restores it; the extension re-sends the last snapshot on `ready`.
 * No framework, no remote content, no inline script (the CSP allows only this nonce'd bundle).
 */
import type { LoopItem, LoopSnapshot } from '../../src/inspector/model';
import { parseExtensionMessage, type PanelState, type SessionInfo, type WebviewMessage } from '../../src/protocol/inspector';
import { buildRows, DEFAULT_OPTIONS, formatDuration, fullLocation, kindLabel, kindWord, shortLocation, summary, type GroupBy, type Row, type SortKey, type ViewOptions } from './view';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SavedState {
  filter: string;
  groupBy: GroupBy;
  sortBy: SortKey;
  sortDescending: boolean;
  collapsed: string[];
  scrollTop: number;
  autoRefresh: boolean;
  selectedId?: string;
}

const ROW_HEIGHT = 22;
const OVERSCAN = 10;
const vscode = acquireVsCodeApi();

const restored = (vscode.getState() ?? {}) as Partial<SavedState>;
let options: ViewOptions = {
  filter: typeof restored.filter === 'string' ? restored.filter : DEFAULT_OPTIONS.filter,
  groupBy: (['kind', 'location', 'tree', 'none'] as const).find((g) => g === restored.groupBy) ?? DEFAULT_OPTIONS.groupBy,
  sortBy: (['kind', 'label', 'state', 'location', 'waitsOn', 'age'] as const).find((k) => k === restored.sortBy) ?? DEFAULT_OPTIONS.sortBy,
  sortDescending: typeof restored.sortDescending === 'boolean' ? restored.sortDescending : DEFAULT_OPTIONS.sortDescending,
  collapsed: new Set(Array.isArray(restored.collapsed) ? restored.collapsed.filter((x) => typeof x === 'string') : []),
};
let autoRefresh = restored.autoRefresh !== false;
let selectedId: string | undefined = typeof restored.selectedId === 'string' ? restored.selectedId : undefined;
let snapshot: LoopSnapshot | undefined;
/** The session `snapshot` belongs to. */
let snapshotSession: string | undefined;
let rows: Row[] = [];
let panelState: PanelState = 'no-session';
let stateMessage = '';
let busyTier: 1 | 2 | undefined;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const sessionPicker = $<HTMLSelectElement>('session');
const filterInput = $<HTMLInputElement>('filter');
const groupSelect = $<HTMLSelectElement>('group');
const autoCheckbox = $<HTMLInputElement>('auto');
const statusLine = $('status');
const countsLine = $('counts');
const healthLine = $('health');
const costsLine = $('costs');
const warningsBox = $('warnings');
const header = $('header');
const scroller = $('scroller');
const spacer = $('spacer');
const detail = $('detail');

filterInput.value = options.filter;
groupSelect.value = options.groupBy;
autoCheckbox.checked = autoRefresh;

function saveState(): void {
  const state: SavedState = {
    filter: options.filter,
    groupBy: options.groupBy,
    sortBy: options.sortBy,
    sortDescending: options.sortDescending,
    collapsed: [...options.collapsed],
    scrollTop: scroller.scrollTop,
    autoRefresh,
    selectedId,
  };
  vscode.setState(state);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ------------------------------------------------------------------------------------------------
// Drawing

function drawStatus(): void {
  const stale = panelState === 'ended' && snapshot ? ' — showing the last snapshot' : '';
  const texts: Record<PanelState, string> = {
    'no-session': 'No Node.js or Python debug session. Start one to see what its event loop waits on.',
    connecting: 'Connecting to the debug session…',
    live: '',
    ended: 'The debug session ended.',
    error: 'The last snapshot failed.',
  };
  const busy = busyTier ? `Taking a tier ${busyTier} snapshot…` : '';
  const text = [texts[panelState] + stale, stateMessage, busy].filter(Boolean).join(' ');
  statusLine.textContent = text;
  statusLine.className = `status ${panelState}`;
  statusLine.hidden = !text;
  document.body.classList.toggle('stale', panelState === 'ended' || panelState === 'no-session');
}

function drawSummary(): void {
  if (!snapshot) {
    countsLine.textContent = healthLine.textContent = costsLine.textContent = '';
    warningsBox.replaceChildren();
    return;
  }
  const s = summary(snapshot);
  const version = snapshot.runtimeVersion ? `${snapshot.runtime} ${snapshot.runtimeVersion}` : snapshot.runtime;
  countsLine.textContent = s.counts;
  healthLine.textContent = [s.health, snapshot.whilePaused ? 'program stopped in the debugger' : '', version].filter(Boolean).join(' · ');
  costsLine.textContent = s.costs ? `${s.costs} · taken ${new Date(snapshot.takenAt).toLocaleTimeString()}` : '';
  warningsBox.replaceChildren(...snapshot.warnings.map((w) => el('div', 'warning', w)));
}

function drawHeader(): void {
  for (const cell of header.querySelectorAll<HTMLElement>('[data-sort]')) {
    const key = cell.dataset.sort as SortKey;
    cell.classList.toggle('sorted', key === options.sortBy);
    cell.dataset.dir = key === options.sortBy ? (options.sortDescending ? '▼' : '▲') : '';
  }
}

function rebuild(): void {
  const started = performance.now();
  rows = snapshot ? buildRows(snapshot, options) : [];
  lastBuildMs = performance.now() - started;
  spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
  drawHeader();
  drawDetail();
  drawRows();
}

function rowElement(row: Row, index: number): HTMLElement {
  const line = el('div', 'row');
  line.style.top = `${index * ROW_HEIGHT}px`;
  line.dataset.index = String(index);
  if (row.type === 'group') {
    line.classList.add('group');
    line.dataset.action = 'toggle';
    line.append(el('span', 'twisty', row.collapsed ? '▸' : '▾'), el('span', 'group-label', row.label), el('span', 'badge', row.total !== undefined ? `${row.count} of ${row.total}` : String(row.count)));
    if (row.total !== undefined) line.title = `${row.total - row.count} more not listed (the backend sends at most this many rows per kind)`;
    return line;
  }
  const item = row.item;
  if (item.id === selectedId) line.classList.add('selected');
  if (item.ignoringCancellation) line.classList.add('hang');
  line.dataset.action = 'select';
  const name = el('span', 'cell name');
  name.style.paddingLeft = `${4 + row.depth * 14}px`;
  const twisty = el('span', 'twisty', row.hasChildren ? (row.collapsed ? '▸' : '▾') : '');
  if (row.hasChildren) twisty.dataset.action = 'toggle';
  name.append(twisty, el('span', '', item.label));
  name.title = item.label;
  const state = el('span', `cell state state-${item.state.replace(/[^a-z-]/gi, '')}`, item.cancelling && item.state !== 'cancelling' ? `${item.state}, cancelling` : item.state);
  if (item.ignoringCancellation) state.textContent = `${state.textContent} ⚠ ignores cancel`;
  state.title = item.cancelling ? `cancel requested ${item.cancelling}×${item.ignoringCancellation ? ', still running: it ignores the cancellation' : ''}` : item.state;
  const where = el('span', 'cell where');
  if (item.location) {
    const link = el('a', 'location', shortLocation(item.location));
    link.title = fullLocation(item.location);
    link.dataset.action = 'open';
    link.href = '#';
    where.append(link);
  }
  const waits = el('span', 'cell waits', item.waitsOn ?? '');
  waits.title = item.waitsOn ?? '';
  const actions = el('span', 'cell actions');
  if (item.cancellable) {
    const cancel = el('button', 'cancel', 'Cancel');
    cancel.dataset.action = 'cancel';
    cancel.title = `Cancel ${item.label} (task.cancel() on the program's loop)`;
    actions.append(cancel);
  }
  line.append(el('span', 'cell kind', kindWord(item.kind)), name, state, where, waits, el('span', 'cell age', formatDuration(item.ageMs)), actions);
  return line;
}

/** How long building the rows of the current snapshot took (reported with each draw). */
let lastBuildMs = 0;

/** Draws the rows in view (plus a few either side) and tells the extension what it drew and what it cost. */
function drawRows(): void {
  const started = performance.now();
  const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scroller.scrollTop + scroller.clientHeight) / ROW_HEIGHT) + OVERSCAN);
  const drawn: HTMLElement[] = [];
  for (let i = first; i < last; i++) drawn.push(rowElement(rows[i]!, i));
  spacer.replaceChildren(...drawn);
  if (snapshot) vscode.postMessage({ type: 'rendered', takenAt: snapshot.takenAt, rows: rows.length, drawn: drawn.length, ms: lastBuildMs + performance.now() - started });
}

function selectedItem(): LoopItem | undefined {
  return selectedId === undefined ? undefined : snapshot?.items.find((i) => i.id === selectedId);
}

function drawDetail(): void {
  const item = selectedItem();
  detail.hidden = !item;
  if (!item) return;
  const parts: HTMLElement[] = [el('div', 'detail-title', `${kindLabel(item.kind)}: ${item.label}`)];
  const fact = (label: string, value: string) => {
    const line = el('div', 'fact');
    line.append(el('span', 'fact-label', label), el('span', 'fact-value', value));
    parts.push(line);
  };
  fact('state', item.cancelling ? `${item.state}, cancel requested ${item.cancelling}×` : item.state);
  if (item.ignoringCancellation) fact('⚠', 'cancelled but still running: it ignores the cancellation (a shutdown hang)');
  if (item.cancellationSwallowedAt) fact('swallowed at', fullLocation(item.cancellationSwallowedAt));
  if (item.waitsOn) fact('waits on', item.waitsOn);
  if (item.ageMs !== undefined) fact('age', formatDuration(item.ageMs));
  for (const [k, v] of Object.entries(item.details ?? {})) fact(k, String(v));
  const byId = new Map(snapshot!.items.map((i) => [i.id, i]));
  if (item.awaits?.length) fact('awaits', item.awaits.map((id) => byId.get(id)?.label ?? id).join(', '));
  if (item.awaitedBy?.length) fact('awaited by', item.awaitedBy.map((id) => byId.get(id)?.label ?? id).join(', '));
  for (const frame of item.stack ?? (item.location ? [item.location] : [])) {
    const link = el('a', 'frame', fullLocation(frame));
    link.href = '#';
    link.dataset.action = 'open-frame';
    link.dataset.frame = JSON.stringify(frame);
    parts.push(link);
  }
  detail.replaceChildren(...parts);
}

function drawSessions(sessions: readonly SessionInfo[], activeId: string | undefined): void {
  sessionPicker.replaceChildren(...sessions.map((s) => {
    const option = el('option', '', `${s.name} (${s.runtime})`);
    option.value = s.id;
    option.selected = s.id === activeId;
    return option;
  }));
  sessionPicker.hidden = sessions.length < 2;
}

// ------------------------------------------------------------------------------------------------
// Events

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseExtensionMessage(event.data);
  if (!message) {
    console.warn('asyncwise inspector: ignored a malformed message');
    return;
  }
  switch (message.type) {
    case 'sessions':
      drawSessions(message.sessions, message.activeId);
      // Another session is followed now: the old one's rows must not pass for its.
      if (message.activeId !== undefined && snapshotSession !== undefined && message.activeId !== snapshotSession) {
        snapshot = undefined;
        snapshotSession = undefined;
        drawSummary();
        rebuild();
      }
      break;
    case 'state':
      panelState = message.state;
      stateMessage = message.message ?? '';
      if (message.state === 'no-session') snapshot = undefined;
      if (message.state !== 'live') busyTier = undefined;
      drawStatus();
      drawSummary();
      if (!snapshot) rebuild();
      break;
    case 'snapshot':
      snapshot = message.snapshot;
      snapshotSession = message.sessionId;
      panelState = 'live';
      stateMessage = '';
      busyTier = undefined;
      drawStatus();
      drawSummary();
      rebuild();
      break;
    case 'busy':
      busyTier = message.tier;
      drawStatus();
      break;
    case 'cancelResult':
      stateMessage = message.ok ? `Cancel requested for ${message.id}.` : `Cancel failed: ${message.message ?? 'unknown error'}`;
      drawStatus();
      break;
  }
});

let scheduled = false;
scroller.addEventListener('scroll', () => {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    drawRows();
    saveState();
  });
});
new ResizeObserver(() => drawRows()).observe(scroller);

spacer.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const actionEl = target.closest<HTMLElement>('[data-action]');
  const rowEl = target.closest<HTMLElement>('.row');
  if (!actionEl || !rowEl) return;
  const row = rows[Number(rowEl.dataset.index)];
  if (!row) return;
  event.preventDefault();
  const action = actionEl.dataset.action;
  if (action === 'toggle') {
    const key = row.type === 'group' ? row.key : row.key;
    if (!key) return;
    const collapsed = new Set(options.collapsed);
    if (collapsed.has(key)) collapsed.delete(key);
    else collapsed.add(key);
    options = { ...options, collapsed };
    rebuild();
    saveState();
    return;
  }
  if (row.type !== 'item') return;
  if (action === 'open' && row.item.location) vscode.postMessage({ type: 'openLocation', location: row.item.location });
  else if (action === 'cancel') vscode.postMessage({ type: 'cancelTask', id: row.item.id });
  selectedId = row.item.id;
  drawRows();
  drawDetail();
  saveState();
});

detail.addEventListener('click', (event) => {
  const link = (event.target as HTMLElement).closest<HTMLElement>('[data-action="open-frame"]');
  if (!link?.dataset.frame) return;
  event.preventDefault();
  vscode.postMessage({ type: 'openLocation', location: JSON.parse(link.dataset.frame) });
});

header.addEventListener('click', (event) => {
  const cell = (event.target as HTMLElement).closest<HTMLElement>('[data-sort]');
  if (!cell) return;
  const key = cell.dataset.sort as SortKey;
  options = { ...options, sortBy: key, sortDescending: key === options.sortBy ? !options.sortDescending : key === 'age' };
  rebuild();
  saveState();
});

let filterTimer: ReturnType<typeof setTimeout> | undefined;
filterInput.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    options = { ...options, filter: filterInput.value };
    scroller.scrollTop = 0;
    rebuild();
    saveState();
  }, 120);
});

groupSelect.addEventListener('change', () => {
  options = { ...options, groupBy: groupSelect.value as GroupBy, collapsed: new Set() };
  rebuild();
  saveState();
});

autoCheckbox.addEventListener('change', () => {
  autoRefresh = autoCheckbox.checked;
  vscode.postMessage({ type: 'setAutoRefresh', enabled: autoRefresh });
  saveState();
});

sessionPicker.addEventListener('change', () => vscode.postMessage({ type: 'selectSession', id: sessionPicker.value }));
$('refresh').addEventListener('click', () => vscode.postMessage({ type: 'refresh', tier: 1 }));
$('deep').addEventListener('click', () => vscode.postMessage({ type: 'refresh', tier: 2 }));

drawStatus();
rebuild();
if (typeof restored.scrollTop === 'number') scroller.scrollTop = restored.scrollTop;
vscode.postMessage({ type: 'ready' });
vscode.postMessage({ type: 'setAutoRefresh', enabled: autoRefresh });
