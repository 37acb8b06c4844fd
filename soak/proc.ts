// What /proc says about a process: its resident memory, its open file descriptors and its inotify watches (Linux).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Resident set size in KiB (VmRSS). */
export function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

/** How many file descriptors are open, from /proc/<pid>/fd. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** How many inotify watches the process holds (every `inotify wd:` line of its inotify descriptors' fdinfo): its watcher count. */
export function inotifyWatches(pid: number): number {
  let watches = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (target !== 'anon_inode:inotify') continue;
    try {
      watches += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return watches;
}

export interface Sample {
  readonly rssKiB: number;
  readonly fds: number;
  readonly watches: number;
}

export function sample(pid: number): Sample {
  return { rssKiB: rssKiB(pid), fds: fdCount(pid), watches: inotifyWatches(pid) };
}
