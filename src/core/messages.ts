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

/** Columns on a terminal: an emoji takes two, whatever its length in UTF-16. */
function displayWidth(text: string): number {
  return [...text].reduce((width, char) => width + (/\p{Extended_Pictographic}/u.test(char) ? 2 : 1), 0);
}

function padColumn(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

export function progressText(view: ProgressView): string {
  const nameWidth = Math.max('Milestone'.length, ...view.milestones.map((milestone) => displayWidth(milestone.name)));
  const row = (name: string, status: string, requirements: string) => `${padColumn(name, nameWidth)}  ${padColumn(status, 12)}  ${requirements}`;
  const lines = ['🎯 TinyTorch Milestone Progress', '', row('Milestone', 'Status', 'Requirements')];
  for (const milestone of view.milestones) lines.push(row(milestone.name, statusLabel(milestone.status), requirementsLabel(milestone)));
  lines.push('', nextText(view.next));
  return lines.join('\n');
}

export function nextText(next: ProgressView['next']): string {
  if (!next) return "What's Next? Every milestone is unlocked. 🎉";
  return `What's Next? ${next.name} needs: ${next.missing.join(', ')}`;
}

/** A progress-file path that cannot be read (a folder, a path through a file): a setting to change. */
export function progressFileUnreadableText(path: string, code: string, detail: string): string {
  const reason = code === 'EISDIR' ? 'it is a folder' : code === 'ENOTDIR' ? 'a part of its path is not a folder' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : detail;
  return `Cannot read the progress file ${path} (${reason}); set --progress-file or TINYTORCH_PROGRESS_FILE to a file you can read.`;
}

export function rootUriUnusableText(rootUri: string, reason: string): string {
  return `rootUri ${JSON.stringify(rootUri)} names no folder on this machine (${reason}); send a file: URI of a local folder, or the workspace option.`;
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

/** Separates a failed run's verdict from its last output lines; a terminal that streamed the output drops the rest. */
export const LAST_OUTPUT_HEADING = '\n\nLast output:\n';

/** The last lines of a run's output, for a person reading why it failed. */
function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

export function runText(milestone: CatalogMilestone, outcome: { passed: boolean; detail: string; outputTail: string }, newlyCompleted: boolean): string {
  if (outcome.passed) {
    return newlyCompleted ? `✅ ${milestone.name}: ${outcome.detail}\n\n${completedMessage(milestone)}` : `✅ ${milestone.name}: ${outcome.detail}`;
  }
  const tail = lastLines(outcome.outputTail, 15);
  return `❌ ${milestone.name}: ${outcome.detail}${tail ? `${LAST_OUTPUT_HEADING}${tail}` : ''}`;
}

export function noWorkspaceText(milestone: CatalogMilestone): string {
  return `Cannot run ${milestone.name}: no workspace is set. Start the sidecar with --workspace (or TINYTORCH_WORKSPACE, or initialize's rootUri) pointing at a TinyTorch checkout.`;
}

export function runCancelledText(milestone: CatalogMilestone): string {
  return `The run of ${milestone.name} was cancelled before it started.`;
}

export function runInProgressText(milestone: CatalogMilestone): string {
  return `${milestone.name} is already running; wait for that run to finish or cancel it.`;
}

export function exportDeletedText(path: string, module: string | null): string {
  const what = module ? `${path} (the export of ${module}) was deleted` : `${path} was deleted`;
  return module
    ? `${what}. ${module} stays completed; "tinytorch-milestones reset ${module}" un-completes it.`
    : `${what}. No module is un-completed by a deletion.`;
}

export function watchingText(watched: { exports: string | null; titoProgress: string | null; progressFile: string }): string {
  const parts = [
    ...(watched.exports ? [`exports in ${watched.exports}`] : []),
    ...(watched.titoProgress ? [`tito's progress in ${watched.titoProgress}`] : []),
    `the progress file ${watched.progressFile}`,
  ];
  return `Watching ${parts.join(', ')}.`;
}
