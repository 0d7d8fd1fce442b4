/**
 * Writes the files of a git snapshot (the search tool's `fetch` puts them in
 * /work/.mirror/<owner>+<name>/repo) at a commit into a folder, for the benchmarks that run on real
 * projects (bench/ecosystem.ts, bench/peers.ts). Reads blobs with one `git cat-file --batch`:
 * `git archive` fails on snapshots that lack large files; a blob missing from the snapshot is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Whether the snapshot holds `commit` (a commit id or `HEAD`). */
export function hasCommit(gitDir: string, commit: string): boolean {
  return fs.existsSync(gitDir) && spawnSync('git', ['--git-dir', gitDir, 'cat-file', '-e', `${commit}^{commit}`]).status === 0;
}

/** Writes every regular file of `commit` that `keep(path, bytes)` accepts under `dir` (emptied first). */
export function writeSnapshot(gitDir: string, commit: string, dir: string, keep: (file: string, bytes: number) => boolean): void {
  fs.rmSync(dir, { recursive: true, force: true });
  const listing = execFileSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', '-l', '-z', commit], { maxBuffer: 1 << 28 }).toString('utf8');
  const entries: { object: string; file: string }[] = [];
  for (const record of listing.split('\0')) {
    const match = /^(\d+) blob ([0-9a-f]+)\s+(\d+|-)\t(.*)$/s.exec(record);
    // Symbolic links are left out (they may point outside the folder).
    if (!match || match[1] === '120000') continue;
    const [, , object, size, file] = match;
    if (keep(file, Number(size))) entries.push({ object, file });
  }
  const batch = spawnSync('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { input: entries.map((e) => e.object).join('\n') + '\n', maxBuffer: 1 << 30 });
  const out = batch.stdout;
  let offset = 0;
  for (const entry of entries) {
    const headerEnd = out.indexOf(0x0a, offset);
    const header = out.subarray(offset, headerEnd).toString('utf8');
    offset = headerEnd + 1;
    const parts = header.split(' ');
    if (parts[1] === 'missing') continue;
    const size = Number(parts[2]);
    const body = out.subarray(offset, offset + size);
    offset += size + 1;
    const target = path.join(dir, entry.file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, body);
  }
}
