// The catalog file format (docs/protocol.md §9): which modules exist and which milestones they unlock.
import { z } from 'zod';
import { MilestoneId, ModuleName } from './names.js';

export const PytestVerify = z.object({
  pytest: z.string().min(1, { error: 'a pytest node id like "tests/test_x.py::test_y"' }),
});
export const ScriptsVerify = z.object({
  scripts: z.array(z.string().min(1)).min(1, { error: 'at least one script to run' }),
  /** Text fed to the scripts' stdin, then end of file: empty lines answer `input()` prompts. */
  stdin: z.string().optional(),
});

/**
 * Why a path the runner hands to Python or pytest is refused, or null: it must be relative to the workspace, stay
 * inside it, and never be read as a command-line option (`--version` would run nothing and "pass").
 */
export function workspacePathProblem(path: string, example: string, whole = path): string | null {
  const shown = JSON.stringify(whole.length > 80 ? `${whole.slice(0, 80)}…` : whole);
  if (path.startsWith('-')) return `${shown} looks like a command-line option; expected ${example}`;
  if (/[\u0000-\u001f\u007f]/.test(whole)) return `${shown} contains a control character; expected ${example}`;
  if (path.startsWith('/') || path.startsWith('~') || /^[A-Za-z]:[\\/]/.test(path)) return `${shown} is an absolute path; expected ${example}, relative to the workspace`;
  if (path.split(/[\\/]/).includes('..')) return `${shown} leaves the workspace (..); expected ${example} inside it`;
  return null;
}

const PYTEST_EXAMPLE = 'a pytest node id like "tests/test_x.py::test_y"';
const SCRIPT_EXAMPLE = 'a script path like "milestones/01_perceptron.py"';

export const Verify = z
  .union([PytestVerify, ScriptsVerify], {
    error: 'verify must be {"pytest": "<file>::<test>"} or {"scripts": ["<script.py>", ...], "stdin": "<text>"}',
  })
  .superRefine((verify, context) => {
    const refuse = (path: Array<string | number>, problem: string | null) => {
      if (problem !== null) context.addIssue({ code: 'custom', path, message: problem });
    };
    // A node id's file part is a path; what follows `::` (a test name, parameters) may hold any printable text.
    if ('pytest' in verify) refuse(['pytest'], workspacePathProblem(verify.pytest.split('::')[0]!, PYTEST_EXAMPLE, verify.pytest));
    else
      verify.scripts.forEach((script, index) => {
        refuse(['scripts', index], workspacePathProblem(script, SCRIPT_EXAMPLE));
      });
  });

export const CatalogModule = z.object({
  id: ModuleName,
  /** The exported file, relative to the workspace (`tinytorch/core/tensor.py`); the watcher maps changes back through it. */
  export: z.string().min(1).optional(),
});

export const CatalogMilestone = z.object({
  id: MilestoneId,
  name: z.string().min(1),
  description: z.string(),
  unlockMessage: z.string(),
  requires: z.array(ModuleName).min(1, { error: 'requires must name at least one module' }),
  verify: Verify,
  /** This milestone's run time limit, when it needs more (or less) than the default ten minutes. */
  timeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
});

/** The shape of a catalog; `catalogProblems` adds the checks across fields (duplicates, unknown modules). */
export const Catalog = z.object({
  name: z.string().min(1),
  modules: z.array(CatalogModule).optional(),
  /** A test that returns False fails (TinyTorch's learning tests return instead of asserting). */
  honestReturns: z.boolean().optional(),
  milestones: z.array(CatalogMilestone).min(1, { error: 'a catalog needs at least one milestone' }),
});

export type Verify = z.infer<typeof Verify>;
export type CatalogModule = z.infer<typeof CatalogModule>;
export type CatalogMilestone = z.infer<typeof CatalogMilestone>;
export type Catalog = z.infer<typeof Catalog>;

/** Checks across fields, run on the raw value so they are reported even when the shape has other problems. */
export function catalogProblems(value: unknown): string[] {
  const problems: string[] = [];
  const record = (typeof value === 'object' && value !== null ? value : {}) as { milestones?: unknown; modules?: unknown };
  const ids = (list: unknown): unknown[] =>
    Array.isArray(list) ? list.map((item) => (typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined)) : [];
  const duplicates = (list: unknown, what: string, path: string) => {
    const seen = new Set<unknown>();
    ids(list).forEach((id, index) => {
      if (typeof id === 'string' && seen.has(id)) problems.push(`${path}.${index}.id: duplicate ${what} id "${id}"`);
      seen.add(id);
    });
  };
  duplicates(record.milestones, 'milestone', 'milestones');
  if (Array.isArray(record.milestones)) {
    record.milestones.forEach((milestone: unknown, index: number) => {
      const verify = typeof milestone === 'object' && milestone !== null ? (milestone as { verify?: unknown }).verify : undefined;
      if (typeof verify === 'object' && verify !== null && 'pytest' in verify && 'scripts' in verify) {
        problems.push(`milestones.${index}.verify: has both "pytest" and "scripts"; give one (the scripts would never run)`);
      }
    });
  }
  duplicates(record.modules, 'module', 'modules');
  if (Array.isArray(record.modules) && Array.isArray(record.milestones)) {
    const moduleIds = new Set(ids(record.modules));
    record.milestones.forEach((milestone: unknown, index: number) => {
      const requires = typeof milestone === 'object' && milestone !== null ? (milestone as { requires?: unknown }).requires : undefined;
      if (!Array.isArray(requires)) return;
      requires.forEach((required: unknown, requiredIndex: number) => {
        if (typeof required === 'string' && !moduleIds.has(required)) {
          problems.push(`milestones.${index}.requires.${requiredIndex}: "${required}" is not one of the catalog's modules`);
        }
      });
    });
  }
  return problems;
}
