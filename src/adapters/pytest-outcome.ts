// What the run-outcome pytest plugin recorded, and whether it shows every selected test really ran and passed.
import type { RunReason } from '../core/run-reason.js';

/** One JSON line of tinytorch_run_outcome.py's file. */
type Line =
  | { collected: string[] }
  | { nodeid: string; when: 'setup' | 'call' | 'teardown'; outcome: 'passed' | 'failed' | 'skipped'; xfail?: string; reason?: string | null }
  | { finished: number };

export interface RecordedOutcome {
  /** The session finished (the plugin wrote its last line): the process was not ended early. */
  readonly finished: boolean;
  readonly collected: readonly string[];
  /** Every phase report, in order. */
  readonly reports: ReadonlyArray<Extract<Line, { nodeid: string }>>;
}

/** Parses the plugin's file; lines that are not its JSON (a torn last line) are skipped. */
export function parseOutcome(text: string): RecordedOutcome {
  let finished = false;
  let collected: string[] = [];
  const reports: Array<Extract<Line, { nodeid: string }>> = [];
  for (const raw of text.split('\n')) {
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      continue;
    }
    if (typeof line !== 'object' || line === null) continue;
    if ('finished' in line) finished = true;
    else if ('collected' in line && Array.isArray(line.collected)) collected = line.collected.filter((id): id is string => typeof id === 'string');
    else if ('nodeid' in line && typeof line.nodeid === 'string' && 'when' in line && 'outcome' in line) reports.push(line as Extract<Line, { nodeid: string }>);
  }
  return { finished, collected, reports };
}

export type Shortfall = Extract<RunReason, { kind: 'not-run' }> | { readonly kind: 'no-outcome' } | { readonly kind: 'failed'; readonly nodeid: string };

/**
 * Why the record does not show a real pass, or null when it does: the session finished, something was
 * collected, and every collected test has a passed setup, call and teardown, none of them marked xfail.
 */
export function shortfall(record: RecordedOutcome | null): Shortfall | null {
  if (record === null || !record.finished || record.collected.length === 0) return { kind: 'no-outcome' };
  for (const nodeid of record.collected) {
    const phases = record.reports.filter((report) => report.nodeid === nodeid);
    const marked = phases.find((report) => report.xfail !== undefined);
    if (marked) return { kind: 'not-run', nodeid, how: marked.outcome === 'passed' ? 'xpassed' : 'xfailed', reason: marked.xfail || null };
    const skipped = phases.find((report) => report.outcome === 'skipped');
    if (skipped) return { kind: 'not-run', nodeid, how: 'skipped', reason: skipped.reason ?? null };
    if (phases.some((report) => report.outcome === 'failed')) return { kind: 'failed', nodeid };
    const ran = ['setup', 'call', 'teardown'].every((when) => phases.some((report) => report.when === when && report.outcome === 'passed'));
    if (!ran) return { kind: 'no-outcome' };
  }
  return null;
}
