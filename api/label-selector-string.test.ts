import { describe, expect, it } from 'vitest';
import { LabelSelectorParseError, labelSelectorPredicate, labelSelectorString, labelSetString, labelsMatch, parseLabelSelector, splitSelectorTerms } from './label-selector-string.ts';

describe('parseLabelSelector', () => {
  it('reads every operator into requirements', () => {
    expect(parseLabelSelector('app=web, tier in (a, b),env notin (prod),x,!y,z==1,w!=2')).toEqual([
      { key: 'app', op: 'in', values: ['web'] },
      { key: 'tier', op: 'in', values: ['a', 'b'] },
      { key: 'env', op: 'notin', values: ['prod'] },
      { key: 'x', op: 'exists' },
      { key: 'y', op: '!' },
      { key: 'z', op: 'in', values: ['1'] },
      { key: 'w', op: 'notin', values: ['2'] },
    ]);
  });
  it('selects everything when empty; `in ()` is one empty value; prefixed keys are fine', () => {
    expect(parseLabelSelector('')).toEqual([]);
    expect(parseLabelSelector('a in ()')).toEqual([{ key: 'a', op: 'in', values: [''] }]);
    expect(parseLabelSelector('app.kubernetes.io/name=x')).toEqual([{ key: 'app.kubernetes.io/name', op: 'in', values: ['x'] }]);
  });
  it('refuses bad syntax, keys and values with a LabelSelectorParseError', () => {
    expect(() => parseLabelSelector('app in (')).toThrow(LabelSelectorParseError);
    expect(() => parseLabelSelector('a b')).toThrow('unable to parse requirement: "a b" in label selector "a b"');
    expect(() => parseLabelSelector('-a=b')).toThrow('invalid label key "-a"');
    expect(() => parseLabelSelector('a=b$')).toThrow('invalid label value "b$"');
    expect(() => parseLabelSelector(`a=${'x'.repeat(64)}`)).toThrow('invalid label value');
  });
});

describe('labelsMatch', () => {
  const m = (sel: string, labels?: Record<string, string>) => labelsMatch(parseLabelSelector(sel), labels);
  it('matches each operator as labels.Selector.Matches', () => {
    expect(m('app=web', { app: 'web' })).toBe(true);
    expect(m('app=web', { app: 'db' })).toBe(false);
    expect(m('app!=web', {})).toBe(true);
    expect(m('app!=web', { app: 'web' })).toBe(false);
    expect(m('tier in (a,b)', { tier: 'b' })).toBe(true);
    expect(m('tier notin (a,b)', { tier: 'b' })).toBe(false);
    expect(m('x', { x: '' })).toBe(true);
    expect(m('x', undefined)).toBe(false);
    expect(m('!x', { x: '' })).toBe(false);
    expect(m('app=web,!x', { app: 'web' })).toBe(true);
    expect(m('', undefined)).toBe(true);
  });
  it('labelSelectorPredicate parses once and matches', () => {
    const p = labelSelectorPredicate('app=web,tier in (a,b)');
    expect(p({ app: 'web', tier: 'a' })).toBe(true);
    expect(p({ app: 'web' })).toBe(false);
  });
});

describe('labelSelectorString', () => {
  it('prints a LabelSelector as labels.Selector.String(), sorted by key', () => {
    expect(
      labelSelectorString({ matchLabels: { b: '1', a: '2' }, matchExpressions: [{ key: 'c', operator: 'Exists' }, { key: 'a0', operator: 'DoesNotExist' }, { key: 'd', operator: 'NotIn', values: ['y', 'x'] }, { key: 'e', operator: 'In', values: ['q'] }] }),
    ).toBe('a=2,!a0,b=1,c,d notin (x,y),e in (q)');
    expect(labelSelectorString({})).toBe('');
    expect(labelSelectorString(undefined)).toBe('');
  });
  it('round-trips through parseLabelSelector', () => {
    const s = labelSelectorString({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 't', operator: 'In', values: ['b', 'a'] }] });
    expect(parseLabelSelector(s)).toEqual([
      { key: 'app', op: 'in', values: ['web'] },
      { key: 't', op: 'in', values: ['a', 'b'] },
    ]);
  });
  it('labelSetString prints a plain label map sorted by key', () => {
    expect(labelSetString({ z: '1', a: '2' })).toBe('a=2,z=1');
    expect(labelSetString(null)).toBe('');
  });
});

describe('splitSelectorTerms', () => {
  it('splits on top-level commas only and drops empty terms', () => {
    expect(splitSelectorTerms('a=b, c in (x,y),,d ')).toEqual(['a=b', 'c in (x,y)', 'd']);
  });
});
