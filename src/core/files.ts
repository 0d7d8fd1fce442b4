/**
 * Reading files that may not be files: a path found in a walk or named in a repository can be a
 * FIFO, a socket or a device (or a symlink to one), and opening a FIFO for reading blocks until
 * someone writes to it. Only regular files are opened.
 */
import * as fs from 'node:fs';

export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
  constructor(readonly file: string) {
    super(`${file}: not a regular file`);
  }
}

/** O_NONBLOCK where the platform has it: opening a FIFO swapped in after the stat then returns at once. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/**
 * Opens `file` for reading only if it is a regular file (symlinks followed), checked both before
 * the open (so a FIFO is never opened) and on the descriptor (so the file read is the file
 * checked). Throws `NotRegularFileError` or the system error. The caller closes the descriptor.
 */
export function openRegularFile(file: string): { fd: number; stat: fs.Stats } {
  if (!fs.statSync(fsPath(file)).isFile()) throw new NotRegularFileError(file);
  const fd = fs.openSync(fsPath(file), OPEN_FLAGS);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new NotRegularFileError(file);
    return { fd, stat };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** The content of a regular file; throws `NotRegularFileError` for anything else (see `openRegularFile`). */
export function readRegularFile(file: string): Buffer;
export function readRegularFile(file: string, encoding: 'utf8'): string;
export function readRegularFile(file: string, encoding?: 'utf8'): Buffer | string {
  const { fd } = openRegularFile(file);
  try {
    const data = fs.readFileSync(fd);
    return encoding ? data.toString(encoding) : data;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * File names that are not UTF-8. Paths are strings everywhere (reports, workers, the cache), and a
 * name with bytes that are not UTF-8 would decode to U+FFFD: a path that does not exist. So such a
 * byte is kept as a lone surrogate, U+DC80 + (byte - 0x80), as Python's `surrogateescape` does:
 * valid UTF-8 never decodes to a lone surrogate, and `fsPath` turns the string back into the exact
 * bytes for the file system. Printed, the surrogate shows as U+FFFD.
 */
export function decodeFileName(name: Buffer): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const n = utf8SequenceLength(name, i);
    if (n > 0) {
      out += name.toString('utf8', i, i + n);
      i += n;
    } else {
      out += String.fromCharCode(0xdc00 + name[i]);
      i++;
    }
  }
  return out;
}

/** `p` as the file system needs it: the string itself, or its exact bytes when it holds escaped ones. */
export function fsPath(p: string): string | Buffer {
  if (!/[\uDC80-\uDCFF]/.test(p)) return p;
  const parts: Buffer[] = [];
  let run = '';
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    const pairedLow = i > 0 && c >= 0xdc00 && c <= 0xdfff && p.charCodeAt(i - 1) >= 0xd800 && p.charCodeAt(i - 1) <= 0xdbff;
    if (c >= 0xdc80 && c <= 0xdcff && !pairedLow) {
      parts.push(Buffer.from(run, 'utf8'), Buffer.from([c - 0xdc00]));
      run = '';
    } else run += p[i];
  }
  parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

/** The length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function utf8SequenceLength(b: Buffer, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (k: number) => i + k < b.length && (b[i + k] & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1];
    // Overlong forms and UTF-16 surrogates are not UTF-8.
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 >= 0xa0)) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1];
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 >= 0x90)) return 0;
    return 4;
  }
  return 0;
}
