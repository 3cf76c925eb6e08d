import { describe, expect, test } from 'vitest';
import {
  cause,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isIanaSvcName,
  isLabelValue,
  isQualifiedName,
  validateAnnotations,
  validateLabels,
  validatePortNumber,
  validateProtocol,
  validateQuantity,
} from './validation.ts';
import { selectorMatches, validateLabelSelector } from './label-selector.ts';

describe('name checks', () => {
  test('DNS-1123 subdomain message is Kubernetes’', () => {
    expect(isDNS1123Subdomain('example.com')).toEqual([]);
    expect(isDNS1123Subdomain('Foo_bar')).toEqual([
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    expect(isDNS1123Subdomain('a'.repeat(254))).toContain('must be no more than 253 characters');
  });
  test('DNS-1123 label and DNS-1035 label', () => {
    expect(isDNS1123Label('123-abc')).toEqual([]);
    expect(isDNS1123Label('a.b')[0]).toMatch(/^a lowercase RFC 1123 label must consist .* \(e\.g\. 'my-name',  or '123-abc', regex/);
    expect(isDNS1123Label('a'.repeat(64))).toContain('must be no more than 63 characters');
    expect(isDNS1035Label('my-svc')).toEqual([]);
    expect(isDNS1035Label('1svc')).toHaveLength(1);
  });
  test('qualified names', () => {
    expect(isQualifiedName('app')).toEqual([]);
    expect(isQualifiedName('example.com/My_Name.1')).toEqual([]);
    expect(isQualifiedName('a/b/c')[0]).toMatch(/^a qualified name must consist/);
    expect(isQualifiedName('/x')).toEqual(['prefix part must be non-empty']);
    expect(isQualifiedName('Bad_Prefix/x')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/);
    expect(isQualifiedName('x/')).toEqual(['name part must be non-empty']);
    expect(isQualifiedName('-x')[0]).toMatch(/^name part must consist/);
  });
  test('label values, config keys, env names, port names', () => {
    expect(isLabelValue('')).toEqual([]);
    expect(isLabelValue('my_value')).toEqual([]);
    expect(isLabelValue('-bad')).toHaveLength(1);
    expect(isConfigMapKey('key.name')).toEqual([]);
    expect(isConfigMapKey('..')).toEqual(["must not be '..'"]);
    expect(isConfigMapKey('a b')).toHaveLength(1);
    expect(isEnvVarName('MY_ENV.NAME')).toEqual([]);
    expect(isEnvVarName('1X')).toHaveLength(1);
    expect(isIanaSvcName('http')).toEqual([]);
    expect(isIanaSvcName('80')).toEqual(['must contain at least one letter (a-z)']);
    expect(isIanaSvcName('a--b')).toEqual(['must not contain consecutive hyphens']);
  });
});

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

describe('label selectors', () => {
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
  test('matching', () => {
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }, { key: 'env', operator: 'Exists' }] };
    expect(selectorMatches(sel, { app: 'web', env: 'prod' })).toBe(true);
    expect(selectorMatches(sel, { app: 'web', env: 'prod', tier: 'db' })).toBe(false);
    expect(selectorMatches(sel, { app: 'web' })).toBe(false);
    expect(selectorMatches('garbage', { app: 'web' })).toBe(false);
  });
});
