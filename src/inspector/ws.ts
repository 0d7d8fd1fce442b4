/**
 * A minimal WebSocket client (RFC 6455), enough for a CDP session: text messages, fragmentation,
 * ping/pong, close. Node 20 has no stable global WebSocket and the inspector protocol needs nothing
 * more, so this avoids a runtime dependency in the VSIX. Client frames are masked as the RFC requires;
 * server frames are not.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A CDP message larger than this is surely a bug (a heap snapshot arrives in many small chunks). */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export class WebSocketClient {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private fragments: Buffer[] = [];
  private closed = false;
  private readonly messageListeners: ((text: string) => void)[] = [];
  private readonly closeListeners: ((reason: string) => void)[] = [];

  private constructor(private readonly socket: Socket, head: Buffer) {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.receive(data));
    socket.on('error', (e) => this.finish(`socket error: ${e.message}`));
    socket.on('close', () => this.finish('connection closed'));
    if (head.length) this.receive(head);
  }

  /** Opens `ws://host:port/path`; rejects when the handshake fails or takes longer than `timeoutMs`. */
  static connect(url: string, timeoutMs = 5000): Promise<WebSocketClient> {
    const target = new URL(url);
    if (target.protocol !== 'ws:') return Promise.reject(new Error(`unsupported WebSocket URL ${url} (only ws:)`));
    const key = crypto.randomBytes(16).toString('base64');
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: Number(target.port || 80),
        path: target.pathname + target.search,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key },
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`WebSocket handshake with ${url} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('upgrade', (res, socket, head) => {
        clearTimeout(timer);
        const expected = crypto.createHash('sha1').update(key + GUID).digest('base64');
        if (res.headers['sec-websocket-accept'] !== expected) {
          socket.destroy();
          reject(new Error(`WebSocket handshake with ${url}: bad Sec-WebSocket-Accept`));
          return;
        }
        resolve(new WebSocketClient(socket, head));
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        res.resume();
        reject(new Error(`WebSocket handshake with ${url} refused: HTTP ${res.statusCode}`));
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`WebSocket connection to ${url} failed: ${e.message}`));
      });
      req.end();
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  onMessage(listener: (text: string) => void): void {
    this.messageListeners.push(listener);
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closed) listener('connection closed');
    else this.closeListeners.push(listener);
  }

  send(text: string): void {
    if (this.closed) throw new Error('WebSocket is closed');
    this.socket.write(frame(0x1, Buffer.from(text, 'utf8')));
  }

  close(): void {
    if (this.closed) return;
    try {
      this.socket.write(frame(0x8, Buffer.from([0x03, 0xe8]))); // 1000 normal closure
      this.socket.end();
    } catch {
      // Already gone: nothing to tell the peer.
    }
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.finish('closed by us');
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const listener of this.closeListeners.splice(0)) {
      try {
        listener(reason);
      } catch {
        // A listener's bug must not stop the others.
      }
    }
  }

  private receive(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    while (!this.closed && this.buffered >= 2) {
      const header = this.peek(Math.min(this.buffered, 14));
      if (header.length < 2) return;
      const fin = (header[0] & 0x80) !== 0;
      const opcode = header[0] & 0x0f;
      const masked = (header[1] & 0x80) !== 0;
      let length = header[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (header.length < 4) return;
        length = header.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (header.length < 10) return;
        length = Number(header.readBigUInt64BE(2));
        offset = 10;
      }
      if (length > MAX_MESSAGE_BYTES) {
        this.finish(`WebSocket frame too large (${length} bytes)`);
        return;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (this.buffered < offset + length) return;
      const whole = this.take(offset + length);
      const payload = whole.subarray(offset);
      if (masked) {
        const mask = whole.subarray(maskOffset, maskOffset + 4);
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      }
      this.handleFrame(fin, opcode, payload);
    }
  }

  private handleFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x0: // continuation
      case 0x1: // text
      case 0x2: // binary
        this.fragments.push(Buffer.from(payload));
        if (fin) {
          const message = Buffer.concat(this.fragments).toString('utf8');
          this.fragments = [];
          for (const listener of this.messageListeners) listener(message);
        }
        return;
      case 0x8:
        this.finish('closed by the peer');
        return;
      case 0x9:
        this.socket.write(frame(0xa, payload));
        return;
      default:
        return; // pong and reserved opcodes carry nothing for us
    }
  }

  /** The first `n` buffered bytes without consuming them. */
  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    return Buffer.concat(this.chunks, this.buffered).subarray(0, n);
  }

  private take(n: number): Buffer {
    let out: Buffer;
    if (this.chunks[0].length >= n) {
      out = this.chunks[0].subarray(0, n);
    } else {
      const all = Buffer.concat(this.chunks, this.buffered);
      this.chunks.length = 0;
      this.chunks.push(all);
      out = all.subarray(0, n);
    }
    const rest = this.chunks[0].subarray(n);
    if (rest.length) this.chunks[0] = rest;
    else this.chunks.shift();
    this.buffered -= n;
    return out;
  }
}

/** A single masked client frame. */
function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + 4);
  header[0] = 0x80 | opcode;
  if (lengthBytes === 0) header[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = crypto.randomBytes(4);
  mask.copy(header, 2 + lengthBytes);
  const body = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([header, body]);
}
