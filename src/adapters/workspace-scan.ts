// Reads what a workspace shows as completed, on demand (a rescan): exported files git cannot explain, and tito's records.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { MilestoneError } from '../../protocol/plain.js';
import type { ActiveCatalog } from '../core/catalog.js';
import type { Config } from '../core/config.js';
import { isExportCandidate, isWatchedFolder, moduleOfExport, relativeTo } from '../core/export-mapping.js';
import { noWorkspaceForRescanText, titoFileUnreadableText } from '../core/messages.js';
import { modulesForNumbers } from '../core/modules.js';
import { parseTitoMilestones } from '../core/tito-milestones.js';
import { parseTitoProgress } from '../core/tito-progress.js';
import type { WorkspaceScan } from '../ports.js';
import { createGitEvidence, type WorkEvidence } from './git-evidence.js';
import { readHead } from './read-head.js';

/** tito's own record of `tito module complete`, at the workspace's top. */
export function titoProgressPath(workspace: string): string {
  return join(workspace, 'progress.json');
}

/** tito's own record of `tito milestones run`. */
export function titoMilestonesPath(workspace: string): string {
  return join(workspace, '.tito', 'milestones.json');
}

/** A file found under the export folder: its path as text (for mapping) and as the bytes the system holds. */
export interface FoundFile {
  readonly path: string;
  readonly raw: Buffer;
}

/**
 * Every regular file under `folder`, listed by bytes so that a name that is not UTF-8 (`caf\xe9.py`) can still be
 * opened. Symlinks are never followed (two links to `.` would make the walk endless) and FIFOs are not files.
 */
export async function exportedFiles(folder: string | Buffer): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  const pending: Buffer[] = [typeof folder === 'string' ? Buffer.from(folder) : folder];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    const entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' }).catch(() => []);
    for (const entry of entries) {
      const raw = Buffer.concat([dir, Buffer.from(sep), entry.name]);
      if (entry.isDirectory()) {
        if (isWatchedFolder(entry.name.toString('utf8'))) pending.push(raw);
      } else if (entry.isFile()) found.push({ path: raw.toString('utf8'), raw });
    }
  }
  return found;
}

/** tito's completed module numbers, mapped through the catalog; a missing file completes nothing. */
export async function readTitoModules(path: string, catalog: ActiveCatalog): Promise<{ modules: string[]; problem: string | null }> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return { modules: [], problem: null };
  const parsed = parseTitoProgress(text);
  if (!parsed.ok) return { modules: [], problem: titoFileUnreadableText(path, parsed.reason) };
  return { modules: modulesForNumbers(catalog, parsed.numbers), problem: null };
}

/** tito's completed milestones that the catalog knows; a missing file completes nothing. */
export async function readTitoMilestones(path: string, catalog: ActiveCatalog): Promise<{ milestones: string[]; problem: string | null }> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return { milestones: [], problem: null };
  const parsed = parseTitoMilestones(text);
  if (!parsed.ok) return { milestones: [], problem: titoFileUnreadableText(path, parsed.reason) };
  return { milestones: parsed.completed.filter((id) => catalog.milestone(id) !== undefined), problem: null };
}

/**
 * The modules of tito's list whose export file exists: tito records a module even when its export failed.
 * A module the catalog gives no export file is taken as listed.
 */
export async function withExportFile(workspace: string, catalog: ActiveCatalog, modules: readonly string[]): Promise<string[]> {
  const kept: string[] = [];
  for (const module of modules) {
    const exported = catalog.modules.find((candidate) => candidate.id === module)?.export;
    if (
      !exported ||
      (await stat(join(workspace, exported)).then(
        (info) => info.isFile(),
        () => false,
      ))
    )
      kept.push(module);
  }
  return kept;
}

export async function scanWorkspace(config: Config, catalog: ActiveCatalog, evidence: WorkEvidence = createGitEvidence()): Promise<WorkspaceScan> {
  if (!config.exports && !config.workspace) throw new MilestoneError('no-workspace', noWorkspaceForRescanText(), {});
  const found = new Set<string>();
  const problems: string[] = [];
  let completedMilestones: string[] = [];
  if (config.exports) {
    const folder = resolve(config.exports);
    for (const { path, raw } of await exportedFiles(folder)) {
      const relative = relativeTo(folder, path);
      if (relative === null || !isExportCandidate(relative)) continue;
      const content = await readHead(raw);
      const module = content === null ? null : moduleOfExport({ folder, path, content }, catalog.modules);
      // A file a clone, checkout or pull wrote is the repository's, not the student's (docs/protocol.md §11).
      if (module && !found.has(module) && (await evidence.isWork(path))) found.add(module);
    }
  }
  if (config.workspace) {
    const tito = await readTitoModules(titoProgressPath(config.workspace), catalog);
    for (const module of await withExportFile(config.workspace, catalog, tito.modules)) found.add(module);
    if (tito.problem) problems.push(tito.problem);
    const titoMilestones = await readTitoMilestones(titoMilestonesPath(config.workspace), catalog);
    completedMilestones = titoMilestones.milestones;
    if (titoMilestones.problem) problems.push(titoMilestones.problem);
  }
  return { modules: [...found].sort(), completedMilestones, problems };
}
