// Watchers shared across the daemon's sessions, per (workspace, exports, progress file, catalog): reference-counted,
// every notification fanned out to each session that watches.
import type { HandlerContext, Notifier, Announcer } from '../ports.js';
import type { Watchers } from '../ports.js';

export type StartWatchers = (context: HandlerContext) => Promise<Watchers>;

interface Shared {
  readonly subscribers: Set<HandlerContext>;
  readonly watchers: Promise<Watchers | null>;
  /** What the watchers logged while starting ("Watching …"): told again to each session that joins later. */
  readonly startLog: Array<Parameters<Notifier['log']>>;
}

export interface WatcherHub {
  /** Starts (or joins) the watchers for this session's settings; the returned close leaves them. */
  watch(context: HandlerContext): Promise<Watchers>;
  /** How many distinct watcher sets run (for status and tests). */
  readonly size: number;
}

export const watchKey = (context: HandlerContext): string =>
  JSON.stringify([context.config.workspace, context.config.exports, context.config.progressFile, context.catalog.source]);

export function createWatcherHub(start: StartWatchers): WatcherHub {
  const shared = new Map<string, Shared>();

  function fanOut(subscribers: Set<HandlerContext>, first: HandlerContext, startLog: Shared['startLog'], started: () => boolean): HandlerContext {
    const announcer: Announcer = {
      observe: (progress, cause) => {
        for (const subscriber of subscribers) subscriber.announcer.observe(progress, cause);
      },
    };
    const each = <K extends keyof Notifier>(key: K) =>
      ((...args: unknown[]) => {
        for (const subscriber of subscribers) (subscriber.notifier[key] as (...values: unknown[]) => void)(...args);
      }) as Notifier[K];
    const log = each('log');
    const notifier: Notifier = {
      unlocked: each('unlocked'),
      completed: each('completed'),
      runOutput: each('runOutput'),
      // Watchers start no runs: progress bars belong to each session's own requests.
      progressBar: () => null,
      log: (level, message) => {
        if (!started()) startLog.push([level, message]);
        log(level, message);
      },
    };
    // The first session's store and catalog serve them all: the settings that make the key are the same.
    return { ...first, announcer, notifier };
  }

  return {
    get size() {
      return shared.size;
    },
    async watch(context) {
      const key = watchKey(context);
      let entry = shared.get(key);
      const joining = entry !== undefined;
      if (!entry) {
        const subscribers = new Set<HandlerContext>();
        const startLog: Shared['startLog'] = [];
        let ready = false;
        const watchers = start(fanOut(subscribers, context, startLog, () => ready)).then(
          (started) => {
            ready = true;
            return started;
          },
          (error: unknown) => {
            shared.delete(key);
            throw error;
          },
        );
        entry = { subscribers, watchers, startLog };
        shared.set(key, entry);
      }
      const { subscribers, watchers, startLog } = entry;
      const seenStart = startLog.length;
      subscribers.add(context);
      await watchers;
      // A session that joined after the start began did not hear what was said before it came.
      if (joining) for (const [level, message] of startLog.slice(0, seenStart)) context.notifier.log(level, message);
      let left = false;
      return {
        close: async () => {
          if (left) return;
          left = true;
          subscribers.delete(context);
          if (subscribers.size > 0 || shared.get(key) !== entry) return;
          shared.delete(key);
          await (await watchers)?.close();
        },
      };
    },
  };
}
