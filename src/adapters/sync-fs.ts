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
export const readFile = async (path: string, encoding: 'utf8'): Promise<string> => fs.readFileSync(path, encoding);
export const readlink = async (path: string): Promise<string> => fs.readlinkSync(path);
export const rename = async (from: string, to: string): Promise<void> => fs.renameSync(from, to);
export const rmdir = async (path: string): Promise<void> => fs.rmdirSync(path);
export const stat = async (path: string): Promise<fs.Stats> => fs.statSync(path);
export const unlink = async (path: string): Promise<void> => fs.unlinkSync(path);
export const writeFile = async (path: string, data: string | Uint8Array): Promise<void> => fs.writeFileSync(path, data);

/** fsync in the thread pool: the one call here that may take long. */
export const fsyncAsync = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())));
