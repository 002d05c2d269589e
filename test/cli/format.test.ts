import { expect } from 'chai';
import { RESULT_PREVIEW, eventLine, historyTable, resultText, table } from '../../cli/format';

describe('cli/format', () => {
  it('aligns columns to the widest cell and does not pad the last one', () => {
    expect(
      table(
        ['A', 'BB', 'C'],
        [
          ['long-value', 'x', 'last'],
          ['y', 'wide-cell', ''],
        ],
      ),
    ).to.equal(`${['A           BB         C', 'long-value  x          last', 'y           wide-cell'].join('\n')}\n`);
  });

  it('renders one history line per event with time, type, attempt and error or delay', () => {
    const text = historyTable([
      { type: 'PROCESSING', at: '2025-01-02T03:04:05.000Z', attempt: 1 },
      {
        type: 'RETRY_SCHEDULED',
        at: '2025-01-02T03:04:06.000Z',
        attempt: 1,
        error: { name: 'SimulatedFailure', message: 'boom' },
        delaySeconds: 4,
      },
    ]);

    expect(text.split('\n')).to.deep.equal([
      'TIME                      EVENT            ATTEMPT  ERROR',
      '2025-01-02T03:04:05.000Z  PROCESSING       1',
      '2025-01-02T03:04:06.000Z  RETRY_SCHEDULED  1        SimulatedFailure: boom; next attempt in 4s',
      '',
    ]);
  });

  it('streams events in the same columns as the history table', () => {
    const event = { type: 'FAILED' as const, at: '2025-01-02T03:04:05.000Z', attempt: 3, error: { name: 'E', message: 'm' } };

    expect(eventLine(event)).to.equal(historyTable([event]).split('\n')[1]);
  });

  it('prints a small result whole, and never cuts a huge one inside a surrogate pair', () => {
    expect(resultText({ n: 1 })).to.equal('{\n  "n": 1\n}');

    // '"' then pairs: the cut at RESULT_PREVIEW.chars would fall between the halves of a pair.
    const text = resultText('\u{1F600}'.repeat(RESULT_PREVIEW.chars));
    const shown = text.split('\n')[0];

    expect(shown).to.equal(`"${'\u{1F600}'.repeat((RESULT_PREVIEW.chars - 2) / 2)}`);
    expect(text.split('\n')[1]).to.equal(
      `... (${RESULT_PREVIEW.chars - 1} of ${RESULT_PREVIEW.chars * 2 + 2} characters shown; --json prints the whole result)`,
    );
  });
});
