/**
 * The meta-test: catalog, rule files, docs, fixtures, generated pages and README agree, and every
 * documentation example behaves as documented (Example blocks fire the rule, Use instead blocks don't).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CATALOG } from '../../src/core/catalog';
import { SEVERITIES } from '../../src/core/rule';
import { DEFAULT_PYTHON_TARGET } from '../../src/core/settings';
import { analyzePython } from '../../src/python/analyze';
import { codeBlocks, renderRuleDoc, renderRuleTable, TABLE_END, TABLE_START } from '../../src/tools/renderDocs';
import { loadParser, repoRoot, settings } from './helpers';

const ROOT = repoRoot();
const HEADINGS = ['## What it does', '## Why is this bad?', '## Example', '## Use instead', '## Fix safety'];

describe('catalog', () => {
  it('has unique, well-formed codes and names in code order', () => {
    const codes = CATALOG.map((r) => r.code);
    assert.deepEqual(codes, [...codes].sort(), 'catalog is in code order');
    assert.equal(new Set(codes).size, codes.length, 'codes are unique');
    assert.equal(new Set(CATALOG.map((r) => r.name)).size, CATALOG.length, 'names are unique');
    for (const r of CATALOG) {
      assert.match(r.code, /^AW[1-4]\d\d$/);
      assert.match(r.name, /^[a-z]+(-[a-z]+)*$/, `${r.code} name is kebab-case`);
      assert.ok(!r.name.startsWith('no-'), `${r.code}: names describe the pattern, not a ban`);
      for (const a of r.aliases) assert.match(a, /^[A-Z]+\d+$/, `${r.code} alias ${a}`);
      assert.ok(r.summary.length > 20 && r.summary.length < 160, `${r.code} summary is one line`);
    }
  });

  it('keeps each rule in a file named after it', () => {
    for (const r of CATALOG) {
      const file = path.join(ROOT, 'src', 'rules', `${r.name}.ts`);
      assert.ok(fs.existsSync(file), `missing ${file}`);
      assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`code: '${r.code}'`), `${r.name}.ts defines ${r.code}`);
    }
  });

  it('gives every rule docs with the fixed headings, in order', () => {
    for (const r of CATALOG) {
      let last = -1;
      for (const h of HEADINGS) {
        const at = r.docs.indexOf(`${h}\n`);
        assert.ok(at > last, `${r.code} docs: "${h}" missing or out of order`);
        last = at;
      }
    }
  });

  it('has one-sentence messages', () => {
    for (const r of CATALOG) {
      for (const [id, text] of Object.entries(r.messages)) {
        if (id.startsWith('fix')) continue;
        assert.ok(/[.:]$/.test(text.trim()) || text.endsWith('.'), `${r.code}.${id} ends a sentence`);
        assert.ok(text.split(/[.!?](\s|$)/).filter((s) => s.trim().length > 1).length <= 2, `${r.code}.${id} is one sentence: ${text}`);
      }
    }
  });

  it('has fixtures for every Python rule', () => {
    for (const r of CATALOG.filter((x) => x.python)) {
      assert.ok(fs.existsSync(path.join(ROOT, 'test', 'fixtures', 'rules', r.name)), `missing fixtures for ${r.name}`);
    }
  });

  it('offers fixes exactly when it says it does', () => {
    for (const r of CATALOG.filter((x) => x.python)) {
      const dir = path.join(ROOT, 'test', 'fixtures', 'rules', r.name);
      const hasFixed = fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.fixed.py'));
      assert.equal(hasFixed, r.fixable !== 'never', `${r.code} fixable=${r.fixable} but fixed fixtures ${hasFixed ? 'exist' : 'are missing'}`);
    }
  });

  it('documentation examples fire and "use instead" examples do not', async () => {
    const parser = await loadParser();
    // Docs show current Python unless an example says otherwise with the fixtures' header
    // (`# asyncwise: target-version=3.7` on its first line).
    const settingsFor = (code: string, r: (typeof CATALOG)[number]) => {
      const target = /^#\s*asyncwise:.*target-version=(3\.\d+)/.exec(code)?.[1] ?? '3.13';
      return settings({ python: { targetVersion: target }, rules: { [r.code]: 'warning' } });
    };
    for (const r of CATALOG.filter((x) => x.python)) {
      const examples = codeBlocks(r.docs, 'Example', 'py');
      const better = codeBlocks(r.docs, 'Use instead', 'py');
      assert.ok(examples.length > 0 && better.length > 0, `${r.code} docs have py examples in both sections`);
      for (const code of examples) {
        const s = settingsFor(code, r);
        const a = analyzePython(parser, code, s, { rules: [r] });
        assert.ok(a.findings.length > 0, `${r.code} Example does not fire:\n${code}`);
        a.dispose();
      }
      for (const code of better) {
        const s = settingsFor(code, r);
        const a = analyzePython(parser, code, s, { rules: [r] });
        assert.deepEqual(a.findings.map((f) => f.message), [], `${r.code} "Use instead" fires:\n${code}`);
        a.dispose();
      }
    }
  });

  it('generated rule pages are current (npm run docs)', () => {
    for (const r of CATALOG) {
      const file = path.join(ROOT, 'docs', 'rules', `${r.name}.md`);
      assert.ok(fs.existsSync(file), `missing ${path.relative(ROOT, file)}: run npm run docs`);
      assert.equal(fs.readFileSync(file, 'utf8'), renderRuleDoc(r), `${path.relative(ROOT, file)} is stale: run npm run docs`);
    }
  });

  it('README rule table is current (npm run docs)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    assert.ok(start >= 0 && end > start, 'README has the rule table markers');
    assert.equal(readme.slice(start, end + TABLE_END.length), renderRuleTable(CATALOG), 'README rule table is stale: run npm run docs');
  });

  it('package.json settings match the parser', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const props = pkg.contributes.configuration.properties;
    assert.deepEqual(props['asyncwise.rules'].additionalProperties.enum, [...SEVERITIES]);
    for (const key of ['asyncwise.enable', 'asyncwise.python.enable', 'asyncwise.python.targetVersion', 'asyncwise.fix.allowUnsafe']) {
      assert.ok(props[key], `package.json contributes ${key}`);
    }
    // The default target, as the parser, the README and the CLI's --help say it.
    const target = DEFAULT_PYTHON_TARGET.join('.');
    const description: string = props['asyncwise.python.targetVersion'].markdownDescription;
    assert.match(description, new RegExp(`requires-python.*else ${target.replace('.', '\\.')}\\.$`), description);
    assert.doesNotMatch(description, /Unset means/);
    assert.match(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), new RegExp(`\\| \`asyncwise\\.python\\.targetVersion\` \\|.*else ${target.replace('.', '\\.')} \\|`));
    // "Fix all" in the command palette, for the languages asyncwise fixes.
    const fixAll = pkg.contributes.commands.find((c: { command: string }) => c.command === 'asyncwise.fixAll');
    assert.deepEqual(fixAll && { title: fixAll.title, category: fixAll.category }, { title: 'Fix All in This File', category: 'asyncwise' });
    const paletteWhen: string = pkg.contributes.menus.commandPalette.find((m: { command: string }) => m.command === 'asyncwise.fixAll')?.when ?? '';
    for (const language of ['python', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact']) assert.match(paletteWhen, new RegExp(`editorLangId == ${language}( |$)`), language);
    assert.deepEqual([...pkg.categories].sort(), ['Debuggers', 'Linters']);
    assert.ok(!pkg.activationEvents.includes('*'), 'no activation at *');
  });
});
