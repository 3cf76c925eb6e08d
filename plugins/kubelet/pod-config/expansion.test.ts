import { describe, expect, it } from 'vitest';
import { expand, mappingFor } from './expansion.ts';

const vars = new Map([
  ['VAR_A', 'A'],
  ['VAR_B', 'B'],
  ['VAR_C', 'C'],
  ['VAR_REF', '$(VAR_A)'],
  ['VAR_EMPTY', ''],
]);
const m = mappingFor(vars);

// the cases of kube's third_party/forked/golang/expansion/expand_test.go, and a few more
describe('expand ($(VAR), kube rules)', () => {
  it.each([
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_A)', 'A-A'],
    ['$(VAR_A)$(VAR_B)$(VAR_C)', 'ABC'],
    ['$(VAR_EMPTY)', ''],
    ['foo$(VAR_EMPTY)bar', 'foobar'],
    ['no vars', 'no vars'],
    ['', ''],
  ])('expands %j → %j', (input, out) => expect(expand(input, m)).toBe(out));

  it.each([
    ['$(VAR_DNE)', '$(VAR_DNE)'], // undefined: kept literally
    ['$(VAR_A)$(VAR_DNE)', 'A$(VAR_DNE)'],
    ['$()', '$()'],
    ['$(VAR_REF)', '$(VAR_A)'], // values are not expanded again
  ])('keeps undefined names: %j → %j', (input, out) => expect(expand(input, m)).toBe(out));

  it.each([
    ['$$', '$'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['f000-$$VAR_A', 'f000-$VAR_A'],
    ['$$$$$$', '$$$'],
    ['$$$', '$$'],
  ])('$$ escapes: %j → %j', (input, out) => expect(expand(input, m)).toBe(out));

  it.each([
    ['$', '$'],
    ['$VAR_A', '$VAR_A'],
    ['foo$', 'foo$'],
    ['$(VAR_A', '$(VAR_A'], // incomplete
    ['$(VAR_A)$(', 'A$('],
    ['$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'], // the name is "VAR_A$(VAR_B": unknown
    ['$(VAR_A)$', 'A$'],
    ['\\$(VAR_A)', '\\A'],
    ['$é$(VAR_A)', '$éA'],
    ['$😀', '$😀'],
  ])('lone operators and odd input: %j → %j', (input, out) => expect(expand(input, m)).toBe(out));

  it('mappingFor tries its contexts in order', () => {
    const f = mappingFor(new Map([['X', '1']]), new Map([['X', '2'], ['Y', '3']]));
    expect(expand('$(X)$(Y)$(Z)', f)).toBe('13$(Z)');
  });
});
