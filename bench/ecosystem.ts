/**
 * The ecosystem check (`npm run ecosystem`): the CLI over real projects pinned by commit, every
 * finding matched to a verdict a person wrote after reading the code in context, and precision per
 * rule and language from those verdicts. Modelled on Ruff's ecosystem check: a rule change is judged
 * by the findings it adds and removes on code nobody tuned it for.
 *
 *   bench/ecosystem/projects.json   the projects: repository, pinned commit, language
 *   bench/ecosystem/verdicts.tsv    one line per reviewed finding (and the recall list, `must-flag`)
 *
 * The projects' sources are never committed: each is read from a git snapshot (the search tool's
 * `fetch` puts them in /work/.mirror/<owner>+<name>/repo; ASYNCWISE_ECOSYSTEM_MIRRORS moves that)
 * and its source files at the pinned commit are written to .cache/ecosystem/<name>/.
 *
 * Findings match verdicts by project, path, rule and the finding line's text (whitespace collapsed),
 * so line shifts do not matter; a line with the same text twice needs two verdicts.
 *
 * Options: --project NAME[,NAME]  only these projects
 *          --unreviewed FILE      write the unreviewed findings there as verdict lines to fill in
 *                                 (default .cache/ecosystem/unreviewed.tsv)
 *          --json FILE            also write the whole result as JSON
 *          --strict               exit 1 when a finding is unreviewed or a default-on rule is under the bar
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CATALOG } from '../src/core/catalog';
import { defaultSeverity } from '../src/core/rule';
import { hasCommit, writeSnapshot } from './snapshot';

const ROOT = path.resolve(__dirname, '..', '..');
const DATA = path.join(ROOT, 'bench', 'ecosystem');
const WORK = path.join(ROOT, '.cache', 'ecosystem');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const MIRRORS = process.env.ASYNCWISE_ECOSYSTEM_MIRRORS ?? '/work/.mirror';
/** The bar a default-on rule must reach in each language (debatable left out). */
const PRECISION_BAR = 0.95;
/** At most this share of a rule's findings may be debatable. */
const DEBATABLE_BAR = 0.1;

type Language = 'python' | 'typescript';
type Verdict = 'right' | 'wrong' | 'debatable' | 'must-flag';
const VERDICTS: readonly Verdict[] = ['right', 'wrong', 'debatable', 'must-flag'];

interface Project {
  readonly name: string;
  readonly repo: string;
  readonly commit: string;
  readonly language: Language;
  readonly about: string;
}

interface Finding {
  readonly project: string;
  readonly path: string;
  readonly line: number;
  readonly rule: string;
  readonly text: string;
  /** Which line of the file with this text it is (1 for the first): tells apart findings on identical lines. */
  readonly occurrence: number;
  readonly message: string;
  readonly language: Language;
}

interface VerdictLine {
  readonly project: string;
  readonly path: string;
  readonly rule: string;
  readonly verdict: Verdict;
  readonly text: string;
  readonly reason: string;
  readonly lineNo: number;
  /**
   * Optional 7th column: which of the file's lines with this text the verdict is for (1-based). Needed
   * only when one text holds findings with different verdicts: without it, a finding that goes away
   * would hand its verdict to its twin.
   */
  readonly occurrence?: number;
}

const PYTHON_FILE = /\.pyi?$/;
const TS_FILE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
/** Configuration the CLI reads besides sources: project roots, tsconfig programs, ignores. */
const CONFIG_FILE = /(^|\/)(\.gitignore|pyproject\.toml|setup\.cfg|package\.json|tsconfig[^/]*\.json|jsconfig\.json)$/;
/** Larger files are skipped by the CLI anyway (2 MiB); generated bundles are not what users lint. */
const MAX_BYTES = 2 * 1024 * 1024;

function parseArgs(argv: readonly string[]): { only?: Set<string>; unreviewed: string; json?: string; strict: boolean } {
  const out: { only?: Set<string>; unreviewed: string; json?: string; strict: boolean } = { unreviewed: path.join(WORK, 'unreviewed.tsv'), strict: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--project') out.only = new Set(argv[++i].split(','));
    else if (arg === '--unreviewed') out.unreviewed = path.resolve(argv[++i]);
    else if (arg === '--json') out.json = path.resolve(argv[++i]);
    else if (arg === '--strict') out.strict = true;
    else throw new Error(`unknown option ${arg}`);
  }
  return out;
}

/** A finding's line for the console: a minified bundle's line is whole kilobytes. */
function shown(text: string): string {
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

export function normalizeLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function loadProjects(): Project[] {
  const projects = JSON.parse(fs.readFileSync(path.join(DATA, 'projects.json'), 'utf8')) as Project[];
  const held = ['MagicStack/asyncpg', 'encode/starlette', 'aio-libs/aiokafka', 'taskforcesh/bullmq', 'nodejs/undici'];
  for (const p of projects) {
    if (held.includes(p.repo)) throw new Error(`${p.repo} is kept aside for the independent review: it must not be in the ecosystem check`);
  }
  return projects;
}

export function parseVerdicts(text: string): VerdictLine[] {
  const out: VerdictLine[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const cols = raw.split('\t');
    if (cols.length !== 6 && cols.length !== 7) throw new Error(`verdicts.tsv:${index + 1}: expected 6 tab-separated columns (project, path, rule, verdict, line, reason) and an optional occurrence, got ${cols.length}`);
    const [project, file, rule, verdict, line, reason, nth] = cols;
    if (!VERDICTS.includes(verdict as Verdict)) throw new Error(`verdicts.tsv:${index + 1}: verdict must be one of ${VERDICTS.join(', ')}, not "${verdict}"`);
    if (reason.trim() === '') throw new Error(`verdicts.tsv:${index + 1}: every verdict needs a reason`);
    const occurrence = nth === undefined ? undefined : Number(nth);
    if (occurrence !== undefined && !(Number.isInteger(occurrence) && occurrence >= 1)) throw new Error(`verdicts.tsv:${index + 1}: the occurrence column must be a whole number from 1, not "${nth}"`);
    out.push({ project, path: file, rule, verdict: verdict as Verdict, text: normalizeLine(line), reason, lineNo: index + 1, ...(occurrence === undefined ? {} : { occurrence }) });
  });
  return out;
}

function mirrorOf(project: Project): string {
  return path.join(MIRRORS, project.repo.replace('/', '+'), 'repo');
}

/** Writes the project's sources and configuration at the pinned commit into .cache/ecosystem/NAME. */
function materialize(project: Project): string | { missing: string } {
  const dir = path.join(WORK, project.name);
  const stamp = path.join(dir, '.asyncwise-ecosystem-commit');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === project.commit) return dir;
  const gitDir = mirrorOf(project);
  if (!hasCommit(gitDir, project.commit)) return { missing: `no snapshot of ${project.repo} at ${project.commit} in ${gitDir}: fetch github:${project.repo} with the search tool (or set ASYNCWISE_ECOSYSTEM_MIRRORS)` };
  const wanted = project.language === 'python' ? PYTHON_FILE : TS_FILE;
  writeSnapshot(gitDir, project.commit, dir, (file, size) => size <= MAX_BYTES && (wanted.test(file) || CONFIG_FILE.test(file)));
  fs.writeFileSync(stamp, `${project.commit}\n`);
  return dir;
}

interface CliFinding {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly message: string;
}

function runCli(project: Project, dir: string): { findings: Finding[]; seconds: number; stderr: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--no-cache', '--hints', '.'], { cwd: dir, maxBuffer: 1 << 30, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0 && result.status !== 1) throw new Error(`${project.name}: asyncwise exited ${result.status}\n${result.stderr}`);
  const raw = JSON.parse(result.stdout) as CliFinding[];
  const lines = new Map<string, string[]>();
  const findings = raw.map((f): Finding => {
    const abs = path.resolve(dir, f.file);
    let fileLines = lines.get(abs);
    if (!fileLines) lines.set(abs, (fileLines = fs.readFileSync(abs, 'utf8').split(/\r\n|\r|\n/)));
    const rel = path.relative(dir, abs).split(path.sep).join('/');
    const text = normalizeLine(fileLines[f.line - 1] ?? '');
    let occurrence = 1;
    for (let i = 0; i < f.line - 1 && i < fileLines.length; i++) if (normalizeLine(fileLines[i]) === text) occurrence++;
    return { project: project.name, path: rel, line: f.line, rule: f.code, text, occurrence, message: f.message, language: PYTHON_FILE.test(rel) ? 'python' : 'typescript' };
  });
  return { findings, seconds, stderr: result.stderr };
}

function keyOf(x: { project: string; path: string; rule: string; text: string }): string {
  return `${x.project}\0${x.path}\0${x.rule}\0${x.text}`;
}

interface Row {
  findings: number;
  right: number;
  wrong: number;
  debatable: number;
  unreviewed: number;
  /** Known pitfalls: right findings now + must-flag entries; caught: of those, flagged now. */
  known: number;
  caught: number;
}

function emptyRow(): Row {
  return { findings: 0, right: 0, wrong: 0, debatable: 0, unreviewed: 0, known: 0, caught: 0 };
}

function precision(row: Row): number | undefined {
  return row.right + row.wrong === 0 ? undefined : row.right / (row.right + row.wrong);
}

function fmt(x: number | undefined): string {
  return x === undefined ? '—' : x.toFixed(2);
}

function languageOfRule(path_: string): Language {
  return PYTHON_FILE.test(path_) ? 'python' : 'typescript';
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node esbuild.js\` first (npm run ecosystem does)`);
  const projects = loadProjects().filter((p) => !options.only || options.only.has(p.name));
  const verdictsText = fs.readFileSync(path.join(DATA, 'verdicts.tsv'), 'utf8');
  const verdicts = parseVerdicts(verdictsText).filter((v) => !options.only || options.only.has(v.project));
  fs.mkdirSync(WORK, { recursive: true });

  const findings: Finding[] = [];
  const missing: string[] = [];
  console.log(`asyncwise ecosystem check: ${projects.length} projects (${projects.filter((p) => p.language === 'python').length} Python, ${projects.filter((p) => p.language === 'typescript').length} TS/JS), tests included\n`);
  for (const project of projects) {
    const dir = materialize(project);
    if (typeof dir !== 'string') {
      missing.push(dir.missing);
      console.log(`  ${project.name.padEnd(22)} MISSING`);
      continue;
    }
    const run = runCli(project, dir);
    findings.push(...run.findings);
    const skipped = run.stderr.split('\n').filter((l) => l.trim() !== '').length;
    console.log(`  ${project.name.padEnd(22)} ${project.commit.slice(0, 10)}  ${String(run.findings.length).padStart(4)} findings  ${run.seconds.toFixed(1).padStart(5)} s${skipped ? `  (${skipped} stderr lines)` : ''}`);
  }

  // Match findings to verdicts (a multiset per key).
  const pool = new Map<string, VerdictLine[]>();
  for (const v of verdicts) {
    if (v.verdict === 'must-flag') continue;
    const key = keyOf(v);
    const list = pool.get(key) ?? [];
    list.push(v);
    pool.set(key, list);
  }
  const reviewed: { finding: Finding; verdict: VerdictLine }[] = [];
  const unreviewed: Finding[] = [];
  // First the verdicts that name their occurrence, then the others in order: a verdict meant for one
  // line of a text is never handed to its twin.
  const unmatched: Finding[] = [];
  for (const f of findings) {
    const list = pool.get(keyOf(f));
    const at = list ? list.findIndex((v) => v.occurrence === f.occurrence) : -1;
    if (list && at >= 0) reviewed.push({ finding: f, verdict: list.splice(at, 1)[0] });
    else unmatched.push(f);
  }
  for (const f of unmatched) {
    const list = pool.get(keyOf(f));
    const at = list ? list.findIndex((v) => v.occurrence === undefined) : -1;
    if (list && at >= 0) reviewed.push({ finding: f, verdict: list.splice(at, 1)[0] });
    else unreviewed.push(f);
  }
  const gone = [...pool.values()].flat();
  const flaggedKeys = new Set(findings.map(keyOf));
  const mustFlag = verdicts.filter((v) => v.verdict === 'must-flag');

  // The table: rule × language.
  const rows = new Map<string, Row>();
  const rowOf = (rule: string, language: Language): Row => {
    const key = `${rule}\0${language}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = emptyRow()));
    return row;
  };
  for (const { finding, verdict } of reviewed) {
    const row = rowOf(finding.rule, finding.language);
    row.findings++;
    if (verdict.verdict === 'right') row.right++;
    else if (verdict.verdict === 'wrong') row.wrong++;
    else row.debatable++;
    if (verdict.verdict === 'right') {
      row.known++;
      row.caught++;
    }
  }
  for (const f of unreviewed) {
    const row = rowOf(f.rule, f.language);
    row.findings++;
    row.unreviewed++;
  }
  for (const v of gone) {
    if (v.verdict === 'right') rowOf(v.rule, languageOfRule(v.path)).known++;
  }
  for (const v of mustFlag) {
    const row = rowOf(v.rule, languageOfRule(v.path));
    row.known++;
    if (flaggedKeys.has(keyOf(v))) row.caught++;
  }

  const defaultOf = (code: string, language: Language): string => {
    const rule = CATALOG.find((r) => r.code === code);
    if (!rule) return '?';
    return rule.enabledByDefault === false ? 'off' : defaultSeverity(rule, language);
  };
  const languages: Language[] = ['python', 'typescript'];
  const totals = new Map<Language, Row>(languages.map((l) => [l, emptyRow()]));
  const failing: string[] = [];
  console.log('\nrule    language    default   findings  right  wrong  debatable  unreviewed  precision  recall (caught/known)');
  for (const [key, row] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
    const [rule, language] = key.split('\0') as [string, Language];
    const total = totals.get(language)!;
    for (const k of Object.keys(row) as (keyof Row)[]) total[k] += row[k];
    const p = precision(row);
    const severity = defaultOf(rule, language);
    const debatableShare = row.findings ? row.debatable / row.findings : 0;
    // Default-on: a rule whose findings a user sees by default as problems. A hint (the editor's faint
    // dots, no Problems entry) or an off rule is not held to the bar: that is where rules under it go.
    const defaultOn = severity === 'info' || severity === 'warning' || severity === 'error';
    const under = defaultOn && ((p !== undefined && p < PRECISION_BAR) || debatableShare > DEBATABLE_BAR);
    if (under) failing.push(`${rule} ${language}: precision ${fmt(p)}, ${Math.round(debatableShare * 100)} % debatable`);
    const recall = row.known ? `${fmt(row.caught / row.known)} (${row.caught}/${row.known})` : '—';
    console.log(`${rule.padEnd(8)}${(language === 'typescript' ? 'ts/js' : language).padEnd(12)}${severity.padEnd(10)}${String(row.findings).padStart(8)}${String(row.right).padStart(7)}${String(row.wrong).padStart(7)}${String(row.debatable).padStart(11)}${String(row.unreviewed).padStart(12)}  ${fmt(p).padStart(9)}${under ? '!' : ' '} ${recall}`);
  }
  for (const language of languages) {
    const row = totals.get(language)!;
    console.log(`${'all'.padEnd(8)}${(language === 'typescript' ? 'ts/js' : language).padEnd(12)}${''.padEnd(10)}${String(row.findings).padStart(8)}${String(row.right).padStart(7)}${String(row.wrong).padStart(7)}${String(row.debatable).padStart(11)}${String(row.unreviewed).padStart(12)}  ${fmt(precision(row)).padStart(9)}  ${row.known ? `${fmt(row.caught / row.known)} (${row.caught}/${row.known})` : '—'}`);
  }
  console.log(`\nprecision = right / (right + wrong), debatable left out; the bar for a default-on rule (info, warning or error by default): ≥ ${PRECISION_BAR} in each language, at most ${DEBATABLE_BAR * 100} % debatable (! marks a miss).`);

  if (mustFlag.length) {
    const missed = mustFlag.filter((v) => !flaggedKeys.has(keyOf(v)));
    console.log(`\nrecall list: ${mustFlag.length - missed.length} of ${mustFlag.length} known pitfalls (must-flag) flagged`);
    for (const v of missed) console.log(`  missed  ${v.rule}  ${v.project}/${v.path}: ${shown(v.text)}  — ${v.reason}`);
  }

  if (gone.length) {
    console.log(`\nchanged since the verdicts were written — ${gone.length} reviewed findings no longer reported:`);
    const byVerdict = new Map<string, number>();
    for (const v of gone) byVerdict.set(`${v.rule} ${v.verdict}`, (byVerdict.get(`${v.rule} ${v.verdict}`) ?? 0) + 1);
    console.log(`  ${[...byVerdict].sort().map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    for (const v of gone.filter((g) => g.verdict === 'right')) console.log(`  lost right finding  ${v.rule}  ${v.project}/${v.path}: ${shown(v.text)}`);
  }

  const header = '# project\tpath\trule\tverdict\tline\treason\n';
  fs.mkdirSync(path.dirname(options.unreviewed), { recursive: true });
  fs.writeFileSync(
    options.unreviewed,
    header + unreviewed.map((f) => `${f.project}\t${f.path}\t${f.rule}\t?\t${f.text}\t${f.line}: ${f.message.replace(/\s+/g, ' ')}`).join('\n') + (unreviewed.length ? '\n' : ''),
  );
  if (unreviewed.length) {
    console.log(`\n${unreviewed.length} findings have no verdict yet (new since the verdicts were written): read each in context and add its line to bench/ecosystem/verdicts.tsv (listed in ${path.relative(ROOT, options.unreviewed)}):`);
    for (const f of unreviewed.slice(0, 40)) console.log(`  ${f.rule}  ${f.project}/${f.path}:${f.line}  ${shown(f.text)}`);
    if (unreviewed.length > 40) console.log(`  … and ${unreviewed.length - 40} more`);
  }
  if (missing.length) {
    console.log(`\n${missing.length} projects could not be checked:`);
    for (const m of missing) console.log(`  ${m}`);
  }
  if (failing.length) {
    console.log(`\ndefault-on rules under the bar:`);
    for (const f of failing) console.log(`  ${f}`);
  }
  if (options.json) {
    fs.writeFileSync(options.json, JSON.stringify({ findings, reviewed: reviewed.map((r) => ({ ...r.finding, verdict: r.verdict.verdict, reason: r.verdict.reason })), unreviewed, gone, rows: Object.fromEntries(rows) }, null, 1));
  }
  if (options.strict && (unreviewed.length || failing.length || missing.length)) process.exitCode = 1;
}

if (require.main === module) main();
