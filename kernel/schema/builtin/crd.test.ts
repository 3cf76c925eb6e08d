import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { customResourceDefinitionKind as crdKind } from './apiextensions.ts';
import { kindsFromCRD } from './crd-kinds.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);

const crd = (): KObject =>
  ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: {
                    size: { type: 'integer', minimum: 1, maximum: 10 },
                    color: { type: 'string', enum: ['red', 'blue'], default: 'red' },
                    port: { 'x-kubernetes-int-or-string': true },
                    extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                    note: { type: 'string', nullable: true },
                  },
                },
                status: { type: 'object', properties: { ready: { type: 'boolean' } } },
              },
            },
          },
        },
        { name: 'v1beta1', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
      ],
    },
  }) as KObject;

describe('CustomResourceDefinition kind', () => {
  test('valid CRD passes and gets names defaulted', () => {
    const c = crd();
    crdKind.default!(c);
    expect(crdKind.validate!(c)).toEqual([]);
    expect((c.spec as any).names).toMatchObject({ singular: 'widget', listKind: 'WidgetList' });
  });
  test('invalid CRDs', () => {
    const c = crd();
    (c.metadata as any).name = 'wrong';
    (c.spec as any).group = 'nodot';
    (c.spec as any).versions[0].storage = false;
    delete (c.spec as any).versions[1].schema;
    expect(f(crdKind.validate!(c))).toEqual([
      'spec.group:FieldValueInvalid',
      'metadata.name:FieldValueInvalid',
      'spec.versions[1].schema.openAPIV3Schema:FieldValueRequired',
      'spec.versions:FieldValueInvalid',
    ]);
    expect(crdKind.validate!({ ...crd(), spec: 'x' } as KObject).length).toBeGreaterThan(0);
  });
  test('a schema that is not structural is refused, naming the field', () => {
    const c = crd();
    const props = (c.spec as any).versions[0].schema.openAPIV3Schema.properties.spec.properties;
    props.untyped = { description: 'no type' };
    props.list = { type: 'array', items: { description: 'no type either' } };
    props.both = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } };
    props.ios = { type: 'string', 'x-kubernetes-int-or-string': true };
    const base = 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties';
    expect(crdKind.validate!(c).map((x) => `${x.field}: ${x.message}`)).toEqual([
      `${base}[untyped].type: Required value: must not be empty for specified object fields`,
      `${base}[list].items.type: Required value: must not be empty for specified array items`,
      `${base}[both].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
      `${base}[ios].type: Forbidden: must be empty if x-kubernetes-int-or-string is true`,
    ]);
  });
});

describe('kindsFromCRD', () => {
  const [def] = kindsFromCRD(crd());
  const widget = (spec: unknown, extra: Record<string, unknown> = {}): KObject =>
    ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' }, spec, ...extra }) as KObject;

  test('one definition per served version', () => {
    expect(kindsFromCRD(crd())).toHaveLength(1);
    expect(def).toMatchObject({ group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets', singular: 'widget', namespaced: true, shortNames: ['wd'], subresources: ['status'] });
  });
  test('defaults and pruning', () => {
    const w = widget({ size: 3, unknown: 1, extra: { anything: { goes: true } } }, { junk: 1 });
    def.default!(w);
    expect(def.validate!(w)).toEqual([]);
    expect(w.spec).toEqual({ size: 3, color: 'red', extra: { anything: { goes: true } } });
    expect(w.junk).toBeUndefined();
    expect(w.metadata.name).toBe('w');
  });
  test('schema errors become causes with Kubernetes paths', () => {
    const w = widget({ size: 'big', color: 'green', port: true, tags: ['a', 'a'], note: null });
    def.default!(w);
    expect(def.validate!(w)).toEqual([
      { reason: 'FieldValueTypeInvalid', field: 'spec.size', message: 'Invalid value: "big": spec.size in body must be of type integer: "string"' },
      { reason: 'FieldValueNotSupported', field: 'spec.color', message: 'Unsupported value: "green": supported values: "red", "blue"' },
      expect.objectContaining({ reason: 'FieldValueTypeInvalid', field: 'spec.port' }),
      { reason: 'FieldValueDuplicate', field: 'spec.tags[1]', message: 'Duplicate value: "a"' },
    ]);
    expect(def.validate!(widget({ size: 1, tags: ['x', 'y', 'x'] }))).toEqual([{ reason: 'FieldValueDuplicate', field: 'spec.tags[2]', message: 'Duplicate value: "x"' }]);
    expect(f(def.validate!(widget({ size: 11, port: 'http' })))).toEqual(['spec.size:FieldValueInvalid']);
    expect(f(def.validate!(widget({})))).toEqual(['spec.size:FieldValueRequired']);
    expect(f(def.validate!(widget('nope')))).toEqual(['spec:FieldValueTypeInvalid']);
  });
  test('garbage never throws', () => {
    for (const o of [null, 'x', [], { metadata: 'x', spec: [] }]) {
      expect(() => def.default!(o as unknown as KObject)).not.toThrow();
      expect(() => def.validate!(o as unknown as KObject)).not.toThrow();
    }
  });
});
