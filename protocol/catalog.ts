// The catalog file format (SPEC §5): which modules exist and which milestones they unlock.
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
export const Verify = z.union([PytestVerify, ScriptsVerify]);

export const CatalogModule = z.object({
  id: ModuleName,
  /** The exported file, relative to the workspace (`tinytorch/core/tensor.py`). */
  export: z.string().min(1),
});

export const CatalogMilestone = z.object({
  id: MilestoneId,
  name: z.string().min(1),
  description: z.string(),
  unlockMessage: z.string(),
  requires: z.array(ModuleName).min(1, { error: 'requires must name at least one module' }),
  verify: Verify,
});

export const Catalog = z
  .object({
    name: z.string().min(1),
    modules: z.array(CatalogModule).optional(),
    /** A test that returns False fails (TinyTorch's learning tests return instead of asserting). */
    honestReturns: z.boolean().optional(),
    milestones: z.array(CatalogMilestone).min(1, { error: 'a catalog needs at least one milestone' }),
  })
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    catalog.milestones.forEach((milestone, index) => {
      if (seen.has(milestone.id)) {
        ctx.addIssue({ code: 'custom', path: ['milestones', index, 'id'], message: `duplicate milestone id "${milestone.id}"` });
      }
      seen.add(milestone.id);
    });
    if (!catalog.modules) return;
    const moduleIds = new Set<string>();
    catalog.modules.forEach((module, index) => {
      if (moduleIds.has(module.id)) {
        ctx.addIssue({ code: 'custom', path: ['modules', index, 'id'], message: `duplicate module id "${module.id}"` });
      }
      moduleIds.add(module.id);
    });
    catalog.milestones.forEach((milestone, index) => {
      milestone.requires.forEach((required, requiredIndex) => {
        if (!moduleIds.has(required)) {
          ctx.addIssue({
            code: 'custom',
            path: ['milestones', index, 'requires', requiredIndex],
            message: `milestone "${milestone.id}" requires "${required}", which is not in the catalog's modules`,
          });
        }
      });
    });
  });

export type Verify = z.infer<typeof Verify>;
export type CatalogModule = z.infer<typeof CatalogModule>;
export type CatalogMilestone = z.infer<typeof CatalogMilestone>;
export type Catalog = z.infer<typeof Catalog>;
