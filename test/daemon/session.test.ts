// A daemon session's settings come from its client: its directory when it has one, its environment always.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientConfig, clientContext } from '../../src/daemon/session.js';

const none = { initializationOptions: null, rootUri: null, rootPath: null, capabilities: null };

test('a client whose directory was deleted still brings its environment: its HOME decides the progress file', () => {
  const client = clientContext({ env: { HOME: '/home/student' } });
  assert.equal(client, { cwd: null, env: { HOME: '/home/student' } });
  const config = clientConfig(none, client, { HOME: '/root' });
  assert.is(config.progressFile, '/home/student/.tinytorch/progress.json');
});

test('a relative or missing cwd is no directory; an absolute one is kept', () => {
  assert.is(clientContext({ cwd: 'relative', env: {} })?.cwd, null);
  assert.is(clientContext({ cwd: '/work', env: {} })?.cwd, '/work');
  assert.is(clientContext('nonsense'), null);
});

test.run();
