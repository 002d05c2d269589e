import { el, svg } from './dom';
import { formatDuration, formatTime } from './format';
import { buildTimeline, labelRows, ticks, type HistoryEvent, type Timeline } from './timeline';

const WIDTH = 1000;
const LEFT = 12;
const RIGHT = 12;
const LANE_Y = 56;
const LANE_H = 26;
const AXIS_Y = 150;
const HEIGHT = 176;
/** Rough width of a character of the 11px labels, to keep labels apart. */
const CHAR_W = 6.4;

const OUTCOME_TEXT: Record<string, string> = {
  running: 'running',
  succeeded: 'succeeded',
  retry: 'failed, retry scheduled',
  'dead-lettered': 'failed, sent to the DLQ',
  failed: 'failed',
  'taken-over': 'lease expired, taken over',
  ended: 'ended',
};

const MARK_TEXT: Record<string, string> = {
  QUEUED: 'submitted',
  REDRIVEN: 'redriven',
  DEAD_LETTERED: 'DLQ',
  FAILED: 'FAILED',
  SUCCEEDED: 'SUCCEEDED',
  CANCELLED: 'CANCELLED',
};

const describeError = (error?: { name: string; message: string }) => (error ? `${error.name}: ${error.message}` : '');

function summary(t: Timeline): string {
  const failed = t.attempts.filter((a) => a.error).length;
  return (
    `Timeline over ${formatDuration(t.end - t.start)}: ${t.attempts.length} attempt${t.attempts.length === 1 ? '' : 's'}` +
    (failed ? `, ${failed} failed` : '') +
    (t.marks.length ? `; ${t.marks.map((m) => MARK_TEXT[m.type] ?? m.type).join(', ')}` : '')
  );
}

/** Labels placed on `rows` rows above or below a band so they do not overlap. */
function placeLabels(
  labels: { x: number; text: string; className: string; title: string }[],
  rows: number,
  yOf: (row: number) => number,
): SVGElement[] {
  // A label that would run past the right edge ends at it instead.
  const sorted = labels
    .map((label) => ({ ...label, x: Math.max(LEFT, Math.min(label.x, WIDTH - RIGHT - label.text.length * CHAR_W)) }))
    .sort((a, b) => a.x - b.x);
  const placed = labelRows(
    sorted.map((label) => ({ x: label.x, width: label.text.length * CHAR_W })),
    rows,
  );
  return sorted.flatMap((label, i) =>
    placed[i] < 0
      ? []
      : [svg('text', { x: label.x, y: yOf(placed[i]), class: label.className }, svg('title', {}, label.title), label.text)],
  );
}

/** The history as an SVG timeline and, below it, the same events as a list. */
export function timelineView(history: readonly HistoryEvent[], status: string, now: number): HTMLElement {
  const t = buildTimeline(history, status, now);
  const span = t.end - t.start;
  const x = (time: number) => LEFT + ((time - t.start) / span) * (WIDTH - LEFT - RIGHT);
  const shapes: SVGElement[] = [];

  for (const gap of t.waits) {
    if (gap.to <= gap.from && !gap.open) continue;
    const [x1, x2] = [x(gap.from), Math.max(x(gap.to), x(gap.from) + 1)];
    const label =
      gap.kind === 'backoff'
        ? `backoff ${gap.delaySeconds !== undefined ? `${gap.delaySeconds} s` : ''}`.trim()
        : `queued ${formatDuration(gap.to - gap.from)}`;
    shapes.push(
      svg(
        'line',
        { x1, x2, y1: LANE_Y + LANE_H / 2, y2: LANE_Y + LANE_H / 2, class: `gap gap-${gap.kind}${gap.open ? ' gap-open' : ''}` },
        svg('title', {}, `${label}; waited ${formatDuration(gap.to - gap.from)}${gap.open ? ' so far' : ''}`),
      ),
    );
  }
  for (const a of t.attempts) {
    const width = Math.max(4, x(a.to) - x(a.from));
    const title = `Attempt ${a.attempt}: ${formatDuration(a.to - a.from)}, ${OUTCOME_TEXT[a.outcome]}${a.error ? ` (${describeError(a.error)})` : ''}`;
    shapes.push(
      svg(
        'rect',
        { x: x(a.from), y: LANE_Y, width, height: LANE_H, rx: 3, class: `attempt attempt-${a.outcome}`, 'data-attempt': a.attempt },
        svg('title', {}, title),
      ),
    );
  }
  const attemptLabels = t.attempts.map((a) => ({
    x: x(a.from),
    text: a.error ? `#${a.attempt} ✕ ${a.error.name}` : `#${a.attempt}`,
    className: a.error ? 'label label-error' : 'label',
    title: `Attempt ${a.attempt}${a.error ? `: ${describeError(a.error)}` : ''}`,
  }));
  const gapLabels = t.waits
    .filter((gap) => gap.kind === 'backoff')
    .map((gap) => ({
      x: (x(gap.from) + x(gap.to)) / 2 - 24,
      text: gap.delaySeconds !== undefined ? `wait ${gap.delaySeconds} s` : 'wait',
      className: 'label label-gap',
      title: `backoff of ${gap.delaySeconds ?? '?'} s before the next attempt`,
    }));
  const markShapes = t.marks.map((mark) =>
    svg(
      'line',
      { x1: x(mark.at), x2: x(mark.at), y1: LANE_Y - 6, y2: LANE_Y + LANE_H + 34, class: `mark mark-${mark.type}` },
      svg('title', {}, `${MARK_TEXT[mark.type] ?? mark.type} at ${formatTime(new Date(mark.at).toISOString())}`),
    ),
  );
  const markLabels = t.marks.map((mark) => ({
    x: x(mark.at) + 3,
    text: MARK_TEXT[mark.type] ?? mark.type,
    className: `label mark-label mark-label-${mark.type}`,
    title: `${MARK_TEXT[mark.type] ?? mark.type}${mark.error ? `: ${describeError(mark.error)}` : ''}`,
  }));
  const axis = [
    svg('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: AXIS_Y, y2: AXIS_Y, class: 'axis' }),
    ...ticks(t.start, t.end).flatMap((offset) => [
      svg('line', { x1: x(t.start + offset), x2: x(t.start + offset), y1: AXIS_Y, y2: AXIS_Y + 5, class: 'axis' }),
      svg('text', { x: x(t.start + offset), y: AXIS_Y + 18, class: 'tick' }, offset === 0 ? '0' : `+${formatDuration(offset)}`),
    ]),
  ];
  const nowLine = t.live ? [svg('line', { x1: x(t.end), x2: x(t.end), y1: 14, y2: AXIS_Y, class: 'now' }, svg('title', {}, 'now'))] : [];

  const picture = svg(
    'svg',
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'timeline', role: 'img', 'aria-label': summary(t) },
    ...shapes,
    ...markShapes,
    ...nowLine,
    ...placeLabels([...attemptLabels, ...gapLabels], 3, (row) => LANE_Y - 8 - row * 14),
    ...placeLabels(markLabels, 2, (row) => LANE_Y + LANE_H + 18 + row * 14),
    ...axis,
  );

  const events = el(
    'ol',
    { class: 'events' },
    ...history.map((event) =>
      el(
        'li',
        { class: `event event-${event.type}` },
        el('time', { datetime: event.at }, formatTime(event.at)),
        ' ',
        el('span', { class: `badge status-${event.type}` }, event.type),
        ` attempt ${event.attempt}`,
        event.delaySeconds !== undefined ? `, next attempt in ${event.delaySeconds} s` : '',
        event.error ? el('span', { class: 'event-error' }, ` ${describeError(event.error)}`) : '',
      ),
    ),
  );
  const legend = el(
    'ul',
    { class: 'legend', 'aria-hidden': 'true' },
    el('li', { class: 'key key-succeeded' }, 'attempt succeeded'),
    el('li', { class: 'key key-failed' }, 'attempt failed'),
    el('li', { class: 'key key-running' }, 'running'),
    el('li', { class: 'key key-gap' }, 'waiting (backoff)'),
    el('li', { class: 'key key-mark' }, 'DLQ / FAILED'),
  );
  return el('div', { class: 'timeline-block' }, el('div', { class: 'timeline-scroll' }, picture), legend, events);
}
