// Reads what a workspace shows as completed, on demand (a rescan): every exported module file and tito's progress.json.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MilestoneError } from '../../protocol/index.js';
import type { ActiveCatalog } from '../core/catalog.js';
import type { Config } from '../core/config.js';
import { isExportCandidate, moduleOfExport, relativeTo } from '../core/export-mapping.js';
import { modulesForNumbers } from '../core/modules.js';
import { parseTitoProgress } from '../core/tito-progress.js';
import type { WorkspaceScan } from '../ports.js';
import { readHead } from './read-head.js';

/** tito's own record of `tito module complete`, at the workspace's top. */
export function titoProgressPath(workspace: string): string {
  return join(workspace, 'progress.json');
}

async function exportedFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** tito's completed module numbers, mapped through the catalog; a missing file completes nothing. */
export async function readTitoModules(path: string, catalog: ActiveCatalog): Promise<{ modules: string[]; problem: string | null }> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return { modules: [], problem: null };
  const parsed = parseTitoProgress(text);
  if (!parsed.ok) return { modules: [], problem: `tito's progress file ${path} was not read: ${parsed.reason}` };
  return { modules: modulesForNumbers(catalog, parsed.numbers), problem: null };
}

export async function scanWorkspace(config: Config, catalog: ActiveCatalog): Promise<WorkspaceScan> {
  if (!config.exports && !config.workspace) {
    throw new MilestoneError('no-workspace', 'rescan needs a workspace (--workspace, TINYTORCH_WORKSPACE or the editor folder) or an export directory (--exports)', {});
  }
  const found = new Set<string>();
  const problems: string[] = [];
  if (config.exports) {
    const folder = resolve(config.exports);
    for (const path of await exportedFiles(folder)) {
      const relative = relativeTo(folder, path);
      if (relative === null || !isExportCandidate(relative)) continue;
      const content = await readHead(path);
      const module = content === null ? null : moduleOfExport({ folder, path, content }, catalog.modules);
      if (module) found.add(module);
    }
  }
  if (config.workspace) {
    const tito = await readTitoModules(titoProgressPath(config.workspace), catalog);
    for (const module of tito.modules) found.add(module);
    if (tito.problem) problems.push(tito.problem);
  }
  return { modules: [...found].sort(), problems };
}
