// The sidecar's method names and shapes that the extension uses, type-checked against protocol/ (which stays out of
// the bundle: only its types are imported).
import type { CompletedNotification, ProgressRequest, RescanRequest, RunOutputNotification, RunRequest, UnlockedNotification } from '../../../../protocol/index.js';

export type {
  CompletedParams,
  MilestoneProgress,
  MilestoneStatus,
  ProgressResult,
  RescanResult,
  RunOutputParams,
  RunResult,
  UnlockedParams,
} from '../../../../protocol/index.js';

export const METHODS = {
  progress: 'milestones/progress' satisfies (typeof ProgressRequest)['method'],
  run: 'milestones/run' satisfies (typeof RunRequest)['method'],
  rescan: 'milestones/rescan' satisfies (typeof RescanRequest)['method'],
  unlocked: 'milestones/unlocked' satisfies (typeof UnlockedNotification)['method'],
  completed: 'milestones/completed' satisfies (typeof CompletedNotification)['method'],
  runOutput: 'milestones/runOutput' satisfies (typeof RunOutputNotification)['method'],
} as const;

/** Domain error kinds the extension words differently (docs/protocol.md §7). */
export const ERROR_KINDS = { locked: 'milestone-locked', running: 'run-in-progress', noWorkspace: 'no-workspace' } as const;

/** The capability that tells the sidecar this client shows our notifications itself (docs/protocol.md §10). */
export const CLIENT_CAPABILITY = { milestones: { notifications: true } } as const;

/** The command ids the sidecar advertises in executeCommandProvider: vscode-languageclient registers them. */
export const SERVER_COMMAND_PREFIX = 'tinytorch.milestones.';
