// Every sentence the sidecar says to a person: unlock panels and the plain-text renderings of results.
import type { CatalogMilestone, MilestoneProgress, UnlockedTest, Verify } from '../../protocol/index.js';
import type { ProgressView } from './rules.js';

/** The original's unlock message, to the byte. */
export function unlockMessage(milestone: CatalogMilestone): string {
  return `🔓 MILESTONE UNLOCKED!\n\n${milestone.name}\n${milestone.description}\n\n${milestone.unlockMessage}\n\nRun: tito milestones run ${milestone.id}`;
}

export function completedMessage(milestone: CatalogMilestone): string {
  return `🏆 MILESTONE COMPLETED!\n\n${milestone.name}\n${milestone.description}\n\nYour own code has proven that it learns.`;
}

export function alreadyCompletedMessage(milestone: CatalogMilestone): string {
  return `✅ ${milestone.name} was already completed.`;
}

/** What a student types to verify a milestone by hand. */
export function verifyCommand(verify: Verify): string {
  if ('pytest' in verify) return `pytest ${verify.pytest} -v`;
  return verify.scripts.map((script) => `python3 ${script}`).join(' && ');
}

export function checkExportText(module: string, messages: readonly string[]): string {
  if (messages.length === 0) return `Recorded ${module}. No new milestone unlocked.`;
  return messages.join('\n\n');
}

const STATUS_LABEL: Record<MilestoneProgress['status'], string> = {
  completed: '✅ Completed',
  unlocked: '🔓 Unlocked',
  locked: '🔒 Locked',
};

export function statusLabel(status: MilestoneProgress['status']): string {
  return STATUS_LABEL[status];
}

export function requirementsLabel(milestone: MilestoneProgress): string {
  return `${milestone.met}/${milestone.requires.length} modules`;
}

export function progressText(view: ProgressView): string {
  const nameWidth = Math.max('Milestone'.length, ...view.milestones.map((milestone) => milestone.name.length));
  const row = (name: string, status: string, requirements: string) => `${name.padEnd(nameWidth)}  ${status.padEnd(12)}  ${requirements}`;
  const lines = ['🎯 TinyTorch Milestone Progress', '', row('Milestone', 'Status', 'Requirements')];
  for (const milestone of view.milestones) lines.push(row(milestone.name, statusLabel(milestone.status), requirementsLabel(milestone)));
  lines.push('', nextText(view.next));
  return lines.join('\n');
}

export function nextText(next: ProgressView['next']): string {
  if (!next) return "What's Next? Every milestone is unlocked. 🎉";
  return `What's Next? ${next.name} needs: ${next.missing.join(', ')}`;
}

export const NO_TESTS_TEXT = 'No milestones unlocked yet. Complete more modules!';

export function listText(tests: readonly UnlockedTest[]): string {
  if (tests.length === 0) return NO_TESTS_TEXT;
  const lines = ['🧪 Unlocked milestone tests', ''];
  for (const test of tests) lines.push(test.name, `  ${test.description}`, `  Run: ${test.command}`, '');
  return lines.join('\n').trimEnd();
}

export function rescanText(recorded: readonly string[], messages: readonly string[]): string {
  const head = recorded.length ? `Recorded from exported files: ${recorded.join(', ')}.` : 'No exported module that was not already completed.';
  return messages.length ? `${head}\n\n${messages.join('\n\n')}` : head;
}

export function resetText(module: string, wasCompleted: boolean, relocked: readonly string[]): string {
  const head = wasCompleted ? `${module} is no longer completed.` : `${module} was not completed.`;
  return relocked.length ? `${head} Locked again: ${relocked.join(', ')}.` : head;
}

export function lockedText(milestone: CatalogMilestone, missing: readonly string[]): string {
  return missing.length
    ? `${milestone.name} is locked: complete ${missing.join(', ')} first.`
    : `${milestone.name} is locked: its modules are completed, so export one of them again (tito module complete) to unlock it.`;
}
