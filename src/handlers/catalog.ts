// milestones/catalog: the active catalog in order, with every field.
import type { CatalogRequest } from '../../protocol/plain.js';
import type { Handler } from './handler.js';

export const catalog: Handler<typeof CatalogRequest> = async (_params, context) => ({
  source: context.catalog.source,
  name: context.catalog.name,
  honestReturns: context.catalog.honestReturns,
  milestones: [...context.catalog.milestones],
  modules: [...context.catalog.modules],
});
