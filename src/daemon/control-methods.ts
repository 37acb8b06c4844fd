// The daemon's own requests, answered on any connection to it: its status, and stopping it.
export const DAEMON_STATUS = 'daemon/status';
export const DAEMON_STOP = 'daemon/stop';

export interface DaemonStatus {
  readonly pid: number;
  readonly socket: string;
  readonly version: string;
  readonly build: string;
  /** Sessions open, not counting the connection that asks. */
  readonly connections: number;
  readonly uptimeMs: number;
  readonly idleExitMs: number;
}
