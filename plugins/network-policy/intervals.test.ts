import { expect, test } from 'vitest';
import { cidrRange, normalize, rangeElement, subtract, type Range } from './intervals.ts';

const els = (rs: Range[]) => rs.map(rangeElement);
const r = (c: string) => cidrRange(c)!;

test('an ipBlock minus its exceptions, as disjoint ranges', () => {
  expect(els([r('10.0.0.0/8')])).toEqual(['10.0.0.0-10.255.255.255']);
  expect(els(subtract(r('10.0.0.0/8'), [r('10.1.0.0/16'), r('10.200.0.0/16')]))).toEqual(['10.0.0.0-10.0.255.255', '10.2.0.0-10.199.255.255', '10.201.0.0-10.255.255.255']);
  expect(els(subtract(r('10.0.0.0/24'), [r('10.0.0.0/25')]))).toEqual(['10.0.0.128-10.0.0.255']);
  expect(els(subtract(r('10.0.0.0/24'), [r('10.0.0.7/32')]))).toEqual(['10.0.0.0-10.0.0.6', '10.0.0.8-10.0.0.255']);
  expect(els([r('0.0.0.0/0')])).toEqual(['0.0.0.0-255.255.255.255']);
  expect(els([r('10.9.8.7/24')])).toEqual(['10.9.8.0-10.9.8.255']);
  expect(cidrRange('fd00::/64')).toBeUndefined();
});

test('overlapping and adjacent ranges merge (nft refuses overlaps)', () => {
  expect(els(normalize([r('10.0.0.5/32'), r('10.0.0.0/24'), r('10.0.1.0/24'), r('10.0.3.1/32'), r('10.0.3.2/32')]))).toEqual(['10.0.0.0-10.0.1.255', '10.0.3.1-10.0.3.2']);
  expect(normalize([])).toEqual([]);
});
