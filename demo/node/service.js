// A small order service that will not shut down. Run it under the debugger (Run and Debug → Node.js),
// open the Loop Inspector and send it SIGTERM (or just look): the panel shows why the process stays.
//
//   1. server.close() waits for the keep-alive connection the health checker holds open (a socket);
//   2. the metrics reporter's setInterval is never cleared (a ref'd timer);
//   3. shutdown() awaits the workers, and each worker is suspended in `await once(jobs, 'job')`
//      forever, because nothing emits a job once the server stops (suspended async functions, on
//      the exact await line, with a deep snapshot).
'use strict';
const http = require('node:http');
const { EventEmitter, once } = require('node:events');

const jobs = new EventEmitter();
const processed = [];

const server = http.createServer((req, res) => {
  if (req.url === '/order') jobs.emit('job', { at: Date.now() });
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true, processed: processed.length }));
});

async function worker(name) {
  for (;;) {
    const [job] = await once(jobs, 'job'); // the workers wait here for ever once traffic stops
    processed.push({ worker: name, job });
  }
}

function reportMetrics() {
  // A real service would push these somewhere; the interval keeps the process alive.
  return { processed: processed.length, memory: process.memoryUsage().rss };
}

const metrics = setInterval(reportMetrics, 1000);
const workers = ['worker-1', 'worker-2', 'worker-3'].map((name) => worker(name));

/** Keeps one keep-alive connection open, the way a load balancer's health checker does. */
function healthChecker(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const check = () => http.get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => res.resume());
  check();
  return setInterval(check, 5000);
}

async function shutdown() {
  console.log('shutting down…');
  server.close(() => console.log('server closed')); // waits for the keep-alive socket
  await Promise.all(workers); // never settles: the workers wait for jobs that never come
  clearInterval(metrics); // never reached
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`order service on http://127.0.0.1:${port}`);
  healthChecker(port);
});

process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
