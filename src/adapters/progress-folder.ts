// Refuses a progress file whose folder other users can write to: they could swap the file or its lock under us.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { SettingError } from '../../protocol/plain.js';
import { progressFolderSharedText, progressFolderStickyText } from '../core/messages.js';
import type { Logger } from '../ports.js';

const OTHERS_WRITE = 0o002;
const STICKY = 0o1000;
const warned = new Set<string>();

/** Throws SettingError for a world-writable folder without the sticky bit; warns once per folder when it has one (/tmp). */
export function checkProgressFolder(progressFile: string, logger: Logger): void {
  const folder = dirname(progressFile);
  let mode: number;
  try {
    mode = statSync(folder).mode;
  } catch {
    return; // not there yet: it is created 0755 by us at the first write
  }
  if ((mode & OTHERS_WRITE) === 0) return;
  if ((mode & STICKY) === 0) throw new SettingError(progressFolderSharedText(progressFile, folder));
  if (warned.has(folder)) return;
  warned.add(folder);
  logger.warn(progressFolderStickyText(progressFile, folder));
}
