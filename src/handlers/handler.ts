// The shape every request handler has: validated params and the context in, a result out.
import { z } from 'zod';
import type { ParamsOf, RequestDefinition, ResultOf } from '../../protocol/index.js';
import { InvalidParamsError, MilestoneError } from '../../protocol/index.js';
import type { CatalogMilestone } from '../../protocol/index.js';
import { catalogLabel } from '../core/catalog.js';
import { invalidParamsText, unknownMilestoneText } from '../core/messages.js';
import { resolveModule } from '../core/modules.js';
import type { HandlerContext } from '../ports.js';

/** Validates raw params at the boundary; a missing `params` is `{}`. */
export function parseParams<D extends RequestDefinition<z.ZodType, z.ZodType>>(definition: D, raw: unknown): z.output<D['params']> {
  const parsed = definition.params.safeParse(raw === undefined || raw === null ? {} : raw);
  if (parsed.success) return parsed.data as z.output<D['params']>;
  throw new InvalidParamsError(invalidParamsText(definition.method, z.prettifyError(parsed.error)), parsed.error.issues);
}

export type Handler<D> = (params: ParamsOf<D>, context: HandlerContext, signal: AbortSignal) => Promise<ResultOf<D>>;

export function requireModule(context: HandlerContext, ref: string): string {
  const resolution = resolveModule(context.catalog, ref);
  if (!resolution.ok) throw new InvalidParamsError(`module: ${resolution.message}`);
  return resolution.module;
}

export function requireMilestone(context: HandlerContext, id: string): CatalogMilestone {
  const milestone = context.catalog.milestone(id);
  if (!milestone) {
    const known = context.catalog.milestones.map((candidate) => candidate.id);
    throw new MilestoneError('unknown-milestone', unknownMilestoneText(id, catalogLabel(context.catalog), known), { id });
  }
  return milestone;
}
