// Reads git's index file (versions 2, 3 and 4) without a git process: each tracked path's blob id and stat data.

/** What git recorded for one tracked file when it last wrote or refreshed it. */
export interface IndexEntry {
  /** The blob's SHA-1, hex. */
  readonly blob: string;
  readonly mtimeSeconds: number;
  readonly mtimeNanoseconds: number;
  readonly size: number;
  readonly ino: number;
  /** The path has unmerged stages (a conflict): git wrote it, not a student. */
  readonly conflicted: boolean;
}

export type IndexRead = { ok: true; entries: Map<string, IndexEntry> } | { ok: false; reason: string };

const HEADER_BYTES = 12;
const ENTRY_FIXED_BYTES = 62;
const EXTENDED_FLAG = 0x4000;
const NAME_MASK = 0x0fff;

/** git's offset varint (used by index version 4 for the bytes to drop from the previous path). */
function readOffsetVarint(buffer: Buffer, start: number): { value: number; next: number } {
  let position = start;
  let byte = buffer[position++] ?? 0;
  let value = byte & 0x7f;
  while (byte & 0x80) {
    value += 1;
    byte = buffer[position++] ?? 0;
    value = (value << 7) + (byte & 0x7f);
  }
  return { value, next: position };
}

/** Parses an index file's bytes; a split index (`link` extension) or an unknown version is reported, not guessed. */
export function parseIndex(buffer: Buffer): IndexRead {
  if (buffer.length < HEADER_BYTES || buffer.toString('latin1', 0, 4) !== 'DIRC') return { ok: false, reason: 'not a git index' };
  const version = buffer.readUInt32BE(4);
  if (version < 2 || version > 4) return { ok: false, reason: `index version ${version} is not supported` };
  const count = buffer.readUInt32BE(8);
  const entries = new Map<string, IndexEntry>();
  let offset = HEADER_BYTES;
  let previousPath = '';
  for (let index = 0; index < count; index++) {
    if (offset + ENTRY_FIXED_BYTES > buffer.length) return { ok: false, reason: 'the index ends inside an entry' };
    const flags = buffer.readUInt16BE(offset + 60);
    const extended = version >= 3 && (flags & EXTENDED_FLAG) !== 0;
    const nameStart = offset + ENTRY_FIXED_BYTES + (extended ? 2 : 0);
    let path: string;
    let next: number;
    if (version === 4) {
      const { value: drop, next: suffixStart } = readOffsetVarint(buffer, nameStart);
      const end = buffer.indexOf(0, suffixStart);
      if (end < 0) return { ok: false, reason: 'the index ends inside a path' };
      path = previousPath.slice(0, previousPath.length - drop) + buffer.toString('utf8', suffixStart, end);
      next = end + 1;
    } else {
      const length = flags & NAME_MASK;
      const end = length < NAME_MASK ? nameStart + length : buffer.indexOf(0, nameStart);
      if (end < 0 || end > buffer.length) return { ok: false, reason: 'the index ends inside a path' };
      path = buffer.toString('utf8', nameStart, end);
      // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes from their start.
      next = offset + ((end - offset + 8) & ~7);
    }
    const stage = (flags >> 12) & 3;
    const entry: IndexEntry = {
      blob: buffer.toString('hex', offset + 40, offset + 60),
      mtimeSeconds: buffer.readUInt32BE(offset + 8),
      mtimeNanoseconds: buffer.readUInt32BE(offset + 12),
      ino: buffer.readUInt32BE(offset + 28),
      size: buffer.readUInt32BE(offset + 36),
      conflicted: stage !== 0,
    };
    if (stage === 0 || !entries.has(path)) entries.set(path, entry);
    previousPath = path;
    offset = next;
  }
  // Extensions follow the entries: a split index keeps most entries in another file.
  while (offset + 8 <= buffer.length - 20) {
    const signature = buffer.toString('latin1', offset, offset + 4);
    if (signature === 'link') return { ok: false, reason: 'a split index is not supported' };
    offset += 8 + buffer.readUInt32BE(offset + 4);
  }
  return { ok: true, entries };
}
