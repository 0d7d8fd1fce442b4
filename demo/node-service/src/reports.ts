/**
 * Builds the nightly order export: reads the price list and the orders, renders a CSV per customer
 * and uploads it. Written the way such code often is, with the event-loop pitfalls asyncwise flags
 * beside the idioms it must leave alone.
 */
import * as fs from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

export interface Order {
  readonly id: string;
  readonly customer: string;
  readonly total: number;
}

export interface Uploader {
  upload(name: string, body: Buffer, signal?: AbortSignal): Promise<void>;
}

const PRICE_LIST = process.env.PRICE_LIST ?? 'prices.json';

/** Price list for one request: a blocking read on the event loop while every other request waits. */
export async function loadPrices(): Promise<Record<string, number>> {
  const raw = fs.readFileSync(PRICE_LIST, 'utf8');
  return JSON.parse(raw) as Record<string, number>;
}

/** The orders already use the promise API: nothing to flag. */
export async function loadOrders(file: string): Promise<Order[]> {
  return JSON.parse(await readFile(file, 'utf8')) as Order[];
}

function toCsv(orders: readonly Order[]): string {
  return ['id,customer,total', ...orders.map((o) => `${o.id},${o.customer},${o.total.toFixed(2)}`)].join('\n');
}

/** One upload per customer, awaited one after another, and compression on the loop thread. */
export async function exportReports(orders: readonly Order[], uploader: Uploader, signal: AbortSignal): Promise<number> {
  const byCustomer = new Map<string, Order[]>();
  for (const order of orders) byCustomer.set(order.customer, [...(byCustomer.get(order.customer) ?? []), order]);
  let uploaded = 0;
  for (const [customer, own] of byCustomer) {
    const body = gzipSync(toCsv(own));
    await uploader.upload(`${customer}.csv.gz`, body);
    uploaded++;
  }
  if (signal.aborted) return uploaded;
  await writeFile('last-export.txt', new Date().toISOString());
  return uploaded;
}

/** Called at start-up, before the server listens: blocking is fine there. */
export function readPricesAtStartup(): Record<string, number> {
  return JSON.parse(fs.readFileSync(PRICE_LIST, 'utf8')) as Record<string, number>;
}
