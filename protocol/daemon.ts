// The per-user daemon's own requests, answered on any connection to its socket (docs/protocol.md §12).
import { z } from 'zod';
import { Method } from './constants.js';
import { request } from './methods.js';

export const DaemonStatus = z.object({
  pid: z.number().int(),
  socket: z.string(),
  version: z.string(),
  build: z.string(),
  /** Sessions open, not counting the connection that asks. */
  connections: z.number().int(),
  uptimeMs: z.number(),
  idleExitMs: z.number(),
});

/** Whether a daemon runs, and how it is doing. */
export const DaemonStatusRequest = request(Method.DaemonStatus, z.object({}).optional(), DaemonStatus);
/** Stops the daemon once the asker has its answer (its status, as it was). */
export const DaemonStopRequest = request(Method.DaemonStop, z.object({}).optional(), DaemonStatus);

export const daemonRequests = { DaemonStatusRequest, DaemonStopRequest } as const;

export type DaemonStatus = z.infer<typeof DaemonStatus>;
