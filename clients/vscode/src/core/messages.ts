// Every sentence the extension shows to a student (the sidecar's own prose arrives in its `text` fields).
import type { MilestoneProgress, RunResult, UnlockedParams } from './wire.js';

export const RUN_VERIFICATION = 'Run verification';
export const SHOW_TIMELINE = 'Show timeline';
export const SHOW_OUTPUT = 'Show output';
export const OUTPUT_CHANNEL = 'TinyTorch Milestones';
export const TIMELINE_TITLE = 'Milestones timeline';

export function unlockedToast(unlocked: Pick<UnlockedParams, 'name' | 'description'>): string {
  return `🔓 Milestone unlocked: ${unlocked.name}. ${withPeriod(unlocked.description)} Prove that your own code learns.`;
}

export function completedToast(name: string): string {
  return `🏆 Milestone completed: ${name}.`;
}

export function runTitle(name: string): string {
  return `Verifying ${name}`;
}

export function runStarted(name: string, when: Date): string {
  return `▶ ${name}: verification started at ${when.toLocaleTimeString()}`;
}

export function runPassed(name: string, result: RunResult): string {
  return `✅ ${name} passed in ${seconds(result.durationMs)}${result.newlyCompleted ? ': milestone completed! 🏆' : '.'}`;
}

export function runFailed(name: string, result: RunResult): string {
  const how = result.signal ? `was stopped by ${result.signal}` : `failed (exit code ${result.exitCode ?? 'unknown'})`;
  return `❌ ${name} ${how} after ${seconds(result.durationMs)}. The output shows why.`;
}

export function runCancelled(name: string): string {
  return `${name}: verification cancelled.`;
}

export function runRefused(name: string, reason: string): string {
  return `${name} cannot be verified: ${reason}`;
}

export function runAlreadyGoing(name: string): string {
  return `${name} is already being verified.`;
}

export function chooseMilestone(): string {
  return 'Which milestone do you want to verify?';
}

export const NOTHING_TO_RUN = 'No milestone is unlocked yet: export more modules first.';

export function sidecarUnavailable(detail: string): string {
  return `The milestones sidecar is not running: ${detail}`;
}

export function statusBarText(completed: number, total: number): string {
  return `$(milestone) Milestones ${completed}/${total}`;
}

export function statusBarTooltip(milestones: readonly MilestoneProgress[]): string {
  const count = (status: MilestoneProgress['status']) => milestones.filter((m) => m.status === status).length;
  return `${count('completed')} completed, ${count('unlocked')} unlocked, ${count('locked')} locked. Click to open the Milestones view.`;
}

export const STATUS_BAR_STARTING = '$(milestone) Milestones …';

export function modulesLabel(milestone: Pick<MilestoneProgress, 'met' | 'requires'>): string {
  return `${milestone.met}/${milestone.requires.length} modules`;
}

export function missingLabel(missing: readonly string[]): string {
  return missing.length === 0 ? '' : `missing ${missing.join(', ')}`;
}

export const STATUS_WORD: Record<MilestoneProgress['status'], string> = {
  completed: 'Completed',
  unlocked: 'Unlocked: ready to verify',
  locked: 'Locked',
};

export const NEXT_WORD = 'next';

export function dateLabel(kind: 'unlocked' | 'completed', iso: string): string {
  return `${kind} ${new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function withPeriod(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
