// The composition root: argv and env -> configuration -> adapters -> the stdio server or a one-shot command.
import { guardStdout } from './adapters/stdout-guard.js';
import { existsSync } from 'node:fs';
import { constants as osConstants, homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveConfig, type Config, type ConfigSources, type Settings } from './core/config.js';
import { createStderrLogger } from './adapters/logger.js';
import type { Logger } from './ports.js';
import { CLI_USAGE, clientGoneText, clientProcessIdFlagText, DAEMON_USAGE_TEXT, rootUriUnusableText, runTimeoutFlagText } from './core/messages.js';
import { editorProfile, NO_EDITOR } from './core/editor-profile.js';
import { createClientWatchdog } from './adapters/client-watchdog.js';
import { InvalidParamsError } from '../protocol/plain.js';
import { failure, UsageError } from './cli/errors.js';

declare const TINYTORCH_MILESTONES_VERSION: string | undefined;
export const VERSION = typeof TINYTORCH_MILESTONES_VERSION === 'string' ? TINYTORCH_MILESTONES_VERSION : '0.0.0-dev';

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
  undo: { type: 'boolean' },
  // The editor's pid (vscode-languageclient passes --clientProcessId=N): the sidecar ends when it dies.
  clientProcessId: { type: 'string' },
} as const;

function flagSettings(values: Record<string, string | boolean | undefined>): Settings {
  const settings: { -readonly [K in keyof Settings]: Settings[K] } = {};
  if (typeof values['progress-file'] === 'string') settings.progressFile = values['progress-file'];
  if (typeof values.workspace === 'string') settings.workspace = values.workspace;
  if (typeof values.exports === 'string') settings.exports = values.exports;
  if (typeof values.catalog === 'string') settings.catalog = values.catalog;
  if (typeof values.python === 'string') settings.python = values.python;
  if (typeof values['run-timeout-ms'] === 'string') {
    const timeout = Number(values['run-timeout-ms']);
    if (!Number.isInteger(timeout) || timeout <= 0) throw new UsageError(runTimeoutFlagText(values['run-timeout-ms']));
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

/** A TinyTorch checkout: today's layout (`src/01_tensor/`), or tito beside the package it exports to. */
function isTinyTorchCheckout(folder: string): boolean {
  return existsSync(join(folder, 'src', '01_tensor')) || (existsSync(join(folder, 'tito')) && existsSync(join(folder, 'tinytorch')));
}

function rootPathOf(rootUri: string | null, rootPath: string | null): string | null {
  if (!rootUri?.startsWith('file:')) return rootPath;
  try {
    return fileURLToPath(rootUri);
  } catch (error) {
    throw new InvalidParamsError(rootUriUnusableText(rootUri, (error as Error).message));
  }
}

function clientProcessIdOf(value: string | boolean | undefined): number | null {
  if (typeof value !== 'string') return null;
  const pid = Number(value);
  if (!Number.isInteger(pid) || pid <= 0) throw new UsageError(clientProcessIdFlagText(value));
  return pid;
}

export interface SessionOptions {
  readonly input: Readable;
  readonly output: Writable;
  readonly flags: Settings;
  readonly logger: Logger;
  /** Called once with the exit code when the session ends (`exit`, or end of input). */
  readonly exit: (code: number) => void;
  /** Called with the client's pid from `initialize` (`processId`): the session ends when that process dies. */
  readonly watchClient?: (pid: number) => void;
  /** The environment settings come from; the process's own by default. */
  readonly env?: NodeJS.ProcessEnv;
}

/** One protocol session over a pair of streams: the sidecar's stdin/stdout, or in-memory streams in tests. */
export async function startSession(options: SessionOptions): Promise<void> {
  const { flags, logger } = options;
  const sources = (extra: Partial<ConfigSources> = {}) => configSources(flags, { ...(options.env ? { env: options.env } : {}), ...extra });
  const base = resolveConfig(sources());
  // Already in the one-file bundle (scripts/build.mjs): each import() is a require of code in that file, run here,
  // so the start-up reads no other file, and the one-shot commands never initialise vscode-jsonrpc or the router.
  const [{ createStdioConnection }, { createEditor }, { openServices }, { startServer }] = await Promise.all([
    import('./adapters/connection.js'),
    import('./adapters/editor.js'),
    import('./cli/services.js'),
    import('./server.js'),
  ]);
  const stdio = createStdioConnection({ input: options.input, output: options.output, logger });
  const editor = createEditor(stdio.connection, logger);
  // Pop-ups and progress bars follow what the client declared; a client without initialize is no editor.
  const open = (config: Config, capabilities: unknown) =>
    openServices({ config, notifier: editor.notifier(stdio.notifier, capabilities === null ? NO_EDITOR : editorProfile(config.popups, capabilities)), logger });
  const initialServices = await open(base, null);
  startServer({
    connection: stdio.connection,
    initialServices,
    openServices: (init) =>
      init
        ? open(resolveConfig(sources({ initializationOptions: init.initializationOptions, rootPath: rootPathOf(init.rootUri, init.rootPath) })), init.capabilities)
        : open(base, null),
    watchClient: (pid) => options.watchClient?.(pid),
    drained: stdio.drained,
    onInputEnd: stdio.onInputEnd,
    exit: options.exit,
    logger,
    version: VERSION,
  });
}

async function serve(flags: Settings, clientProcessId: number | null, input: Readable = process.stdin): Promise<void> {
  const protocolOut = guardStdout();
  const logger = createStderrLogger();
  // Told to stop, exit at once: the exit hook of run-child kills every run's process group, which a signal's
  // default action would leave running.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => process.exit(128 + osConstants.signals[signal]));
  // A client that goes away takes our stdout with it (EPIPE): nobody is left to answer, so exit quietly, the same
  // way (runs killed by that exit hook), instead of dying of an unhandled 'error' event. A closed stderr is no crash either.
  const clientGone = () => process.exit(0);
  process.stdout.on('error', clientGone);
  protocolOut.on('error', clientGone);
  process.stderr.on('error', () => {});
  // A dead client is a SIGTERM: whatever is going (a long request, a run) ends, and every run's group is killed.
  const watchdog = createClientWatchdog((pid) => {
    logger.warn(clientGoneText(pid));
    process.exit(128 + osConstants.signals.SIGTERM);
  });
  if (clientProcessId !== null) watchdog.watch(clientProcessId);
  await startSession({
    input,
    output: protocolOut,
    flags,
    logger,
    watchClient: (pid) => watchdog.watch(pid),
    exit: (code) => protocolOut.end(() => process.exit(code)),
  });
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(`${CLI_USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const flags = flagSettings(values);
  if (values.stdio) {
    await serve(flags, clientProcessIdOf(values.clientProcessId));
    return -1; // the server decides when to exit
  }
  if (positionals[0] === 'connect' && positionals.length === 1) {
    const [{ bridge }, { currentAddress }] = await Promise.all([import('./daemon/connect.js'), import('./daemon/command.js')]);
    const fallback = await bridge({ address: currentAddress(VERSION), command: { file: process.execPath, args: [process.argv[1]!] } });
    if (fallback) await serve(flags, clientProcessIdOf(values.clientProcessId), fallback.input);
    return -1;
  }
  if (positionals[0] === 'daemon') {
    if (positionals.length > 2 || (positionals[1] !== undefined && positionals[1] !== 'status' && positionals[1] !== 'stop'))
      throw new UsageError(`${DAEMON_USAGE_TEXT}\n\n${CLI_USAGE}`);
    const { daemonCommand } = await import('./daemon/command.js');
    return daemonCommand(positionals.slice(1), { version: VERSION, json: values.json === true, rootPathOf });
  }
  // A reader that goes away (`| head`) ends the command quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  const { runCommand } = await import('./cli/oneshot.js');
  // Inside a checkout, its folder is the workspace: the same answer as the clients give in that folder.
  const here = process.cwd();
  const config = resolveConfig(configSources(flags, { checkoutHere: isTinyTorchCheckout(here) ? here : null }));
  return runCommand({ positionals, json: values.json === true, undo: values.undo === true, config, version: VERSION });
}

/**
 * The command's entry point (bin/ calls it): the exit status, or null when the sidecar decides when to exit.
 * Failures are reported here, in one place: expected ones in one sentence, a bug with its stack.
 */
export async function main(argv: readonly string[]): Promise<number | null> {
  try {
    const code = await dispatch(argv);
    return code >= 0 ? code : null;
  } catch (error) {
    const { text, exitCode } = failure(error);
    process.stderr.write(`tinytorch-milestones: ${text}\n`);
    return exitCode;
  }
}
