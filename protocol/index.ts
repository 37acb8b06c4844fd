// The wire contract of tinytorch-milestones: the only import path for protocol names, schemas and types.
export * from './errors.js';
export * from './names.js';
export * from './catalog.js';
export * from './methods.js';
