// Builds the adapters behind one configuration: catalog, store, announcer, lazily the runner and watchers.
import type { Config } from './core/config.js';
import { loadCatalog } from './adapters/catalog-loader.js';
import { createFileStore } from './adapters/store.js';
import { createAnnouncer } from './announcer.js';
import type { HandlerContext, Logger, Notifier, Runner } from './ports.js';
import type { Services } from './server.js';

export interface ServicesOptions {
  readonly config: Config;
  readonly notifier: Notifier;
  readonly logger: Logger;
}

export async function openServices(options: ServicesOptions): Promise<Services> {
  const { config, notifier, logger } = options;
  const catalog = await loadCatalog(config.catalog);
  const store = createFileStore({ path: config.progressFile, logger });
  // The client is assumed to know the progress as it was at start; a corrupt file gives no baseline yet.
  const baseline = await store.read().catch(() => null);
  let runner: Promise<Runner> | null = null;
  const context: HandlerContext = {
    config,
    catalog,
    store,
    notifier,
    announcer: createAnnouncer(catalog, notifier, baseline),
    runner: () => (runner ??= import('./adapters/runner.js').then((module) => module.createRunner())),
    runsInProgress: new Set(),
    logger,
    now: () => Date.now(),
  };
  return {
    context,
    start() {},
    async dispose() {},
  };
}
