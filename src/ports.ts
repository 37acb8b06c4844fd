// The interfaces handlers need; adapters implement them, tests fake them.
import type { CatalogMilestone, CompletedParams, ProgressToken, RunOutputParams, UnlockCause, UnlockedParams, WorkDoneProgressValue } from '../protocol/plain.js';
import type { ActiveCatalog } from './core/catalog.js';
import type { Config } from './core/config.js';
import type { PendingPanels } from './core/pending-panels.js';
import type { Progress } from './core/progress.js';
import type { RunCause } from './core/run-reason.js';

export interface ProgressChange<T> {
  /** The progress as re-read under the lock, before the change. */
  readonly before: Progress;
  /** The progress as written (or `before` when nothing changed, and then nothing was written). */
  readonly after: Progress;
  readonly value: T;
}

/** What a change computes: the new progress, its value, and (when it touches them) the new pending panels. */
export interface ProgressEdit<T> {
  readonly progress: Progress;
  readonly value: T;
  /** Omitted: the pending panels stay as they are (see core/pending-panels.ts). */
  readonly pending?: PendingPanels;
}

/** Per call: a cancelled request (or a signal to the CLI) stops waiting for the lock at once. */
export interface StoreCallOptions {
  readonly signal?: AbortSignal;
}

/** The progress file (docs/protocol.md §8): reads never write; changes are locked, re-read, atomic. */
export interface ProgressStore {
  readonly path: string;
  /** Throws MilestoneError('progress-file-corrupt') when the file does not parse. */
  read(): Promise<Progress>;
  /**
   * Applies a pure change under the lock; writes only what changed. The change also sees the unlock panels
   * owed to a later checkExport, kept beside the progress file under the same lock (core/pending-panels.ts).
   */
  update<T>(change: (current: Progress, pending: PendingPanels) => ProgressEdit<T>, options?: StoreCallOptions): Promise<ProgressChange<T>>;
  /** Starts a fresh file, keeping a backup of the old one; removes or takes over a lock nobody will release. */
  repair(options?: StoreCallOptions): Promise<{ backup: string | null }>;
}

/** Messages to the client: the connection in the sidecar, stdout in the one-shot CLI, a recorder in tests. */
export interface Notifier {
  unlocked(params: Omit<UnlockedParams, 'seq'>): void;
  completed(params: Omit<CompletedParams, 'seq'>): void;
  runOutput(params: RunOutputParams): void;
  /**
   * A progress bar (LSP `$/progress`) for a run: on the request's own `workDoneToken`, else on one created with
   * `window/workDoneProgress/create` when the client declared `window.workDoneProgress`; null when there is none.
   * `onCancel` runs when the client cancels it (`window/workDoneProgress/cancel`).
   */
  progressBar(requestToken: ProgressToken | undefined, onCancel: () => void): ProgressBar | null;
  log(level: 'error' | 'warning' | 'info', message: string): void;
}

export interface ProgressBar {
  report(value: WorkDoneProgressValue): void;
  /** Forgets the bar: a later cancel of its token does nothing. */
  close(): void;
}

/** Announces each unlock and completion once per connection, whatever caused it. */
export interface Announcer {
  observe(progress: Progress, cause: UnlockCause): void;
}

/** One verification to run: what the run handler asks of the Runner (not a wire request; that is RunRequest). */
export interface RunJob {
  readonly milestone: CatalogMilestone;
  readonly workspace: string;
  readonly python: string;
  readonly timeoutMs: number;
  /** A pytest test that returns False fails. */
  readonly honestReturns: boolean;
  /** Aborted on `$/cancelRequest` or end of input; the whole process group is killed. */
  readonly signal: AbortSignal;
  readonly onOutput: (chunk: { stream: 'stdout' | 'stderr'; text: string }) => void;
}

export type { RunCause } from './core/run-reason.js';

/** How a verification ended; a failure is an outcome, not a throw. */
export interface RunOutcome {
  readonly passed: boolean;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
  /** The last 4 KiB of output at most. */
  readonly outputTail: string;
  readonly cause: RunCause;
  /** One sentence for a person: why it passed or failed. */
  readonly detail: string;
}

export interface Runner {
  run(job: RunJob): Promise<RunOutcome>;
}

/** The adapters behind one configuration; rebuilt when `initialize` brings new settings. */
export interface Services {
  readonly context: HandlerContext;
  /** Starts background work (watchers) once the client is ready for notifications. */
  start(): void;
  dispose(): Promise<void>;
}

/** The background watchers of one configuration (exports, tito's progress.json, the progress file). */
export interface Watchers {
  close(): Promise<void>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface WorkspaceScan {
  /** Canonical module names, sorted. */
  readonly modules: readonly string[];
  /** Milestones tito's own `.tito/milestones.json` records as completed (ids the catalog knows). */
  readonly completedMilestones: readonly string[];
  /** Problems worth a log line (an unreadable tito progress.json), one sentence each. */
  readonly problems: readonly string[];
}

/** Everything a handler may use; built by the composition root, faked in handler tests. */
export interface HandlerContext {
  readonly config: Config;
  readonly catalog: ActiveCatalog;
  readonly store: ProgressStore;
  readonly notifier: Notifier;
  readonly announcer: Announcer;
  /** What the workspace shows as completed now: exported files git cannot explain, and tito's own records. */
  readonly scanWorkspace: () => Promise<WorkspaceScan>;
  /** Loaded on first use: execa is only imported when something runs. */
  readonly runner: () => Promise<Runner>;
  /** Ids of the milestones being run now, to refuse a second run of the same one. */
  readonly runsInProgress: Set<string>;
  readonly logger: Logger;
  readonly now: () => number;
}
