// Concurrent writers (issue 10 B2): 8 sidecars and the Python client record 200 modules into one progress file; nothing is
// lost, every unlock is recorded once, and every connection is told of every unlock exactly once.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, Sidecar, type RpcMessage } from '../test/helpers/rpc-client.js';
import type { Campaign, SoakOptions, SoakResult } from './campaign.js';

const SIDECARS = 8;
const MODULE_COUNT = 200;
const PYTHON_CLIENT = fileURLToPath(new URL('../clients/python/', import.meta.url));
const REPLY_MS = 120_000;

/** 200 modules `NN_m<i>`; milestone k needs 10 of them (a stride, so each one's modules come from every writer), plus 5 that need 50. */
function catalog(): { modules: string[]; file: unknown; unlocks: string[] } {
  const modules = Array.from({ length: MODULE_COUNT }, (_, i) => `${String(i % 100).padStart(2, '0')}_m${i}`);
  const milestones = [
    ...Array.from({ length: 20 }, (_, k) => ({ id: `stride-${k}`, requires: modules.filter((_, i) => i % 20 === k) })),
    ...Array.from({ length: 5 }, (_, k) => ({ id: `block-${k}`, requires: modules.slice(k * 40, k * 40 + 50) })),
  ].map(({ id, requires }) => ({ id, name: `Writers ${id}`, description: `needs ${requires.length} modules`, unlockMessage: 'go', requires, verify: { scripts: ['never.py'] } }));
  return { modules, file: { name: 'writers', modules: modules.map((id) => ({ id })), milestones }, unlocks: milestones.map((milestone) => milestone.id) };
}

/** tito's side: milestone_tracker.check_module_export for each module, over the Python client's own connection. */
const PYTHON_WRITER = `
import json, sys
sys.path.insert(0, sys.argv[1])
import milestone_tracker, tinytorch_milestones_client as rpc
notified = []
client = rpc.get_client()
client.on('milestones/unlocked', lambda params, method: notified.append(params['id']))
client.request('milestones/progress', {})
print('ready', flush=True)
sys.stdin.readline()
newly = []
for module in json.loads(sys.argv[2]):
    newly.extend(milestone_tracker.check_module_export(module)['newly_unlocked'])
print('written', flush=True)
sys.stdin.readline()
client.request('milestones/progress', {})
print(json.dumps({'newly': newly, 'notified': notified}), flush=True)
rpc.close_all()
`;

interface Writer {
  readonly name: string;
  /** Every milestone a checkExport of this writer answered as newly unlocked. */
  readonly newly: string[];
  /** Every milestones/unlocked notification this connection received. */
  readonly notified: string[];
  /** Requests answered with an error (a lock timeout would be one): each is an update that did not happen. */
  readonly errors: string[];
}

/** A sidecar that has answered once: it has read the file as it was before any write (the baseline its announcer keeps). */
async function startSidecar(env: Record<string, string>): Promise<Sidecar> {
  const sidecar = new Sidecar({ env });
  await sidecar.request('milestones/catalog', {}, REPLY_MS);
  return sidecar;
}

/** Records its modules; then, once `everyoneDone`, reads once more and tells what it heard. */
async function sidecarWriter(index: number, sidecar: Sidecar, modules: readonly string[], written: () => void, everyoneDone: Promise<void>): Promise<Writer> {
  try {
    const ids = modules.map((module) => sidecar.post('milestones/checkExport', { module }));
    const answers = await Promise.all(ids.map((id) => sidecar.response(id, REPLY_MS)));
    written();
    await everyoneDone;
    // A last read: the announcer tells this connection of anything another process unlocked that it has not heard of.
    await sidecar.request('milestones/progress', {}, REPLY_MS);
    return {
      name: `sidecar ${index}`,
      newly: answers.flatMap((answer: RpcMessage) => (answer.result?.newlyUnlocked as string[] | undefined) ?? []),
      notified: sidecar.notifications('milestones/unlocked').map((message) => message.params.id as string),
      errors: answers.flatMap((answer) => (answer.error ? [`sidecar ${index}: ${answer.error.message}`] : [])),
    };
  } finally {
    sidecar.endInput();
    await sidecar.waitExit(REPLY_MS).catch(() => sidecar.dispose());
  }
}

/** The Python writer, started and ready (its connection open); `go()` lets it write, `done` is what it saw. */
function startPython(modules: readonly string[], env: Record<string, string>): Promise<{ go: () => void; written: Promise<void>; finish: () => void; done: Promise<Writer> }> {
  return new Promise((ready, failed) => {
    const child = spawn('python3', ['-c', PYTHON_WRITER, PYTHON_CLIENT, JSON.stringify(modules)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), REPLY_MS * 2);
    const done = new Promise<Writer>((resolve, reject) => {
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code !== 0) {
          const error = new Error(`the Python client exited with ${code}: ${stderr.slice(-500)}`);
          failed(error);
          return reject(error);
        }
        const { newly, notified } = JSON.parse(stdout.split('\n')[2] ?? '') as { newly: string[]; notified: string[] };
        // check_module_export never raises into tito: a failed call prints a note on stderr and returns nothing.
        resolve({ name: 'python', newly, notified, errors: stderr.trim() ? [`python: ${stderr.trim().split('\n')[0]}`] : [] });
      });
    });
    done.catch(() => {});
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    let markWritten = () => {};
    const written = new Promise<void>((resolve) => (markWritten = resolve));
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (stdout.startsWith('ready\n')) ready({ go: () => child.stdin.write('go\n'), written, finish: () => child.stdin.end('finish\n'), done });
      if (stdout.startsWith('ready\nwritten\n')) markWritten();
    });
  });
}

/** Per id, how many times it occurs. */
function counts(ids: readonly string[]): Map<string, number> {
  const result = new Map<string, number>();
  for (const id of ids) result.set(id, (result.get(id) ?? 0) + 1);
  return result;
}

interface Round {
  lost: number;
  duplicatesInFile: number;
  unlocksMissing: number;
  unlocksRecordedTwice: number;
  notificationsMissing: number;
  notificationsTwice: number;
  failedRequests: number;
}

/** One round: a fresh file, 9 writers, each module recorded by two of them (so half the calls race on the same module). */
async function round(log: (line: string) => void): Promise<Round> {
  const folder = mkdtempSync(join(tmpdir(), 'ttm-soak-writers-'));
  try {
    const { modules, file, unlocks } = catalog();
    const catalogPath = join(folder, 'catalog.json');
    writeFileSync(catalogPath, JSON.stringify(file));
    const progressFile = join(folder, 'progress.json');
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      TINYTORCH_PROGRESS_FILE: progressFile,
      TINYTORCH_CATALOG: catalogPath,
      TINYTORCH_MILESTONES_CMD: `${process.execPath} ${BIN}`,
      TINYTORCH_MILESTONES_DAEMON: '0',
      TINYTORCH_MILESTONES_PLAIN: '1',
    };
    delete env.TINYTORCH_WORKSPACE;
    delete env.TINYTORCH_EXPORTS;
    const writers = SIDECARS + 1;
    // Module i goes to writers i and i+1 (mod 9); each writer starts its list at another place.
    const shares = Array.from({ length: writers }, (_, w) => {
      const share = modules.filter((_, i) => i % writers === w || (i + 1) % writers === w);
      const start = (w * 7) % share.length;
      return [...share.slice(start), ...share.slice(0, start)];
    });
    // Every connection open and past its first read before the first write: each must then hear of all 25 unlocks.
    const [sidecars, python] = await Promise.all([Promise.all(shares.slice(0, SIDECARS).map(() => startSidecar(env))), startPython(shares[SIDECARS]!, env)]);
    // Every connection stays open until all have written, then reads once more: it must have heard of every unlock.
    let writtenCount = 0;
    let allWritten = () => {};
    const everyoneDone = new Promise<void>((resolve) => (allWritten = resolve));
    const wrote = () => {
      if (++writtenCount === SIDECARS + 1) allWritten();
    };
    void python.written.then(wrote);
    void everyoneDone.then(() => python.finish());
    python.go();
    const results = await Promise.all([...sidecars.map((sidecar, w) => sidecarWriter(w, sidecar, shares[w]!, wrote, everyoneDone)), python.done]);
    for (const error of results.flatMap((writer) => writer.errors).slice(0, 3)) log(`  ${error}`);
    const saved = JSON.parse(readFileSync(progressFile, 'utf8')) as { completed_modules: string[]; unlocked_milestones: string[] };
    const recorded = new Set(saved.completed_modules);
    const unlockedTimes = counts(results.flatMap((writer) => writer.newly));
    let notificationsMissing = 0;
    let notificationsTwice = 0;
    for (const writer of results) {
      const heard = counts(writer.notified);
      const missing = unlocks.filter((id) => !heard.has(id));
      if (missing.length) log(`  ${writer.name} was not told of ${missing.length} unlocks (${missing.slice(0, 3).join(', ')}…); told of ${writer.notified.length}`);
      for (const id of unlocks) {
        const times = heard.get(id) ?? 0;
        if (times === 0) notificationsMissing++;
        if (times > 1) notificationsTwice += times - 1;
      }
    }
    return {
      lost: modules.filter((module) => !recorded.has(module)).length,
      duplicatesInFile: saved.completed_modules.length - recorded.size + (saved.unlocked_milestones.length - new Set(saved.unlocked_milestones).size),
      unlocksMissing: unlocks.filter((id) => !saved.unlocked_milestones.includes(id) || !unlockedTimes.has(id)).length,
      unlocksRecordedTwice: [...unlockedTimes.values()].filter((times) => times > 1).length,
      notificationsMissing,
      notificationsTwice,
      failedRequests: results.reduce((sum, writer) => sum + writer.errors.length, 0),
    };
  } finally {
    // A sidecar told to stop may still be removing its lock for a moment.
    rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

export const campaign: Campaign = {
  title: `Concurrent writers: ${SIDECARS} sidecars and the Python client record ${MODULE_COUNT} modules into one file`,
  async run(options: SoakOptions): Promise<SoakResult> {
    const started = Date.now();
    const totals: Round = { lost: 0, duplicatesInFile: 0, unlocksMissing: 0, unlocksRecordedTwice: 0, notificationsMissing: 0, notificationsTwice: 0, failedRequests: 0 };
    let rounds = 0;
    do {
      const result = await round(options.log);
      rounds++;
      for (const key of Object.keys(totals) as (keyof Round)[]) totals[key] += result[key];
      options.log(`round ${rounds}: ${JSON.stringify(result)}`);
    } while (!options.quick && Date.now() - started < options.durationMs);
    const failures = Object.entries(totals)
      .filter(([, value]) => value !== 0)
      .map(([name, value]) => `${name} was ${value}, expected 0`);
    return {
      ok: failures.length === 0,
      figures: {
        rounds,
        writers: `${SIDECARS} sidecars + the Python client`,
        'module records': `${rounds * MODULE_COUNT * 2} (${MODULE_COUNT} modules a round, each by two writers)`,
        'lost modules': totals.lost,
        'duplicates in the file': totals.duplicatesInFile,
        'unlocks missing': totals.unlocksMissing,
        'unlocks answered as new more than once': totals.unlocksRecordedTwice,
        'notifications missing (per connection)': totals.notificationsMissing,
        'notifications repeated (per connection)': totals.notificationsTwice,
        'failed requests': totals.failedRequests,
        'wall time': `${((Date.now() - started) / 1000).toFixed(1)} s`,
      },
      failures,
    };
  },
};
