import { describe, expect, test } from 'vitest';
import {
  cause,
  validateAnnotations,
  validateLabels,
  validatePortNumber,
  validateProtocol,
  validateQuantity,
} from './validation.ts';
import { validateLabelSelector } from './label-selector.ts';

describe('field validators', () => {
  test('labels and annotations', () => {
    expect(validateLabels({ app: 'web', 'example.com/tier': 'front' }, 'metadata.labels')).toEqual([]);
    const c = validateLabels({ 'bad key': 'v', ok: '-bad', n: 5 }, 'metadata.labels');
    expect(c.map((x) => `${x.field}:${x.reason}`)).toEqual(['metadata.labels:FieldValueInvalid', 'metadata.labels:FieldValueInvalid', 'metadata.labels[n]:FieldValueTypeInvalid']);
    expect(validateLabels('nope', 'metadata.labels')[0].reason).toBe('FieldValueTypeInvalid');
    expect(validateAnnotations({ big: 'x'.repeat(256 * 1024) }, 'metadata.annotations')).toEqual([
      { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 262144 bytes', field: 'metadata.annotations' },
    ]);
  });
  test('ports, protocols, quantities', () => {
    expect(validatePortNumber(80, 'p')).toEqual([]);
    expect(validatePortNumber(0, 'p', { required: true })).toEqual([cause.required('p')]);
    expect(validatePortNumber(65536, 'p')[0].message).toBe('Invalid value: 65536: must be between 1 and 65535, inclusive');
    expect(validatePortNumber('80', 'p')[0].reason).toBe('FieldValueTypeInvalid');
    expect(validateProtocol('TCP', 'x')).toEqual([]);
    expect(validateProtocol('ICMP', 'x')[0].message).toBe('Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"');
    expect(validateQuantity('100m', 'q')).toEqual([]);
    expect(validateQuantity('-1', 'q')[0].message).toMatch(/must be greater than or equal to 0/);
    expect(validateQuantity('x', 'q')[0].reason).toBe('FieldValueInvalid');
    expect(validateQuantity({}, 'q')[0].reason).toBe('FieldValueTypeInvalid');
  });
});

describe('label selector validation', () => {
  test('validation', () => {
    expect(validateLabelSelector({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'x', operator: 'In', values: ['1'] }] }, 's')).toEqual([]);
    const c = validateLabelSelector({ matchExpressions: [{ key: 'x', operator: 'In' }, { key: 'y', operator: 'Exists', values: ['1'] }, { key: 'z', operator: 'Near' }] }, 's');
    expect(c.map((x) => `${x.field}:${x.reason}`)).toEqual([
      's.matchExpressions[0].values:FieldValueRequired',
      's.matchExpressions[1].values:FieldValueForbidden',
      's.matchExpressions[2].operator:FieldValueInvalid',
    ]);
    expect(() => validateLabelSelector({ matchExpressions: 'x', matchLabels: 3 }, 's')).not.toThrow();
  });
});
