// The first bytes of a file as text: enough to find nbdev's cell markers without reading a whole module.
import { open } from 'node:fs/promises';

const HEAD_BYTES = 64 * 1024;

/** Null when the file is gone (an atomic write's temporary file, a deletion) or cannot be read. */
export async function readHead(path: string, bytes = HEAD_BYTES): Promise<string | null> {
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}
