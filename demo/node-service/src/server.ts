/**
 * The demo service's HTTP entry: `GET /export` runs the export, `GET /health` answers at once (unless
 * a blocking call holds the loop). Pitfalls: a request handler whose promise nobody awaits or catches,
 * a shutdown that swallows the abort, a polling loop.
 */
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportReports, loadOrders, loadPrices, readPricesAtStartup, type Uploader } from './reports';

const uploader: Uploader = {
  async upload(name, body) {
    console.log(`uploading ${name} (${body.length} bytes)`);
  },
};

let exporting = false;

async function handleExport(signal: AbortSignal): Promise<string> {
  const prices = await loadPrices();
  const orders = await loadOrders('orders.json');
  exporting = true;
  try {
    const count = await exportReports(orders, uploader, signal);
    return `exported ${count} reports with ${Object.keys(prices).length} prices`;
  } catch (error) {
    // Swallows the abort on shutdown along with every other failure.
    console.error('export failed', error);
    return 'export failed';
  } finally {
    exporting = false;
  }
}

/** Waits for a running export by polling the flag. */
async function drain(): Promise<void> {
  while (exporting) await sleep(100);
}

const controller = new AbortController();
console.log(`${Object.keys(readPricesAtStartup()).length} prices at start-up`);

const server = createServer((req, res) => {
  if (req.url === '/export') {
    handleExport(controller.signal).then((message) => res.end(message));
    return;
  }
  res.end('ok');
});

server.listen(Number(process.env.PORT ?? 8080));

process.once('SIGTERM', async () => {
  controller.abort();
  await drain();
  server.close();
});
