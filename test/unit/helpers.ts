/** Shared by the unit tests: the loaded parser, the repository root, settings with overrides. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CATALOG } from '../../src/core/catalog';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from '../../src/core/settings';
import { PythonParser } from '../../src/python/parser';

export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src', 'core'))) return dir;
    if (dir === path.dirname(dir)) throw new Error('repository root not found');
  }
}

export function loadParser(): Promise<PythonParser> {
  return PythonParser.load();
}

export function settings(partial: unknown = {}): Settings {
  const warnings: string[] = [];
  const s = parseSettings(partial, CATALOG, (w) => warnings.push(w), DEFAULT_SETTINGS);
  if (warnings.length) throw new Error(`bad test settings: ${warnings.join('; ')}`);
  return s;
}

export const UPDATE = process.env.ASYNCWISE_UPDATE === '1';
