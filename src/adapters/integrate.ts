// `tinytorch-milestones integrate DIR`: puts the drop-in tracker where tito's hook imports it and registers our
// `tito milestones`; `--undo` takes exactly that back. Every change is reported, and a second run changes nothing.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SettingError } from '../../protocol/plain.js';
import { COMMAND_SHIM_MODULE, INTEGRATE_MARKER, commandShim, hookFolder, isRegistered, registrationEdit, trackerShim, undoRegistration } from '../core/integrate.js';
import { notATitoCheckoutText, noClientText } from '../core/messages.js';

export type IntegrationAction = 'created' | 'edited' | 'removed' | 'restored' | 'unchanged' | 'skipped';

export interface IntegrationStep {
  readonly action: IntegrationAction;
  /** Relative to the checkout, '/'-separated. */
  readonly path: string;
  /** What the file is for, or why it was left alone. */
  readonly what: 'tracker' | 'command' | 'registration' | 'no-hook' | 'no-registration' | 'not-ours';
}

/** Our Python client's folder: beside `dist/` in the package, or two levels up from the sources. */
export function clientFolder(from: string = fileURLToPath(import.meta.url)): string {
  let folder = dirname(from);
  for (;;) {
    const candidate = join(folder, 'clients', 'python');
    if (existsSync(join(candidate, 'tito_milestones.py'))) return candidate;
    const parent = dirname(folder);
    if (parent === folder) throw new SettingError(noClientText());
    folder = parent;
  }
}

async function pythonFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.py') && !entry.parentPath.split(sep).includes('__pycache__'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const isOurs = async (path: string) => (await readFile(path, 'utf8').catch(() => '')).startsWith(INTEGRATE_MARKER);

async function titoPackage(checkout: string): Promise<string> {
  const folder = join(resolve(checkout), 'tito');
  if (
    !(await stat(folder).then(
      (info) => info.isDirectory(),
      () => false,
    ))
  )
    throw new SettingError(notATitoCheckoutText(resolve(checkout)));
  return folder;
}

/** Where `from X import Name` in `file` loads X from; the shim goes in the same folder. */
function moduleFolder(checkout: string, file: string, module: string): string {
  const dots = /^\.*/.exec(module)?.[0].length ?? 0;
  const parts = module.slice(dots).split('.').slice(0, -1);
  const base = dots > 0 ? resolve(dirname(file), ...Array.from({ length: dots - 1 }, () => '..')) : resolve(checkout);
  return join(base, ...parts);
}

/** Writes `content` unless the file is there already with it; a file that is not ours is left alone. */
async function place(checkout: string, path: string, content: string, what: IntegrationStep['what']): Promise<IntegrationStep> {
  const name = relative(checkout, path).split(sep).join('/');
  const current = await readFile(path, 'utf8').catch(() => null);
  if (current === content) return { action: 'unchanged', path: name, what };
  if (current !== null && !current.startsWith(INTEGRATE_MARKER)) return { action: 'skipped', path: name, what: 'not-ours' };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return { action: current === null ? 'created' : 'edited', path: name, what };
}

export async function integrate(checkout: string, clients: string = clientFolder()): Promise<IntegrationStep[]> {
  const root = resolve(checkout);
  const tito = await titoPackage(root);
  const steps: IntegrationStep[] = [];
  const sources = await pythonFiles(tito);
  let hooks = 0;
  let registrations = 0;
  for (const file of sources) {
    const source = await readFile(file, 'utf8');
    const folder = hookFolder(source);
    if (folder) {
      hooks++;
      steps.push(await place(root, join(dirname(file), ...folder, 'milestone_tracker.py'), trackerShim(join(clients, 'milestone_tracker.py')), 'tracker'));
    }
    const name = relative(root, file).split(sep).join('/');
    if (isRegistered(source)) {
      registrations++;
      const module = /from\s+(\S+)\s+import\s+MilestoneCommand\b/.exec(source)?.[1] ?? `.${COMMAND_SHIM_MODULE}`;
      steps.push(await place(root, join(moduleFolder(root, file, module), `${COMMAND_SHIM_MODULE}.py`), commandShim(join(clients, 'tito_milestones.py')), 'command'));
      steps.push({ action: 'unchanged', path: name, what: 'registration' });
      continue;
    }
    const edit = registrationEdit(source);
    if (!edit) continue;
    registrations++;
    steps.push(await place(root, join(moduleFolder(root, file, edit.module), `${COMMAND_SHIM_MODULE}.py`), commandShim(join(clients, 'tito_milestones.py')), 'command'));
    await writeFile(file, edit.source);
    steps.push({ action: 'edited', path: name, what: 'registration' });
  }
  if (hooks === 0) steps.push({ action: 'skipped', path: 'tito', what: 'no-hook' });
  if (registrations === 0) steps.push({ action: 'skipped', path: 'tito', what: 'no-registration' });
  return steps;
}

/** Removes a file we wrote, its compiled copies, and the folders that then hold nothing (integrate made them). */
async function removeOurs(root: string, path: string, what: IntegrationStep['what']): Promise<IntegrationStep | null> {
  if (!(await isOurs(path))) return null;
  await rm(path);
  const folder = dirname(path);
  const stem = path.slice(folder.length + 1).replace(/\.py$/, '');
  const cache = join(folder, '__pycache__');
  for (const compiled of await readdir(cache).catch(() => [])) {
    if (compiled.startsWith(`${stem}.`) && compiled.endsWith('.pyc')) await rm(join(cache, compiled), { force: true });
  }
  for (let current = folder; current.startsWith(root + sep); current = dirname(current)) {
    const left = await readdir(current).catch(() => null);
    if (left?.length === 1 && left[0] === '__pycache__') await rmdir(join(current, '__pycache__')).catch(() => {});
    if (
      !(await rmdir(current).then(
        () => true,
        () => false,
      ))
    )
      break; // not empty: a folder of the checkout
  }
  return { action: 'removed', path: relative(root, path).split(sep).join('/'), what };
}

export async function undoIntegrate(checkout: string): Promise<IntegrationStep[]> {
  const root = resolve(checkout);
  const tito = await titoPackage(root);
  const steps: IntegrationStep[] = [];
  const ours = new Set<string>();
  for (const file of await pythonFiles(tito)) {
    const source = await readFile(file, 'utf8');
    if (source.startsWith(INTEGRATE_MARKER)) ours.add(file);
    const folder = hookFolder(source);
    if (folder) ours.add(join(dirname(file), ...folder, 'milestone_tracker.py'));
    const restored = undoRegistration(source);
    if (restored !== null) {
      await writeFile(file, restored);
      steps.push({ action: 'restored', path: relative(root, file).split(sep).join('/'), what: 'registration' });
    }
  }
  for (const file of [...ours].sort()) {
    const step = await removeOurs(root, file, file.endsWith(`${COMMAND_SHIM_MODULE}.py`) ? 'command' : 'tracker');
    if (step) steps.push(step);
  }
  return steps;
}
