/**
 * The loop inspector webview: draws the snapshots the extension posts (validated on arrival), a
 * screenful of rows at a time so 10,000 rows scroll smoothly, and posts the user's requests back.
 * UI state (filter, grouping, sort, collapsed groups, scroll) lives in the webview state, so hiding
 * and showing the view restores it; the extension re-sends the last snapshot on `ready`.
 * No framework, no remote content, no inline script (the CSP allows only this nonce'd bundle).
 */
import type { LoopItem, LoopSnapshot } from '../../src/inspector/model';
import { parseExtensionMessage, type PanelState, type SessionInfo, type WebviewMessage } from '../../src/protocol/inspector';
import { buildRows, DEFAULT_OPTIONS, detailFacts, shutdownReport, formatDuration, fullLocation, kindLabel, kindWord, mediumLocation, shortLocation, stateText, summary, type GroupBy, type Row, type SortKey, type ViewOptions } from './view';

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

/** One-line rows (a wide view, and group headers always); two-line item rows in a narrow side bar. */
const ROW_HEIGHT = 22;
const COMPACT_ITEM_HEIGHT = 40;
/** Below this width (the side bar's usual 250–450 px) rows stack name + state over location + what it waits on. */
const COMPACT_BELOW_PX = 600;
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
/** Two-line rows for a narrow view; decided by the view's width, redrawn when it crosses the line. */
let compact = false;
/** Top of each row and, last, the total height (rows differ in height in the compact layout). */
let offsets: number[] = [0];
/** The width and layout the row offsets were computed for. */
let layoutWidth = -1;
let layoutCompact = false;
/** Whether the user opened (true) or closed (false) the notes; unset, they follow the width. */
let notesOpen: boolean | undefined;
/** The keyboard cursor: the key of the row it is on (an item's tree key or id, a group's key). */
let cursorKey: string | undefined;

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
const refreshButton = $<HTMLButtonElement>('refresh');
const deepButton = $<HTMLButtonElement>('deep');
const shutdownButton = $<HTMLButtonElement>('shutdown');
const whyBox = $('why');

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
  const ended = panelState === 'ended' && !!snapshot;
  const texts: Record<PanelState, string> = {
    'no-session': 'No Node.js or Python debug session. Start one to see what its event loop waits on.',
    connecting: 'Connecting to the debug session…',
    live: '',
    ended: 'The debug session ended.',
    error: 'The last snapshot failed.',
  };
  const busy = busyTier ? `Taking a ${busyTier === 2 ? 'deep' : 'tier 1'} snapshot…` : '';
  // After the session, its last snapshot stays (often the most useful one, taken at the hang), read-only.
  const text = ended
    ? `From the ended session, read-only: ${stateMessage || 'the debug session ended.'} Its last snapshot, taken ${new Date(snapshot!.takenAt).toLocaleTimeString()}.`
    : [texts[panelState], stateMessage, busy].filter(Boolean).join(' ');
  statusLine.textContent = text;
  statusLine.className = `status ${panelState}`;
  statusLine.hidden = !text;
  document.body.classList.toggle('ended', ended);
  document.body.classList.toggle('stale', panelState === 'no-session');
  refreshButton.disabled = deepButton.disabled = shutdownButton.disabled = ended || panelState === 'no-session';
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
  // Notes fold into one line in a narrow side bar (the rows need the height); open, they stay open.
  if (!snapshot.warnings.length) {
    warningsBox.replaceChildren();
    return;
  }
  const box = el('details', 'notes');
  box.open = notesOpen ?? !(scroller.clientWidth > 0 && scroller.clientWidth < COMPACT_BELOW_PX);
  box.append(el('summary', 'warning', snapshot.warnings.length === 1 ? '1 note' : `${snapshot.warnings.length} notes`), ...snapshot.warnings.map((w) => el('div', 'warning', w)));
  warningsBox.replaceChildren(box);
}

/** A link that opens a place in source (the extension validates it again). */
function openLink(location: NonNullable<LoopItem['location']>, text: string, className: string): HTMLElement {
  const link = el('a', className, text);
  link.href = '#';
  link.title = fullLocation(location);
  link.dataset.action = 'open-frame';
  link.dataset.frame = JSON.stringify(location);
  return link;
}

/**
 * After a shutdown request: why the program does not exit. One card per blocker: what it is, why it
 * holds the program, the line it is at (one click), the handler that swallowed its cancellation, and
 * the static rule that would have caught it. Clicking a card selects its row (the detail pane then
 * shows the whole stack).
 */
function drawWhy(): void {
  const report = snapshot ? shutdownReport(snapshot) : undefined;
  whyBox.hidden = !report;
  if (!report) {
    whyBox.replaceChildren();
    return;
  }
  const parts: HTMLElement[] = [el('div', 'why-title', 'Why it does not exit'), el('div', 'why-asked', report.asked), el('div', report.blockers.length ? 'why-verdict' : 'why-verdict clear', report.verdict)];
  for (const { item, why, rule } of report.blockers) {
    const card = el('div', `blocker${item.id === selectedId ? ' selected' : ''}`);
    card.dataset.action = 'select';
    card.dataset.id = item.id;
    const title = el('div', 'blocker-title');
    title.append(el('span', 'kind', `${kindWord(item.kind)} `), el('span', 'blocker-label', item.label));
    card.append(title, el('div', 'blocker-why', why));
    if (item.location) {
      const at = el('div', 'blocker-line');
      at.append(el('span', 'fact-label', item.kind === 'timer' ? 'callback' : item.kind === 'socket' || item.kind === 'server' ? 'handler' : 'at'), openLink(item.location, mediumLocation(item.location), 'blocker-link'));
      card.append(at);
    }
    if (item.cancellationSwallowedAt) {
      const at = el('div', 'blocker-line');
      at.append(el('span', 'fact-label', 'swallowed'), openLink(item.cancellationSwallowedAt, mediumLocation(item.cancellationSwallowedAt), 'blocker-link'));
      card.append(at);
    }
    if (rule) {
      const at = el('div', 'blocker-line');
      const link = el('a', 'rule-link', `${rule.code} ${rule.name}`);
      link.href = '#';
      link.title = `Open the docs of ${rule.code}: the static check that finds this in the source`;
      link.dataset.action = 'rule';
      link.dataset.code = rule.code;
      at.append(el('span', 'fact-label', 'rule'), link);
      card.append(at);
    }
    parts.push(card);
  }
  whyBox.replaceChildren(...parts);
}

function drawHeader(): void {
  for (const cell of header.querySelectorAll<HTMLElement>('[data-sort]')) {
    const key = cell.dataset.sort as SortKey;
    cell.classList.toggle('sorted', key === options.sortBy);
    cell.dataset.dir = key === options.sortBy ? (options.sortDescending ? '▼' : '▲') : '';
  }
}

/** A compact row whose name alone is wider than its line: the name wraps onto a second line of its own. */
const COMPACT_WRAPPED_HEIGHT = 58;

function labelWraps(row: Row & { type: 'item' }): boolean {
  const prefix = options.groupBy !== 'kind' ? `${kindWord(row.item.kind)} ` : '';
  return 4 + row.depth * 14 + 12 + measure(prefix + row.item.label) + 6 + (row.item.cancellable ? 64 : 0) > scroller.clientWidth;
}

function rowHeight(row: Row): number {
  if (!compact || row.type !== 'item') return ROW_HEIGHT;
  return labelWraps(row) ? COMPACT_WRAPPED_HEIGHT : COMPACT_ITEM_HEIGHT;
}

function layout(): void {
  offsets = new Array<number>(rows.length + 1);
  let top = 0;
  for (let i = 0; i < rows.length; i++) {
    offsets[i] = top;
    top += rowHeight(rows[i]!);
  }
  offsets[rows.length] = top;
  spacer.style.height = `${top}px`;
}

/** The first row whose bottom is below `y` (binary search over the offsets). */
function rowAt(y: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1]! <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Widest name, state and location text of the rows (px), so the wide layout sizes its columns to fit. */
let widest = { name: 0, state: 0, where: 0, actions: false };
let measureContext: CanvasRenderingContext2D | null | undefined;
const measured = new Map<string, number>();

/** The body's font, read once per rebuild (reading computed style per text would cost a style pass each). */
let bodyFont = { size: '13px', family: 'sans-serif' };

function measure(text: string, bold = false): number {
  // Digits share one width in UI fonts: `task-1234` and `task-9876` measure once (10,000 rows stay fast).
  const key = `${bold ? 'b' : 'n'}${text.replace(/[0-9]/g, '0')}`;
  let width = measured.get(key);
  if (width === undefined) {
    if (measureContext === undefined) measureContext = document.createElement('canvas').getContext('2d');
    if (!measureContext) return text.length * 7;
    const font = `${bold ? '600 ' : ''}${bodyFont.size} ${bodyFont.family}`;
    if (measureContext.font !== font) measureContext.font = font;
    width = measureContext.measureText(text).width;
    if (measured.size > 50_000) measured.clear();
    measured.set(key, width);
  }
  return width;
}

function measureColumns(): void {
  widest = { name: 0, state: 0, where: 0, actions: false };
  const style = getComputedStyle(document.body);
  if (style.fontSize !== bodyFont.size || style.fontFamily !== bodyFont.family) {
    bodyFont = { size: style.fontSize, family: style.fontFamily };
    measured.clear();
  }
  for (const row of rows) {
    if (row.type !== 'item') continue;
    const item = row.item;
    const prefix = options.groupBy !== 'kind' ? `${kindWord(item.kind)} ` : '';
    widest.name = Math.max(widest.name, 4 + row.depth * 14 + 12 + measure(prefix + item.label) + 10);
    widest.state = Math.max(widest.state, measure(stateText(item).text, !!item.ignoringCancellation) + 12);
    if (item.location) widest.where = Math.max(widest.where, measure(shortLocation(item.location)) + 12);
    if (item.cancellable) widest.actions = true;
  }
}

/** The wide layout's columns: name, state and location as wide as their widest text (within limits), the rest for what it waits on. */
function columns(width: number): string {
  const actions = widest.actions ? 64 : 0;
  const available = Math.max(0, width - actions);
  const clamp = (want: number, min: number, share: number) => Math.round(Math.max(min, Math.min(want, available * share)));
  const name = clamp(widest.name, 100, 0.45);
  const state = clamp(widest.state, 70, 0.22);
  const where = clamp(widest.where, 80, 0.25);
  return `${name}px ${state}px ${where}px minmax(80px, 1fr) ${actions}px`;
}

function rebuild(): void {
  const started = performance.now();
  rows = snapshot ? buildRows(snapshot, options) : [];
  measureColumns();
  lastBuildMs = performance.now() - started;
  layout();
  drawHeader();
  drawWhy();
  drawDetail();
  drawRows();
}

function rowKey(row: Row): string {
  return row.type === 'group' ? `group:${row.key}` : (row.key ?? `id:${row.item.id}`);
}

/** The row the keyboard cursor is on: the remembered one, else the selected item's, else none. */
function cursorIndex(): number {
  if (cursorKey !== undefined) {
    const at = rows.findIndex((r) => rowKey(r) === cursorKey);
    if (at >= 0) return at;
  }
  return selectedId === undefined ? -1 : rows.findIndex((r) => r.type === 'item' && r.item.id === selectedId);
}

function rowElement(row: Row, index: number, cursor: number): HTMLElement {
  const line = el('div', 'row');
  line.style.top = `${offsets[index]}px`;
  line.style.height = `${rowHeight(row)}px`;
  line.dataset.index = String(index);
  line.id = `row-${index}`;
  line.setAttribute('role', 'treeitem');
  if (index === cursor) line.classList.add('cursor');
  if (row.type === 'group') {
    line.classList.add('group');
    line.dataset.action = 'toggle';
    line.setAttribute('aria-expanded', String(!row.collapsed));
    line.append(el('span', 'twisty', row.collapsed ? '▸' : '▾'), el('span', 'group-label', row.label), el('span', 'badge', row.total !== undefined ? `${row.count} of ${row.total}` : String(row.count)));
    if (row.total !== undefined) line.title = `${row.total - row.count} more not listed (the backend sends at most this many rows per kind)`;
    return line;
  }
  const item = row.item;
  if (item.id === selectedId) line.classList.add('selected');
  if (item.ignoringCancellation) line.classList.add('hang');
  if (row.hasChildren) line.setAttribute('aria-expanded', String(!row.collapsed));
  line.dataset.action = 'select';
  const indent = `${4 + row.depth * 14}px`;
  const twisty = el('span', 'twisty', row.hasChildren ? (row.collapsed ? '▸' : '▾') : '');
  if (row.hasChildren) twisty.dataset.action = 'toggle';
  const name = el('span', 'name');
  // The kind is the group's heading when grouped by kind; otherwise each row says what it is.
  if (options.groupBy !== 'kind') name.append(el('span', 'kind', `${kindWord(item.kind)} `));
  name.append(el('span', 'label', item.label));
  const st = stateText(item);
  const state = el('span', `state state-${item.state.replace(/[^a-z-]/gi, '')}`, st.text);
  state.title = st.title;
  let where: HTMLElement;
  if (item.location) {
    where = el('a', 'location', shortLocation(item.location));
    where.title = fullLocation(item.location);
    where.dataset.action = 'open';
    (where as HTMLAnchorElement).href = '#';
  } else {
    where = el('span', 'location none', '');
  }
  const waits = el('span', 'waits', item.waitsOn ?? '');
  waits.title = item.waitsOn ?? '';
  const actions = el('span', 'actions');
  if (item.cancellable) {
    const cancel = el('button', 'cancel', 'Cancel');
    cancel.dataset.action = 'cancel';
    cancel.tabIndex = -1;
    cancel.title = `Cancel ${item.label} (task.cancel() on the program's loop)`;
    actions.append(cancel);
  }
  line.title = [`${kindLabel(item.kind).replace(/s$/, '')}: ${item.label}`, st.title, item.location ? fullLocation(item.location) : '', item.waitsOn ? `waits on ${item.waitsOn}` : ''].filter(Boolean).join('\n');
  if (compact) {
    // Two lines: name and state; then where it is and what it waits on (the tooltip has them whole).
    // A name too long to share its line keeps it; the state then leads the second line.
    const prefix = options.groupBy !== 'kind' ? `${kindWord(item.kind)} ` : '';
    const lineOne = 4 + row.depth * 14 + 12 + measure(prefix + item.label) + 8 + measure(st.text, !!item.ignoringCancellation) + 12 + (item.cancellable ? 64 : 0);
    const stateBelow = lineOne > scroller.clientWidth;
    const top = el('div', 'line1');
    if (labelWraps(row)) top.classList.add('wrap');
    top.style.paddingLeft = indent;
    top.append(twisty, name);
    if (!stateBelow) top.append(state);
    top.append(actions);
    const bottom = el('div', 'line2');
    bottom.style.paddingLeft = `calc(${indent} + 12px)`;
    if (stateBelow) {
      bottom.append(state);
      if (item.location || item.waitsOn) bottom.append(el('span', 'sep', '·'));
    }
    if (item.location) bottom.append(where);
    if (item.location && item.waitsOn) bottom.append(el('span', 'sep', '·'));
    bottom.append(waits);
    line.classList.add('compact');
    line.append(top, bottom);
  } else {
    const first = el('span', 'cell name-cell');
    first.style.paddingLeft = indent;
    first.append(twisty, name);
    line.append(first, wrapCell('state-cell', state), wrapCell('where', where), wrapCell('waits-cell', waits), wrapCell('actions-cell', actions));
  }
  return line;
}

function wrapCell(className: string, child: HTMLElement): HTMLElement {
  const cell = el('span', `cell ${className}`);
  cell.append(child);
  return cell;
}

/** How long building the rows of the current snapshot took (reported with each draw). */
let lastBuildMs = 0;

/** Draws the rows in view (plus a few either side) and tells the extension what it drew and what it cost. */
function drawRows(): void {
  const started = performance.now();
  const wantCompact = scroller.clientWidth > 0 && scroller.clientWidth < COMPACT_BELOW_PX;
  if (wantCompact !== compact) {
    compact = wantCompact;
    document.body.classList.toggle('compact', compact);
    if (notesOpen === undefined) drawSummary();
  }
  // Compact row heights depend on the width (a name that no longer fits wraps).
  if (layoutWidth !== scroller.clientWidth || layoutCompact !== compact) {
    layoutWidth = scroller.clientWidth;
    layoutCompact = compact;
    layout();
  }
  // The header's columns line up with the rows' only if both have the same width: the scroll bar's.
  header.style.paddingRight = `${scroller.offsetWidth - scroller.clientWidth}px`;
  if (!compact) document.body.style.setProperty('--columns', columns(scroller.clientWidth));
  const first = Math.max(0, rowAt(scroller.scrollTop) - OVERSCAN);
  const last = Math.min(rows.length, rowAt(scroller.scrollTop + scroller.clientHeight) + 1 + OVERSCAN);
  const cursor = cursorIndex();
  const drawn: HTMLElement[] = [];
  for (let i = first; i < last; i++) drawn.push(rowElement(rows[i]!, i, cursor));
  spacer.replaceChildren(...drawn);
  if (cursor >= first && cursor < last) scroller.setAttribute('aria-activedescendant', `row-${cursor}`);
  else scroller.removeAttribute('aria-activedescendant');
  if (snapshot) {
    // What a reader would see cut: labels wider than their box (the editor suite asserts none at 300 px).
    const cut: string[] = [];
    for (const label of spacer.querySelectorAll<HTMLElement>('.label, .state')) if (label.scrollWidth > label.clientWidth + 1) cut.push(label.textContent ?? '');
    // The shutdown cards wrap every line: none may overflow its box, nor the box scroll sideways.
    const why = whyBox.hidden ? undefined : {
      whyCards: whyBox.querySelectorAll('.blocker').length,
      whyCut: [...whyBox.querySelectorAll<HTMLElement>('.why-asked, .why-verdict, .blocker-title, .blocker-why, .blocker-line')].filter((e) => e.scrollWidth > e.clientWidth + 1).length + (whyBox.scrollWidth > whyBox.clientWidth + 1 ? 1 : 0),
    };
    vscode.postMessage({ type: 'rendered', takenAt: snapshot.takenAt, rows: rows.length, drawn: drawn.length, ms: lastBuildMs + performance.now() - started, width: scroller.clientWidth, compact, cutLabels: cut.length, ...(selectedId !== undefined ? { selectedId } : {}), ...(cut.length ? { cutSamples: cut.slice(0, 5) } : {}), ...why });
  }
}

function selectedItem(): LoopItem | undefined {
  return selectedId === undefined ? undefined : snapshot?.items.find((i) => i.id === selectedId);
}

function drawDetail(): void {
  const item = selectedItem();
  detail.hidden = !item;
  if (!item) return;
  const parts: HTMLElement[] = [el('div', 'detail-title', `${kindLabel(item.kind)}: ${item.label}`)];
  const fact = (label: string, value: string, title?: string) => {
    const line = el('div', 'fact');
    const shown = el('span', 'fact-value', value);
    if (title) shown.title = title;
    line.append(el('span', 'fact-label', label), shown);
    parts.push(line);
  };
  fact('state', item.cancelling ? `${item.state}, cancel requested ${item.cancelling}×` : item.state);
  if (item.ignoringCancellation) fact('⚠ hang', 'cancelled but still running: it ignores the cancellation (a shutdown hang)');
  if (item.cancellationSwallowedAt) fact('swallowed at', mediumLocation(item.cancellationSwallowedAt), fullLocation(item.cancellationSwallowedAt));
  if (item.location) fact(item.kind === 'promise' ? 'awaited at' : item.kind === 'timer' ? 'callback at' : item.kind === 'thread' ? 'running at' : 'suspended at', mediumLocation(item.location), fullLocation(item.location));
  if (item.waitsOn) fact('waits on', item.waitsOn);
  if (item.ageMs !== undefined) fact('age', formatDuration(item.ageMs));
  for (const [label, value] of detailFacts(item.details)) fact(label, value);
  const byId = new Map(snapshot!.items.map((i) => [i.id, i]));
  if (item.awaits?.length) fact('awaits', item.awaits.map((id) => byId.get(id)?.label ?? id).join(', '));
  if (item.awaitedBy?.length) fact('awaited by', item.awaitedBy.map((id) => byId.get(id)?.label ?? id).join(', '));
  if (item.stack?.length) parts.push(el('div', 'fact-label', item.kind === 'thread' ? 'stack, innermost first' : 'await stack, innermost first'));
  for (const frame of item.stack ?? (item.location ? [item.location] : [])) {
    const link = el('a', 'frame', mediumLocation(frame));
    link.title = fullLocation(frame);
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
    case 'shutdownResult':
      stateMessage = message.ok ? `Asked the program to stop (${message.message ?? 'sent'}); the report follows in a few seconds.` : `Shutdown request failed: ${message.message ?? 'unknown error'}`;
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

/** Collapses or expands a group or tree node; `to` forces a direction (the arrow keys). */
function toggle(row: Row, to?: 'collapse' | 'expand'): void {
  const key = row.key;
  if (!key || (row.type === 'item' && !row.hasChildren)) return;
  const collapsed = new Set(options.collapsed);
  const isCollapsed = collapsed.has(key);
  if (to === 'collapse' ? isCollapsed : to === 'expand' ? !isCollapsed : false) return;
  if (isCollapsed) collapsed.delete(key);
  else collapsed.add(key);
  options = { ...options, collapsed };
  rebuild();
  saveState();
}

/** Puts the keyboard cursor on a row (selecting it when it is an item) and scrolls it into view. */
function moveCursor(index: number): void {
  if (!rows.length) return;
  const at = Math.max(0, Math.min(rows.length - 1, index));
  const row = rows[at]!;
  cursorKey = rowKey(row);
  if (row.type === 'item') selectedId = row.item.id;
  const top = offsets[at]!;
  const bottom = offsets[at + 1]!;
  if (top < scroller.scrollTop) scroller.scrollTop = top;
  else if (bottom > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = bottom - scroller.clientHeight;
  drawRows();
  drawDetail();
  saveState();
}

spacer.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const actionEl = target.closest<HTMLElement>('[data-action]');
  const rowEl = target.closest<HTMLElement>('.row');
  if (!actionEl || !rowEl) return;
  const row = rows[Number(rowEl.dataset.index)];
  if (!row) return;
  event.preventDefault();
  scroller.focus({ preventScroll: true });
  cursorKey = rowKey(row);
  const action = actionEl.dataset.action;
  if (action === 'toggle') {
    toggle(row);
    return;
  }
  if (row.type !== 'item') return;
  if (action === 'open' && row.item.location) vscode.postMessage({ type: 'openLocation', location: row.item.location });
  else if (action === 'cancel' && !document.body.classList.contains('ended')) vscode.postMessage({ type: 'cancelTask', id: row.item.id });
  selectedId = row.item.id;
  drawRows();
  drawDetail();
  drawWhy();
  saveState();
});

// Keyboard: arrows move through the rows (Left/Right collapse and expand groups and tree nodes, or go
// to the parent group), Home/End and Page Up/Down jump, Enter opens the row's location (or toggles a
// group), Delete cancels a task (live sessions only), Escape clears the selection.
scroller.addEventListener('keydown', (event) => {
  if (!rows.length) return;
  const at = cursorIndex();
  const row = at >= 0 ? rows[at] : undefined;
  const page = Math.max(1, Math.floor(scroller.clientHeight / (compact ? COMPACT_ITEM_HEIGHT : ROW_HEIGHT)) - 1);
  let handled = true;
  switch (event.key) {
    case 'ArrowDown': moveCursor(at < 0 ? 0 : at + 1); break;
    case 'ArrowUp': moveCursor(at < 0 ? 0 : at - 1); break;
    case 'Home': moveCursor(0); break;
    case 'End': moveCursor(rows.length - 1); break;
    case 'PageDown': moveCursor(at + page); break;
    case 'PageUp': moveCursor(at - page); break;
    case 'ArrowRight':
      if (row && (row.type === 'group' || row.hasChildren)) {
        if (row.collapsed) toggle(row, 'expand');
        else moveCursor(at + 1);
      }
      break;
    case 'ArrowLeft':
      if (row && (row.type === 'group' || row.hasChildren) && !row.collapsed) toggle(row, 'collapse');
      else if (row?.type === 'item') {
        // To the group or tree node this row sits under.
        for (let i = at - 1; i >= 0; i--) {
          const up = rows[i]!;
          if (up.type === 'group' || (up.type === 'item' && up.depth < row.depth)) {
            moveCursor(i);
            break;
          }
        }
      }
      break;
    case 'Enter':
    case ' ':
      if (row?.type === 'group') toggle(row);
      else if (row?.type === 'item' && row.item.location && event.key === 'Enter') vscode.postMessage({ type: 'openLocation', location: row.item.location });
      else if (row?.type === 'item' && row.hasChildren) toggle(row);
      break;
    case 'Delete':
      if (row?.type === 'item' && row.item.cancellable && !document.body.classList.contains('ended')) vscode.postMessage({ type: 'cancelTask', id: row.item.id });
      break;
    case 'Escape':
      selectedId = undefined;
      cursorKey = undefined;
      drawRows();
      drawDetail();
      saveState();
      break;
    default:
      handled = false;
  }
  if (handled) event.preventDefault();
});

warningsBox.addEventListener('click', (event) => {
  const box = (event.target as HTMLElement).closest('summary')?.parentElement;
  // The click toggles it after this handler: remember the state it is going to.
  if (box instanceof HTMLDetailsElement) notesOpen = !box.open;
});

detail.addEventListener('click', (event) => {
  const link = (event.target as HTMLElement).closest<HTMLElement>('[data-action="open-frame"]');
  if (!link?.dataset.frame) return;
  event.preventDefault();
  vscode.postMessage({ type: 'openLocation', location: JSON.parse(link.dataset.frame) });
});

whyBox.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const action = target.closest<HTMLElement>('[data-action]');
  if (!action) return;
  event.preventDefault();
  if (action.dataset.action === 'open-frame' && action.dataset.frame) vscode.postMessage({ type: 'openLocation', location: JSON.parse(action.dataset.frame) });
  else if (action.dataset.action === 'rule' && action.dataset.code) vscode.postMessage({ type: 'showRule', code: action.dataset.code });
  // Any click in a card (a link too) selects its row, so the detail pane shows the whole stack.
  const card = target.closest<HTMLElement>('.blocker');
  if (!card?.dataset.id) return;
  selectedId = card.dataset.id;
  cursorKey = undefined;
  drawRows();
  drawDetail();
  drawWhy();
  saveState();
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
shutdownButton.addEventListener('click', () => vscode.postMessage({ type: 'simulateShutdown' }));

drawStatus();
rebuild();
if (typeof restored.scrollTop === 'number') scroller.scrollTop = restored.scrollTop;
vscode.postMessage({ type: 'ready' });
vscode.postMessage({ type: 'setAutoRefresh', enabled: autoRefresh });
