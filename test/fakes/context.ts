// A HandlerContext on fakes: an in-memory store, a recording notifier, a scripted runner and a fake clock.
import { builtinCatalog, type ActiveCatalog } from '../../src/core/catalog.js';
import { DEFAULT_RUN_TIMEOUT_MS, type Config } from '../../src/core/config.js';
import { EMPTY_PROGRESS, type Progress } from '../../src/core/progress.js';
import { createAnnouncer } from '../../src/handlers/announcer.js';
import type { HandlerContext, Logger, WorkspaceScan } from '../../src/ports.js';
import { createFakeClock, type FakeClock } from './clock.js';
import { createRecordingNotifier, type RecordingNotifier } from './notifier.js';
import { createFakeRunner, type FakeRunner } from './runner.js';
import { createMemoryStore, type MemoryStore } from './store.js';

export interface FakeContext extends HandlerContext {
  readonly store: MemoryStore;
  readonly notifier: RecordingNotifier;
  readonly fakeRunner: FakeRunner;
  readonly clock: FakeClock;
  readonly logged: string[];
}

export interface FakeContextOptions {
  readonly catalog?: ActiveCatalog;
  readonly progress?: Progress | null;
  readonly config?: Partial<Config>;
  readonly runner?: FakeRunner;
  readonly scan?: WorkspaceScan;
}

export function fakeContext(options: FakeContextOptions = {}): FakeContext {
  const catalog = options.catalog ?? builtinCatalog('seed');
  const store = createMemoryStore(options.progress ?? null);
  const notifier = createRecordingNotifier();
  const fakeRunner = options.runner ?? createFakeRunner();
  const clock = createFakeClock();
  const logged: string[] = [];
  const logger: Logger = { info: (line) => logged.push(line), warn: (line) => logged.push(line), error: (line) => logged.push(line) };
  const config: Config = {
    progressFile: store.path,
    workspace: '/workspace',
    exports: null,
    catalog: 'seed',
    python: 'python3',
    runTimeoutMs: DEFAULT_RUN_TIMEOUT_MS,
    popups: 'auto',
    ...options.config,
  };
  return {
    config,
    catalog,
    store,
    notifier,
    // The real announcer (pure logic over the notifier); the client knows the progress it started with, as in services.ts.
    announcer: createAnnouncer(catalog, notifier, options.progress ?? EMPTY_PROGRESS),
    scanWorkspace: async () => options.scan ?? { modules: [], completedMilestones: [], problems: [] },
    runner: async () => fakeRunner,
    fakeRunner,
    runsInProgress: new Set(),
    logger,
    logged,
    clock,
    now: () => clock.now(),
  };
}
