// The sidecar's background work: exports and tito's progress.json become completions, progress-file changes become notifications.
import { resolve } from 'node:path';
import { watchExports } from './adapters/export-watcher.js';
import { watchFile } from './adapters/file-watcher.js';
import type { FolderWatch } from './adapters/watch-folder.js';
import { readTitoModules, titoProgressPath } from './adapters/workspace-scan.js';
import { announceChange } from './announcer.js';
import { exportDeletedText, watchingText } from './core/messages.js';
import { newlyListed } from './core/tito-progress.js';
import { owePanels } from './core/pending-panels.js';
import { recordModules } from './core/rules.js';
import type { HandlerContext } from './ports.js';

export interface Watchers {
  close(): Promise<void>;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Records modules a watcher saw completed (cause `export`), and owes their unlock panels to tito's checkExport. */
async function recordSeen(context: HandlerContext, modules: readonly string[]): Promise<void> {
  const change = await context.store.update((current, pending) => {
    const { progress, newlyUnlocked } = recordModules(context.catalog, current, modules);
    const milestones = newlyUnlocked.map((milestone) => milestone.id);
    return { progress, value: null, pending: owePanels(pending, { milestones, modules, now: context.now() }) };
  });
  announceChange(context.announcer, change, 'export');
}

/** tito's `completed_modules`; only modules listed after start-up are completions (a rescan takes them all). */
async function watchTitoProgress(context: HandlerContext, path: string): Promise<FolderWatch> {
  let known = (await readTitoModules(path, context.catalog)).modules;
  return watchFile({
    file: path,
    onChange: async () => {
      const { modules, problem } = await readTitoModules(path, context.catalog);
      if (problem) return context.notifier.log('warning', problem);
      const added = newlyListed(known, modules);
      known = modules;
      if (added.length) await recordSeen(context, added);
    },
    onError: (error) => context.notifier.log('error', `watching ${path}: ${describe(error)}`),
  });
}

export async function startWatchers(context: HandlerContext): Promise<Watchers> {
  const { config, notifier } = context;
  const watches: FolderWatch[] = [];
  if (config.exports) {
    watches.push(
      watchExports({
        folder: config.exports,
        modules: context.catalog.modules,
        onExport: ({ module }) => recordSeen(context, [module]),
        onDelete: ({ module, path }) => notifier.log('info', exportDeletedText(path, module)),
        onError: (error) => notifier.log('error', `watching ${config.exports}: ${describe(error)}`),
      }),
    );
  }
  const titoProgress = config.workspace ? titoProgressPath(config.workspace) : null;
  if (titoProgress && resolve(titoProgress) !== resolve(config.progressFile)) watches.push(await watchTitoProgress(context, titoProgress));
  // Another process changed the progress file: announce what this connection has not seen. Its own writes
  // show nothing new to the announcer, so they do not echo.
  watches.push(
    watchFile({
      file: config.progressFile,
      onChange: async () => context.announcer.observe(await context.store.read(), 'external'),
      onError: (error) => notifier.log('warning', `the progress file changed but was not read: ${describe(error)}`),
    }),
  );
  await Promise.all(watches.map((watch) => watch.ready));
  notifier.log('info', watchingText({ exports: config.exports, titoProgress, progressFile: config.progressFile }));
  return { close: async () => void (await Promise.all(watches.map((watch) => watch.close()))) };
}
