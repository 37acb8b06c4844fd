// Every sentence the sidecar says to a person: unlock panels and the plain-text renderings of results.
import type { CatalogMilestone, MilestoneProgress, UnlockedTest, Verify } from '../../protocol/plain.js';
import type { ProgressView } from './rules.js';
import { unreachable, type RunReason } from './run-reason.js';

/** The command line's help (`--help`, and after an unknown option). */
export const CLI_USAGE = `Usage: tinytorch-milestones --stdio [options]           serve JSON-RPC on stdin/stdout
       tinytorch-milestones COMMAND [options] [--json]

Commands:
  progress                 every milestone's status and what comes next
  list                     the unlocked milestones and how to verify them
  catalog                  the active catalog
  check-export MODULE      record MODULE as completed and show what it unlocks
  mark-completed ID        record milestone ID as completed without running it
  run ID                   run milestone ID's verification (exit 1 if it fails)
  rescan                   record every exported module found in the workspace
  reset MODULE             un-complete MODULE and re-lock what needs it
  validate-catalog FILE    check a catalog file and name every problem
  repair                   start a fresh progress file, keeping a backup of the old one
  integrate [--undo] DIR   wire the TinyTorch checkout DIR's tito to this sidecar (--undo: take it back)
  daemon [status|stop]     serve the per-user daemon on a Unix socket, or ask the one that runs
  connect                  stdio bridged to the per-user daemon (started when missing), else served here

Options:
  --progress-file FILE  --workspace DIR  --exports DIR  --catalog NAME|FILE
  --python PATH  --run-timeout-ms N  --json  --version  --help
  --clientProcessId PID  with --stdio: exit when process PID ends (as initialize's processId)

Inside a TinyTorch checkout, the current directory is the workspace unless one is set.`;

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

export function checkExportText(module: string, messages: readonly string[], note: string | null = null): string {
  const body = messages.length === 0 ? `Recorded ${module}. No new milestone unlocked.` : messages.join('\n\n');
  return note ? `${note}.\n${body}` : body;
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
  if (!next) return "📍 What's Next? Every milestone is unlocked. 🎉";
  return `📍 What's Next? ${next.name} needs: ${next.missing.join(', ')}`;
}

/** A progress-file path that cannot be read (a folder, a path through a file): a setting to change. */
export function progressFileUnreadableText(path: string, code: string, detail: string): string {
  const reason =
    code === 'EISDIR' ? 'it is a folder' : code === 'ENOTDIR' ? 'a part of its path is not a folder' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : detail;
  return `Cannot read the progress file ${path} (${reason}); set --progress-file or TINYTORCH_PROGRESS_FILE to a file you can read.`;
}

// ---- the progress file and its lock ----

/** What kept the progress file's lock from being taken (adapters/lock.ts). */
export type LockBlocker =
  | { readonly kind: 'busy' }
  | { readonly kind: 'holder' | 'guard'; readonly path: string; readonly pid: number | null; readonly host: string | null }
  | { readonly kind: 'unusable'; readonly path: string; readonly reason: string };

/** The lock wait gave up: one sentence naming what blocks it and which file to delete. */
export function lockTimeoutText(lockPath: string, timeoutMs: number, blocker: LockBlocker): string {
  const head = `Could not lock the progress file within ${Math.round(timeoutMs / 100) / 10} s`;
  const wayOut = (path: string) => `delete ${path} or run "tinytorch-milestones repair"`;
  switch (blocker.kind) {
    case 'busy':
      return `${head}: its lock ${lockPath} kept changing hands; try again.`;
    case 'holder':
      return `${head}: ${blocker.path} names process ${blocker.pid}${blocker.host ? ` on ${blocker.host}` : ''}, which is still running; if that is not a tinytorch-milestones writer, ${wayOut(blocker.path)}.`;
    case 'guard':
      return `${head}: a takeover of ${lockPath} by process ${blocker.pid}${blocker.host ? ` on ${blocker.host}` : ''} is stuck; ${wayOut(blocker.path)}.`;
    case 'unusable':
      return `${head}: ${blocker.path} cannot be used as its lock (${blocker.reason}); ${wayOut(blocker.path)}.`;
  }
}

export function lockCancelledText(lockPath: string): string {
  return `Stopped waiting for the progress file lock ${lockPath}.`;
}

/** A file system failure while writing the progress file (permissions, a read-only disk, a full disk). */
export function progressFileUnwritableText(path: string, code: string, detail: string): string {
  const reason =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EROFS'
        ? 'the file system is read-only'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : code === 'ELOOP'
            ? 'its symbolic links go round in a loop'
            : detail;
  return `Cannot write the progress file ${path} (${reason}); set --progress-file or TINYTORCH_PROGRESS_FILE to a writable place.`;
}

/** A progress file made read-only on purpose (chmod 444) is never replaced behind its owner's back. */
export function progressFileReadOnlyText(path: string, target: string): string {
  const through = target === path ? '' : ` (through its link to ${target})`;
  return `The progress file ${path} is read-only${through}, so it was left unchanged; make it writable (chmod u+w ${target}) or set --progress-file or TINYTORCH_PROGRESS_FILE to another file.`;
}

/** A progress file that does not parse; the copy may have failed (a read-only folder), and then nothing was written at all. */
export function progressFileCorruptText(path: string, reason: string, backup: { path: string } | { failed: string }): string {
  const kept = 'path' in backup ? `A copy is kept at ${backup.path}` : `No copy could be made beside it (${backup.failed}), and it was left as it is`;
  return `The progress file ${path} cannot be read: ${reason}. ${kept}; run "tinytorch-milestones repair" to start a fresh one.`;
}

export function rootUriUnusableText(rootUri: string, reason: string): string {
  return `rootUri ${JSON.stringify(rootUri)} names no folder on this machine (${reason}); send a file: URI of a local folder, or the workspace option.`;
}

export const NO_TESTS_TEXT = 'No milestones unlocked yet. Complete more modules!';

export function listText(tests: readonly UnlockedTest[]): string {
  if (tests.length === 0) return NO_TESTS_TEXT;
  const lines = ['🔓 Unlocked Milestone Tests:', ''];
  for (const test of tests) lines.push(test.name, `  ${test.description}`, `  Run: ${test.command}`, '');
  return lines.join('\n').trimEnd();
}

export function rescanText(recorded: readonly string[], messages: readonly string[], completed: readonly string[] = []): string {
  const head = recorded.length ? `Recorded from your exports and tito's records: ${recorded.join(', ')}.` : 'No exported module that was not already completed.';
  const done = completed.length ? `\nCompleted from tito's records: ${completed.join(', ')}.` : '';
  return messages.length ? `${head}${done}\n\n${messages.join('\n\n')}` : `${head}${done}`;
}

/** A well-formed module name the catalog does not list: recorded as the original does, but said. */
export function notInCatalogText(module: string, catalogLabel: string, nearest: string | null): string {
  return `${module} is not a module of the ${catalogLabel} catalog${nearest ? ` (did you mean ${nearest}?)` : ''}`;
}

export function noWorkspaceForRescanText(): string {
  return 'rescan needs a workspace (--workspace, TINYTORCH_WORKSPACE or the editor folder) or an export directory (--exports)';
}

export function titoFileUnreadableText(path: string, reason: string): string {
  return `tito's file ${path} was not read: ${reason}`;
}

/** The watcher saw a write whose content git explains (a clone, checkout, pull, reset, stash or rebase). */
export function gitExplainedText(path: string, module: string): string {
  return `${path} (${module}) now holds content git has committed: a checkout or pull, not your export, so it counts for nothing.`;
}

/** tito listed a module whose export file is missing (tito records it even when its export failed). */
export function titoWithoutExportText(module: string, path: string): string {
  return `tito lists ${module} as completed but ${path} does not exist; it counts once the module is exported.`;
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

/** A run that failed on a missing Python module: which Python ran, and how to choose another. */
export function missingModuleHint(outputTail: string, python: string): string | null {
  const missing = /ModuleNotFoundError: No module named '([^']+)'/.exec(outputTail)?.[1];
  if (!missing) return null;
  if (missing === 'tinytorch' || missing.startsWith('tinytorch.')) {
    return `${python} found no ${missing}: export the module that provides it (tito module complete NN) and run again.`;
  }
  return `${python} has no module named '${missing}': install it there (${python} -m pip install ${missing.split('.')[0]}), or run with the Python that has it (--python, TINYTORCH_PYTHON, or activate its virtual environment).`;
}

export function runText(milestone: CatalogMilestone, outcome: { passed: boolean; detail: string; outputTail: string }, newlyCompleted: boolean, python?: string): string {
  if (outcome.passed) {
    return newlyCompleted ? `✅ ${milestone.name}: ${outcome.detail}\n\n${completedMessage(milestone)}` : `✅ ${milestone.name}: ${outcome.detail}`;
  }
  const tail = lastLines(outcome.outputTail, 15);
  const hint = python ? missingModuleHint(outcome.outputTail, python) : null;
  return `❌ ${milestone.name}: ${outcome.detail}${hint ? ` ${hint}` : ''}${tail ? `${LAST_OUTPUT_HEADING}${tail}` : ''}`;
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
    ? `${what}. A deletion alone un-completes nothing: tito's module reset (which removes it from tito's progress.json) or "tinytorch-milestones reset ${module}" does.`
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

// ---- runs: why a verification ended (RunOutcome.detail) ----

/** Ends a sentence that may already end with its own punctuation. */
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 120) return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
  return `${Math.round(seconds / 60)} min`;
}

/** One sentence for a person: why a run passed or failed. */
/** What a stop reached: every process, or all but the pids that survived it. */
function stoppedProcesses(survivors: readonly number[] | undefined): string {
  if (!survivors?.length) return 'every process it started';
  return `every process it started except ${survivors.length === 1 ? 'one that survived' : `${survivors.length} that survived`} (pid ${survivors.join(', ')})`;
}

export function runDetail(reason: RunReason): string {
  switch (reason.kind) {
    case 'pytest-passed':
      return `pytest passed ${reason.node}.`;
    case 'scripts-passed':
      return reason.scripts.length === 1 ? `${reason.scripts[0]} exited with code 0.` : `All ${reason.scripts.length} scripts exited with code 0.`;
    case 'exited':
      return reason.signal !== null ? `${reason.what} was ended by ${reason.signal}.` : `${reason.what} failed with exit code ${reason.exitCode}.`;
    case 'returned-false':
      return `${reason.node} returned False, which counts as a failure when honest returns are on.`;
    case 'not-collected':
      return `pytest could not collect ${reason.node}: ${sentence(reason.reason ?? `pytest exited with code ${reason.exitCode} before running it`)}`;
    case 'not-run': {
      const why = reason.reason ? ` (${reason.reason.replace(/[.]$/, '')})` : '';
      const rule = 'a milestone passes only when its test runs and passes';
      if (reason.how === 'skipped') return `${reason.nodeid} was skipped${why}, so it verified nothing: ${rule}.`;
      if (reason.how === 'xfailed') return `${reason.nodeid} is marked xfail${why} and failed as expected: ${rule}.`;
      return `${reason.nodeid} is marked xfail${why}: ${rule} without it.`;
    }
    case 'no-outcome': {
      const ended = reason.signal !== null ? `pytest was ended by ${reason.signal}` : `pytest exited with code ${reason.exitCode}`;
      const hint = reason.exitCode === 0 ? ' (did the test call os._exit?)' : '';
      return `${ended} before reporting the outcome of ${reason.node}${hint}, so it counts as failed.`;
    }
    case 'timeout':
      return `The run did not finish within ${formatDuration(reason.timeoutMs)}, so it was stopped along with ${stoppedProcesses(reason.survivors)}.`;
    case 'cancelled':
      return `The run was cancelled, and ${reason.survivors?.length ? `it was stopped along with ${stoppedProcesses(reason.survivors)}` : 'every process it started was stopped'}.`;
    case 'spawn-failed':
      if (reason.code === 'ENOENT') return `Could not start Python "${reason.python}": it was not found (set the python option, --python or TINYTORCH_PYTHON).`;
      if (reason.code === 'EACCES') return `Could not start Python "${reason.python}": permission denied.`;
      return `Could not start Python "${reason.python}": ${sentence(reason.message.split('\n')[0] ?? reason.code)}`;
    case 'workspace-missing':
      return `Could not run in the workspace ${reason.workspace}: it is not an existing folder.`;
    case 'outside-workspace':
      return `Refused to run ${reason.path}: it resolves to ${reason.resolved}, outside the workspace ${reason.workspace}; a catalog runs only what is inside the workspace.`;
    case 'plugin-missing':
      return `The honest-returns pytest plugin is missing from this installation (looked in ${reason.looked.join(', ')}).`;
    default:
      return unreachable(reason);
  }
}

// ---- the command line ----

export function runTimeoutFlagText(received: string): string {
  return `--run-timeout-ms expects a positive whole number of milliseconds, received "${received}"`;
}

export function unknownCommandText(name: string): string {
  return `unknown command "${name}"; try --help`;
}

export function commandArgumentsText(name: string, expected: readonly string[], received: readonly string[]): string {
  return `${name} takes ${expected.length ? expected.join(' ') : 'no arguments'}; received ${received.length ? received.join(' ') : 'none'}`;
}

export function catalogText(result: {
  name: string;
  source: string;
  milestones: readonly { id: string; name: string; requires: readonly string[] }[];
  modules: readonly unknown[];
}): string {
  const lines = [`Catalog ${result.name} (${result.source}): ${result.milestones.length} milestones, ${result.modules.length} modules`, ''];
  for (const milestone of result.milestones) lines.push(`${milestone.id}  ${milestone.name}  requires ${milestone.requires.join(', ')}`);
  return lines.join('\n');
}

export function validCatalogText(source: string, catalog: { name: string; milestones: readonly unknown[]; moduleIds: readonly string[] }): string {
  return `${source}: a valid catalog "${catalog.name}" with ${catalog.milestones.length} milestones and ${catalog.moduleIds.length} modules.`;
}

export function invalidCatalogText(source: string, problems: readonly string[]): string {
  return [`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, ...problems.map((problem) => `  - ${problem}`)].join('\n');
}

export function repairedText(path: string, backup: string | null): string {
  return backup ? `Started a fresh progress file at ${path}; the old one is kept at ${backup}.` : `Started a fresh progress file at ${path}.`;
}

// ---- the protocol and the sidecar's log ----

export function invalidParamsText(method: string, issues: string): string {
  return `Invalid params for ${method}: ${issues}`;
}

export function unknownMilestoneText(id: string, catalog: string, known: readonly string[]): string {
  return `unknown milestone "${id}": the ${catalog} catalog has ${known.join(', ')}`;
}

export function unknownMethodText(method: string): string {
  return `Unknown method ${method}`;
}

export const INITIALIZE_TWICE_TEXT = 'initialize was already received; it is sent once per connection';

export function afterShutdownText(method: string): string {
  return `${method} after shutdown: the server is shutting down`;
}

export function cancelledText(method: string): string {
  return `${method} was cancelled`;
}

/** A bug: the request failed for a reason nobody expected. */
export function requestFailedText(method: string, detail: string): string {
  return `${method} failed: ${detail}`;
}

/** A message to the client that could not be written (the client is gone). */
export function sendFailedText(method: string, detail: string): string {
  return `could not send ${method}: ${detail}`;
}

/** A request to the client that failed or was refused; nothing waits on it. */
export function requestToClientFailedText(method: string, detail: string): string {
  return `${method} to the client failed: ${detail}`;
}

export function unknownEditorCommandText(command: string, known: readonly string[]): string {
  return `Unknown command ${JSON.stringify(command.slice(0, 80))}: the commands are ${known.join(', ')}.`;
}

export function clientGoneText(pid: number): string {
  return `The client (process ${pid}) is gone: stopping every run and exiting.`;
}

export function clientProcessIdFlagText(value: string): string {
  return `--clientProcessId expects a process id (a positive whole number), received "${value}"`;
}

export function watchingFailedText(detail: string): string {
  return `watching failed to start: ${detail}`;
}

export function watchErrorText(path: string | null, detail: string): string {
  return `watching ${path}: ${detail}`;
}

export function progressFileUnreadText(detail: string): string {
  return `the progress file changed but was not read: ${detail}`;
}

export function verifyingTitle(milestone: CatalogMilestone): string {
  return `Verifying ${milestone.name}`;
}

/** The last `$/progress` message of a run. */
export const RUN_PROGRESS_END = { cancelled: 'Cancelled', passed: 'Passed', failed: 'Failed' } as const;

// ---- catalogs and module names ----

/** Why a catalog file could not be read, as one of its problems. */
export function catalogUnreadableText(code: string | undefined, detail: string): string {
  return code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? detail})`;
}

export function catalogNotJsonText(detail: string): string {
  return `not valid JSON: ${detail}`;
}

export function catalogInvalidText(source: string, problems: readonly string[]): string {
  return `The catalog ${source} is invalid (built-in names are "seed" and "tinytorch"): ${problems.join('; ')}`;
}

export function moduleRefInvalidText(ref: string): string {
  return `expected a module name like "01_tensor" or a module number like "1", received ${JSON.stringify(ref.slice(0, 80))}`;
}

export function moduleNumberUnknownText(ref: string, catalog: string, moduleIds: readonly string[]): string {
  return `module number "${ref}" matches no module of the ${catalog} catalog (${moduleIds.join(', ')}); give its full name like "01_tensor"`;
}

export function moduleNumberAmbiguousText(ref: string, catalog: string, matches: readonly string[]): string {
  return `module number "${ref}" is ambiguous in the ${catalog} catalog (${matches.join(', ')}); give its full name`;
}

// ---- the per-user daemon (docs/protocol.md §12) ----

export function daemonFolderUnsafeText(folder: string, reason: string): string {
  return `The daemon's folder ${folder} cannot be used (${reason}); remove it or set XDG_RUNTIME_DIR to a private folder.`;
}

export function daemonNotRunningText(socket: string): string {
  return `No tinytorch-milestones daemon of this version is running (its socket would be ${socket}).`;
}

export function daemonAlreadyRunningText(socket: string): string {
  return `A tinytorch-milestones daemon is already running on ${socket}.`;
}

export function daemonStatusText(status: { pid: number; socket: string; version: string; build: string; connections: number; uptimeMs: number }): string {
  const minutes = Math.floor(status.uptimeMs / 60_000);
  const uptime = minutes > 0 ? `${minutes} min` : `${Math.round(status.uptimeMs / 1000)} s`;
  return `The tinytorch-milestones daemon ${status.version} (build ${status.build}) runs as pid ${status.pid} on ${status.socket}: ${status.connections} connection${status.connections === 1 ? '' : 's'}, up ${uptime}.`;
}

export function daemonStoppedText(status: { pid: number; socket: string }): string {
  return `Stopped the tinytorch-milestones daemon (pid ${status.pid}, ${status.socket}).`;
}

export const DAEMON_USAGE_TEXT = 'daemon takes status, stop or nothing';

export function notATitoCheckoutText(folder: string): string {
  return `${folder} is not a TinyTorch checkout: it has no tito/ folder to integrate with.`;
}

export function noClientText(): string {
  return 'the Python client (clients/python/tito_milestones.py) is not beside this build; reinstall with npm install -g tinytorch-milestones.';
}

/** One line per change `integrate` made (or did not need to make). */
export function integrateStepText(step: { action: string; path: string; what: string }): string {
  switch (step.what) {
    case 'tracker':
      return `${step.action} ${step.path}: the milestone tracker tito's \`module complete\` hook imports`;
    case 'command':
      return `${step.action} ${step.path}: \`tito milestones\` through the sidecar`;
    case 'registration':
      return step.action === 'restored'
        ? `restored ${step.path}: tito's own milestones command is registered again`
        : `${step.action} ${step.path}: registers our milestones command in place of tito's own`;
    case 'not-ours':
      return `skipped ${step.path}: a file integrate did not write is there; move it away and run integrate again`;
    case 'no-hook':
      return 'found no `module complete` hook importing milestone_tracker in tito/: the tracker was not placed';
    default:
      return "found no `'milestones': ...` command registration in tito/: tito's own milestones command stays";
  }
}

export function integrateSummaryText(steps: ReadonlyArray<{ action: string; what: string }>, undo: boolean): string {
  const changed = steps.filter((step) => ['created', 'edited', 'removed', 'restored'].includes(step.action)).length;
  if (undo) return changed ? 'The checkout is as it was before integrate.' : 'Nothing to undo: this checkout is not integrated.';
  return changed ? 'tito now uses the tinytorch-milestones sidecar; `tinytorch-milestones integrate --undo DIR` takes it back.' : 'Already integrated: nothing changed.';
}

export function undoOnlyForIntegrateText(): string {
  return '--undo goes with integrate: tinytorch-milestones integrate --undo DIR';
}

/** What could not be read as a message of the protocol (answered with id null, or logged). */
export type FramingProblem =
  | { kind: 'oversized'; bytes: number; limit: number }
  | { kind: 'bad-length'; header: string }
  | { kind: 'not-json'; detail: string }
  | { kind: 'not-utf8' }
  | { kind: 'interrupted'; bytes: number; length: number }
  | { kind: 'input-ended'; bytes: number; length: number | null }
  | { kind: 'batch' }
  | { kind: 'not-an-object' }
  | { kind: 'bad-id' }
  | { kind: 'no-method' }
  | { kind: 'duplicate-id'; id: string | number }
  | { kind: 'skipped-bytes'; bytes: number };

export function framingProblemText(problem: FramingProblem): string {
  switch (problem.kind) {
    case 'oversized':
      return `message of ${problem.bytes} bytes skipped: the limit is ${problem.limit / (1024 * 1024)} MiB`;
    case 'bad-length':
      return `message header has no usable Content-Length: received ${JSON.stringify(problem.header)}`;
    case 'not-json':
      return `message is not valid JSON: ${problem.detail}`;
    case 'not-utf8':
      return 'message is not valid JSON: its body is not valid UTF-8';
    case 'interrupted':
      return `message is not valid JSON: byte ${problem.bytes + 1} of a body announced as ${problem.length} bytes cannot be JSON, so reading goes on at the next Content-Length header`;
    case 'input-ended':
      return problem.length === null ? 'input ended inside a message header' : `input ended inside a message: ${problem.bytes} of its ${problem.length} bytes arrived`;
    case 'batch':
      return 'invalid request: batches are not supported';
    case 'not-an-object':
      return 'invalid request: a message must be a JSON object';
    case 'bad-id':
      return 'invalid request: a request id must be a string or a number';
    case 'no-method':
      return 'invalid request: a message needs a "method" string';
    case 'duplicate-id':
      return `invalid request: the request with id ${JSON.stringify(problem.id)} is still being answered, and ids must differ while pending`;
    case 'skipped-bytes':
      return `skipped ${problem.bytes} bytes of input that were not a protocol message`;
  }
}

export function inputPausedText(unanswered: number, unwritten: number): string {
  return `input paused: ${unanswered} requests are unanswered and ${unwritten} messages unwritten; reading resumes as they go out`;
}

export function inputResumedText(): string {
  return 'input resumed: the answers went out';
}

// ---- the progress store ----

export function progressChangeCancelledText(path: string): string {
  return `Stopped before changing the progress file ${path}.`;
}

/** Why a corrupt progress file could not be copied aside (a clause of progressFileCorruptText). */
export function backupFailedReason(code: string | undefined, folder: string, detail: string): string {
  if (code === 'EACCES' || code === 'EPERM') return `permission denied in ${folder}`;
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOSPC') return 'the disk is full';
  return detail;
}

// ---- reasons: clauses the sentences above are built with ----

export function notJsonReason(detail: string): string {
  return `not valid JSON (${detail})`;
}

export function notAnObjectReason(found: string): string {
  return `expected a JSON object, found ${found}`;
}

/** Why something at a lock path is not a lock any holder will release. */
export function lockUnusableReason(what: 'folder' | 'symbolic-link' | 'not-a-file' | 'unreadable'): string {
  switch (what) {
    case 'folder':
      return 'it is a folder';
    case 'symbolic-link':
      return 'it is a symbolic link';
    case 'not-a-file':
      return 'it is not a regular file';
    case 'unreadable':
      return 'it cannot be read (permission denied)';
    default:
      return unreachable(what);
  }
}

export function lockUnremovableReason(detail: string): string {
  return `it cannot be removed (${detail})`;
}

/** A progress file in a folder that any user may write to and that has no sticky bit (docs/protocol.md, SECURITY.md). */
export function progressFolderSharedText(path: string, folder: string): string {
  return `Refusing the progress file ${path}: its folder ${folder} can be written by every user and has no sticky bit, so anyone could replace the file; choose a private folder with --progress-file or TINYTORCH_PROGRESS_FILE.`;
}

/** The same in a sticky folder such as /tmp: others cannot replace our files, but can read and pre-create names. */
export function progressFolderStickyText(path: string, folder: string): string {
  return `The progress file ${path} is in ${folder}, which every user can write to (with the sticky bit); a private folder is safer.`;
}
