/**
 * `npm run docs`: writes docs/rules/<name>.md for every rule and the README rule table.
 * `--check` writes nothing and exits 1 when a generated file is out of date (CI).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CATALOG } from '../core/catalog';
import { renderRuleDoc, updateReadme } from './renderDocs';

function main(): number {
  const check = process.argv.includes('--check');
  const root = process.cwd();
  const stale: string[] = [];
  const write = (file: string, text: string) => {
    const full = path.join(root, file);
    const current = fs.existsSync(full) ? fs.readFileSync(full, 'utf8') : undefined;
    if (current === text) return;
    stale.push(file);
    if (!check) {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, text);
    }
  };
  for (const rule of CATALOG) write(path.join('docs', 'rules', `${rule.name}.md`), renderRuleDoc(rule));
  write('README.md', updateReadme(fs.readFileSync(path.join(root, 'README.md'), 'utf8'), CATALOG));
  if (check && stale.length) {
    console.error(`out of date (run npm run docs): ${stale.join(', ')}`);
    return 1;
  }
  console.log(stale.length ? `updated ${stale.join(', ')}` : 'docs are up to date');
  return 0;
}

process.exitCode = main();
