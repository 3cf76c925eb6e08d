import { describe, expect, it } from 'vitest';
import { aggregateErrors } from './errors.ts';

describe('aggregateErrors', () => {
  it('is undefined for none, the error itself for one, and "[a, b]" for more', () => {
    expect(aggregateErrors([])).toBeUndefined();
    const one = Object.assign(new Error('conflict'), { code: 409 });
    expect(aggregateErrors([one])).toBe(one);
    const many = aggregateErrors([new Error('a'), 'b']) as AggregateError;
    expect(many).toBeInstanceOf(AggregateError);
    expect(many.message).toBe('[a, b]');
    expect(many.errors).toHaveLength(2);
  });
});
