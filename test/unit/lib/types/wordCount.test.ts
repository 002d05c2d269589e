import { expect } from 'chai';
import { wordCount } from '../../../../lib/types/wordCount';
import { PermanentError, type TaskContext } from '../../../../lib/types/contract';

/** The context a handler gets, with a log that records its lines. */
function context(lines: [string, Record<string, unknown> | undefined][]): TaskContext {
  const log = (message: string, extra?: Record<string, unknown>) => lines.push([message, extra]);
  return {
    taskId: 'wc-1',
    type: 'wordCount',
    attempt: 1,
    maxAttempts: 2,
    correlationId: 'c',
    log: { debug: log, info: log, warn: log, error: log },
    signal: new AbortController().signal,
    remainingMs: () => 5000,
  };
}

describe('wordCount task type (the worked example of docs/task-types.md)', () => {
  it('returns the words and characters of payload.text, counting an emoji as one character', async () => {
    const lines: [string, Record<string, unknown> | undefined][] = [];

    const result = await wordCount.handle({ text: '  to be or\tnot to be 😀 ' }, context(lines));

    expect(result).to.deep.equal({ words: 7, characters: 23 });
    expect(lines).to.deep.equal([['WORDS_COUNTED', { words: 7 }]]);
  });

  it('counts an empty text as no words', async () => {
    expect(await wordCount.handle({ text: '' }, context([]))).to.deep.equal({ words: 0, characters: 0 });
  });

  it('refuses a payload without a string text at submit, naming payload.text', () => {
    expect(wordCount.validate!({ text: 42 })).to.deep.equal([{ field: 'payload.text', problem: 'must be a string' }]);
    expect(wordCount.validate!({ text: 'ok' })).to.deep.equal([]);
  });

  it('fails permanently for a stored payload without text (no retry can fix it)', () => {
    expect(() => wordCount.handle({}, context([]))).to.throw(PermanentError, 'payload.text must be a string');
  });
});
