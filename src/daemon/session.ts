// One daemon connection as a full session: the client's working directory and environment are its settings.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { PassThrough } from 'node:stream';
import { createStdioConnection } from '../adapters/connection.js';
import { isBuiltinCatalogName } from '../core/catalog.js';
import { resolveConfig, type Config, type ConfigSources } from '../core/config.js';
import type { Logger } from '../ports.js';
import { createEditor } from '../adapters/editor.js';
import { editorProfile, NO_EDITOR } from '../core/editor-profile.js';
import { startServer, type InitializeInfo } from '../server.js';
import { openServices } from '../cli/services.js';
import type { SessionStarter } from './serve.js';
import type { WatcherHub } from './watcher-hub.js';
import { isClientVariable } from './client-variables.js';

/** What a client sends in `initializationOptions.client`: where it runs and the environment its runs need. */
export interface ClientContext {
  /** Null when the client's own directory was deleted: its environment still applies. */
  readonly cwd: string | null;
  readonly env: Readonly<Record<string, string>>;
}

export function clientContext(value: unknown): ClientContext | null {
  if (typeof value !== 'object' || value === null) return null;
  const { cwd, env } = value as { cwd?: unknown; env?: unknown };
  const picked: Record<string, string> = {};
  if (typeof env === 'object' && env !== null) {
    for (const [name, text] of Object.entries(env)) if (isClientVariable(name) && typeof text === 'string') picked[name] = text;
  }
  return { cwd: typeof cwd === 'string' && isAbsolute(cwd) ? cwd : null, env: picked };
}

/** The environment a session's runs get: the daemon's, without another client's settings, then this client's. */
export function runEnvironment(daemonEnv: NodeJS.ProcessEnv, client: ClientContext | null): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of Object.keys(daemonEnv)) if (name.startsWith('TINYTORCH_')) env[name] = undefined;
  return client ? { ...env, ...client.env } : {};
}

/** The daemon's own folder, for a connection that sent no client: '/' once the folder it started in is gone. */
function daemonCwd(): string {
  try {
    return process.cwd();
  } catch {
    return '/';
  }
}

/** Settings as the client would have resolved them itself: its environment, its home, paths from its directory. */
export function clientConfig(init: InitializeInfo, client: ClientContext | null, daemonEnv: NodeJS.ProcessEnv): Config {
  const cwd = client?.cwd ?? daemonCwd();
  const env = client ? client.env : daemonEnv;
  const inCwd = (path: string) => resolve(cwd, path);
  const sources: ConfigSources = {
    initializationOptions: init.initializationOptions,
    rootPath: init.rootPath ?? null,
    flags: {},
    env,
    home: env.HOME || homedir(),
    hasTodayLayout: (workspace) => existsSync(join(inCwd(workspace), 'src', '01_tensor')),
    joinPath: join,
  };
  const config = resolveConfig(sources);
  return {
    ...config,
    progressFile: inCwd(config.progressFile),
    workspace: config.workspace === null ? null : inCwd(config.workspace),
    exports: config.exports === null ? null : inCwd(config.exports),
    catalog: isBuiltinCatalogName(config.catalog) ? config.catalog : inCwd(config.catalog),
    python: config.python.includes('/') ? inCwd(config.python) : config.python,
  };
}

export interface SessionOptions {
  readonly logger: Logger;
  readonly version: string;
  readonly hub: WatcherHub;
  /** Turns a rootUri into a path (or throws InvalidParamsError), as the stdio sidecar does. */
  readonly rootPathOf: (rootUri: string | null, rootPath: string | null) => string | null;
}

export function createSessionStarter(options: SessionOptions): SessionStarter {
  const { logger, hub } = options;
  return ({ input, output }: { input: PassThrough; output: Socket }) => {
    const stdio = createStdioConnection({ input, output, logger });
    const editor = createEditor(stdio.connection, logger);
    let finished: () => void = () => {};
    const closed = new Promise<void>((resolve) => (finished = resolve));
    void (async () => {
      try {
        // Pop-ups and progress bars follow what the client declared; a client without initialize is no editor.
        const open = (config: Config, client: ClientContext | null, capabilities: unknown) => {
          const notifier = editor.notifier(stdio.notifier, capabilities === null ? NO_EDITOR : editorProfile(config.popups, capabilities));
          return openServices({ config, notifier, logger, watch: hub.watch, runEnv: runEnvironment(process.env, client) });
        };
        const none: InitializeInfo = { initializationOptions: null, rootUri: null, rootPath: null, capabilities: null };
        startServer({
          connection: stdio.connection,
          // Opened only for a request before initialize: a client's first message is initialize, which opens its own.
          initialServices: () => open(clientConfig(none, null, process.env), null, null),
          openServices: async (init) => {
            if (!init) return open(clientConfig(none, null, process.env), null, null);
            const client = clientContext(init.initializationOptions?.client);
            const rootPath = options.rootPathOf(init.rootUri, init.rootPath);
            return open(clientConfig({ ...init, rootPath }, client, process.env), client, init.capabilities);
          },
          drained: stdio.drained,
          onInputEnd: stdio.onInputEnd,
          exit: () => {
            output.end(() => output.destroy());
            stdio.connection.dispose();
            finished();
          },
          logger,
          version: options.version,
        });
      } catch (error) {
        logger.error(`a session could not start: ${error instanceof Error ? error.message : String(error)}`);
        output.destroy();
        finished();
      }
    })();
    return {
      closed,
      end: () => output.destroy(),
      onRequest: (method, handler) => stdio.connection.onRequest(method, handler),
    };
  };
}
