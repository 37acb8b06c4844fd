// The zod-free part of the wire contract: what the sidecar loads before its first answer (zod loads on first need).
// Names, constants, errors and patterns; the params validators generated from the zod schemas; the schemas' types.
export * from './constants.js';
export * from './errors.js';
export * from './patterns.js';
export { paramsValidators, type ParamsValidator } from './validators.js';
export type * from './catalog.js';
export type * from './daemon.js';
export type * from './lsp.js';
export type * from './methods.js';
