// The tracking finalizer's writes on a real kernel: removal from a stale copy, from a pod gone or
// re-created under its name, and adoption with the finalizer added (refused on a stale copy).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS, type OwnerReference, type Pod } from '@skiff/api';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { JOB_TRACKING_FINALIZER } from './pods.ts';
import { adoptPod, removeTrackingFinalizer } from './tracking-finalizer.ts';

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
});
afterAll(() => t?.stop());

const OTHER = 'example.com/keep';
const pod = (name: string, finalizers?: string[]): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'x' }, finalizers },
  spec: { containers: [{ name: 'c', image: 'i' }] },
});
const create = async (p: Pod) => (await t.kernel.create(PODS, p)) as Pod;
const get = async (name: string) => (await t.kernel.get(PODS, 'default', name)) as Pod;

describe('removeTrackingFinalizer', () => {
  it('removes only the tracking finalizer, also from a stale copy', async () => {
    const stale = await create(pod('rm-stale', [JOB_TRACKING_FINALIZER]));
    // someone adds a finalizer after the copy was read: the guarded patch fails, the pod is read again
    await t.kernel.patch(PODS, 'default', 'rm-stale', 'merge', { metadata: { finalizers: [JOB_TRACKING_FINALIZER, OTHER] } });
    await removeTrackingFinalizer(t.kernel, stale);
    expect((await get('rm-stale')).metadata.finalizers).toEqual([OTHER]);
  });

  it('is done when the pod is gone, and leaves another pod of the name alone', async () => {
    const gone = await create(pod('rm-gone', [JOB_TRACKING_FINALIZER]));
    await t.kernel.patch(PODS, 'default', 'rm-gone', 'merge', { metadata: { finalizers: null } });
    await t.kernel.delete(PODS, 'default', 'rm-gone', { gracePeriodSeconds: 0 });
    await removeTrackingFinalizer(t.kernel, gone); // no throw
    await create(pod('rm-gone', [JOB_TRACKING_FINALIZER]));
    await removeTrackingFinalizer(t.kernel, gone);
    expect((await get('rm-gone')).metadata.finalizers).toEqual([JOB_TRACKING_FINALIZER]);
  });
});

describe('adoptPod', () => {
  it('adds the controller reference and the tracking finalizer, and refuses a stale copy', async () => {
    const ref: OwnerReference = { apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'job-uid', controller: true, blockOwnerDeletion: true };
    const orphan = await create(pod('adopt-1', [OTHER]));
    const adopted = await adoptPod(t.kernel, orphan, ref);
    expect(adopted.metadata.ownerReferences).toEqual([ref]);
    expect(adopted.metadata.finalizers).toEqual([OTHER, JOB_TRACKING_FINALIZER]);
    expect((await get('adopt-1')).metadata.resourceVersion).toBe(adopted.metadata.resourceVersion);
    const stale = await create(pod('adopt-2'));
    await t.kernel.patch(PODS, 'default', 'adopt-2', 'merge', { metadata: { labels: { app: 'y' } } });
    await expect(adoptPod(t.kernel, stale, ref)).rejects.toThrow();
    expect((await get('adopt-2')).metadata.ownerReferences).toBeUndefined();
  });
});
