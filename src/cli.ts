// The composition root: argv and env -> configuration -> adapters -> the stdio server or a one-shot command.
import { guardStdout } from './adapters/stdout-guard.js';
import { existsSync } from 'node:fs';
import { constants as osConstants, homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveConfig, type Config, type ConfigSources, type Settings } from './core/config.js';
import { createStderrLogger } from './adapters/logger.js';
import { rootUriUnusableText } from './core/messages.js';
import { CancelledError, InvalidParamsError, MilestoneError, SettingError } from '../protocol/index.js';

declare const TINYTORCH_MILESTONES_VERSION: string | undefined;
export const VERSION = typeof TINYTORCH_MILESTONES_VERSION === 'string' ? TINYTORCH_MILESTONES_VERSION : '0.0.0-dev';

const USAGE = `Usage: tinytorch-milestones --stdio [options]           serve JSON-RPC on stdin/stdout
       tinytorch-milestones COMMAND [options] [--json]

Commands:
  progress                 every milestone's status and what comes next
  list                     the unlocked milestones and how to verify them
  catalog                  the active catalog
  check-export MODULE      record MODULE as completed and show what it unlocks
  mark-completed ID        record milestone ID as completed without running it
  run ID                   run milestone ID's verification (exit code: the run's)
  rescan                   record every exported module found in the workspace
  reset MODULE             un-complete MODULE and re-lock what needs it
  validate-catalog FILE    check a catalog file and name every problem
  repair                   start a fresh progress file, keeping a backup of the old one

Options:
  --progress-file FILE  --workspace DIR  --exports DIR  --catalog NAME|FILE
  --python PATH  --run-timeout-ms N  --json  --version  --help`;

const OPTIONS = {
  stdio: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  'progress-file': { type: 'string' },
  workspace: { type: 'string' },
  exports: { type: 'string' },
  catalog: { type: 'string' },
  python: { type: 'string' },
  'run-timeout-ms': { type: 'string' },
  // vscode-languageclient passes --clientProcessId=N; accept and ignore it.
  clientProcessId: { type: 'string' },
} as const;

export class UsageError extends Error {}

function flagSettings(values: Record<string, string | boolean | undefined>): Settings {
  const settings: { -readonly [K in keyof Settings]: Settings[K] } = {};
  if (typeof values['progress-file'] === 'string') settings.progressFile = values['progress-file'];
  if (typeof values.workspace === 'string') settings.workspace = values.workspace;
  if (typeof values.exports === 'string') settings.exports = values.exports;
  if (typeof values.catalog === 'string') settings.catalog = values.catalog;
  if (typeof values.python === 'string') settings.python = values.python;
  if (typeof values['run-timeout-ms'] === 'string') {
    const timeout = Number(values['run-timeout-ms']);
    if (!Number.isInteger(timeout) || timeout <= 0) throw new UsageError(`--run-timeout-ms expects a positive whole number of milliseconds, received "${values['run-timeout-ms']}"`);
    settings.runTimeoutMs = timeout;
  }
  return settings;
}

export function configSources(flags: Settings, extra: Partial<ConfigSources> = {}): ConfigSources {
  return {
    flags,
    env: process.env,
    home: homedir(),
    hasTodayLayout: (workspace) => existsSync(join(workspace, 'src', '01_tensor')),
    joinPath: join,
    ...extra,
  };
}

function rootPathOf(rootUri: string | null, rootPath: string | null): string | null {
  if (!rootUri?.startsWith('file:')) return rootPath;
  try {
    return fileURLToPath(rootUri);
  } catch (error) {
    throw new InvalidParamsError(rootUriUnusableText(rootUri, (error as Error).message));
  }
}

async function serve(flags: Settings): Promise<void> {
  const protocolOut = guardStdout();
  const logger = createStderrLogger();
  // Told to stop, exit at once: the exit hook of run-child kills every run's process group, which a signal's
  // default action would leave running.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => process.exit(128 + osConstants.signals[signal]));
  const base = resolveConfig(configSources(flags));
  const [{ createStdioConnection }, { openServices }, { startServer }] = await Promise.all([
    import('./adapters/connection.js'),
    import('./services.js'),
    import('./server.js'),
  ]);
  const stdio = createStdioConnection({ input: process.stdin, output: protocolOut, logger });
  const open = (config: Config) => openServices({ config, notifier: stdio.notifier, logger });
  const initialServices = await open(base);
  startServer({
    connection: stdio.connection,
    initialServices,
    openServices: (init) =>
      open(
        init
          ? resolveConfig(configSources(flags, { initializationOptions: init.initializationOptions, rootPath: rootPathOf(init.rootUri, init.rootPath) }))
          : base,
      ),
    drained: stdio.drained,
    onInputEnd: stdio.onInputEnd,
    exit: (code) => {
      protocolOut.end(() => process.exit(code));
    },
    logger,
    version: VERSION,
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const flags = flagSettings(values);
  if (values.stdio) {
    await serve(flags);
    return -1; // the server decides when to exit
  }
  // A reader that goes away (`| head`) ends the command quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  const { runCommand } = await import('./oneshot.js');
  return runCommand({ positionals, json: values.json === true, config: resolveConfig(configSources(flags)), version: VERSION });
}

/** Expected failures and their exit codes: said in one sentence. Anything else is a bug, shown with its stack (70). */
const EXPECTED_FAILURES: ReadonlyArray<readonly [(error: unknown) => boolean, number]> = [
  [(error) => error instanceof MilestoneError && error.kind === 'catalog-invalid', 2], // a bad setting, like a bad flag
  [(error) => error instanceof MilestoneError, 1],
  [(error) => error instanceof UsageError || error instanceof InvalidParamsError || error instanceof SettingError, 2],
  [(error) => error instanceof CancelledError, 130],
];

function failure(error: unknown): { text: string; exitCode: number } {
  const expected = EXPECTED_FAILURES.find(([matches]) => matches(error));
  if (expected) return { text: (error as Error).message, exitCode: expected[1] };
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof Error && code?.startsWith('ERR_PARSE_ARGS')) {
    return { text: code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `${error.message}\n\n${USAGE}` : error.message, exitCode: 2 };
  }
  return { text: error instanceof Error ? (error.stack ?? error.message) : String(error), exitCode: 70 };
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const { text, exitCode } = failure(error);
    process.stderr.write(`tinytorch-milestones: ${text}\n`);
    process.exitCode = exitCode;
  },
);
