// Logs go to stderr, one line each: stdout belongs to the protocol.
import type { Logger } from '../ports.js';

export function createStderrLogger(prefix = 'tinytorch-milestones'): Logger {
  const write = (level: string, message: string) => process.stderr.write(`[${prefix}] ${level}: ${message}\n`);
  return {
    info: (message) => {
      if (process.env.TINYTORCH_MILESTONES_DEBUG) write('info', message);
    },
    warn: (message) => write('warning', message),
    error: (message) => write('error', message),
  };
}
