// When each milestone was unlocked and completed: the progress file keeps no dates, so the extension records them
// as notifications arrive (globalState, per progress file and catalog), and reads tito's .tito/milestones.json too.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MilestoneDates {
  unlocked?: string;
  completed?: string;
}
export type DatesById = Record<string, MilestoneDates>;

/** The slice of vscode.Memento the store needs. */
export interface Memento {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const KEY = 'tinytorchMilestones.dates';

export class DateStore {
  constructor(
    private readonly memento: Memento,
    private readonly scope: () => string,
  ) {}

  all(): DatesById {
    return this.memento.get<Record<string, DatesById>>(KEY)?.[this.scope()] ?? {};
  }

  /** Records the first time a milestone was seen unlocked or completed (a later event does not move it). */
  async record(id: string, kind: keyof MilestoneDates, when: Date): Promise<void> {
    const everything = { ...(this.memento.get<Record<string, DatesById>>(KEY) ?? {}) };
    const scope = this.scope();
    const dates = { ...(everything[scope] ?? {}) };
    const entry = { ...(dates[id] ?? {}) };
    if (entry[kind]) return;
    entry[kind] = when.toISOString();
    if (kind === 'completed' && !entry.unlocked) entry.unlocked = entry.completed;
    dates[id] = entry;
    everything[scope] = dates;
    await this.memento.update(KEY, everything);
  }

  /** Forgets the dates of milestones that are locked again (a reset). */
  async forget(ids: readonly string[]): Promise<void> {
    const everything = { ...(this.memento.get<Record<string, DatesById>>(KEY) ?? {}) };
    const dates = { ...(everything[this.scope()] ?? {}) };
    if (!ids.some((id) => id in dates)) return;
    for (const id of ids) delete dates[id];
    everything[this.scope()] = dates;
    await this.memento.update(KEY, everything);
  }
}

/** tito's own dates (`unlock_dates`, `completion_dates` in `<workspace>/.tito/milestones.json`), when it has them. */
export async function readTitoDates(workspace: string): Promise<DatesById> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(join(workspace, '.tito', 'milestones.json'), 'utf8'));
  } catch {
    return {};
  }
  const dates: DatesById = {};
  const take = (field: string, kind: keyof MilestoneDates) => {
    const map = (data as Record<string, unknown>)?.[field];
    if (!map || typeof map !== 'object') return;
    for (const [id, value] of Object.entries(map)) {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) continue;
      dates[id] = { ...dates[id], [kind]: new Date(value).toISOString() };
    }
  };
  take('unlock_dates', 'unlocked');
  take('completion_dates', 'completed');
  return dates;
}

/** Ours win over tito's: they were seen by this editor. */
export function mergeDates(ours: DatesById, tito: DatesById): DatesById {
  const merged: DatesById = { ...tito };
  for (const [id, dates] of Object.entries(ours)) merged[id] = { ...tito[id], ...dates };
  return merged;
}
