// Wiring a TinyTorch checkout's tito to the sidecar, as text edits: where tito looks for the tracker, which
// line registers its milestones command, and the small Python files put in their place (all reversible).

/** First line of every file `integrate` writes; `integrate --undo` removes only files that start with it. */
export const INTEGRATE_MARKER = '# Written by `tinytorch-milestones integrate`; `tinytorch-milestones integrate --undo DIR` removes it.';
/** Appended to the registration line it replaces, with the original line after it, so undo restores it exactly. */
export const REGISTRATION_MARKER = '  # tinytorch-milestones integrate; was: ';
/** The module written next to tito's own milestones command. */
export const COMMAND_SHIM_MODULE = 'milestones_sidecar';

/** The lines that import the tracker in tito's `module complete` hook. */
const HOOK_IMPORT = /^\s*from milestone_tracker import check_module_export\b/m;
/** `Path(__file__).parent.parent.parent / "tests" / "milestones"`: where that hook puts the tracker on sys.path. */
const HOOK_PATH = /Path\w*\(__file__\)((?:\.parent)+)((?:\s*\/\s*["'][^"']+["'])+)/;

/**
 * The folder, relative to the hook file's own folder (as '/'-separated segments), where tito's `module complete`
 * hook imports `milestone_tracker` from; null when the file holds no such hook.
 */
export function hookFolder(source: string): string[] | null {
  if (!HOOK_IMPORT.test(source)) return null;
  const match = HOOK_PATH.exec(source);
  if (!match?.[1] || !match[2]) return null;
  const ups = match[1].split('.parent').length - 2; // the first .parent is the file's own folder
  const names = [...match[2].matchAll(/["']([^"']+)["']/g)].map((part) => part[1] ?? '');
  if (names.some((name) => name === '' || name === '.' || name === '..' || name.includes('/'))) return null;
  return [...Array.from({ length: ups }, () => '..'), ...names];
}

export interface RegistrationEdit {
  /** The module the original import names (`.commands.milestone`), to place the shim beside it. */
  readonly module: string;
  /** The class tito registers under `milestones`. */
  readonly className: string;
  /** The whole source with the import line replaced. */
  readonly source: string;
}

const lineBreak = (source: string) => (source.includes('\r\n') ? '\r\n' : '\n');

/**
 * Replaces the import of the class registered as `'milestones': Name` by an import of our shim, keeping the
 * original line in a trailing comment. Null when the file registers no `milestones` command this way.
 */
export function registrationEdit(source: string): RegistrationEdit | null {
  const registered = /["']milestones["']\s*:\s*([A-Za-z_]\w*)/.exec(source)?.[1];
  if (!registered) return null;
  const eol = lineBreak(source);
  const lines = source.split(eol);
  const index = lines.findIndex((line) => new RegExp(`^\\s*from\\s+(\\S+)\\s+import\\s+${registered}\\s*$`).test(line));
  if (index < 0) return null;
  const line = lines[index] ?? '';
  const module = /from\s+(\S+)\s+import/.exec(line)?.[1] ?? '';
  const indent = /^\s*/.exec(line)?.[0] ?? '';
  const shimModule = module.includes('.') && module.replace(/^\.+/, '') !== '' ? module.replace(/[^.]+$/, COMMAND_SHIM_MODULE) : `.${COMMAND_SHIM_MODULE}`;
  lines[index] = `${indent}from ${shimModule} import MilestoneCommand as ${registered}${REGISTRATION_MARKER}${line.slice(indent.length)}`;
  return { module, className: registered, source: lines.join(eol) };
}

/** Whether a source already carries our registration (integrate ran). */
export function isRegistered(source: string): boolean {
  return source.includes(REGISTRATION_MARKER);
}

/** Restores every line integrate replaced; null when there is none. */
export function undoRegistration(source: string): string | null {
  if (!isRegistered(source)) return null;
  const eol = lineBreak(source);
  const lines = source.split(eol).map((line) => {
    const at = line.indexOf(REGISTRATION_MARKER);
    if (at < 0) return line;
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    return indent + line.slice(at + REGISTRATION_MARKER.length);
  });
  return lines.join(eol);
}

const pythonString = (text: string) => JSON.stringify(text);

/** Loads a file of our Python client under a module name, so its own imports find the client beside it. */
function loaderLines(name: string, path: string): string[] {
  return [
    'import importlib.util as _util',
    'import os as _os',
    'import sys as _sys',
    '',
    `if not _os.path.isfile(${pythonString(path)}):`,
    `    raise ImportError(${pythonString(`tinytorch-milestones is not at ${path} any more: run \`tinytorch-milestones integrate\` again`)})`,
    `_spec = _util.spec_from_file_location(${pythonString(name)}, ${pythonString(path)})`,
    '_module = _util.module_from_spec(_spec)',
    `_sys.modules[${pythonString(name)}] = _module`,
    '_spec.loader.exec_module(_module)',
  ];
}

/** What tito's `module complete` hook imports: our drop-in tracker, loaded from the installed package. */
export function trackerShim(trackerPath: string): string {
  return [INTEGRATE_MARKER, "# tito's `module complete` hook imports check_module_export from here.", ...loaderLines('milestone_tracker', trackerPath), ''].join('\n');
}

/** What tito registers as its `milestones` command: our MilestoneCommand. */
export function commandShim(commandPath: string): string {
  return [
    INTEGRATE_MARKER,
    "# tito's `milestones` command, through the tinytorch-milestones sidecar.",
    ...loaderLines('tito_milestones', commandPath),
    '',
    'MilestoneCommand = _module.MilestoneCommand',
    '',
  ].join('\n');
}
