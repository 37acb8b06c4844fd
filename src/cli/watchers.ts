// The sidecar's background work: exports and tito's progress.json become completions, progress-file changes become notifications.
import { resolve } from 'node:path';
import { watchExports } from '../adapters/export-watcher.js';
import { watchFile } from '../adapters/file-watcher.js';
import type { FolderWatch } from '../adapters/watch-folder.js';
import { createGitEvidence } from '../adapters/git-evidence.js';
import { readTitoMilestones, readTitoModules, titoMilestonesPath, titoProgressPath, withExportFile } from '../adapters/workspace-scan.js';
import { exportDeletedText, gitExplainedText, progressFileUnreadText, titoWithoutExportText, watchErrorText, watchingText } from '../core/messages.js';
import { newlyListed, noLongerListed } from '../core/tito-progress.js';
import { milestonesCompletedElsewhere, modulesSeen, modulesUnlisted, progressFileChanged } from '../handlers/watch-events.js';
import type { HandlerContext, Watchers } from '../ports.js';

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * tito's `completed_modules`, cross-checked both ways (docs/protocol.md §11): a module listed after start-up counts when its
 * export file exists (tito lists it even when its export failed); one tito removes (`module reset`) is un-completed.
 */
async function watchTitoProgress(context: HandlerContext, workspace: string, path: string): Promise<FolderWatch> {
  let known = (await readTitoModules(path, context.catalog)).modules;
  return watchFile({
    file: path,
    onChange: async () => {
      const { modules, problem } = await readTitoModules(path, context.catalog);
      if (problem) return context.notifier.log('warning', problem);
      const added = newlyListed(known, modules);
      const removed = noLongerListed(known, modules);
      known = modules;
      if (removed.length) await modulesUnlisted(context, removed);
      const exported = await withExportFile(workspace, context.catalog, added);
      for (const module of added.filter((name) => !exported.includes(name))) {
        const file = context.catalog.modules.find((candidate) => candidate.id === module)?.export ?? module;
        context.notifier.log('info', titoWithoutExportText(module, file));
      }
      if (exported.length) await modulesSeen(context, exported);
    },
    onError: (error) => context.notifier.log('error', watchErrorText(path, describe(error))),
  });
}

/** tito's `.tito/milestones.json`: milestones its own `tito milestones run` completed after start-up. */
async function watchTitoMilestones(context: HandlerContext, path: string): Promise<FolderWatch> {
  let known = (await readTitoMilestones(path, context.catalog)).milestones;
  return watchFile({
    file: path,
    onChange: async () => {
      const { milestones, problem } = await readTitoMilestones(path, context.catalog);
      if (problem) return context.notifier.log('warning', problem);
      const added = newlyListed(known, milestones);
      known = milestones;
      if (added.length) await milestonesCompletedElsewhere(context, added);
    },
    onError: (error) => context.notifier.log('error', watchErrorText(path, describe(error))),
  });
}

export async function startWatchers(context: HandlerContext): Promise<Watchers> {
  const { config, notifier } = context;
  const watches: FolderWatch[] = [];
  const evidence = createGitEvidence();
  if (config.exports) {
    watches.push(
      watchExports({
        folder: config.exports,
        modules: context.catalog.modules,
        // In a git work tree, only content git cannot explain is a student's export (docs/protocol.md §11).
        onExport: async ({ module, path }) => {
          if (await evidence.isWork(path)) await modulesSeen(context, [module]);
          else notifier.log('info', gitExplainedText(path, module));
        },
        onDelete: ({ module, path }) => notifier.log('info', exportDeletedText(path, module)),
        onError: (error) => notifier.log('error', watchErrorText(config.exports, describe(error))),
      }),
    );
  }
  const titoProgress = config.workspace ? titoProgressPath(config.workspace) : null;
  if (config.workspace && titoProgress && resolve(titoProgress) !== resolve(config.progressFile)) {
    watches.push(await watchTitoProgress(context, config.workspace, titoProgress));
    watches.push(await watchTitoMilestones(context, titoMilestonesPath(config.workspace)));
  }
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
