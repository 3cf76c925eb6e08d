// The scale subresource on a real kernel: reading the Scale, and writes through update and patch
// that change only the parent's spec.replicas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from './testing.ts';
import { labelSelectorString, toScale } from './scale.ts';
import { StatusError } from './status.ts';
import type { AdmissionRequest, KObject } from './types.ts';

const DEPLOY = { group: 'apps', version: 'v1', resource: 'deployments' };
const RC = { group: '', version: 'v1', resource: 'replicationcontrollers' };
const DS = { group: 'apps', version: 'v1', resource: 'daemonsets' };

const template = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
const deployment = (name: string): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] }, template },
});

async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

describe('scale subresource', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
  });
  afterAll(async () => t?.stop());

  it('reads as an autoscaling/v1 Scale of the parent', async () => {
    const d = await t.kernel.create(DEPLOY, deployment('read'));
    const withStatus = await t.kernel.update(DEPLOY, { ...d, status: { replicas: 1 } }, { subresource: 'status' });
    expect(toScale(t.kernel.kindFor(DEPLOY), withStatus)).toEqual({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'read', namespace: 'default', uid: d.metadata.uid, resourceVersion: withStatus.metadata.resourceVersion, creationTimestamp: d.metadata.creationTimestamp },
      spec: { replicas: 2 },
      status: { replicas: 1, selector: 'app=web,tier in (be,fe)' },
    });
  });

  it('an update changes spec.replicas only, bumps generation and keeps status', async () => {
    const d = await t.kernel.create(DEPLOY, deployment('update'));
    await t.kernel.update(DEPLOY, { ...d, status: { replicas: 2, readyReplicas: 2 } }, { subresource: 'status' });
    // everything but spec.replicas in the Scale is ignored
    const s = await t.kernel.update(DEPLOY, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'update', namespace: 'default', labels: { x: 'y' } }, spec: { replicas: 5 }, status: { replicas: 9 } }, { subresource: 'scale' });
    expect(s).toMatchObject({ kind: 'Scale', spec: { replicas: 5 }, status: { replicas: 2, selector: 'app=web,tier in (be,fe)' } });
    const after = await t.kernel.get(DEPLOY, 'default', 'update');
    expect(after.metadata.resourceVersion).toBe(s.metadata.resourceVersion);
    expect(after.metadata.generation).toBe(2);
    expect(after.metadata.labels).toBeUndefined();
    expect(after.spec).toMatchObject({ replicas: 5, template: { metadata: { labels: template.metadata.labels } } });
    expect(after.status).toEqual({ replicas: 2, readyReplicas: 2 });
  });

  it('a resourceVersion in the Scale is a precondition', async () => {
    const d = await t.kernel.create(DEPLOY, deployment('rv'));
    const stale = d.metadata.resourceVersion;
    await t.kernel.patch(DEPLOY, 'default', 'rv', 'merge', { metadata: { labels: { touched: 'yes' } } });
    const e = await failure(t.kernel.update(DEPLOY, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'rv', namespace: 'default', resourceVersion: stale }, spec: { replicas: 3 } }, { subresource: 'scale' }));
    expect(e.status).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(e.message).toContain('the object has been modified');
    const cur = await t.kernel.get(DEPLOY, 'default', 'rv');
    expect((cur.spec as any).replicas).toBe(2);
    const ok = await t.kernel.update(DEPLOY, { metadata: { name: 'rv', namespace: 'default', resourceVersion: cur.metadata.resourceVersion }, spec: { replicas: 3 } } as unknown as KObject, { subresource: 'scale' });
    expect(ok.spec).toEqual({ replicas: 3 });
    // a patch that sets a stale resourceVersion is a precondition too
    const e2 = await failure(t.kernel.patch(DEPLOY, 'default', 'rv', 'merge', { metadata: { resourceVersion: stale }, spec: { replicas: 4 } }, { subresource: 'scale' }));
    expect(e2.code).toBe(409);
  });

  it('negative or non-integer replicas are 422 Invalid; a UID mismatch is 409', async () => {
    await t.kernel.create(DEPLOY, deployment('bad'));
    const e = await failure(t.kernel.patch(DEPLOY, 'default', 'bad', 'merge', { spec: { replicas: -1 } }, { subresource: 'scale' }));
    expect(e.status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'Scale.autoscaling "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      details: { group: 'autoscaling', kind: 'Scale', causes: [{ field: 'spec.replicas', reason: 'FieldValueInvalid' }] },
    });
    expect((await failure(t.kernel.patch(DEPLOY, 'default', 'bad', 'merge', { spec: { replicas: 'many' } }, { subresource: 'scale' }))).code).toBe(422);
    const uid = await failure(t.kernel.patch(DEPLOY, 'default', 'bad', 'merge', { metadata: { uid: 'not-it' }, spec: { replicas: 1 } }, { subresource: 'scale' }));
    expect(uid.status).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(uid.message).toContain('Precondition failed: UID in precondition: not-it');
  });

  it('merge, JSON and strategic patches apply to the Scale; dry run writes nothing', async () => {
    await t.kernel.create(DEPLOY, deployment('patch'));
    expect((await t.kernel.patch(DEPLOY, 'default', 'patch', 'merge', { spec: { replicas: 6 } }, { subresource: 'scale' })).spec).toEqual({ replicas: 6 });
    expect((await t.kernel.patch(DEPLOY, 'default', 'patch', 'json', [{ op: 'replace', path: '/spec/replicas', value: 7 }], { subresource: 'scale' })).spec).toEqual({ replicas: 7 });
    expect((await t.kernel.patch(DEPLOY, 'default', 'patch', 'strategic', { spec: { replicas: 0 } }, { subresource: 'scale' })).spec).toEqual({});
    const dry = await t.kernel.patch(DEPLOY, 'default', 'patch', 'merge', { spec: { replicas: 9 } }, { subresource: 'scale', dryRun: true });
    expect(dry.spec).toEqual({ replicas: 9 });
    expect(((await t.kernel.get(DEPLOY, 'default', 'patch')).spec as any).replicas).toBe(0);
  });

  it('admission sees the parent with subresource scale', async () => {
    const seen: AdmissionRequest[] = [];
    const h = t.kernel.registerAdmission({ name: 'watch-scale', phase: 'validating', match: (r) => r.subresource === 'scale', handle: (r) => void seen.push(r) });
    try {
      await t.kernel.create(DEPLOY, deployment('admit'));
      await t.kernel.patch(DEPLOY, 'default', 'admit', 'merge', { spec: { replicas: 4 } }, { subresource: 'scale' });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ operation: 'UPDATE', subresource: 'scale', object: { kind: 'Deployment', spec: { replicas: 4 } }, oldObject: { spec: { replicas: 2 } } });
    } finally {
      h.dispose();
    }
  });

  it('a ReplicationController scales with its label-map selector; kinds without scale answer 404', async () => {
    await t.kernel.create(RC, { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc', namespace: 'default' }, spec: { replicas: 1, template } });
    const s = await t.kernel.patch(RC, 'default', 'rc', 'merge', { spec: { replicas: 3 } }, { subresource: 'scale' });
    expect(s).toMatchObject({ spec: { replicas: 3 }, status: { replicas: 0, selector: 'app=web,tier=fe' } });
    expect((await failure(t.kernel.patch(DS, 'default', 'x', 'merge', { spec: { replicas: 1 } }, { subresource: 'scale' }))).code).toBe(404);
    expect((await failure(t.kernel.patch(DEPLOY, 'default', 'missing', 'merge', { spec: { replicas: 1 } }, { subresource: 'scale' }))).code).toBe(404);
  });

  it('selector strings as labels.Selector prints them', () => {
    expect(labelSelectorString({ matchLabels: { b: '1', a: '2' }, matchExpressions: [{ key: 'c', operator: 'Exists' }, { key: 'a0', operator: 'DoesNotExist' }, { key: 'd', operator: 'NotIn', values: ['y', 'x'] }] })).toBe(
      'a=2,!a0,b=1,c,d notin (x,y)',
    );
    expect(labelSelectorString({})).toBe('');
  });
});
