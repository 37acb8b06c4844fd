// The sidecar's method names and shapes that the extension uses (checked against protocol/ by test/clients/vscode-wire.test.ts).
export type {
  CompletedParams,
  MilestoneProgress,
  MilestoneStatus,
  ProgressResult,
  RescanResult,
  RunOutputParams,
  RunResult,
  UnlockedParams,
} from '../../../protocol/index.js';

export const METHODS = {
  progress: 'milestones/progress',
  run: 'milestones/run',
  rescan: 'milestones/rescan',
  unlocked: 'milestones/unlocked',
  completed: 'milestones/completed',
  runOutput: 'milestones/runOutput',
} as const;

/** Domain error kinds the extension words differently (SPEC §3). */
export const ERROR_KINDS = { locked: 'milestone-locked', running: 'run-in-progress', noWorkspace: 'no-workspace' } as const;

/** The capability that tells the sidecar this client shows our notifications itself (SPEC §8). */
export const CLIENT_CAPABILITY = { milestones: { notifications: true } } as const;

/** The command ids the sidecar advertises in executeCommandProvider: vscode-languageclient registers them. */
export const SERVER_COMMAND_PREFIX = 'tinytorch.milestones.';
