/**
 * The shared cancellation analysis (src/python/handlers.ts): which clause receives a
 * CancelledError, and the exact set of ways each handler body can end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineIndex } from '../../src/core/finding';
import { PythonContext } from '../../src/python/context';
import { cancellationHandlers, suppressedCancellations } from '../../src/python/handlers';
import { loadParser, settings } from './helpers';

async function withContext<T>(source: string, target: string, fn: (ctx: PythonContext) => T): Promise<T> {
  const parser = await loadParser();
  const tree = parser.parse(source);
  try {
    const ctx = new PythonContext(parser, tree, source, new LineIndex(source), settings({ python: { targetVersion: target } }));
    return fn(ctx);
  } finally {
    tree.delete();
  }
}

/** The outcomes of the single cancellation handler in `body` (indented under `except <clause>:`). */
async function outcomes(clause: string, body: string, target = '3.11'): Promise<string[]> {
  const source = `import asyncio\nasync def f(items):\n    for item in items:\n        try:\n            await item\n        except ${clause}:\n${body
    .trim()
    .split('\n')
    .map((l) => `            ${l}`)
    .join('\n')}\n`;
  return withContext(source, target, (ctx) => {
    const handlers = cancellationHandlers(ctx);
    assert.equal(handlers.length, 1, `one handler in:\n${source}`);
    return [...handlers[0].outcomes.keys()].sort();
  });
}

describe('cancellation handlers: outcomes', () => {
  it('falls through, re-raises, or both', async () => {
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'pass'), ['fallthrough']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'log()\nraise'), ['reraise']);
    assert.deepEqual(await outcomes('asyncio.CancelledError as e', 'if x:\n    raise e\nlog()'), ['fallthrough', 'reraise']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'if x:\n    raise\nelif y:\n    raise\nelse:\n    raise'), ['reraise']);
  });

  it('tells local jumps from jumps out of the handler', async () => {
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'continue'), ['continue']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'break'), ['break']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'for p in ps:\n    if p:\n        break\n    continue\nraise'), ['reraise']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'while True:\n    if done():\n        raise'), ['reraise']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'while True:\n    if done():\n        break\nraise'), ['reraise']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'while pending():\n    step()\nelse:\n    raise'), ['reraise']);
  });

  it('separates bare returns, returned values and other exceptions', async () => {
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'return'), ['return']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'return None'), ['return']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'return 0'), ['returnValue']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'raise RuntimeError("x") from None'), ['raiseOther']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'raise asyncio.CancelledError()'), ['reraise']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'raise SystemExit(1)'), ['exit']);
  });

  it('follows nested try statements, including a finally that overrides', async () => {
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'try:\n    close()\nexcept OSError:\n    raise\nraise'), ['propagate', 'reraise']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'try:\n    raise\nfinally:\n    return 1'), ['returnValue']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'try:\n    close()\nfinally:\n    raise'), ['reraise']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'try:\n    close()\nexcept OSError:\n    pass\nelse:\n    raise'), ['fallthrough', 'reraise']);
  });

  it('uses isinstance tests on the caught exception', async () => {
    assert.deepEqual(await outcomes('BaseException as e', 'if isinstance(e, asyncio.CancelledError):\n    raise\nlog()'), ['reraise']);
    assert.deepEqual(await outcomes('BaseException as e', 'if not isinstance(e, Exception):\n    raise\nlog()'), ['reraise']);
    assert.deepEqual(await outcomes('BaseException as e', 'if isinstance(e, MyError):\n    raise\nlog()'), ['fallthrough', 'reraise']);
  });

  it('knows which match statements are exhaustive', async () => {
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'match k:\n    case 1:\n        raise\n    case _:\n        raise'), ['reraise']);
    assert.deepEqual(await outcomes('asyncio.CancelledError', 'match k:\n    case 1:\n        raise\n    case other if other:\n        raise'), ['fallthrough', 'reraise']);
  });
});

describe('cancellation handlers: which clause receives the CancelledError', () => {
  const source = (clauses: string) => `import asyncio\nasync def f():\n    try:\n        await g()\n${clauses}`;

  it('is the first clause that catches it', async () => {
    const text = source('    except ValueError:\n        pass\n    except asyncio.CancelledError:\n        raise\n    except BaseException:\n        pass\n');
    const found = await withContext(text, '3.11', (ctx) => cancellationHandlers(ctx).map((h) => [h.caught, h.catches]));
    assert.deepEqual(found, [['except asyncio.CancelledError', 'cancellation']]);
  });

  it('includes except Exception only before 3.8, and concurrent.futures.CancelledError with it', async () => {
    const text = source('    except Exception:\n        pass\n');
    assert.equal(await withContext(text, '3.11', (ctx) => cancellationHandlers(ctx).length), 0);
    assert.equal(await withContext(text, '3.7', (ctx) => cancellationHandlers(ctx)[0]?.catches), 'broad');
    const futures = `import concurrent.futures\n${source('    except concurrent.futures.CancelledError:\n        pass\n')}`;
    assert.equal(await withContext(futures, '3.11', (ctx) => cancellationHandlers(ctx).length), 0);
    assert.equal(await withContext(futures, '3.7', (ctx) => cancellationHandlers(ctx)[0]?.catches), 'cancellation');
  });

  it('needs an await point in the try body of an async function', async () => {
    const noAwait = 'import asyncio\nasync def f():\n    try:\n        g()\n    except BaseException:\n        pass\n';
    const sync = 'import asyncio\ndef f():\n    try:\n        g()\n    except BaseException:\n        pass\n';
    assert.equal(await withContext(noAwait, '3.11', (ctx) => cancellationHandlers(ctx).length), 0);
    assert.equal(await withContext(sync, '3.11', (ctx) => cancellationHandlers(ctx).length), 0);
  });

  it('marks the cancelled-child idiom as deliberate only after a cancel of the same task or a stop call', async () => {
    const child = (before: string) => `import asyncio\nasync def f(task, other):\n${before}    try:\n        await task\n    except asyncio.CancelledError:\n        pass\n`;
    assert.equal(await withContext(child('    task.cancel()\n'), '3.11', (ctx) => cancellationHandlers(ctx)[0].deliberate), true);
    assert.equal(await withContext(child('    other.cancel()\n'), '3.11', (ctx) => cancellationHandlers(ctx)[0].deliberate), false);
    assert.equal(await withContext(child(''), '3.11', (ctx) => cancellationHandlers(ctx)[0].deliberate), false);
    // A call that stops things (and may cancel the task inside) before the wait is the same idiom.
    assert.equal(await withContext(child('    await other.close()\n'), '3.11', (ctx) => cancellationHandlers(ctx)[0].deliberate), true);
    assert.equal(await withContext(child('    other.closed_count()\n'), '3.11', (ctx) => cancellationHandlers(ctx)[0].deliberate), false);
  });

  it('finds contextlib.suppress of cancellation around an await', async () => {
    const text = 'import asyncio\nfrom contextlib import suppress\nasync def f(t):\n    with suppress(asyncio.CancelledError):\n        await t\n    with suppress(ValueError):\n        await t\n';
    assert.deepEqual(await withContext(text, '3.11', (ctx) => suppressedCancellations(ctx).map((s) => s.caught)), ['suppress(asyncio.CancelledError)']);
  });
});
