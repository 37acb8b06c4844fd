// The shape every request handler has: validated params (src/core/params.ts) and the context in, a result out.
import type { CatalogMilestone, ParamsOf, ResultOf } from '../../protocol/plain.js';
import { InvalidParamsError, MilestoneError } from '../../protocol/plain.js';
import { catalogLabel } from '../core/catalog.js';
import { unknownMilestoneText } from '../core/messages.js';
import { resolveModule } from '../core/modules.js';
import type { HandlerContext } from '../ports.js';

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
