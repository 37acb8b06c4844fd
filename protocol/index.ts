// The wire contract of tinytorch-milestones: the only import path for protocol names, schemas and types.
export * from './errors.js';
export * from './names.js';
export * from './catalog.js';
export * from './methods.js';
export * from './lsp.js';
export * from './daemon.js';
import { daemonRequests } from './daemon.js';
import { lspNotifications, lspRequests } from './lsp.js';
import { notifications, requests } from './methods.js';

/** Every method name on the wire, ours, LSP's and the daemon's, for the routing table and the client-consistency test. */
export const METHOD_NAMES: ReadonlySet<string> = new Set(
  [...Object.values(requests), ...Object.values(notifications), ...Object.values(lspRequests), ...Object.values(lspNotifications), ...Object.values(daemonRequests)].map(
    (definition) => definition.method,
  ),
);
