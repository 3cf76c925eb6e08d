import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { customResourceDefinitionKind as crdKind } from './apiextensions.ts';
import { kindsFromCRD } from './crd-kinds.ts';

const schema = (rules: unknown[], itemRules: unknown[] = []) => ({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': rules,
      properties: {
        replicas: { type: 'integer' },
        maxReplicas: { type: 'integer' },
        ratio: { type: 'number' },
        mode: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', 'x-kubernetes-validations': itemRules, properties: { name: { type: 'string' }, port: { type: 'integer' } } },
        },
      },
    },
  },
});

const crd = (rules: unknown[], itemRules: unknown[] = []): KObject =>
  ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema(rules, itemRules) } }],
    },
  }) as KObject;

const widget = (spec: unknown): KObject => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' }, spec }) as KObject;

function check(rules: unknown[], spec: unknown, oldSpec?: unknown, itemRules: unknown[] = []) {
  const [def] = kindsFromCRD(crd(rules, itemRules));
  return def.validate!(widget(spec), oldSpec === undefined ? undefined : widget(oldSpec));
}

describe('x-kubernetes-validations (CEL)', () => {
  test('a rule that holds passes; one that fails is a cause at its node with its message', () => {
    const rules = [{ rule: 'self.replicas <= self.maxReplicas', message: 'replicas must not exceed maxReplicas' }];
    expect(check(rules, { replicas: 2, maxReplicas: 3 })).toEqual([]);
    expect(check(rules, { replicas: 5, maxReplicas: 3 })).toEqual([{ reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": replicas must not exceed maxReplicas' }]);
  });
  test('default message, messageExpression, reason and fieldPath', () => {
    expect(check([{ rule: 'self.replicas > 0' }], { replicas: 0 })[0].message).toBe('Invalid value: "object": failed rule: self.replicas > 0');
    const me = [{ rule: 'self.replicas < 10', messageExpression: '"replicas is " + string(self.replicas) + ", at most 9"', reason: 'FieldValueForbidden', fieldPath: '.replicas' }];
    expect(check(me, { replicas: 12 })).toEqual([{ reason: 'FieldValueForbidden', field: 'spec.replicas', message: 'Forbidden: replicas is 12, at most 9' }]);
  });
  test('has(), macros, strings, doubles', () => {
    const rules = [
      { rule: "!has(self.mode) || self.mode in ['a', 'b']" },
      { rule: 'self.tags.all(t, t.size() <= 3) && self.tags.exists_one(t, t == "x")' },
      { rule: 'self.tags.filter(t, t.startsWith("z")).size() == 0' },
      { rule: 'self.ratio < 1.0' },
    ];
    expect(check(rules, { tags: ['x', 'abc'], ratio: 0.5 })).toEqual([]);
    expect(check(rules, { mode: 'c', tags: ['x', 'x', 'zzzz'], ratio: 2 }).map((c) => c.message)).toEqual([
      "Invalid value: \"object\": failed rule: !has(self.mode) || self.mode in ['a', 'b']",
      'Invalid value: "object": failed rule: self.tags.all(t, t.size() <= 3) && self.tags.exists_one(t, t == "x")',
      'Invalid value: "object": failed rule: self.tags.filter(t, t.startsWith("z")).size() == 0',
      'Invalid value: "object": failed rule: self.ratio < 1.0',
    ]);
  });
  test('transition rules see oldSelf on update only; map-list items correlate by key', () => {
    const rules = [{ rule: 'self.mode == oldSelf.mode', message: 'mode is immutable' }];
    expect(check(rules, { mode: 'b' })).toEqual([]); // create: not run
    expect(check(rules, { mode: 'a' }, { mode: 'a' })).toEqual([]);
    expect(check(rules, { mode: 'b' }, { mode: 'a' })[0]).toMatchObject({ field: 'spec', message: 'Invalid value: "object": mode is immutable' });
    const item = [{ rule: 'self.port >= oldSelf.port', message: 'ports only grow' }];
    const old = { ports: [{ name: 'a', port: 80 }] };
    expect(check([], { ports: [{ name: 'b', port: 1 }, { name: 'a', port: 81 }] }, old, item)).toEqual([]);
    expect(check([], { ports: [{ name: 'b', port: 1 }, { name: 'a', port: 79 }] }, old, item)).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.ports[1]', message: 'Invalid value: "object": ports only grow' },
    ]);
  });
  test('a rule that does not compile refuses the CRD with the rule named', () => {
    const c = crd([{ rule: 'self.replicas <' }, { rule: 'nosuchfn(self)' }, { rule: 'self.replicas', messageExpression: '1 + ' }, { rule: 'true', reason: 'Nope' }]);
    crdKind.default!(c);
    const causes = crdKind.validate!(c);
    const base = 'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations';
    expect(causes.map((x) => x.field)).toEqual([`${base}[0].rule`, `${base}[1].rule`, `${base}[2].messageExpression`, `${base}[3].reason`]);
    expect(causes[0].message).toMatch(/^Invalid value: "self.replicas <": compilation failed: /);
    // oldSelf in list items that cannot be correlated
    const c2 = crd([]);
    (c2.spec as any).versions[0].schema.openAPIV3Schema.properties.spec.properties.tags.items['x-kubernetes-validations'] = [{ rule: 'self == oldSelf' }];
    expect(crdKind.validate!(c2).map((x) => x.message)).toEqual([expect.stringContaining('oldSelf cannot be used on the uncorrelatable portion of the schema')]);
    expect(crdKind.validate!(crd([{ rule: 'self.replicas == 1' }]))).toEqual([]);
  });
});
