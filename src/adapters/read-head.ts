// The first bytes of a file as text: enough to find nbdev's cell markers without reading a whole module.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

const HEAD_BYTES = 64 * 1024;

/**
 * Opened without blocking and without following a symlink: a FIFO named `x.py` would otherwise hold a thread of
 * libuv's pool until a writer comes, and five of them stall every file operation of the process.
 */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/**
 * Null when the file is gone (an atomic write's temporary file, a deletion), cannot be read, or is not a regular
 * file (a FIFO, a socket, a device, a symlink). A Buffer path reaches a name that is not UTF-8.
 */
export async function readHead(path: string | Buffer, bytes = HEAD_BYTES): Promise<string | null> {
  const handle = await open(path, READ_FLAGS).catch(() => null);
  if (!handle) return null;
  try {
    if (!(await handle.stat()).isFile()) return null;
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}
