// The sidecar's background work: exports and tito's progress.json become completions, progress-file changes become notifications.
import { resolve } from 'node:path';
import { watchExports } from '../adapters/export-watcher.js';
import { watchFile } from '../adapters/file-watcher.js';
import type { FolderWatch } from '../adapters/watch-folder.js';
import { readTitoModules, titoProgressPath } from '../adapters/workspace-scan.js';
import { exportDeletedText, progressFileUnreadText, watchErrorText, watchingText } from '../core/messages.js';
import { newlyListed } from '../core/tito-progress.js';
import { modulesSeen, progressFileChanged } from '../handlers/watch-events.js';
import type { HandlerContext, Watchers } from '../ports.js';

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

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
      if (added.length) await modulesSeen(context, added);
    },
    onError: (error) => context.notifier.log('error', watchErrorText(path, describe(error))),
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
        onExport: ({ module }) => modulesSeen(context, [module]),
        onDelete: ({ module, path }) => notifier.log('info', exportDeletedText(path, module)),
        onError: (error) => notifier.log('error', watchErrorText(config.exports, describe(error))),
      }),
    );
  }
  const titoProgress = config.workspace ? titoProgressPath(config.workspace) : null;
  if (titoProgress && resolve(titoProgress) !== resolve(config.progressFile)) watches.push(await watchTitoProgress(context, titoProgress));
  watches.push(
    watchFile({
      file: config.progressFile,
      onChange: () => progressFileChanged(context),
      onError: (error) => notifier.log('warning', progressFileUnreadText(describe(error))),
    }),
  );
  await Promise.all(watches.map((watch) => watch.ready));
  notifier.log('info', watchingText({ exports: config.exports, titoProgress, progressFile: config.progressFile }));
  return { close: async () => void (await Promise.all(watches.map((watch) => watch.close()))) };
}
