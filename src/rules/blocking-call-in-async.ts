/**
 * AW201 blocking-call-in-async: a call that blocks the thread (sleep, sync HTTP, subprocess, file
 * I/O, input, sockets and DNS, sync database drivers, thread locks, queues and futures) made directly
 * in a coroutine. While it runs, the event loop runs nothing else.
 */
import type { Node } from 'web-tree-sitter';
import { ancestors } from '../python/ancestors';
import type { TextEdit } from '../core/finding';
import type { FixSpec, PythonContext } from '../python/context';
import { asyncCalls, awaitReplacing, inGeneratorExpression, type AsyncCall } from '../python/calls';
import { Instances, type InstanceVocabulary } from '../python/instances';
import type * as ts from 'typescript';
import { walkTree } from '../typescript/walk';
import { formatMessage } from '../core/rule';
import type { TsContext, TsFixSpec } from '../typescript/context';
import { argumentsText, awaitReplacing as awaitReplacingTs } from '../typescript/edits';
import { quietGate } from '../typescript/entry';
import { stallsNoOtherTask } from '../python/entry';
import { defineRule } from './define';

export type Kind =
  | 'sleep' | 'http' | 'subprocess' | 'process' | 'spawn' | 'file' | 'filesystem' | 'input'
  | 'socket' | 'dns' | 'select' | 'db' | 'lock' | 'queue' | 'threadWait' | 'future';

const HTTP_VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request'];

/** Qualified callee → what kind of blocking it does. */
const BLOCKING = new Map<string, Kind>([
  ['time.sleep', 'sleep'],
  ...HTTP_VERBS.map((v): [string, Kind] => [`requests.${v}`, 'http']),
  ...HTTP_VERBS.map((v): [string, Kind] => [`requests.api.${v}`, 'http']),
  ...HTTP_VERBS.map((v): [string, Kind] => [`requests.Session.${v}`, 'http']),
  ['requests.Session.send', 'http'],
  ...[...HTTP_VERBS, 'stream'].map((v): [string, Kind] => [`httpx.${v}`, 'http']),
  ...[...HTTP_VERBS, 'send', 'stream'].map((v): [string, Kind] => [`httpx.Client.${v}`, 'http']),
  ['urllib.request.urlopen', 'http'],
  ['urllib.request.urlretrieve', 'http'],
  ['urllib.request.OpenerDirector.open', 'http'],
  ['urllib3.request', 'http'],
  ['subprocess.run', 'subprocess'],
  ['subprocess.call', 'subprocess'],
  ['subprocess.check_call', 'subprocess'],
  ['subprocess.check_output', 'subprocess'],
  ['subprocess.getoutput', 'subprocess'],
  ['subprocess.getstatusoutput', 'subprocess'],
  ['subprocess.Popen', 'process'],
  ['subprocess.Popen.wait', 'subprocess'],
  ['subprocess.Popen.communicate', 'subprocess'],
  ['os.system', 'subprocess'],
  ['os.popen', 'process'],
  ...['wait', 'waitpid', 'wait3', 'wait4', 'waitid'].map((f): [string, Kind] => [`os.${f}`, 'subprocess']),
  ...['posix_spawn', 'posix_spawnp', 'spawnl', 'spawnle', 'spawnlp', 'spawnlpe', 'spawnv', 'spawnve', 'spawnvp', 'spawnvpe'].map((f): [string, Kind] => [`os.${f}`, 'spawn']),
  ['builtins.open', 'file'],
  ['io.open', 'file'],
  ['codecs.open', 'file'],
  ['pathlib.Path.open', 'file'],
  ...['copy', 'copy2', 'copyfile', 'copyfileobj', 'copytree', 'move', 'rmtree', 'make_archive', 'unpack_archive'].map((f): [string, Kind] => [`shutil.${f}`, 'filesystem']),
  ['builtins.input', 'input'],
  ['socket.create_connection', 'socket'],
  ...['getaddrinfo', 'gethostbyname', 'gethostbyname_ex', 'gethostbyaddr', 'getnameinfo', 'getfqdn'].map((f): [string, Kind] => [`socket.${f}`, 'dns']),
  ['select.select', 'select'],
  ['sqlite3.connect', 'db'],
  ['psycopg2.connect', 'db'],
  ['pymysql.connect', 'db'],
  ['pymysql.Connect', 'db'],
  ['MySQLdb.connect', 'db'],
  ['concurrent.futures.wait', 'future'],
]);

/** Methods that do file I/O on a path object whatever its class (pathlib, zipfile.Path, importlib resources). */
const PATH_IO_METHODS = new Set(['read_text', 'write_text', 'read_bytes', 'write_bytes']);

/** No `to_thread` fix for these: moving only the call to a thread would not make the code async. */
const NO_THREAD_FIX = new Set(['builtins.open', 'io.open', 'codecs.open', 'pathlib.Path.open', 'subprocess.Popen', 'os.popen']);

/**
 * Types of the objects whose methods block, by what makes them. Annotations with these names count
 * too (`conn: sqlite3.Connection`). `redis.asyncio.Redis`, `aiosqlite.connect`, `asyncio.Lock`… are
 * deliberately absent: their methods are awaited.
 */
const FACTORIES = new Map<string, string>([
  ...['urllib3.PoolManager', 'urllib3.ProxyManager', 'urllib3.poolmanager.PoolManager', 'urllib3.HTTPConnectionPool', 'urllib3.HTTPSConnectionPool', 'urllib3.connection_from_url', 'urllib3.proxy_from_url'].map((f): [string, string] => [f, 'urllib3.PoolManager']),
  ...['http.client.HTTPConnection', 'http.client.HTTPSConnection'].map((f): [string, string] => [f, 'http.client.HTTPConnection']),
  ['http.client.HTTPResponse', 'http.client.HTTPResponse'],
  ...['socket.socket', 'socket.create_connection', 'socket.create_server', 'socket.fromfd', 'socket.SocketType'].map((f): [string, string] => [f, 'socket.socket']),
  ...['sqlite3.connect', 'sqlite3.Connection'].map((f): [string, string] => [f, 'sqlite3.Connection']),
  ['sqlite3.Cursor', 'sqlite3.Cursor'],
  ...['psycopg2.connect', 'psycopg2.extensions.connection'].map((f): [string, string] => [f, 'psycopg2.connection']),
  ['psycopg2.extensions.cursor', 'psycopg2.cursor'],
  ...['pymysql.connect', 'pymysql.Connect', 'pymysql.connections.Connection', 'MySQLdb.connect'].map((f): [string, string] => [f, 'pymysql.Connection']),
  ...['redis.Redis', 'redis.StrictRedis', 'redis.client.Redis', 'redis.client.StrictRedis', 'redis.from_url', 'redis.Redis.from_url', 'redis.StrictRedis.from_url'].map((f): [string, string] => [f, 'redis.Redis']),
  ...['threading.Lock', 'threading.RLock', 'multiprocessing.Lock', 'multiprocessing.RLock'].map((f): [string, string] => [f, 'threading.Lock']),
  ...['threading.Semaphore', 'threading.BoundedSemaphore', 'multiprocessing.Semaphore', 'multiprocessing.BoundedSemaphore'].map((f): [string, string] => [f, 'threading.Semaphore']),
  ...['threading.Condition', 'multiprocessing.Condition'].map((f): [string, string] => [f, 'threading.Condition']),
  ...['threading.Event', 'multiprocessing.Event'].map((f): [string, string] => [f, 'threading.Event']),
  ...['threading.Thread', 'threading.Timer', 'multiprocessing.Process'].map((f): [string, string] => [f, 'threading.Thread']),
  ['threading.Barrier', 'threading.Barrier'],
  ...['queue.Queue', 'queue.LifoQueue', 'queue.PriorityQueue', 'queue.SimpleQueue', 'multiprocessing.Queue', 'multiprocessing.JoinableQueue'].map((f): [string, string] => [f, 'queue.Queue']),
  ...['concurrent.futures.ThreadPoolExecutor', 'concurrent.futures.ProcessPoolExecutor', 'concurrent.futures.Executor'].map((f): [string, string] => [f, 'concurrent.futures.Executor']),
  ...['concurrent.futures.Future', 'asyncio.run_coroutine_threadsafe'].map((f): [string, string] => [f, 'concurrent.futures.Future']),
]);

const VOCABULARY: InstanceVocabulary = {
  factories: FACTORIES,
  returns: new Map([
    ['http.client.HTTPConnection.getresponse', 'http.client.HTTPResponse'],
    ...['cursor', 'execute', 'executemany', 'executescript'].map((m): [string, string] => [`sqlite3.Connection.${m}`, 'sqlite3.Cursor']),
    ...['execute', 'executemany', 'executescript'].map((m): [string, string] => [`sqlite3.Cursor.${m}`, 'sqlite3.Cursor']),
    ['psycopg2.connection.cursor', 'psycopg2.cursor'],
    ['pymysql.Connection.cursor', 'pymysql.Cursor'],
    ['redis.Redis.pipeline', 'redis.Pipeline'],
    ['redis.Redis.pubsub', 'redis.PubSub'],
    ['concurrent.futures.Executor.submit', 'concurrent.futures.Future'],
  ]),
  returnsPairOf: new Map([['socket.socket.accept', 'socket.socket']]),
};

/**
 * When a method call does not block after all: `lock.acquire(False)`, `q.get(block=False)`,
 * `event.wait(0)`, `fut.result(timeout=0)`. Each names the parameter (and its position) whose
 * `False`/`0` makes the call return at once.
 */
interface NonBlockingArg {
  readonly position: number;
  readonly keyword: string;
}
const NON_BLOCKING_ARGS: Record<string, readonly NonBlockingArg[]> = {
  acquire: [{ position: 0, keyword: 'blocking' }, { position: 1, keyword: 'timeout' }],
  get: [{ position: 0, keyword: 'block' }, { position: 1, keyword: 'timeout' }],
  put: [{ position: 1, keyword: 'block' }, { position: 2, keyword: 'timeout' }],
  wait: [{ position: 0, keyword: 'timeout' }],
  wait_for: [{ position: 1, keyword: 'timeout' }],
  join: [{ position: 0, keyword: 'timeout' }],
  result: [{ position: 0, keyword: 'timeout' }],
  exception: [{ position: 0, keyword: 'timeout' }],
  shutdown: [{ position: 0, keyword: 'wait' }],
  'select.select': [{ position: 3, keyword: 'timeout' }],
  'concurrent.futures.wait': [{ position: 1, keyword: 'timeout' }],
  // Module functions named like blocking methods never take these arguments.
  'os.wait': [],
};

const SOCKET_IO = ['connect', 'connect_ex', 'recv', 'recv_into', 'recvfrom', 'recvfrom_into', 'recvmsg', 'send', 'sendall', 'sendto', 'sendmsg', 'sendfile', 'accept'];
const SQL = ['execute', 'executemany', 'executescript', 'callproc', 'fetchone', 'fetchmany', 'fetchall', 'commit', 'rollback', 'copy_from', 'copy_to', 'copy_expert'];

/** `<type>.<method>` → what kind of blocking a method of a known instance does. */
const METHODS = new Map<string, Kind>([
  ...['request', 'urlopen', 'request_encode_url', 'request_encode_body'].map((m): [string, Kind] => [`urllib3.PoolManager.${m}`, 'http']),
  ...['request', 'getresponse', 'connect', 'endheaders', 'send'].map((m): [string, Kind] => [`http.client.HTTPConnection.${m}`, 'http']),
  ...['read', 'readline', 'readlines', 'readinto'].map((m): [string, Kind] => [`http.client.HTTPResponse.${m}`, 'http']),
  ...SOCKET_IO.map((m): [string, Kind] => [`socket.socket.${m}`, 'socket']),
  ...['sqlite3.Connection', 'sqlite3.Cursor', 'psycopg2.connection', 'psycopg2.cursor', 'pymysql.Connection', 'pymysql.Cursor'].flatMap((t) => SQL.map((m): [string, Kind] => [`${t}.${m}`, 'db'])),
  ['sqlite3.Connection.backup', 'db'],
  ['redis.Pipeline.execute', 'db'],
  ...['get_message', 'listen', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'].map((m): [string, Kind] => [`redis.PubSub.${m}`, 'db']),
  ['threading.Lock.acquire', 'lock'],
  ['threading.Semaphore.acquire', 'lock'],
  ['threading.Condition.acquire', 'lock'],
  ['threading.Condition.wait', 'threadWait'],
  ['threading.Condition.wait_for', 'threadWait'],
  ['threading.Event.wait', 'threadWait'],
  ['threading.Thread.join', 'threadWait'],
  ['threading.Barrier.wait', 'threadWait'],
  ['queue.Queue.get', 'queue'],
  ['queue.Queue.put', 'queue'],
  ['queue.Queue.join', 'queue'],
  ['concurrent.futures.Future.result', 'future'],
  ['concurrent.futures.Future.exception', 'future'],
  ['concurrent.futures.Executor.shutdown', 'future'],
]);

/** Every method of a sync Redis client is a network round trip, but these only build objects. */
const REDIS_LOCAL_METHODS = new Set(['pipeline', 'pubsub', 'lock', 'register_script', 'get_encoder', 'get_connection_kwargs', 'set_response_callback', 'monitor', 'client']);

/** Types whose lock a `with` statement takes. */
const LOCK_TYPES = new Set(['threading.Lock', 'threading.Semaphore', 'threading.Condition']);

/** The asyncio-native replacement each message names. */
const ALTERNATIVES: Record<string, string> = {
  sqlite3: '`aiosqlite`',
  psycopg2: '`asyncpg`, or psycopg 3\'s `AsyncConnection`',
  pymysql: '`aiomysql`',
  MySQLdb: '`aiomysql`',
  redis: '`redis.asyncio`',
  'threading.Lock': 'asyncio.Lock',
  'threading.Semaphore': 'asyncio.Semaphore',
  'threading.Condition': 'asyncio.Condition',
  'threading.Event': 'use `asyncio.Event` when the setter is a coroutine, or `await asyncio.to_thread(event.wait)`',
  'threading.Thread': 'run the work with `await asyncio.to_thread(…)` instead of a thread you join',
  'threading.Barrier': 'use `asyncio.Barrier` (3.11+) between coroutines',
  'threading.Condition.wait': 'use `asyncio.Condition` between coroutines',
  'threading.Condition.wait_for': 'use `asyncio.Condition` between coroutines',
};

/** Modules whose instances the method tables describe: without one imported, no method lookup runs. */
const INSTANCE_MODULES = ['urllib3', 'http', 'socket', 'sqlite3', 'psycopg2', 'pymysql', 'MySQLdb', 'redis', 'threading', 'multiprocessing', 'queue', 'concurrent'];

/** How AW201 classified a call: the kind, the name the message shows, and the alternative to name. */
interface Classified {
  readonly kind: Kind;
  readonly name?: string;
  readonly alternative?: string;
  readonly fix: 'sleep' | 'thread' | 'getaddrinfo' | 'wrapFuture' | 'none';
}

const rule = defineRule({
  code: 'AW201',
  name: 'blocking-call-in-async',
  languages: ['python', 'typescript'],
  severity: 'hint',
  inTests: false,
  aliases: ['ASYNC210', 'ASYNC211', 'ASYNC212', 'ASYNC220', 'ASYNC221', 'ASYNC222', 'ASYNC230', 'ASYNC250', 'ASYNC251'],
  fixable: 'sometimes',
  summary: 'A blocking call (sleep, sync HTTP, subprocess, file I/O, sockets, sync DB, thread locks and queues) inside a coroutine freezes the event loop.',
  messages: {
    sleep: '`{callee}()` blocks the event loop: no other task runs until the sleep ends.',
    http: '`{callee}()` blocks the event loop until the HTTP response arrives: every other task stalls meanwhile.',
    subprocess: '`{callee}()` blocks the event loop until the process exits.',
    process: '`{callee}()` starts a process with blocking pipes: reading or waiting on it blocks the event loop; use `asyncio.create_subprocess_exec`.',
    spawn: '`{callee}()` starts a process synchronously, and waiting for it blocks the event loop; use `asyncio.create_subprocess_exec`.',
    file: '`{callee}()` does blocking file I/O on the event loop thread.',
    filesystem: '`{callee}()` does blocking file-system work on the event loop thread, for every file it copies, moves, archives or deletes.',
    input: '`{callee}()` blocks the event loop until the user types a line.',
    socket: '`{callee}()` does blocking socket I/O on the event loop thread until the peer answers; use `asyncio.open_connection` streams, or `loop.sock_*` on a non-blocking socket.',
    dns: '`{callee}()` is a blocking DNS lookup on the event loop thread; use `await loop.getaddrinfo(…)`.',
    select: '`{callee}()` blocks the event loop until a descriptor is ready; let the loop watch it with `loop.add_reader`/`add_writer`, or use streams.',
    db: '`{callee}()` waits for the database on the event loop thread; use an async driver ({alternative}) or run it in a worker thread.',
    lock: '`{callee}()` blocks the event loop while another thread holds the lock; use `{alternative}` if only coroutines share it.',
    lockHeldAcrossAwait: '`with {callee}:` holds a thread lock across an `await`, so a second task taking it on this loop blocks the only thread that could release it (a deadlock); use `async with` on an `{alternative}`.',
    queue: '`{callee}()` blocks the event loop until the queue has an item or room; use `asyncio.Queue`, or `get_nowait`/`put_nowait`.',
    threadWait: '`{callee}()` blocks the event loop until another thread acts; {alternative}.',
    future: '`{callee}()` blocks the event loop until another thread or process finishes the work; `await asyncio.wrap_future(…)` instead.',
    fixSleep: 'Replace with `await asyncio.sleep(…)`',
    fixThread: 'Run in a worker thread with `{runner}`',
    fixGetaddrinfo: 'Replace with `await loop.getaddrinfo(…)`',
    fixWrapFuture: 'Replace with `await asyncio.wrap_future(…)`',
    compute: '`{callee}()` runs CPU-heavy work on the event loop thread: no other callback runs until it finishes.',
    atomicsWait: '`{callee}()` blocks the event loop thread until another thread notifies it.',
    busyWait: 'This loop spins on the clock until the time passes, blocking the event loop; `await` a timer instead.',
    fixPromises: 'Replace with `await {replacement}(…)`',
    fixPromisify: 'Replace with the promisified `{replacement}`',
  },
  docs: `## What it does
Flags calls that block the calling thread made directly inside an \`async def\`:

- sleeping and input: \`time.sleep\`, \`input\`;
- synchronous HTTP: \`requests\`, \`httpx\` without \`Async\`, \`urllib.request.urlopen\`, \`urllib3\`
  (\`urllib3.request\`, \`PoolManager().request\`/\`urlopen\`), \`http.client\` (\`HTTPConnection(...).request\`,
  \`getresponse\`, reading the response);
- processes: \`subprocess\`, \`os.system\`, \`os.popen\`, \`os.posix_spawn*\`, \`os.spawn*\`, \`os.wait*\` (not
  with \`os.WNOHANG\`);
- files: \`open\`, \`io.open\`, \`Path.read_text\`/\`write_text\`/\`read_bytes\`/\`write_bytes\`/\`open\`, and the
  \`shutil\` copies, moves, archives and \`rmtree\`;
- sockets and DNS: \`socket.create_connection\`, \`getaddrinfo\`, \`gethostbyname(_ex)\`, \`gethostbyaddr\`,
  \`getnameinfo\`, \`getfqdn\`, and \`connect\`/\`recv\`/\`send\`/\`sendall\`/\`accept\`… on a socket the code made
  (not after \`sock.setblocking(False)\`), \`select.select\` (not with a zero timeout);
- sync database drivers: \`sqlite3\`, \`psycopg2\`, \`pymysql\`: connecting, and \`execute\`/\`fetch*\`/\`commit\`
  on connections and cursors made from them; every command of a sync \`redis.Redis\`/\`StrictRedis\`
  client and its pipelines (\`redis.asyncio\` is left alone);
- waiting on threads: \`acquire()\` on a \`threading\` \`Lock\`/\`RLock\`/\`Semaphore\`/\`Condition\` the code
  made, and \`with lock:\` on one when the block awaits (the lock is held across a suspension),
  \`queue.Queue().get/put/join\`, \`threading.Event().wait\`, \`Thread.join\`, \`Barrier.wait\`,
  \`Future.result()\`/\`exception()\` on a future from \`executor.submit(...)\` or
  \`asyncio.run_coroutine_threadsafe\`, \`executor.shutdown()\`, \`concurrent.futures.wait\`.

Methods count only on objects whose origin the file shows (made by the constructor or factory, or
annotated with its class); a name bound to several things is left alone. Non-blocking forms are not
flagged: \`acquire(False)\`, \`get(block=False)\`, \`get_nowait()\`, \`wait(0)\`, \`result(timeout=0)\`,
\`shutdown(wait=False)\`. A \`with lock:\` block with no await inside is left alone: it is a constant-time
section guarding state shared with other threads, and the loop waits at most for another thread's
equally short section. Calls in a nested sync \`def\`, \`lambda\` or class body are not flagged, nor are
awaited calls (\`await path.read_text()\` on an async path library, \`await redis.get(k)\` on an async client).
Code that has no other task to stall is left alone too:
- the program's entry coroutine before its first await: \`asyncio.run(main())\` (or
  \`run_until_complete\`, \`anyio.run\`, \`trio.run\`) in the same module starts a loop whose only task is
  \`main\`, so a blocking call there (reading a config or credentials file at start-up) stalls nobody;
- after that, a call at the top level of the entry coroutine (inside \`if\`/\`try\`/\`with\` blocks, but not
  a loop or an open \`async with\`, whose connection or server may run tasks of its own) when nothing
  started earlier in its body may still be running: no \`create_task\`/\`ensure_future\`, task group,
  nursery, server (\`start_server\`, \`create_server\`, \`serve\`), connection (\`connect\`,
  \`open_connection\`: a client often runs a reader or keepalive task), \`subscribe\`, \`call_soon\`/\`call_later\`
  or \`add_reader\` before it, nor in a function of the file it calls there. Awaited work that finished
  (\`await asyncio.gather(…)\`, a query) does not count: a script that writes its report after its
  concurrent phase stalls nobody. The test is by name and errs towards flagging;
- a server's startup hook, under the same conditions: Sanic \`@app.before_server_start\`,
  \`@app.main_process_start\`, \`@app.listener("before_server_start")\`, aiohttp \`app.on_startup.append(f)\`,
  Starlette/FastAPI \`on_startup=[f]\`, \`add_event_handler("startup", f)\`, \`@app.on_event("startup")\`. It
  runs before the server accepts connections, so it stalls no traffic (compiling assets, loading a model).

In TypeScript and JavaScript, inside an \`async\` function (any import spelling of the module:
\`node:\` prefix, default, namespace and named imports, \`require\`):

- \`fs\` \`*Sync\` calls (the metadata ones, \`existsSync\`/\`statSync\`/\`lstatSync\`/\`accessSync\`, are AW203's hints);
- \`child_process\` \`execSync\`/\`execFileSync\`/\`spawnSync\`;
- \`zlib\` \`*Sync\`, \`crypto\` \`pbkdf2Sync\`/\`scryptSync\`/\`generateKeyPairSync\`/\`generatePrimeSync\`;
- \`Atomics.wait\`, and busy-wait loops on \`Date.now()\`/\`performance.now()\` with no \`await\` in them.

A function of the file's own that happens to share a name (\`function readFileSync() {}\`) is not
flagged, nor are these calls in sync code (a CLI script may block as it likes). Left alone as in
Python: a script's entry function (an \`async\` function the file calls at its top level: \`main()\`,
\`main().catch(…)\`, \`void main()\`, \`await main()\`, also under a top-level \`if\`) until it starts
work that runs on without being awaited (\`listen\`, \`createServer\`, \`setInterval\`, \`connect\`,
\`spawn\`…, or a promise kept unawaited): its loop has nothing else to run, so a release script's
\`execSync('git …')\` stalls nobody.

**A hint by default** (faint dots in the editor; the CLI reports it with \`--hints\` or when the rule
is named). On the ecosystem check ([docs/ecosystem.md](../ecosystem.md)) it was right 12 times, wrong
twice and debatable 6 times in 20 Python findings, and debatable in all 16 TS/JS ones: in libraries and
tools, blocking calls sit mostly in one-shot scripts, examples and start-up code where nothing else runs
on the loop, or block on purpose. Turn it on (\`[tool.asyncwise.rules] blocking-call-in-async =
"warning"\`, \`--select AW201\`) for a server or a bot: there every sync call in a request or task path
stalls every other client.

## Why is this bad?
A coroutine runs on the event loop's only thread. While a blocking call waits, no other task runs:
requests time out, heartbeats stop, and a \`time.sleep(5)\` in one handler stalls every connection for
five seconds. A thread lock is worse: if a task holds it across an \`await\` and a second task on the
same loop tries to take it, the loop thread blocks waiting for a release only the first task could
make, and the whole process deadlocks.

## Example
\`\`\`py
import time
import requests

async def poll(url):
    while True:
        data = requests.get(url, timeout=5).json()
        time.sleep(10)
\`\`\`
\`\`\`ts
import * as fs from 'node:fs';

export async function handler(path: string): Promise<string> {
  return fs.readFileSync(path, 'utf8');
}
\`\`\`

## Use instead
\`\`\`py
import asyncio
import httpx

async def poll(url):
    async with httpx.AsyncClient() as client:
        while True:
            data = (await client.get(url, timeout=5)).json()
            await asyncio.sleep(10)
\`\`\`
\`\`\`ts
import * as fs from 'node:fs';

export async function handler(path: string): Promise<string> {
  return await fs.promises.readFile(path, 'utf8');
}
\`\`\`

The asyncio-native replacements: \`asyncio.Lock\`/\`Semaphore\`/\`Condition\`/\`Event\`/\`Queue\`, \`aiosqlite\`,
\`asyncpg\`, \`aiomysql\`, \`redis.asyncio\`, \`loop.getaddrinfo\`, \`asyncio.open_connection\`,
\`asyncio.create_subprocess_exec\`, \`asyncio.wrap_future\`.

## Fix safety
\`time.sleep(x)\` → \`await asyncio.sleep(x)\` is safe: the coroutine still waits as long, and only lets
other tasks run meanwhile. \`socket.getaddrinfo(host, port, …)\` → \`await loop.getaddrinfo(host, port, …)\`
is safe: asyncio runs the same lookup in its default executor and returns the same list.
\`future.result()\` → \`await asyncio.wrap_future(future)\` is unsafe: cancelling the waiting task now
cancels the future too. Running another call in a worker thread with \`await asyncio.to_thread(f, …)\`
(\`loop.run_in_executor\` before Python 3.9) is unsafe: the call then runs on another thread, which
matters for objects bound to a thread (some client sessions). \`import asyncio\` is added when the
file lacks it. No fix is offered for \`open()\` and \`Popen\` (moving only the call to a thread would
leave the reads and waits that follow blocking), for \`sqlite3\` (a connection refuses use from another
thread), for sockets, \`select\` and thread locks (the real fix is the asyncio API, and an \`RLock\` must be
released by the thread that took it).
In TS/JS, \`fs.readFileSync(…)\` → \`await fs.promises.readFile(…)\` (or the \`node:fs/promises\` import the file
already has) is safe: same arguments, same result, and the file is read off the loop thread.
\`execSync(…)\` → \`(await promisify(exec)(…)).stdout\` is unsafe: the output becomes a string by default
rather than a Buffer, and a failing command rejects with a differently shaped error.
`,
  typescriptNeeds: ['async'],
  typescript(ctx) {
    detectTypeScript(ctx);
  },
  python(ctx) {
    const calls = asyncCalls(ctx);
    const instances = importsAny(ctx, INSTANCE_MODULES) ? new Instances(ctx, VOCABULARY) : undefined;
    for (const c of calls) {
      if (c.awaited || stallsNoOtherTask(ctx, c.call)) continue;
      const found = classifyCall(ctx, c, instances);
      if (!found) continue;
      ctx.report(c.call, found.kind, { callee: found.name ?? displayName(c), alternative: found.alternative ?? '' }, fixesFor(ctx, c, found));
    }
    if (instances && importsAny(ctx, ['threading', 'multiprocessing'])) reportHeldLocks(ctx, instances);
  },
});
export default rule;

/**
 * AW201's classification of a call known only by name, for rules that follow calls through helper
 * functions (AW202): `qualifiedName` when the callee resolves, `method` alone for a method called on
 * a receiver of unknown type (never `self`). Wraps `classify`, which reads only `name`, `method` and
 * `receiver` of the call.
 */
export function blockingKind(qualifiedName: string | undefined, method?: string): Kind | undefined {
  return classify({ name: qualifiedName, method, receiver: method ? UNKNOWN_RECEIVER : undefined } as AsyncCall);
}

/** Stands for a receiver expression that is neither `self` nor `cls`. */
const UNKNOWN_RECEIVER = { type: 'expression', text: '' } as unknown as Node;

function classify(c: AsyncCall, typedMethods = true): Kind | undefined {
  if (c.name) {
    const kind = BLOCKING.get(c.name);
    if (kind) return kind;
  }
  if (c.name && typedMethods) {
    // A method of a known instance, by name only (AW202 asks this way): the unconditional ones.
    const dot = c.name.lastIndexOf('.');
    const type = FACTORIES.get(c.name.slice(0, dot)) ?? c.name.slice(0, dot);
    const method = c.name.slice(dot + 1);
    const byType = METHODS.get(`${type}.${method}`);
    if (byType && !NON_BLOCKING_ARGS[method] && !(byType === 'socket')) return byType;
  }
  if (c.method && PATH_IO_METHODS.has(c.method) && c.receiver) {
    // `self.read_text()` is the class's own method, not a path's.
    if (c.receiver.type === 'identifier' && (c.receiver.text === 'self' || c.receiver.text === 'cls')) return undefined;
    return 'file';
  }
  return undefined;
}

/** The full classification of a call in a coroutine: by name, then as a method of a known instance. */
function classifyCall(ctx: PythonContext, c: AsyncCall, instances: Instances | undefined): Classified | undefined {
  const byName = c.name ? BLOCKING.get(c.name) : undefined;
  if (byName && c.name) {
    if (nonBlockingCall(c, c.name)) return undefined;
    const module = c.name.split('.')[0];
    return {
      kind: byName,
      alternative: ALTERNATIVES[module],
      fix: byName === 'sleep' ? 'sleep' : c.name === 'socket.getaddrinfo' ? 'getaddrinfo' : NO_THREAD_FIX.has(c.name) || byName === 'spawn' || byName === 'select' || module === 'sqlite3' ? 'none' : 'thread',
    };
  }
  if (instances && c.method && c.receiver) {
    const type = instances.typeOf(c.receiver);
    if (type) {
      const kind = METHODS.get(`${type}.${c.method}`) ?? (type === 'redis.Redis' && !REDIS_LOCAL_METHODS.has(c.method) && !c.method.startsWith('_') ? 'db' : undefined);
      if (kind && !nonBlockingCall(c, c.method) && !(kind === 'socket' && madeNonBlocking(ctx, c.receiver))) {
        const module = type.split('.')[0];
        const noThread = kind === 'socket' || kind === 'lock' || module === 'sqlite3';
        return {
          kind,
          name: `${type === 'socket.socket' ? 'socket' : type.split('.').pop()}.${c.method}`,
          alternative: ALTERNATIVES[`${type}.${c.method}`] ?? ALTERNATIVES[type] ?? ALTERNATIVES[module],
          fix: kind === 'future' && c.method === 'result' ? 'wrapFuture' : noThread ? 'none' : 'thread',
        };
      }
    }
  }
  // The instance tables were consulted above, with stricter typing than the name carries.
  const kind = classify(c, false);
  return kind ? { kind, fix: c.name && NO_THREAD_FIX.has(c.name) ? 'none' : kind === 'sleep' ? 'sleep' : 'thread' } : undefined;
}

function importsAny(ctx: PythonContext, modules: readonly string[]): boolean {
  for (const q of ctx.names.imports.values()) {
    const top = q.split('.')[0];
    if (modules.includes(top)) return true;
  }
  return false;
}

const FALSY = new Set(['False', '0', '0.0', 'None']);

/**
 * `method` is a method name or a qualified function name (looked up first as is).
 * `lock.acquire(False)`, `q.get(block=False)`, `event.wait(timeout=0)`, `select.select(r, w, x, 0)`,
 * `os.waitpid(pid, os.WNOHANG)`: forms that return at once. `None` counts only where it means
 * "no wait" (never for a timeout, where it means "forever").
 */
function nonBlockingCall(c: AsyncCall, method: string): boolean {
  if (/^os\.wait/.test(method) && /\bWNOHANG\b/.test(c.args.text)) return true;
  const rules = NON_BLOCKING_ARGS[method] ?? NON_BLOCKING_ARGS[method.split('.').pop()!];
  if (!rules) return false;
  const args = c.args.namedChildren.filter((a): a is Node => a !== null && a.type !== 'comment');
  // A `*args`/`**kwargs` could carry anything.
  if (args.some((a) => a.type === 'list_splat' || a.type === 'dictionary_splat')) return false;
  for (const rule of rules) {
    const isTimeout = rule.keyword === 'timeout';
    const keyword = args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === rule.keyword);
    const value = keyword ? keyword.childForFieldName('value') : args[rule.position]?.type === 'keyword_argument' ? undefined : args[rule.position];
    if (!value) continue;
    const text = value.text.trim();
    if (isTimeout ? text === '0' || text === '0.0' : FALSY.has(text) && text !== 'None') return true;
  }
  return false;
}

/** `sock.setblocking(False)` / `sock.settimeout(0)` on the same receiver in the same function (or class, for `self.x`). */
function madeNonBlocking(ctx: PythonContext, receiver: Node): boolean {
  const fn = ctx.scopes.functionAt(receiver.startIndex);
  let scope: Node = fn ? fn.node : ctx.root;
  if (receiver.type === 'attribute') {
    for (let s = ctx.scopes.at(receiver.startIndex); s; s = s.parent) if (s.kind === 'class') { scope = s.node; break; }
  }
  const escaped = receiver.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${escaped}\\s*\\.\\s*(setblocking\\(\\s*(False|0)\\s*\\)|settimeout\\(\\s*0(\\.0)?\\s*\\))`).test(scope.text);
}

const WITH_ITEMS = '(with_statement (with_clause (with_item value: (_) @value)) body: (block) @body) @with';

/** `with lock:` on a thread lock the file made, in a coroutine (not `async with`), held across an await point. */
function reportHeldLocks(ctx: PythonContext, instances: Instances): void {
  for (const match of ctx.matchesInAsync(WITH_ITEMS)) {
    const statement = match.captures.find((c) => c.name === 'with')?.node;
    let value = match.captures.find((c) => c.name === 'value')?.node;
    const body = match.captures.find((c) => c.name === 'body')?.node;
    if (!statement || !value || !body || !ctx.isAsync(statement) || statement.child(0)?.type === 'async') continue;
    if (value.type === 'as_pattern') value = value.namedChild(0) ?? value;
    const type = instances.typeOf(value);
    if (!type || !LOCK_TYPES.has(type)) continue;
    // Without a suspension inside, the block is a constant-time section guarding state shared with
    // other threads: the loop waits at most for another thread's equally short section.
    if (!ctx.hasAwaitPoint(body)) continue;
    const callee = value.text.length <= 40 ? value.text : `….${value.text.split('.').pop()}`;
    ctx.report(value, 'lockHeldAcrossAwait', { callee, alternative: ALTERNATIVES[type] });
  }
}

function displayName(c: AsyncCall): string {
  if (c.name?.startsWith('builtins.')) return c.name.slice('builtins.'.length);
  if (c.receiverType && c.method) return `${c.receiverType.split('.').pop()}.${c.method}`;
  if (!c.name && c.method) return `.${c.method}`;
  return c.callee.text.length <= 40 ? c.callee.text : (c.name ?? c.callee.text.slice(0, 40));
}


function fixesFor(ctx: PythonContext, c: AsyncCall, found: Classified): FixSpec[] {
  // An `await` inside a generator expression would turn it into an async generator.
  if (inGeneratorExpression(ctx, c.call)) return [];
  const argList = c.args.text.slice(1, -1);
  const positional = c.args.namedChildren.filter((a) => a && a.type !== 'comment');
  if (found.fix === 'getaddrinfo') return getaddrinfoFix(ctx, c);
  if (found.fix === 'wrapFuture') return wrapFutureFix(ctx, c);
  if (found.fix === 'sleep') {
    if (positional.length !== 1 || positional[0]!.type === 'keyword_argument' || positional[0]!.type.includes('splat')) return [];
    const sleep = ctx.spell('asyncio.sleep');
    return [{
      title: rule.messages.fixSleep,
      safety: 'safe',
      edits: [...sleep.edits, { start: c.call.startIndex, end: c.call.endIndex, newText: awaitReplacing(c.call, `${sleep.text}(${argList.trim()})`) }],
    }];
  }
  if (found.fix !== 'thread') return [];
  if (inWithItem(c.call)) return [];
  const fn = c.callee.text;
  const args = argList.trim().replace(/,\s*$/, '');
  const edits: TextEdit[] = [];
  let replacement: string;
  let runner: string;
  if (ctx.targetAtLeast(3, 9)) {
    const toThread = ctx.spell('asyncio.to_thread');
    edits.push(...toThread.edits);
    replacement = `${toThread.text}(${fn}${args ? `, ${args}` : ''})`;
    runner = 'asyncio.to_thread';
  } else {
    const loop = ctx.spell('asyncio.get_running_loop');
    edits.push(...loop.edits);
    const hasKeywords = positional.some((a) => a!.type === 'keyword_argument' || a!.type === 'dictionary_splat');
    replacement = hasKeywords
      ? `${loop.text}().run_in_executor(None, lambda: ${c.call.text})`
      : `${loop.text}().run_in_executor(None, ${fn}${args ? `, ${args}` : ''})`;
    runner = 'loop.run_in_executor';
  }
  edits.push({ start: c.call.startIndex, end: c.call.endIndex, newText: awaitReplacing(c.call, replacement) });
  return [{ title: rule.messages.fixThread.replace('{runner}', runner), safety: 'unsafe', edits }];
}

function inWithItem(call: Node): boolean {
  for (const n of ancestors(call)) {
    if (n.type === 'with_item') return true;
    if (n.type.endsWith('statement') || n.type === 'block') return false;
  }
  return false;
}

const GETADDRINFO_KEYWORDS = ['family', 'type', 'proto', 'flags'];

/** `socket.getaddrinfo(h, p, fam)` → `await asyncio.get_running_loop().getaddrinfo(h, p, family=fam)`. */
function getaddrinfoFix(ctx: PythonContext, c: AsyncCall): FixSpec[] {
  const args = c.args.namedChildren.filter((a): a is Node => a !== null && a.type !== 'comment');
  if (args.some((a) => a.type === 'list_splat' || a.type === 'dictionary_splat')) return [];
  const positional = args.filter((a) => a.type !== 'keyword_argument');
  const keywords = args.filter((a) => a.type === 'keyword_argument');
  if (positional.length < 2 || positional.length > 6) return [];
  // The loop's method takes family/type/proto/flags by keyword only.
  const parts = [positional[0].text, positional[1].text, ...positional.slice(2).map((a, i) => `${GETADDRINFO_KEYWORDS[i]}=${a.text}`), ...keywords.map((k) => k.text)];
  const loop = ctx.spell('asyncio.get_running_loop');
  return [{
    title: rule.messages.fixGetaddrinfo,
    safety: 'safe',
    edits: [...loop.edits, { start: c.call.startIndex, end: c.call.endIndex, newText: awaitReplacing(c.call, `${loop.text}().getaddrinfo(${parts.join(', ')})`) }],
  }];
}

/** `future.result()` → `await asyncio.wrap_future(future)` (no arguments: a timeout needs `wait_for`). */
function wrapFutureFix(ctx: PythonContext, c: AsyncCall): FixSpec[] {
  if (!c.receiver || c.args.namedChildren.some((a) => a && a.type !== 'comment')) return [];
  const wrap = ctx.spell('asyncio.wrap_future');
  return [{
    title: rule.messages.fixWrapFuture,
    safety: 'unsafe',
    edits: [...wrap.edits, { start: c.call.startIndex, end: c.call.endIndex, newText: awaitReplacing(c.call, `${wrap.text}(${c.receiver.text})`) }],
  }];
}

// ---------------------------------------------------------------------------------------------
// TS/JS detector

/** `fs` members without a `fs.promises` twin of the same name (they work on descriptors). */
const FS_NO_PROMISES = new Set(['openSync', 'closeSync', 'readSync', 'writeSync', 'fstatSync', 'fsyncSync', 'fdatasyncSync', 'ftruncateSync', 'futimesSync', 'fchmodSync', 'fchownSync', 'readvSync', 'writevSync', 'existsSync', 'watchFile']);
/** AW203's hints: cheap metadata calls. */
export const TS_CHEAP_FS = new Set(['existsSync', 'statSync', 'lstatSync', 'accessSync']);
const CRYPTO_BLOCKING = new Set(['pbkdf2Sync', 'scryptSync', 'generateKeyPairSync', 'generatePrimeSync', 'generateKeySync', 'checkPrimeSync']);
const PROCESS_BLOCKING = new Set(['execSync', 'execFileSync', 'spawnSync']);

interface TsBlocking {
  readonly kind: 'file' | 'subprocess' | 'compute' | 'atomicsWait';
  readonly module: string;
  readonly member: string;
}

/** AW201's classification of a resolved TS/JS callee (`fs.readFileSync`), shared with AW203. */
export function classifyTsCall(qualified: string | undefined): TsBlocking | undefined {
  if (!qualified) return undefined;
  const dot = qualified.lastIndexOf('.');
  if (dot < 0) return undefined;
  const module = qualified.slice(0, dot);
  const member = qualified.slice(dot + 1);
  if (module === 'fs' && member.endsWith('Sync') && !TS_CHEAP_FS.has(member)) return { kind: 'file', module, member };
  if (module === 'child_process' && PROCESS_BLOCKING.has(member)) return { kind: 'subprocess', module, member };
  if (module === 'zlib' && member.endsWith('Sync')) return { kind: 'compute', module, member };
  if (module === 'crypto' && CRYPTO_BLOCKING.has(member)) return { kind: 'compute', module, member };
  if (qualified === 'Atomics.wait') return { kind: 'atomicsWait', module, member };
  return undefined;
}

const CLOCKS = new Set(['Date.now', 'performance.now', 'perf_hooks.performance.now']);

function detectTypeScript(ctx: TsContext): void {
  const ts = ctx.ts;
  for (const fn of ctx.asyncFunctionList()) {
    // A script's entry function before it starts anything that runs on: nothing else to stall.
    const quiet = quietGate(ctx, fn);
    ctx.walkOwn(fn, (n) => {
      if (quiet(n)) return;
      if (ts.isCallExpression(n)) {
        const found = classifyTsCall(ctx.resolve(n.expression));
        if (found) ctx.report(n, found.kind, { callee: ctx.textOf(n.expression), alternative: '' }, tsFixes(ctx, n, found));
      } else if ((ts.isWhileStatement(n) || ts.isDoStatement(n) || ts.isForStatement(n))) {
        const condition = ts.isForStatement(n) ? n.condition : n.expression;
        if (condition && readsClock(ctx, condition) && !ctx.hasAwait(n.statement)) ctx.report(condition, 'busyWait');
      }
    });
  }
}

/** Whether an expression calls `Date.now()`, `performance.now()` or builds a `new Date()`. */
function readsClock(ctx: TsContext, expr: ts.Node): boolean {
  const ts = ctx.ts;
  let found = false;
  const visit = (n: ts.Node): boolean | void => {
    if (found) return false;
    if (ts.isCallExpression(n) && CLOCKS.has(ctx.resolve(n.expression) ?? '')) found = true;
    else if (ts.isNewExpression(n) && ctx.resolve(n.expression) === 'Date' && (n.arguments?.length ?? 0) === 0) found = true;
    else return true;
    return false;
  };
  walkTree(expr, visit);
  return found;
}

function tsFixes(ctx: TsContext, call: ts.CallExpression, found: TsBlocking): TsFixSpec[] {
  if (found.module === 'fs' && found.kind === 'file' && !FS_NO_PROMISES.has(found.member)) {
    const name = found.member.slice(0, -'Sync'.length);
    const replacement = ctx.spellMember('fs.promises', name) ?? (ctx.spellModule('fs') ? `${ctx.spellModule('fs')}.promises.${name}` : undefined);
    if (!replacement) return [];
    return [{ title: formatMessage(rule.messages.fixPromises, { replacement }), safety: 'safe', edits: [awaitReplacingTs(ctx, call, `${replacement}(${argumentsText(ctx, call)})`)] }];
  }
  if (found.module === 'child_process' && (found.member === 'execSync' || found.member === 'execFileSync')) {
    const asyncName = found.member.slice(0, -'Sync'.length);
    const target = ctx.spellMember('child_process', asyncName);
    if (!target) return [];
    const edits: TextEdit[] = [];
    let promisify = ctx.spellMember('util', 'promisify');
    if (!promisify) {
      if (/\bpromisify\b/.test(ctx.text)) return [];
      promisify = 'promisify';
      edits.push(ctx.importEdit(`import { promisify } from 'node:util';`, `const { promisify } = require('node:util');`));
    }
    const invoked = `${promisify}(${target})(${argumentsText(ctx, call)})`;
    const resultUsed = !ctx.ts.isExpressionStatement(call.parent);
    edits.push(resultUsed ? { start: ctx.start(call), end: call.end, newText: `(await ${invoked}).stdout` } : awaitReplacingTs(ctx, call, invoked));
    return [{ title: formatMessage(rule.messages.fixPromisify, { replacement: `${promisify}(${target})` }), safety: 'unsafe', edits }];
  }
  return [];
}
