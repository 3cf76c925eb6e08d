import { describe, expect, it } from 'vitest';
import { parseResourceArgs } from './args.ts';

describe('parseResourceArgs', () => {
  it('reads type [names...], type,type and type/name forms', () => {
    expect(parseResourceArgs(['po'])).toEqual([{ type: 'po', names: [] }]);
    expect(parseResourceArgs(['po', 'a', 'b'])).toEqual([{ type: 'po', names: ['a', 'b'] }]);
    expect(parseResourceArgs(['po,cm'])).toEqual([{ type: 'po', names: [] }, { type: 'cm', names: [] }]);
    expect(parseResourceArgs(['po/a', 'cm/b', 'po/c'])).toEqual([{ type: 'po', names: ['a', 'c'] }, { type: 'cm', names: ['b'] }]);
  });
  it('rejects mixed forms', () => {
    expect(() => parseResourceArgs(['po', 'cm/b'])).toThrow(/no need to specify a resource type/);
    expect(() => parseResourceArgs(['po/'])).toThrow(/single resource and name/);
  });
});
