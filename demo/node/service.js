// A small order service that will not shut down. Run it under the debugger (Run and Debug → Node.js),
// open the Loop Inspector and send it SIGTERM (or just look): the panel shows why the process stays.
//
//   1. server.close() stops accepting connections but waits for the open ones to finish, and the
//      dashboard's live feed (GET /events, a response that never ends) is one: shutdown() forgets to
//      end it (an open socket). Idle keep-alive connections would not hold it: since Node 19
//      server.close() closes those itself.
//   2. the metrics reporter's setInterval is never cleared (a ref'd timer);
//   3. shutdown() awaits the workers, and each worker is suspended in `await once(jobs, 'job')`
//      forever, because nothing emits a job once the server stops (suspended async functions, on
//      the exact await line, with a deep snapshot);
//   4. the session cache's pruner is a setInterval whose handle is dropped: nothing can ever clear
//      it (AW306 interval-never-cleared finds it in the source).
// The panel's Shutdown button sends the SIGTERM and lists what keeps the process alive, each with
// its line and, where one applies, the static rule that would have caught it.
'use strict';
const http = require('node:http');
const { EventEmitter, once } = require('node:events');

const jobs = new EventEmitter();
const processed = [];
/** The open /events responses: each one a connection server.close() waits for. */
const feeds = new Set();

const server = http.createServer((req, res) => {
  if (req.url === '/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': connected\n\n');
    feeds.add(res);
    req.on('close', () => feeds.delete(res));
    return; // the response stays open: every processed job is pushed to it
  }
  if (req.url === '/order') jobs.emit('job', { at: Date.now() });
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true, processed: processed.length }));
});

async function worker(name) {
  for (;;) {
    const [job] = await once(jobs, 'job'); // the workers wait here for ever once traffic stops
    processed.push({ worker: name, job });
    for (const feed of feeds) feed.write(`data: ${JSON.stringify({ worker: name, at: job.at })}\n\n`);
  }
}

function reportMetrics() {
  // A real service would push these somewhere; the interval keeps the process alive.
  return { processed: processed.length, memory: process.memoryUsage().rss };
}

const metrics = setInterval(reportMetrics, 1000);

const sessions = new Map();
function startSessionPruner() {
  setInterval(() => { for (const [id, at] of sessions) if (Date.now() - at > 60_000) sessions.delete(id); }, 30_000); // its handle is dropped
}
startSessionPruner();
const workers = ['worker-1', 'worker-2', 'worker-3'].map((name) => worker(name));

// The service's clients, simulated in this process to keep the demo one file. They stand for other
// machines, so their side never keeps this process alive (unref'd sockets and timer): what holds it
// is the service's own side of each connection, and its own timers and awaits.

/** A dashboard in a browser tab, following the live feed. */
function dashboard(port) {
  const req = http.get({ host: '127.0.0.1', port, path: '/events' }, (res) => res.resume());
  req.on('socket', (socket) => socket.unref());
  req.on('error', (error) => console.log(`dashboard: ${error.message}`));
}

/** A load balancer's health checker: a keep-alive connection, a probe every 5 s, failures logged. */
function healthChecker(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const check = () =>
    http
      .get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => res.resume())
      .on('socket', (socket) => socket.unref())
      .on('error', (error) => console.log(`health check failed: ${error.code ?? error.message}`)); // once the server stops listening
  check();
  return setInterval(check, 5000).unref();
}

async function shutdown() {
  console.log('shutting down…');
  server.close(() => console.log('server closed')); // waits for the dashboard's feed, never ended
  await Promise.all(workers); // never settles: the workers wait for jobs that never come
  clearInterval(metrics); // never reached
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`order service on http://127.0.0.1:${port}`);
  dashboard(port);
  healthChecker(port);
});

process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
