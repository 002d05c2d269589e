import type { FieldProblem } from '../domain/errors';
import { defineTaskType, PermanentError } from './contract';

/** The worked example of docs/task-types.md: counts the words of `payload.text`. */
export const wordCount = defineTaskType<{ text?: unknown }>({
  name: 'wordCount',
  description: 'counts the words and characters of payload.text',
  policy: { maxAttempts: 2, baseSeconds: 1, timeoutSeconds: 5 },
  validate(payload): FieldProblem[] {
    return typeof payload.text === 'string' ? [] : [{ field: 'payload.text', problem: 'must be a string' }];
  },
  handle(payload, ctx) {
    // validate() ran at submit; a stored payload from before a change is refused for good.
    if (typeof payload.text !== 'string') throw new PermanentError('payload.text must be a string');
    const words = payload.text.split(/\s+/u).filter((word) => word !== '').length;
    ctx.log.info('WORDS_COUNTED', { words });
    return { words, characters: [...payload.text].length };
  },
});
