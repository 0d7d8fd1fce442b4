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
  if (!fs.statSync(file).isFile()) throw new NotRegularFileError(file);
  const fd = fs.openSync(file, OPEN_FLAGS);
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
