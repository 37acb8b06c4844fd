// The file-system calls of the progress file's write path and of its lock: synchronous underneath, behind the promise
// API (a failure is still a rejection). One call on a small local file takes microseconds; a trip through libuv's
// thread pool costs more CPU than that, and on a loaded machine each trip waits for the scheduler twice. About 35 such
// trips made an unlocking checkExport cost ~6 ms of daemon CPU. fsync alone stays in the thread pool (`fsyncAsync`):
// a slow disk must not stall the daemon's other sessions.
import * as fs from 'node:fs';

export const access = async (path: string, mode?: number): Promise<void> => fs.accessSync(path, mode);
export const link = async (existing: string, path: string): Promise<void> => fs.linkSync(existing, path);
export const lstat = async (path: string): Promise<fs.Stats> => fs.lstatSync(path);
export const mkdir = async (path: string): Promise<void> => void fs.mkdirSync(path);
export const readdir = async (path: string): Promise<string[]> => fs.readdirSync(path);
export const readFile = async (path: string, encoding: 'utf8'): Promise<string> => readFileNow(path).toString(encoding);
export const readlink = async (path: string): Promise<string> => fs.readlinkSync(path);
export const rename = async (from: string, to: string): Promise<void> => fs.renameSync(from, to);
export const rmdir = async (path: string): Promise<void> => fs.rmdirSync(path);
export const stat = async (path: string): Promise<fs.Stats> => fs.statSync(path);
export const unlink = async (path: string): Promise<void> => fs.unlinkSync(path);
export const writeFile = async (path: string, data: string | Uint8Array): Promise<void> => fs.writeFileSync(path, data);

/**
 * The whole file, opened without blocking: a FIFO put at the path is empty (or an error), never a read that waits for
 * a writer with the event loop held (before, it held a thread-pool thread for good, and the call with it).
 */
export function readFileNow(path: string): Buffer {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync in the thread pool: the one call here that may take long. */
export const fsyncAsync = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())));
