import { describe, expect, test } from 'vitest';
import { isConfigMapKey, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isIanaSvcName, isLabelValue, isQualifiedName } from './names.ts';

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
