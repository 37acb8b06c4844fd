// Builds the adapters behind one configuration: catalog, store, announcer, lazily the runner and watchers.
import type { Config } from '../core/config.js';
import { watchingFailedText } from '../core/messages.js';
import { loadCatalog } from '../adapters/catalog-loader.js';
import { checkProgressFolder } from '../adapters/progress-folder.js';
import { createFileStore } from '../adapters/store.js';
import { scanWorkspace } from '../adapters/workspace-scan.js';
import { createAnnouncer } from '../handlers/announcer.js';
import type { HandlerContext, Logger, Notifier, Runner, Services, Watchers } from '../ports.js';

export interface ServicesOptions {
  readonly config: Config;
  readonly notifier: Notifier;
  readonly logger: Logger;
  /** Starts this session's watchers; the daemon shares them between sessions (src/daemon/watcher-hub.ts). */
  readonly watch?: (context: HandlerContext) => Promise<Watchers>;
  /** Over this process's environment for runs: a daemon session's client environment. */
  readonly runEnv?: Readonly<Record<string, string | undefined>>;
  /** Ends every wait for the progress file's lock (the one-shot CLI, told to stop). */
  readonly signal?: AbortSignal;
}

export async function openServices(options: ServicesOptions): Promise<Services> {
  const { config, notifier, logger } = options;
  const catalog = await loadCatalog(config.catalog);
  checkProgressFolder(config.progressFile, logger);
  const store = createFileStore({ path: config.progressFile, logger, ...(options.signal ? { signal: options.signal } : {}) });
  // The client is assumed to know the progress as it was at start; a corrupt file gives no baseline yet.
  const baseline = await store.read().catch(() => null);
  let runner: Promise<Runner> | null = null;
  const context: HandlerContext = {
    config,
    catalog,
    store,
    notifier,
    announcer: createAnnouncer(catalog, notifier, baseline),
    scanWorkspace: () => scanWorkspace(config, catalog),
    runner: () => (runner ??= import('../adapters/runner.js').then((module) => module.createRunner({ env: options.runEnv }))),
    runsInProgress: new Set(),
    logger,
    now: () => Date.now(),
  };
  // chokidar is imported on first use (dist/vendor/), so a sidecar that never watches does not pay for it.
  let watchers: Promise<Watchers | null> | null = null;
  let disposed = false;
  return {
    context,
    start() {
      if (watchers || disposed) return;
      watchers = import('./watchers.js')
        .then(({ startWatchers }) => (disposed ? null : (options.watch ?? startWatchers)(context)))
        .catch((error: unknown) => {
          notifier.log('error', watchingFailedText(error instanceof Error ? error.message : String(error)));
          return null;
        });
    },
    async dispose() {
      disposed = true;
      await (await watchers)?.close();
    },
  };
}
