// The one-shot CLI: the same handlers as the sidecar, answered once, as text or as the protocol's JSON.
import { constants as osConstants } from 'node:os';
import {
  Method,
  type CatalogRequest,
  type CheckExportRequest,
  type ListRequest,
  type MarkCompletedRequest,
  type ProgressRequest,
  type RescanRequest,
  type ResetRequest,
  type ResultOf,
  type RunRequest,
} from '../../protocol/plain.js';
import { checkCatalogFile } from '../adapters/catalog-loader.js';
import { createStderrLogger } from '../adapters/logger.js';
import { createFileStore } from '../adapters/store.js';
import type { Config } from '../core/config.js';
import {
  catalogText,
  commandArgumentsText,
  integrateStepText,
  integrateSummaryText,
  invalidCatalogText,
  LAST_OUTPUT_HEADING,
  undoOnlyForIntegrateText,
  repairedText,
  unknownCommandText,
  validCatalogText,
} from '../core/messages.js';
import { catalog } from '../handlers/catalog.js';
import { checkExport } from '../handlers/check-export.js';
import { parseParams } from '../core/params.js';
import type { Handler } from '../handlers/handler.js';
import { list } from '../handlers/list.js';
import { markCompleted } from '../handlers/mark-completed.js';
import { progress } from '../handlers/progress.js';
import { rescan } from '../handlers/rescan.js';
import { reset } from '../handlers/reset.js';
import { run } from '../handlers/run.js';
import type { Notifier } from '../ports.js';
import { UsageError } from './errors.js';
import { openServices } from './services.js';

interface Command {
  readonly args: readonly string[];
  readonly run: (args: readonly string[], config: Config, flags: { undo: boolean }) => Promise<{ json: unknown; text: string; exitCode?: number }>;
}

/** Whether the terminal's cursor is at the start of a line: a script's last prompt may leave it mid-line. */
let atLineStart = true;
/** With --json, stdout holds the result alone: a run's live output goes to stderr. */
let liveOutputToStderr = false;

/** A terminal has no pop-ups: notifications are dropped, run output is streamed as it comes. */
const terminalNotifier: Notifier = {
  unlocked: () => {},
  completed: () => {},
  runOutput: ({ stream, text }) => {
    if (stream === 'stderr' || liveOutputToStderr) return void process.stderr.write(text);
    if (text) atLineStart = text.endsWith('\n');
    process.stdout.write(text);
  },
  progressBar: () => null,
  log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
};

function viaHandler<
  D extends
    | typeof ProgressRequest
    | typeof ListRequest
    | typeof CheckExportRequest
    | typeof MarkCompletedRequest
    | typeof CatalogRequest
    | typeof RunRequest
    | typeof RescanRequest
    | typeof ResetRequest,
>(
  method: D['method'],
  handle: Handler<D>,
  toParams: (args: readonly string[]) => unknown,
  toText: (result: ResultOf<D>) => string,
  toExitCode: (result: ResultOf<D>) => number = () => 0,
): Command['run'] {
  return async (args, config) => {
    const params = await parseParams(method, toParams(args));
    return interruptible(async (signal) => {
      const { context } = await openServices({ config, notifier: terminalNotifier, logger: createStderrLogger(), signal });
      const result = await handle(params as never, context, signal);
      return { json: result, text: toText(result), exitCode: toExitCode(result) };
    });
  };
}

/** After a stop signal, the grace a command gets to finish (a run's group is killed within 1.5 s) before the CLI exits anyway. */
const STOP_GRACE_MS = 3_000;

/**
 * Ctrl-C, a kill or a closed terminal stops the command: the lock wait ends, a run's whole process group is killed,
 * and the CLI always exits, even if something still waits.
 */
async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const interrupt = (name: NodeJS.Signals) => {
    controller.abort();
    setTimeout(() => process.exit(128 + (osConstants.signals[name] ?? 15)), STOP_GRACE_MS).unref();
  };
  process.once('SIGINT', interrupt).once('SIGTERM', interrupt).once('SIGHUP', interrupt);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', interrupt).off('SIGTERM', interrupt).off('SIGHUP', interrupt);
  }
}

const withText = (result: { text: string }) => result.text;

const COMMANDS: Record<string, Command> = {
  progress: { args: [], run: viaHandler<typeof ProgressRequest>(Method.Progress, progress, () => ({}), withText) },
  list: { args: [], run: viaHandler<typeof ListRequest>(Method.List, list, () => ({}), withText) },
  catalog: { args: [], run: viaHandler<typeof CatalogRequest>(Method.Catalog, catalog, () => ({}), catalogText) },
  'check-export': { args: ['MODULE'], run: viaHandler<typeof CheckExportRequest>(Method.CheckExport, checkExport, ([module]) => ({ module }), withText) },
  rescan: { args: [], run: viaHandler<typeof RescanRequest>(Method.Rescan, rescan, () => ({}), withText) },
  reset: { args: ['MODULE'], run: viaHandler<typeof ResetRequest>(Method.Reset, reset, ([module]) => ({ module }), withText) },
  'mark-completed': {
    args: ['ID'],
    run: viaHandler<typeof MarkCompletedRequest>(
      Method.MarkCompleted,
      markCompleted,
      ([id]) => ({ id }),
      (result) => result.message,
    ),
  },
  run: {
    args: ['ID'],
    // The output was streamed as it came: print the verdict without repeating its tail.
    run: viaHandler<typeof RunRequest>(
      Method.Run,
      run,
      ([id]) => ({ id }),
      (result) => result.text.split(LAST_OUTPUT_HEADING)[0] ?? result.text,
      (result) => (result.passed ? 0 : 1),
    ),
  },
  'validate-catalog': {
    args: ['FILE'],
    run: async ([file]) => {
      const check = await checkCatalogFile(file!);
      if (check.ok) {
        const { catalog: valid } = check;
        return {
          json: { valid: true, source: check.source, problems: [] },
          text: validCatalogText(check.source, valid),
        };
      }
      return {
        json: { valid: false, source: check.source, problems: check.problems },
        text: invalidCatalogText(check.source, check.problems),
        exitCode: 1,
      };
    },
  },
  integrate: {
    args: ['DIR'],
    run: async ([folder], _config, { undo }) => {
      const { integrate, undoIntegrate } = await import('../adapters/integrate.js');
      const steps = undo ? await undoIntegrate(folder!) : await integrate(folder!);
      return { json: { undo, steps }, text: [...steps.map(integrateStepText), integrateSummaryText(steps, undo)].join('\n') };
    },
  },
  repair: {
    args: [],
    run: async (_args, config) => {
      const store = (signal: AbortSignal) => createFileStore({ path: config.progressFile, logger: createStderrLogger(), signal });
      const { backup } = await interruptible((signal) => store(signal).repair());
      return {
        json: { path: config.progressFile, backup },
        text: repairedText(config.progressFile, backup),
      };
    },
  },
};

export async function runCommand(options: { positionals: readonly string[]; json: boolean; undo?: boolean; config: Config; version: string }): Promise<number> {
  const [name = 'progress', ...args] = options.positionals;
  const command = COMMANDS[name];
  if (!command) throw new UsageError(unknownCommandText(name));
  if (args.length !== command.args.length) {
    throw new UsageError(commandArgumentsText(name, command.args, args));
  }
  if (options.undo && name !== 'integrate') throw new UsageError(undoOnlyForIntegrateText());
  liveOutputToStderr = options.json;
  const outcome = await command.run(args, options.config, { undo: options.undo === true });
  // The result line starts a line of its own, even after a prompt the run's output left unfinished.
  if (!atLineStart) process.stdout.write('\n');
  process.stdout.write(`${options.json ? JSON.stringify(outcome.json, null, 2) : outcome.text}\n`);
  return outcome.exitCode ?? 0;
}
