// Where the per-user daemon listens (docs/protocol.md §12): a 0700 folder owned by the user, a socket named by version and build.
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daemonFolderUnsafeText } from '../core/messages.js';

declare const TINYTORCH_MILESTONES_BUILD: string | undefined;
/** A hash of the sources and the lock file, set by scripts/build.mjs: an upgrade never talks to an older daemon. */
export const BUILD = typeof TINYTORCH_MILESTONES_BUILD === 'string' ? TINYTORCH_MILESTONES_BUILD : 'dev';

export interface DaemonAddress {
  readonly folder: string;
  readonly socket: string;
  /** Held while a daemon checks for a live one and binds the socket: two starters end up with one daemon. */
  readonly lock: string;
  /** The detached daemon's stderr, kept for `daemon status` and for bug reports. */
  readonly log: string;
}

/** `$XDG_RUNTIME_DIR/tinytorch-milestones/`, else `<temp dir>/tinytorch-milestones-<uid>/`. */
export function daemonFolder(env: Readonly<Record<string, string | undefined>>, uid: number): string {
  const runtime = env.XDG_RUNTIME_DIR;
  return runtime ? join(runtime, 'tinytorch-milestones') : join(tmpdir(), `tinytorch-milestones-${uid}`);
}

export function daemonAddress(folder: string, version: string, build: string = BUILD): DaemonAddress {
  const name = `v${version}-${build}`;
  return { folder, socket: join(folder, `${name}.sock`), lock: join(folder, `${name}.lock`), log: join(folder, `${name}.log`) };
}

/**
 * Creates the folder 0700, or checks the one there: a real folder (not a link), owned by this user, that nobody
 * else can enter. Anything else is refused in one sentence: another user could otherwise plant a socket.
 */
export function ensurePrivateFolder(folder: string, uid: number): void {
  try {
    mkdirSync(folder, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = lstatSync(folder);
  if (!stat.isDirectory() || stat.uid !== uid) throw new Error(daemonFolderUnsafeText(folder, 'it is not a folder owned by you'));
  if ((stat.mode & 0o077) !== 0) chmodSync(folder, 0o700);
}
