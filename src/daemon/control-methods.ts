// The daemon's own requests, answered on any connection to it: its status, and stopping it (declared in protocol/).
import { DaemonStatusRequest, DaemonStopRequest } from '../../protocol/index.js';

export type { DaemonStatus } from '../../protocol/index.js';
export const DAEMON_STATUS = DaemonStatusRequest.method;
export const DAEMON_STOP = DaemonStopRequest.method;
