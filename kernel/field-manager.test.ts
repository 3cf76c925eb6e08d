// managedFields and server-side apply, in the cases Kubernetes' server-side apply documentation
// walks through (ownership, conflicts, forcing, transferring ownership, removing applied fields).
import { describe, expect, it } from 'vitest';
import { FieldSet, pathString } from './field-set.ts';
import { applyConfiguration, trackUpdate, type FieldManagerContext, type ManagedFieldsEntry } from './field-manager.ts';
import { deploymentKind } from './schema/builtin/apps.ts';
import { configMapKind } from './schema/builtin/core-config.ts';
import { isStatusError, type StatusError } from './status.ts';
import type { KObject } from './types.ts';

const deployCtx: FieldManagerContext = { schema: deploymentKind.schema, apiVersion: 'apps/v1', kind: 'Deployment', hasStatus: true };
const cmCtx: FieldManagerContext = { schema: configMapKind.schema, apiVersion: 'v1', kind: 'ConfigMap', hasStatus: false };

const deployment = (spec: Record<string, unknown>, labels: Record<string, string> = { app: 'web' }) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } }, ...spec },
});

const skeleton = (): KObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } }) as KObject;
const mf = (o: KObject) => o.metadata.managedFields as ManagedFieldsEntry[];
const entry = (o: KObject, manager: string) => mf(o).find((e) => e.manager === manager);

function conflict(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (isStatusError(e)) return e;
    throw e;
  }
  throw new Error('no conflict');
}

describe('FieldsV1', () => {
  it('round-trips, marks a field that is both owned and has owned children with "."', () => {
    const v1 = { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } };
    const s = FieldSet.fromFieldsV1(v1);
    expect(s.toFieldsV1()).toEqual(v1);
    expect(s.paths().map(pathString)).toEqual(['.metadata.labels', '.metadata.labels.app', '.spec.containers[name="web"]', '.spec.containers[name="web"].image']);
  });
  it('sorts key fields in k: elements and refuses a malformed entry', () => {
    const s = FieldSet.fromFieldsV1({ 'f:ports': { 'k:{"protocol":"TCP","containerPort":80}': {} } });
    expect(Object.keys(s.toFieldsV1()['f:ports'] as object)).toEqual(['k:{"containerPort":80,"protocol":"TCP"}']);
    expect(() => FieldSet.fromFieldsV1({ 'f:a': 'x' })).toThrow();
  });
});

describe('managedFields of updates', () => {
  it('a create gives the creator every field it set, as kube writes them (a ConfigMap from kubectl create)', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', uid: 'u' }, data: { a: 'b' } } as KObject;
    const out = trackUpdate(undefined, cm, 'kubectl-create', cmCtx);
    expect(mf(out)).toEqual([{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: expect.any(String), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } } }]);
  });
  it('an update moves the fields it changed to its manager; status is left to the status subresource', () => {
    const created = trackUpdate(undefined, deployment({ replicas: 1 }) as KObject, 'creator', deployCtx);
    const edited = structuredClone(created) as any;
    edited.spec.replicas = 3;
    edited.status = { replicas: 3 };
    const out = trackUpdate(created, edited, 'kubectl-edit', deployCtx);
    expect(entry(out, 'kubectl-edit')!.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(FieldSet.fromFieldsV1(entry(out, 'creator')!.fieldsV1).has(['f:spec', 'f:replicas'])).toBe(false);
    // a request that sets managedFields to [] resets them
    const reset = trackUpdate(out, { ...structuredClone(out), metadata: { ...out.metadata, managedFields: [] } }, 'x', deployCtx);
    expect(reset.metadata.managedFields).toBeUndefined();
  });
});

describe('server-side apply', () => {
  it('creates: the applier owns exactly what it applied, keyed lists by key', () => {
    const out = applyConfiguration(skeleton(), deployment({ replicas: 2 }), { fieldManager: 'alice', force: false }, deployCtx);
    expect(out.spec).toMatchObject({ replicas: 2 });
    expect(mf(out)).toHaveLength(1);
    expect(mf(out)[0]).toMatchObject({ manager: 'alice', operation: 'Apply', apiVersion: 'apps/v1' });
    expect(mf(out)[0]!.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
      },
    });
  });

  it('removes what the applier no longer applies, keeps what another manager owns', () => {
    let o = applyConfiguration(skeleton(), deployment({ replicas: 2, minReadySeconds: 5 }, { app: 'web', tier: 'fe' }), { fieldManager: 'alice', force: false }, deployCtx);
    // bob (an update, as kubectl label would) sets a label of his own
    const labelled = structuredClone(o) as any;
    labelled.metadata.labels.owner = 'bob';
    o = trackUpdate(o, labelled, 'bob', deployCtx);
    // alice applies again without minReadySeconds and the tier label, with a new container
    const config = deployment({ replicas: 2 });
    (config.spec.template.spec.containers as unknown[]).push({ name: 'sidecar', image: 'envoy' });
    o = applyConfiguration(o, config, { fieldManager: 'alice', force: false }, deployCtx);
    expect(o.spec).not.toHaveProperty('minReadySeconds');
    expect(o.metadata.labels).toEqual({ app: 'web', owner: 'bob' });
    expect((o.spec as any).template.spec.containers.map((c: any) => c.name)).toEqual(['web', 'sidecar']);
  });

  it('a value another manager owns is a 409 naming it and the field; force takes it over', () => {
    let o = applyConfiguration(skeleton(), deployment({ replicas: 2 }), { fieldManager: 'alice', force: false }, deployCtx);
    const scaled = structuredClone(o) as any;
    scaled.spec.replicas = 5;
    o = trackUpdate(o, scaled, 'kubectl-scale', deployCtx); // an Update manager now owns replicas
    const e = conflict(() => applyConfiguration(o, deployment({ replicas: 3 }), { fieldManager: 'alice', force: false }, deployCtx));
    expect(e.code).toBe(409);
    expect(e.status.reason).toBe('Conflict');
    expect(e.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
    expect(e.status.details?.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-scale" using apps/v1', field: '.spec.replicas' }]);
    // the same value is no conflict: both own it
    expect(() => applyConfiguration(o, deployment({ replicas: 5 }), { fieldManager: 'alice', force: false }, deployCtx)).not.toThrow();
    const forced = applyConfiguration(o, deployment({ replicas: 3 }), { fieldManager: 'alice', force: true }, deployCtx);
    expect((forced.spec as any).replicas).toBe(3);
    expect(entry(forced, 'kubectl-scale')).toBeUndefined(); // it owned nothing else
  });

  it('conflicts between two appliers list every field, grouped by manager', () => {
    const a = applyConfiguration(skeleton(), deployment({ replicas: 2, minReadySeconds: 1 }), { fieldManager: 'alice', force: false }, deployCtx);
    const e = conflict(() => applyConfiguration(a, deployment({ replicas: 4, minReadySeconds: 2 }), { fieldManager: 'bob', force: false }, deployCtx));
    expect(e.message).toBe('Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.minReadySeconds\n- .spec.replicas');
  });

  it('transfers ownership: once both applied a field, the first may drop it and the value stays', () => {
    let o = applyConfiguration(skeleton(), deployment({ replicas: 2 }), { fieldManager: 'alice', force: false }, deployCtx);
    o = applyConfiguration(o, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } }, { fieldManager: 'hpa', force: false }, deployCtx);
    const { replicas: _r, ...rest } = deployment({ replicas: 2 }).spec as Record<string, unknown>;
    o = applyConfiguration(o, { ...deployment({}), spec: rest }, { fieldManager: 'alice', force: false }, deployCtx);
    expect((o.spec as any).replicas).toBe(2);
    expect(FieldSet.fromFieldsV1(entry(o, 'hpa')!.fieldsV1).has(['f:spec', 'f:replicas'])).toBe(true);
  });

  it('refuses a configuration of another version, with managedFields, or with duplicate keys', () => {
    const codes = [
      { ...deployment({}), apiVersion: 'apps/v1beta1' },
      { ...deployment({}), metadata: { name: 'web', managedFields: [] } },
      deployment({ template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] } } }),
      deployment({ template: { spec: { containers: [{ image: 'x' }] } } }),
    ].map((c) => conflict(() => applyConfiguration(skeleton(), c, { fieldManager: 'alice', force: false }, deployCtx)).code);
    expect(codes).toEqual([400, 400, 422, 422]);
  });
});
