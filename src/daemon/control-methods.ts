// The daemon's own requests, answered on any connection to it: its status, and stopping it (declared in protocol/).
import { Method } from '../../protocol/plain.js';

export type { DaemonStatus } from '../../protocol/plain.js';
export const DAEMON_STATUS = Method.DaemonStatus;
export const DAEMON_STOP = Method.DaemonStop;
