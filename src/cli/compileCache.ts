/**
 * Loads a large CommonJS module (the `typescript` package: 9 MB of JavaScript) with V8's code cache,
 * kept in the temporary folder between runs, as Node 22's `module.enableCompileCache()` does for
 * every module (not in Node 20). Without it every CLI process and worker thread compiles the file
 * again before its first parse: ~70 ms to load it and ~50 ms more of lazily compiled parser functions
 * on the first files (fastify, 285 files: 830 → 730 ms of CPU for load + parse).
 *
 * The cache is V8's own data: V8 checks it against the source and its own version and flags, and
 * rejects what does not match (then the module is compiled as usual and the cache written anew). It
 * is not the results cache (`--no-cache` leaves this one alone: it never changes a result).
 * Any failure falls back to a plain `require`.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { isMainThread } from 'node:worker_threads';

/** Modules loaded here, by resolved path: one instance per file, as `require` gives. */
const loaded = new Map<string, unknown>();

/** `ASYNCWISE_COMPILE_CACHE=0` turns it off (for measuring, or a read-only temporary folder). */
function enabled(): boolean {
  return process.env.ASYNCWISE_COMPILE_CACHE !== '0';
}

function cacheFile(file: string, stat: fs.Stats): string {
  const key = createHash('sha256').update(`${file}\0${stat.size}\0${stat.mtimeMs}\0${process.version}\0${process.arch}`).digest('hex').slice(0, 32);
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : 'user';
  return path.join(os.tmpdir(), `asyncwise-compile-cache-${user}`, `${key}.bin`);
}

/** `require(file)` through V8's code cache (file: an absolute path to a CommonJS module). */
export function requireWithCodeCache(file: string): unknown {
  if (loaded.has(file)) return loaded.get(file);
  const plain = () => createRequire(file)(file);
  if (!enabled()) return plain();
  let exports: unknown;
  try {
    const stat = fs.statSync(file);
    const cache = cacheFile(file, stat);
    let cachedData: Buffer | undefined;
    try {
      cachedData = fs.readFileSync(cache);
    } catch {
      cachedData = undefined;
    }
    const wrapper = `(function (exports, require, module, __filename, __dirname) { ${fs.readFileSync(file, 'utf8')}\n});`;
    const script = new vm.Script(wrapper, { filename: file, cachedData });
    const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
    (script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: unknown, f: string, d: string) => void).call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
    module.loaded = true;
    exports = module.exports;
    if ((!cachedData || script.cachedDataRejected) && isMainThread) {
      // Written at exit, so the functions compiled lazily during the run (the parser's) are in it too.
      process.once('exit', () => {
        try {
          fs.mkdirSync(path.dirname(cache), { recursive: true });
          const temp = `${cache}.${process.pid}.tmp`;
          fs.writeFileSync(temp, script.createCachedData());
          fs.renameSync(temp, cache);
        } catch {
          // A temporary folder that cannot be written: the next run compiles again.
        }
      });
    }
  } catch {
    exports = plain();
  }
  loaded.set(file, exports);
  return exports;
}
