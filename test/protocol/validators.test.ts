// The generated params validators (protocol/validators.js) against zod, the source of truth: never looser, the same
// values for the handler, up to date with the schemas, and really used for what clients send.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { z } from 'zod';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validatedParams } from '../../protocol/index.js';
import { paramsValidators } from '../../protocol/plain.js';
import { validatorsSource, vouch } from '../../scripts/validators.js';
import { checkParams } from '../../src/core/params.js';

interface ClientRequest {
  readonly client: string;
  readonly method: string;
  readonly params?: unknown;
}
/** What real clients send (recorded from the editors, the Python and shell clients, and the VS Code extension). */
const CORPUS: readonly ClientRequest[] = JSON.parse(readFileSync(new URL('../fixtures/client-requests.json', import.meta.url), 'utf8'));

/** What zod hands over for fields it keeps must reach the handler unchanged (the handler may also see extra keys zod strips). */
function keeps(expected: unknown, actual: unknown, path = 'params'): string | null {
  if (expected === null || typeof expected !== 'object') return Object.is(expected, actual) ? null : `${path}: zod gives ${String(expected)}, the handler ${String(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: zod gives an array of ${expected.length}`;
    for (const [index, item] of expected.entries()) {
      const problem = keeps(item, actual[index], `${path}[${index}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return `${path}: zod gives an object`;
  for (const key of Object.keys(expected)) {
    if (!Object.hasOwn(actual, key)) return `${path}.${key}: zod keeps it, the handler lacks it`;
    const problem = keeps((expected as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key], `${path}.${key}`);
    if (problem) return problem;
  }
  return null;
}

/** Per method: inputs checked, accepted by the generated validator, accepted by zod. */
const verdicts = new Map<string, { runs: number; fast: number; zod: number }>();

/** The rule: the generated validator accepts => zod accepts, and the handler gets zod's values. Returns whether it accepted. */
function holds(method: string, raw: unknown): boolean {
  const checked = checkParams(method, raw);
  const parsed = validatedParams.get(method)!.safeParse(raw === undefined || raw === null ? {} : raw);
  const count = verdicts.get(method) ?? { runs: 0, fast: 0, zod: 0 };
  verdicts.set(method, { runs: count.runs + 1, fast: count.fast + (checked.valid ? 1 : 0), zod: count.zod + (parsed.success ? 1 : 0) });
  if (!checked.valid) {
    checked.decided.catch(() => {});
    return false;
  }
  const shown = JSON.stringify(raw)?.slice(0, 300);
  if (!parsed.success) throw new Error(`${method}: the generated validator accepts what zod refuses: ${shown}\n${parsed.error.message}`);
  const problem = keeps(parsed.data, checked.params);
  if (problem) throw new Error(`${method}: ${problem}, for ${shown}`);
  return true;
}

// ---- inputs ----

/** Values near every edge the schemas have: lengths 0/1/64/80/81, astral characters, integers and not, -0, huge numbers (1e999 parses as Infinity). */
const EDGE_STRINGS = [
  '',
  ' ',
  '1',
  '01',
  '001',
  '99',
  '01_tensor',
  '01_Tensor',
  '1_tensor',
  '01_tensor\n',
  '\n01_tensor',
  '01_tensor ',
  `01_${'a'.repeat(63)}`,
  `01_${'a'.repeat(64)}`,
  `01_${'a'.repeat(77)}`,
  `01_${'a'.repeat(78)}`,
  '1'.repeat(80),
  '1'.repeat(81),
  'perceptron',
  'mlp_digits',
  '-perceptron',
  '.hidden',
  'a/b',
  'a'.repeat(64),
  'a'.repeat(65),
  '😀',
  '😀'.repeat(40),
  '😀'.repeat(41),
  `01_${'𝒶'.repeat(30)}`,
  '\u{1F600}'.repeat(32),
  'ⅰ',
  '٠١',
  '０１',
  'İ',
  '\u0000',
  'off',
  'none',
  'auto',
  'showMessage',
  'notification',
  'tinytorch.milestones.progress',
  'tinytorch.milestones.run',
  'tinytorch.milestones.nope',
  '__proto__',
  'constructor',
];
const EDGE_NUMBERS = [
  0,
  -0,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1,
  -1,
  1.5,
  -1.5,
  0.1,
  2 ** 31 - 1,
  2 ** 31,
  86_400_000,
  86_400_001,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e21,
  1e300,
  -1e300,
  Number.MIN_VALUE,
  5e-324,
];
const EDGE_VALUES: unknown[] = [...EDGE_STRINGS, ...EDGE_NUMBERS, null, true, false, [], {}, [[]], [{}], { token: 1 }, [1, 2]];

const edge = fc.constantFrom(...EDGE_VALUES);
/** JSON as the wire carries it, with the edges mixed in, and strings from every plane. */
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    edge,
    fc.string({ unit: 'binary', maxLength: 90 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('id', 'module', 'token', 'command', 'arguments', 'workDoneToken', 'timeoutMs', 'ifNew')), tie('value'), {
      maxKeys: 5,
    }),
  ),
})).value;

type Path = ReadonlyArray<string | number>;
/** Every place in a value: the value itself, each property and each item. */
function paths(value: unknown, at: Path = []): Path[] {
  const found: Path[] = [at];
  if (Array.isArray(value)) for (const [index, item] of value.entries()) found.push(...paths(item, [...at, index]));
  else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) found.push(...paths(item, [...at, key]));
  return found;
}
/** Sets an own property, as JSON.parse makes them (`__proto__` included: never a prototype). */
function put(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}
/** A deep copy that keeps -0 and Infinity (which JSON.parse makes of `-0` and `1e999`). */
function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (typeof value !== 'object' || value === null) return value;
  const copy = {};
  for (const [key, item] of Object.entries(value)) put(copy, key, clone(item));
  return copy;
}

type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'add'; key: string; value: unknown };
function mutate(value: unknown, path: Path, mutation: Mutation): unknown {
  if (path.length === 0) {
    if (mutation.kind === 'set') return mutation.value;
    if (mutation.kind === 'delete') return undefined;
    const copy = clone(value);
    if (typeof copy === 'object' && copy !== null && !Array.isArray(copy)) put(copy, mutation.key, mutation.value);
    return copy;
  }
  const copy = clone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (mutation.kind === 'set') put(parent, last, mutation.value);
  else if (mutation.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) put(target, mutation.key, mutation.value);
  }
  return copy;
}
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), value: edge }),
  fc.record({ kind: fc.constant('set' as const), value: json }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('add' as const), key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'workDoneToken', 'extra')), value: json }),
);
/** A valid request of this method, changed in one to three places. */
const mutated = (examples: readonly unknown[]) =>
  fc.tuple(fc.constantFrom(...examples), fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 3 })).map(([example, changes]) =>
    changes.reduce((value, [index, change]) => {
      const all = paths(value);
      return mutate(value, all[index % all.length]!, change);
    }, clone(example)),
  );

const examplesOf = (method: string) => CORPUS.filter((request) => request.method === method).map((request) => request.params);

// ---- tests ----

test('protocol/validators.js is what the zod schemas generate today (else: npm run build)', () => {
  const built = readFileSync(new URL('../../protocol/validators.js', import.meta.url), 'utf8');
  assert.ok(built === validatorsSource(), 'protocol/validators.js is older than protocol/: run `npm run build`');
  assert.equal([...paramsValidators.keys()], [...validatedParams.keys()]);
});

test('every validated method has realistic examples, and the generated validator accepts each of them', () => {
  for (const method of validatedParams.keys()) if (!method.startsWith('daemon/')) assert.ok(examplesOf(method).length > 0, `no example of ${method} in the corpus`);
  for (const request of CORPUS) {
    assert.ok(validatedParams.has(request.method), `${request.client}: ${request.method} is not a validated method`);
    assert.ok(holds(request.method, request.params), `${request.client}'s ${request.method} takes the slow path: ${JSON.stringify(request.params)}`);
  }
});

test('on random JSON, and on realistic requests changed in one to three places, the generated validators are never looser than zod', () => {
  for (const method of validatedParams.keys()) {
    const examples = examplesOf(method);
    const inputs = examples.length > 0 ? fc.oneof({ arbitrary: json, weight: 1 }, { arbitrary: mutated(examples), weight: 4 }) : json;
    fc.assert(
      fc.property(inputs, (raw) => {
        holds(method, raw);
      }),
      { numRuns: 1_000, seed: Number(process.env.FC_SEED) || undefined },
    );
  }
  // Not vacuous: for each method, generated inputs were both accepted and refused.
  for (const [method, { runs, fast }] of verdicts) assert.ok(fast > 0 && fast < runs, `${method}: ${fast} of ${runs} inputs accepted`);
});

test('a request without params, or with null, is {} for the handler, as zod makes it', () => {
  for (const method of validatedParams.keys()) {
    for (const raw of [undefined, null]) holds(method, raw);
  }
  const checked = checkParams('milestones/progress', { workDoneToken: 'x' });
  assert.equal(checked.valid && checked.params, {});
});

test('the generator stops the build on what JSON Schema would not carry as zod checks it', () => {
  const refused = {
    refine: z.object({ id: z.string().refine((value) => value !== 'x') }),
    transform: z.object({ id: z.string().transform((value) => value.trim()) }),
    'regex flags': z.string().regex(/^a$/i),
    email: z.string().email(),
    'number keys': z.record(z.string().min(2), z.string()),
    date: z.date(),
  };
  for (const [what, schema] of Object.entries(refused)) assert.throws(() => vouch(schema, 'test'), /JSON Schema would not carry/, what);
  vouch(z.object({ id: z.string().min(1).max(80).regex(/^a/), n: z.number().int().positive().max(9).nullish(), k: z.enum(['a']), r: z.record(z.string(), z.unknown()) }), 'test');
});

test("params the generated validator refuses get zod's words", async () => {
  const checked = checkParams('milestones/reset', { module: 'tensor' });
  assert.is(checked.valid, false);
  if (checked.valid) return;
  try {
    await checked.decided;
    assert.unreachable('zod accepted');
  } catch (error) {
    assert.match(String(error), 'Invalid params for milestones/reset');
    assert.match(String(error), 'expected a module name like "01_tensor"');
  }
});

test.run();
