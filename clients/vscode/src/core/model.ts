// What the views draw: the latest milestones/progress result and the dates, refreshed on every notification.
import { type DateStore, type DatesById, mergeDates } from './dates.js';
import type { MilestoneProgress, ProgressResult } from './wire.js';

export interface Snapshot {
  progress: ProgressResult;
  dates: DatesById;
}

export class MilestonesModel {
  private current: Snapshot | undefined;
  private readonly listeners = new Set<(snapshot: Snapshot) => void>();
  private inFlight: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly fetchProgress: () => Promise<ProgressResult>,
    private readonly dates: DateStore,
    private readonly titoDates: () => Promise<DatesById>,
  ) {}

  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  milestone(id: string): MilestoneProgress | undefined {
    return this.current?.progress.milestones.find((m) => m.id === id);
  }

  onDidChange(listener: (snapshot: Snapshot) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Asks the sidecar again; calls that arrive meanwhile are folded into one more request. */
  refresh(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      try {
        do {
          this.again = false;
          await this.load();
        } while (this.again);
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  private async load(): Promise<void> {
    const progress = await this.fetchProgress();
    const relocked = progress.milestones.filter((m) => m.status === 'locked' && this.milestone(m.id)?.status !== 'locked').map((m) => m.id);
    if (this.current && relocked.length > 0) await this.dates.forget(relocked);
    this.current = { progress, dates: mergeDates(this.dates.all(), await this.titoDates()) };
    for (const listener of this.listeners) listener(this.current);
  }
}
