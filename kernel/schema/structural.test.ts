import { describe, expect, it } from 'vitest';
import type { KObject } from '../types.ts';
import { deploymentKind } from './builtin/apps.ts';
import { jobKind } from './builtin/batch.ts';
import { validateObject } from './validate-object.ts';
import { checkStructure, S } from './structural.ts';

const deployment = (replicas: unknown): KObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
  }) as KObject;

const causesOf = (def: typeof deploymentKind, o: KObject) => {
  def.default?.(o);
  return validateObject(def, o);
};

describe('int32 and int64 fields', () => {
  it('refuses int32 fields past 2^31 - 1 (2^31, 2^53, 1e308) naming the field', () => {
    for (const v of [2 ** 31, 2 ** 53, 1e308, -(2 ** 31) - 1]) {
      const cs = causesOf(deploymentKind, deployment(v));
      expect(cs, String(v)).toContainEqual(expect.objectContaining({ field: 'spec.replicas', reason: 'FieldValueInvalid', message: expect.stringContaining('int32') }));
    }
    expect(causesOf(deploymentKind, deployment(2 ** 31 - 1))).toEqual([]);
  });
  it('refuses non-integers where an integer is required', () => {
    for (const v of [1.5, '3', true]) {
      expect(causesOf(deploymentKind, deployment(v)).map((c) => c.field), String(v)).toContain('spec.replicas');
    }
  });
  it('int64 fields take what int64 holds, and not 1e308', () => {
    const job = (ads: unknown): KObject =>
      ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'default' }, spec: { activeDeadlineSeconds: ads, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } }) as KObject;
    expect(causesOf(jobKind, job(2 ** 53)).map((c) => c.field)).not.toContain('spec.activeDeadlineSeconds');
    expect(causesOf(jobKind, job(1e308)).map((c) => c.field)).toContain('spec.activeDeadlineSeconds');
    expect(causesOf(jobKind, job(2 ** 64)).map((c) => c.field)).toContain('spec.activeDeadlineSeconds');
  });
  it('int-or-string takes int32 integers and strings', () => {
    expect(checkStructure(S.obj({ p: S.intOrStr }), { p: 'http' })).toEqual([]);
    expect(checkStructure(S.obj({ p: S.intOrStr }), { p: 8080 })).toEqual([]);
    expect(checkStructure(S.obj({ p: S.intOrStr }), { p: 2 ** 40 })).toHaveLength(1);
  });
  it('metadata.generation is an int64', () => {
    const d = deployment(1);
    d.metadata.generation = 1e308;
    expect(causesOf(deploymentKind, d).map((c) => c.field)).toContain('metadata.generation');
  });
  it('CRD schemas with format int32 are range-checked too', () => {
    expect(checkStructure({ type: 'object', properties: { n: { type: 'integer', format: 'int32' } } }, { n: 2 ** 31 })).toEqual([
      expect.objectContaining({ field: 'n', message: expect.stringContaining('must be of type int32') }),
    ]);
  });
});
