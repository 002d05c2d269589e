import { expect } from 'chai';
import { buildTimeline, labelRows, ticks, type HistoryEvent } from '../../console/src/timeline';

const T0 = Date.parse('2026-11-30T09:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const error = { name: 'SimulatedFailure', message: 'simulated work failed' };

/** The history of a task that failed all three attempts with 1 s and 2 s of backoff, then was redriven. */
const failedThenRedriven: HistoryEvent[] = [
  { type: 'QUEUED', at: at(0), attempt: 0 },
  { type: 'PROCESSING', at: at(100), attempt: 1 },
  { type: 'RETRY_SCHEDULED', at: at(150), attempt: 1, delaySeconds: 1, error },
  { type: 'PROCESSING', at: at(1200), attempt: 2 },
  { type: 'RETRY_SCHEDULED', at: at(1250), attempt: 2, delaySeconds: 2, error },
  { type: 'PROCESSING', at: at(3300), attempt: 3 },
  { type: 'DEAD_LETTERED', at: at(3350), attempt: 3, error },
  { type: 'FAILED', at: at(4000), attempt: 3, error },
  { type: 'REDRIVEN', at: at(10_000), attempt: 0 },
  { type: 'PROCESSING', at: at(10_100), attempt: 1 },
];

describe('console timeline layout', () => {
  it('draws each attempt from its claim to its outcome, with the error of each failed one', () => {
    const t = buildTimeline(failedThenRedriven, 'PROCESSING', T0 + 10_500);

    expect(t.attempts.map((a) => [a.attempt, a.from - T0, a.to - T0, a.outcome, a.error?.name])).to.deep.equal([
      [1, 100, 150, 'retry', 'SimulatedFailure'],
      [2, 1200, 1250, 'retry', 'SimulatedFailure'],
      [3, 3300, 3350, 'dead-lettered', 'SimulatedFailure'],
      [1, 10_100, 10_500, 'running', undefined],
    ]);
  });

  it('shows each backoff as a gap with its delay, and the waits in the queue', () => {
    const t = buildTimeline(failedThenRedriven, 'PROCESSING', T0 + 10_500);

    expect(t.waits.map((w) => [w.kind, w.from - T0, w.to - T0, w.delaySeconds, w.open])).to.deep.equal([
      ['queued', 0, 100, undefined, false],
      ['backoff', 150, 1200, 1, false],
      ['backoff', 1250, 3300, 2, false],
      ['queued', 10_000, 10_100, undefined, false],
    ]);
  });

  it('marks the submit, the DLQ, FAILED and the redrive where they happened', () => {
    const t = buildTimeline(failedThenRedriven, 'PROCESSING', T0 + 10_500);

    expect(t.marks.map((m) => [m.type, m.at - T0])).to.deep.equal([
      ['QUEUED', 0],
      ['DEAD_LETTERED', 3350],
      ['FAILED', 4000],
      ['REDRIVEN', 10_000],
    ]);
  });

  it('ends the axis at now while the task is unfinished, and at its last event once it is', () => {
    const live = buildTimeline(failedThenRedriven.slice(0, 3), 'RETRY_SCHEDULED', T0 + 900);
    const done = buildTimeline(failedThenRedriven.slice(0, 8), 'FAILED', T0 + 60_000);

    expect([live.live, live.end - T0, live.waits.at(-1)?.open, live.waits.at(-1)!.to - T0]).to.deep.equal([true, 900, true, 900]);
    expect([done.live, done.start - T0, done.end - T0]).to.deep.equal([false, 0, 4000]);
  });

  it('counts a second claim of the same attempt as a takeover after an expired lease', () => {
    const t = buildTimeline(
      [
        { type: 'QUEUED', at: at(0), attempt: 0 },
        { type: 'PROCESSING', at: at(10), attempt: 1 },
        { type: 'PROCESSING', at: at(30_000), attempt: 1 },
        { type: 'SUCCEEDED', at: at(30_050), attempt: 1 },
      ],
      'SUCCEEDED',
      T0 + 31_000,
    );

    expect(t.attempts.map((a) => a.outcome)).to.deep.equal(['taken-over', 'succeeded']);
  });

  it('gives an empty or one-instant history a span to draw on', () => {
    const t = buildTimeline([{ type: 'QUEUED', at: at(0), attempt: 0 }], 'QUEUED', T0);

    expect(t.end - t.start).to.equal(1000);
  });

  it('picks round tick steps, at most eight', () => {
    expect(ticks(0, 4000)).to.deep.equal([0, 1000, 2000, 3000, 4000]);
    expect(ticks(0, 65_000)).to.deep.equal([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(ticks(0, 3 * 86_400_000).length).to.be.at.most(8);
  });

  it('puts labels on the first row where they do not overlap, and drops one that fits nowhere', () => {
    expect(
      labelRows(
        [
          { x: 0, width: 50 },
          { x: 20, width: 50 },
          { x: 40, width: 50 },
          { x: 100, width: 10 },
        ],
        2,
      ),
    ).to.deep.equal([0, 1, -1, 0]);
  });
});
