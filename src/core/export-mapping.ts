// Which module an exported file belongs to: nbdev's cell markers first, then the catalog's module→export map.
import { CANONICAL_MODULE, type CatalogModule } from '../../protocol/plain.js';

/** nbdev's cell marker: `# %% ../../modules/01_tensor/01_tensor.ipynb 1` (a path relative to the file, then a cell number). */
const CELL_MARKER = /^# %% (\S+)\.ipynb\b/gm;

/** Files nbdev and tito rewrite on every export that are not modules. */
const NOT_MODULES = new Set(['__init__.py', '_modidx.py']);
/** Folders whose files are never exports. */
const IGNORED_FOLDERS = new Set(['__pycache__', '.ipynb_checkpoints', 'node_modules']);

function segments(path: string): string[] {
  return path.split(/[\\/]+/).filter((segment) => segment.length > 0);
}

/** Whether a folder can hold exports: not `__pycache__`, not hidden (`.git`, editor folders). */
export function isWatchedFolder(name: string): boolean {
  return !IGNORED_FOLDERS.has(name) && !name.startsWith('.');
}

/** `path` relative to `folder`, '/'-separated; null when it is not inside. */
export function relativeTo(folder: string, path: string): string | null {
  const base = segments(folder).join('/');
  const file = segments(path).join('/');
  return file.startsWith(`${base}/`) ? file.slice(base.length + 1) : null;
}

/**
 * Whether a path (relative to the export folder) can be an exported module at all: a `.py` file, not
 * `__init__.py`/`_modidx.py`, not in `__pycache__` or a hidden folder, and not an editor's temporary file
 * (`.swp`, `~`, `.#x.py`, vim's `4913`, `x.py.tmp`: each either does not end in `.py` or starts with `.` or `#`).
 */
export function isExportCandidate(relativePath: string): boolean {
  const parts = segments(relativePath);
  const name = parts.at(-1);
  if (!name?.endsWith('.py') || name === '.py') return false;
  if (NOT_MODULES.has(name) || name.startsWith('.') || name.startsWith('#')) return false;
  return parts.slice(0, -1).every(isWatchedFolder);
}

/** The module named by the first nbdev marker whose notebook sits in a folder with a canonical module name. */
export function moduleFromMarkers(content: string): string | null {
  for (const match of content.matchAll(CELL_MARKER)) {
    const notebook = segments(match[1] ?? '');
    const folder = notebook.at(-2);
    if (folder && CANONICAL_MODULE.test(folder)) return folder;
  }
  return null;
}

/** The module whose catalog `export` (relative to the workspace, like `tinytorch/core/tensor.py`) ends this path. */
export function moduleFromExportMap(path: string, modules: readonly CatalogModule[]): string | null {
  const file = `/${segments(path).join('/')}`;
  for (const module of modules) {
    if (!module.export) continue;
    const exported = segments(module.export).join('/');
    if (exported && file.endsWith(`/${exported}`)) return module.id;
  }
  return null;
}

export interface ExportedFile {
  /** The watched export folder. */
  readonly folder: string;
  readonly path: string;
  readonly content: string;
}

/** Maps an added or changed file to its module, or null when it is not an export (or maps to nothing). */
export function moduleOfExport(file: ExportedFile, modules: readonly CatalogModule[]): string | null {
  const relative = relativeTo(file.folder, file.path);
  if (relative === null || !isExportCandidate(relative)) return null;
  return moduleFromMarkers(file.content) ?? moduleFromExportMap(file.path, modules);
}
