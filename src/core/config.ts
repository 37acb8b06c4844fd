// Settings resolution, pure: initializationOptions, then flags, then environment, then defaults (docs/protocol.md §3; the README's Configuration).
import type { InitializationOptions, Popups } from '../../protocol/plain.js';

export interface Config {
  readonly progressFile: string;
  readonly workspace: string | null;
  readonly exports: string | null;
  /** A built-in catalog name or a file path. */
  readonly catalog: string;
  readonly python: string;
  /** Set by the user (option, flag, environment); null: the milestone's own `timeoutMs`, else ten minutes. */
  readonly runTimeoutMs: number | null;
  /** When editors get window/showMessage besides our notifications (docs/protocol.md §10). */
  readonly popups: Popups;
}

export type Settings = Partial<{ [K in keyof Config]: Exclude<Config[K], null> }>;

export const DEFAULT_RUN_TIMEOUT_MS = 10 * 60 * 1000;

export interface ConfigSources {
  readonly initializationOptions?: InitializationOptions;
  /** From `initialize`: `rootUri` (file URI) or `rootPath`, already turned into a path. */
  readonly rootPath?: string | null;
  /** The one-shot CLI's current directory when it holds a TinyTorch checkout: the workspace when none is set. */
  readonly checkoutHere?: string | null;
  readonly flags: Settings;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  /** Whether a workspace has today's layout (`src/01_tensor/`): then the `tinytorch` catalog is the default. */
  readonly hasTodayLayout: (workspace: string) => boolean;
  readonly joinPath: (...parts: string[]) => string;
}

const nonEmpty = (value: string | undefined | null): string | undefined => (value ? value : undefined);

/** The student's environment: the active virtual environment's Python, else `python3` from PATH. */
export function defaultPython(env: Readonly<Record<string, string | undefined>>, joinPath: (...parts: string[]) => string): string {
  const venv = nonEmpty(env.VIRTUAL_ENV);
  return venv ? joinPath(venv, 'bin', 'python') : 'python3';
}

export function resolveConfig(sources: ConfigSources): Config {
  const options = sources.initializationOptions ?? {};
  const { flags, env } = sources;
  const envTimeout = Number(env.TINYTORCH_RUN_TIMEOUT_MS);
  const workspace = options.workspace ?? flags.workspace ?? nonEmpty(env.TINYTORCH_WORKSPACE) ?? nonEmpty(sources.rootPath) ?? nonEmpty(sources.checkoutHere) ?? null;
  const exports = options.exports ?? flags.exports ?? nonEmpty(env.TINYTORCH_EXPORTS) ?? (workspace ? sources.joinPath(workspace, 'tinytorch') : null);
  const catalog = options.catalog ?? flags.catalog ?? nonEmpty(env.TINYTORCH_CATALOG) ?? (workspace && sources.hasTodayLayout(workspace) ? 'tinytorch' : 'seed');
  return {
    progressFile: options.progressFile ?? flags.progressFile ?? nonEmpty(env.TINYTORCH_PROGRESS_FILE) ?? sources.joinPath(sources.home, '.tinytorch', 'progress.json'),
    workspace,
    exports,
    catalog,
    python: options.python ?? flags.python ?? nonEmpty(env.TINYTORCH_PYTHON) ?? defaultPython(env, sources.joinPath),
    runTimeoutMs: options.runTimeoutMs ?? flags.runTimeoutMs ?? (envTimeout > 0 ? envTimeout : null),
    popups: options.popups ?? flags.popups ?? 'auto',
  };
}

/** A run's time limit: the request's, else the user's setting, else the milestone's own, else ten minutes. */
export function runTimeoutFor(config: Pick<Config, 'runTimeoutMs'>, milestone: { readonly timeoutMs?: number | undefined }, requested?: number): number {
  return requested ?? config.runTimeoutMs ?? milestone.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
}
