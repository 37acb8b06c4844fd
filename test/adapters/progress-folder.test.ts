// A progress file in a folder that every user can write to is refused, or warned about once when the folder is sticky.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SettingError } from '../../protocol/index.js';
import { checkProgressFolder } from '../../src/adapters/progress-folder.js';

const root = mkdtempSync(join(tmpdir(), 'ttm-folder-'));
const warnings: string[] = [];
const logger = { info: () => {}, warn: (message: string) => void warnings.push(message), error: () => {} };

function folder(name: string, mode: number): string {
  const path = join(root, name);
  mkdirSync(path);
  chmodSync(path, mode);
  return path;
}

test.after(() => rmSync(root, { recursive: true, force: true }));

test('a world-writable folder without the sticky bit is refused in one sentence', () => {
  const shared = folder('shared', 0o777);
  try {
    checkProgressFolder(join(shared, 'progress.json'), logger);
    assert.unreachable('a shared folder was accepted');
  } catch (error) {
    assert.instance(error, SettingError);
    assert.match((error as Error).message, /can be written by every user and has no sticky bit/);
    assert.not.match((error as Error).message, /\n/);
  }
});

test('a sticky world-writable folder (like /tmp) is accepted with one warning per folder', () => {
  const sticky = folder('sticky', 0o1777);
  checkProgressFolder(join(sticky, 'progress.json'), logger);
  checkProgressFolder(join(sticky, 'other.json'), logger);
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /every user can write to/);
});

test('a private folder, or one not made yet, is accepted silently', () => {
  const before = warnings.length;
  checkProgressFolder(join(folder('private', 0o700), 'progress.json'), logger);
  checkProgressFolder(join(root, 'missing', 'progress.json'), logger);
  assert.is(warnings.length, before);
});

test.run();
