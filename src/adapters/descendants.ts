// A run's descendants, found through /proc (Linux) while it runs, so that one that left its process group (setsid) is still stopped.
import { readdirSync, readFileSync } from 'node:fs';

interface Entry {
  readonly ppid: number;
  /** Start time in clock ticks since boot: with the pid, it names one process even after the pid is reused. */
  readonly start: string;
}

function readStat(pid: number): Entry | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return null; // dead, only waiting to be reaped
    return { ppid: Number(fields[1]), start: fields[19] ?? '' };
  } catch {
    return null;
  }
}

/**
 * Records every process descended from `root` at each sweep, and keeps them after their parents die (a daemon
 * that double-forks is reparented away from the run). A descendant that is born and leaves within one sweep
 * interval is not seen: the process group still covers it unless it also called setsid.
 */
export class DescendantTracker {
  readonly #root: number;
  readonly #known = new Map<number, string>();

  constructor(root: number) {
    this.#root = root;
  }

  sweep(): void {
    let pids: number[];
    try {
      pids = readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .map(Number);
    } catch {
      return; // no /proc (macOS): the process group is all there is
    }
    const children = new Map<number, Array<{ pid: number; start: string }>>();
    for (const pid of pids) {
      const entry = readStat(pid);
      if (!entry) continue;
      const list = children.get(entry.ppid) ?? [];
      list.push({ pid, start: entry.start });
      children.set(entry.ppid, list);
    }
    const queue = [this.#root, ...this.alive()];
    for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
      for (const child of children.get(parent) ?? []) {
        if (this.#known.get(child.pid) === child.start) continue;
        this.#known.set(child.pid, child.start);
        queue.push(child.pid);
      }
    }
  }

  /** The recorded descendants that are still the same living processes. */
  alive(): number[] {
    return [...this.#known].filter(([pid, start]) => readStat(pid)?.start === start).map(([pid]) => pid);
  }

  signal(signal: NodeJS.Signals): void {
    for (const pid of this.alive()) {
      try {
        process.kill(pid, signal);
      } catch {}
    }
  }
}
