// Client consistency: every method name the Python and shell clients send or handle is one protocol/ declares.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { METHOD_NAMES } from '../../protocol/index.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const PYTHON = ['clients/python/milestone_tracker.py', 'clients/python/tinytorch_milestones_client.py', 'clients/python/tito_milestones.py'];
const SHELL = ['clients/shell/tinytorch-milestones.sh'];

/** LSP requests some servers send, which the Python client answers generically; the sidecar sends none of them. */
const ANSWERED_FOR_ANY_SERVER = new Set(['workspace/configuration', 'client/registerCapability', 'client/unregisterCapability', 'window/showMessageRequest']);

/** A method name, not a shell variable (`$/cancelRequest` is one, `$method` is not). */
const NAME = String.raw`(\$\/[\w/]+|[A-Za-z][\w/]*)`;
const SLASHED = /(?<![\w./-])((?:milestones|window|workspace|client|daemon|\$)\/[A-Za-z][A-Za-z/]*)/g;

function matches(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].map((match) => match[1]!);
}

/** Method names a client mentions: any `area/name` string, and bare names where a message or a call names them. */
function methodsIn(text: string): string[] {
  return [
    ...matches(text, SLASHED),
    ...matches(text, new RegExp(String.raw`["']method["']\s*:\s*["']${NAME}["']`, 'g')), // {'method': 'exit'}, {"method":"initialized"}
    ...matches(text, new RegExp(String.raw`\\"method\\":\\"${NAME}\\"`, 'g')), // the shell's escaped JSON
    ...matches(text, new RegExp(String.raw`\b_(?:call|post)\(\s*\w+,\s*'${NAME}'`, 'g')), // Python: self._call(session, 'shutdown', ...)
    ...matches(text, /^\s*(?:if ! )?request ([a-z]\w*) /gm), // shell: request initialize "..."
  ];
}

for (const [language, files] of [
  ['Python', PYTHON],
  ['shell', SHELL],
] as const) {
  test(`the ${language} client's method names exist in protocol/`, () => {
    const used = new Set(files.flatMap((file) => methodsIn(read(file))));
    assert.ok(used.has('initialize') && used.has('milestones/progress'), `found ${[...used].join(', ')}`);
    const unknown = [...used].filter((method) => !METHOD_NAMES.has(method) && !ANSWERED_FOR_ANY_SERVER.has(method));
    assert.equal(unknown, [], `not declared in protocol/: ${unknown.join(', ')}`);
  });
}

test('a misspelt method name would be caught', () => {
  assert.equal(
    methodsIn(`request milestones/progres '{}'\nsession.send({'jsonrpc': '2.0', 'method': 'exitt'})`).filter((method) => !METHOD_NAMES.has(method)),
    ['milestones/progres', 'exitt'],
  );
});

test.run();
