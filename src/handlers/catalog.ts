// milestones/catalog: the active catalog in order, with every field.
import type { CatalogInfo } from '../../protocol/index.js';
import type { Handler } from './handler.js';

export const catalog: Handler<typeof CatalogInfo> = async (_params, context) => ({
  source: context.catalog.source,
  name: context.catalog.name,
  honestReturns: context.catalog.honestReturns,
  milestones: [...context.catalog.milestones],
  modules: [...context.catalog.modules],
});
