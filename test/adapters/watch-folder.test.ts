// The folder watch: a file made in a new folder while chokidar sets that folder up is still reported.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { NodeFsHandler } from 'chokidar/handler.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { watchFolder } from '../../src/adapters/watch-folder.js';
import { scaled } from '../helpers/time.js';

type HandleRead = (this: unknown, directory: string, initialAdd: boolean, ...rest: unknown[]) => Promise<unknown> | undefined;

test('a file made between chokidar listing a new folder and watching it is reported (chokidar#1471)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ttm-watch-folder-'));
  const prototype = NodeFsHandler.prototype as unknown as { _handleRead: HandleRead };
  const handleRead = prototype._handleRead;
  const made = join(root, 'tinytorch', 'core', 'autograd.py');
  // chokidar's window, made wide and certain: the export lands right after its first listing of the new `core`
  // folder, before that folder's own watch exists (what a busy event loop and `mkdir -p` then a write can do).
  let landed = false;
  prototype._handleRead = function (directory, initialAdd, ...rest) {
    const listed = handleRead.call(this, directory, initialAdd, ...rest);
    if (landed || basename(directory) !== 'core') return listed;
    landed = true;
    return Promise.resolve(listed).then((value) => {
      writeFileSync(made, '# exported\n');
      return value;
    });
  };
  const seen: string[] = [];
  const watch = watchFolder({ folder: join(root, 'tinytorch'), recursive: true, onEvent: (event, path) => seen.push(`${event} ${path}`), onError: () => {} });
  try {
    await watch.ready;
    mkdirSync(join(root, 'tinytorch', 'core'), { recursive: true });
    const deadline = Date.now() + scaled(5000);
    while (!seen.includes(`add ${made}`) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(landed, 'the window was not reached');
    assert.ok(seen.includes(`add ${made}`), `no add for the export; events: ${JSON.stringify(seen)}`);
  } finally {
    prototype._handleRead = handleRead;
    await watch.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
