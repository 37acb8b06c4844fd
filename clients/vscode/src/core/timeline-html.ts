// The timeline's page: milestones on a 1957 -> 2018 line, coloured by status, with the dates known (no vscode import).
import type { DatesById } from './dates.js';
import { NEXT_WORD, STATUS_WORD, TIMELINE_TITLE, dateLabel, missingLabel, modulesLabel } from './messages.js';
import type { MilestoneProgress, ProgressResult } from './wire.js';

export const FIRST_YEAR = 1957;
export const LAST_YEAR = 2018;
const WIDTH = 1000;
const LEFT = 70;
const RIGHT = 930;
const AXIS_Y = 190;
const EDGE = 130; // how far from an end a label is anchored at its side
const TIERS = [-1, 1, -2, 2]; // label rows: above, below, further above, further below

export interface TimelinePoint {
  milestone: MilestoneProgress;
  year: number | undefined;
  x: number;
  tier: number;
  isNext: boolean;
  date: string | undefined;
}

/** The year a milestone is named after ("1957 - The Perceptron", "Perceptron (1957)"). */
export function milestoneYear(milestone: Pick<MilestoneProgress, 'name' | 'description'>): number | undefined {
  const match = /\b(1[89]\d\d|20\d\d)\b/.exec(milestone.name) ?? /\b(1[89]\d\d|20\d\d)\b/.exec(milestone.description);
  return match ? Number(match[1]) : undefined;
}

export function layout(progress: ProgressResult, dates: DatesById): TimelinePoint[] {
  const years = progress.milestones.map(milestoneYear);
  const known = years.filter((y): y is number => y !== undefined);
  const first = Math.min(FIRST_YEAR, ...known);
  const last = Math.max(LAST_YEAR, ...known);
  const n = progress.milestones.length;
  return progress.milestones.map((milestone, index) => {
    const year = years[index];
    const fraction = year !== undefined ? (year - first) / (last - first) : n === 1 ? 0.5 : index / (n - 1);
    const when = dates[milestone.id] ?? {};
    const date =
      milestone.status === 'completed' && when.completed
        ? dateLabel('completed', when.completed)
        : milestone.status !== 'locked' && when.unlocked
          ? dateLabel('unlocked', when.unlocked)
          : undefined;
    return { milestone, year, x: LEFT + fraction * (RIGHT - LEFT), tier: TIERS[index % TIERS.length] ?? 1, isNext: progress.next?.id === milestone.id, date };
  });
}

export function renderTimeline(progress: ProgressResult, dates: DatesById, cspSource: string): string {
  const points = layout(progress, dates);
  const completed = progress.milestones.filter((m) => m.status === 'completed').length;
  const ticks = [FIRST_YEAR, 1970, 1980, 1990, 2000, 2010, LAST_YEAR]
    .map((year) => {
      const x = LEFT + ((year - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR)) * (RIGHT - LEFT);
      return `<line class="tick" x1="${x}" x2="${x}" y1="${AXIS_Y - 5}" y2="${AXIS_Y + 5}"/><text class="tick-label" x="${x}" y="${AXIS_Y + 22}">${year}</text>`;
    })
    .join('');
  const marks = points.map(pointSvg).join('\n');
  const rows = points.map(rowHtml).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'unsafe-inline';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(TIMELINE_TITLE)}</title>
<style>
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 12px 20px; }
  h1 { font-size: 1.3em; font-weight: 600; margin: 0 0 4px; }
  .summary { color: var(--vscode-descriptionForeground); margin: 0 0 8px; }
  svg { width: 100%; max-width: 1200px; height: auto; display: block; }
  .axis, .tick { stroke: var(--vscode-foreground); stroke-opacity: .5; stroke-width: 2; }
  .tick-label { fill: var(--vscode-descriptionForeground); font-size: 12px; text-anchor: middle; }
  .stem { stroke-width: 1.5; stroke-dasharray: 3 3; }
  .name { font-size: 13px; font-weight: 600; fill: var(--vscode-foreground); }
  .detail { font-size: 11.5px; fill: var(--vscode-descriptionForeground); }
  .completed { --c: var(--vscode-testing-iconPassed, #73c991); }
  .unlocked { --c: var(--vscode-charts-blue, #3794ff); }
  .locked { --c: var(--vscode-disabledForeground, #888); }
  .dot { fill: var(--c); stroke: var(--vscode-editor-background); stroke-width: 2; }
  .locked .dot { fill: var(--vscode-editor-background); stroke: var(--c); stroke-width: 2.5; }
  .stem { stroke: var(--c); }
  .next-ring { fill: none; stroke: var(--vscode-charts-yellow, #cca700); stroke-width: 3; }
  table { border-collapse: collapse; margin-top: 12px; }
  td, th { text-align: left; padding: 3px 14px 3px 0; }
  th { color: var(--vscode-descriptionForeground); font-weight: 500; }
  .swatch { display: inline-block; width: .8em; height: .8em; border-radius: 50%; background: var(--c); margin-right: 6px; }
</style></head>
<body>
<h1>${esc(TIMELINE_TITLE)}</h1>
<p class="summary">${completed}/${progress.milestones.length} completed · catalog ${esc(progress.catalog)}</p>
<svg viewBox="0 0 ${WIDTH} ${AXIS_Y * 2}" role="img" aria-label="${esc(TIMELINE_TITLE)}">
<line class="axis" x1="${LEFT}" x2="${RIGHT}" y1="${AXIS_Y}" y2="${AXIS_Y}"/>
${ticks}
${marks}
</svg>
<table>
<tr><th>Year</th><th>Milestone</th><th>Status</th><th>Modules</th><th>Date</th></tr>
${rows}
</table>
</body></html>`;
}

function pointSvg(point: TimelinePoint): string {
  const { milestone, x, tier } = point;
  const labelY = AXIS_Y + tier * 62 + (tier < 0 ? -8 : 14);
  const stemEnd = AXIS_Y + tier * 62 + (tier < 0 ? 10 : -4);
  // Labels near either end grow inwards, so they are not cut at the edge of the page.
  const anchor = x < LEFT + EDGE ? 'start' : x > RIGHT - EDGE ? 'end' : 'middle';
  const labelX = anchor === 'start' ? x - 12 : anchor === 'end' ? x + 12 : x;
  const detail = point.date ?? (milestone.status === 'locked' ? modulesLabel(milestone) : STATUS_WORD[milestone.status]);
  return `<g class="milestone ${milestone.status}${point.isNext ? ' next' : ''}" data-id="${esc(milestone.id)}" data-status="${milestone.status}"${point.year ? ` data-year="${point.year}"` : ''}>
<line class="stem" x1="${x}" x2="${x}" y1="${AXIS_Y}" y2="${stemEnd}"/>
${point.isNext ? `<circle class="next-ring" cx="${x}" cy="${AXIS_Y}" r="15"/>` : ''}<circle class="dot" cx="${x}" cy="${AXIS_Y}" r="10"><title>${esc(`${milestone.name}: ${STATUS_WORD[milestone.status]}`)}</title></circle>
<text class="name" x="${labelX}" y="${labelY}" text-anchor="${anchor}">${esc(milestone.name)}</text>
<text class="detail" x="${labelX}" y="${labelY + 15}" text-anchor="${anchor}">${esc(detail)}</text>
</g>`;
}

function rowHtml(point: TimelinePoint): string {
  const { milestone } = point;
  const status = `${STATUS_WORD[milestone.status]}${point.isNext ? ` (${NEXT_WORD})` : ''}`;
  const modules = [modulesLabel(milestone), missingLabel(milestone.missing)].filter(Boolean).join(', ');
  return `<tr class="${milestone.status}" data-id="${esc(milestone.id)}"><td>${point.year ?? ''}</td><td><span class="swatch"></span>${esc(milestone.name)}</td><td class="status">${esc(status)}</td><td>${esc(modules)}</td><td class="date">${esc(point.date ?? '')}</td></tr>`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
