// StatefulPodControl's expectations: each create and delete is expected by pod key under its set
// before it is sent (so a sync racing the informer waits), and one that fails is not waited for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS, PVCS, type PersistentVolumeClaim, type Pod, type StatefulSet } from '@skiff/api';
import { EventRecorder, Expectations, SharedInformerFactory } from '@skiff/client';
import { createConsoleLogger } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { newStatefulSetPod } from './identity.ts';
import { StatefulPodControl } from './pod-control.ts';
import { createSet, statefulSet } from './testing.ts';

let t: TestKernel;
let recorder: EventRecorder;
const releases: (() => void)[] = [];
beforeAll(async () => {
  t = await startTestKernel();
  recorder = new EventRecorder(t.kernel, 'statefulset-controller', createConsoleLogger({ level: 'silent' }));
});
afterAll(async () => {
  releases.forEach((r) => r());
  await recorder?.stop();
  await t?.stop();
});

function control(exp: Expectations) {
  const factory = SharedInformerFactory.for(t.kernel);
  const pods = factory.acquire<Pod>(PODS);
  const claims = factory.acquire<PersistentVolumeClaim>(PVCS);
  releases.push(pods.release, claims.release);
  return new StatefulPodControl(t.kernel, recorder, pods.informer.lister, claims.informer.lister, exp);
}

describe('StatefulPodControl expectations', () => {
  it('expects a create by pod key until it is observed; a refused create is not waited for', async () => {
    const exp = new Expectations();
    const ctl = control(exp);
    const set = await createSet(t.kernel, statefulSet('default', 'exp', { replicas: 2 }));
    const pod = newStatefulSetPod(set, 0);
    await ctl.createStatefulPod(set, pod);
    expect(exp.satisfied('default/exp')).toBe(false);
    expect(exp.pending('default/exp')?.creating).toEqual(['default/exp-0']);
    exp.creationObserved('default/exp', 'default/exp-1'); // not the one it made
    expect(exp.satisfied('default/exp')).toBe(false);
    exp.creationObserved('default/exp', 'default/exp-0');
    expect(exp.satisfied('default/exp')).toBe(true);

    // made already (an informer that has not shown it): AlreadyExists, and nothing is waited for
    await expect(ctl.createStatefulPod(set, newStatefulSetPod(set, 0))).rejects.toMatchObject({ code: 409 });
    expect(exp.satisfied('default/exp')).toBe(true);
  });

  it('expects a delete by pod key; a delete that fails is not waited for', async () => {
    const exp = new Expectations();
    const ctl = control(exp);
    const set = (await t.kernel.get({ group: 'apps', version: 'v1', resource: 'statefulsets' }, 'default', 'exp')) as StatefulSet;
    const pod = (await t.kernel.get(PODS, 'default', 'exp-0')) as Pod;
    await ctl.deleteStatefulPod(set, pod);
    expect(exp.pending('default/exp')?.deleting).toEqual(['default/exp-0']);
    exp.deletionObserved('default/exp', 'default/exp-0');
    expect(exp.satisfied('default/exp')).toBe(true);
    await expect(ctl.deleteStatefulPod(set, pod)).rejects.toMatchObject({ code: 404 });
    expect(exp.satisfied('default/exp')).toBe(true);
  });
});
