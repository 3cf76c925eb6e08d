import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, type OwnerReference } from '@skiff/api';
import { createConsoleLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { EventRecorder } from './event-recorder.ts';
import { isNamespaceTerminating, PodControl, podFromTemplate, podsPrefix } from './pod-control.ts';

const ref: OwnerReference = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true };

describe('podFromTemplate', () => {
  it('takes labels, annotations, finalizers and spec from the template; generateName and the reference from the owner', () => {
    const template = {
      metadata: { name: 'ignored', namespace: 'ignored', labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['x/y'] },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    };
    const pod = podFromTemplate(template, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'prod', uid: 'u1' } }, ref);
    expect(pod).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: 'web-', namespace: 'prod', ownerReferences: [ref], labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['x/y'] },
      spec: template.spec,
    });
    pod.metadata.labels!.extra = '1';
    expect(template.metadata.labels).toEqual({ app: 'web' }); // label maps are copies
  });

  it('uses the bare name as prefix when "<name>-" would not be a valid name prefix', () => {
    expect(podsPrefix('web')).toBe('web-');
    expect(podsPrefix('a'.repeat(253))).toBe('a'.repeat(253));
  });
});

describe('isNamespaceTerminating', () => {
  it('recognizes the cause and the message of the kernel', () => {
    expect(isNamespaceTerminating({ status: { details: { causes: [{ reason: 'NamespaceTerminating' }] } } })).toBe(true);
    expect(isNamespaceTerminating({ status: { details: { causes: [{ type: 'NamespaceTerminating' }] } } })).toBe(true);
    expect(isNamespaceTerminating({ status: { message: 'unable to create new content in namespace x because it is being terminated' } })).toBe(true);
    expect(isNamespaceTerminating(new Error('other'))).toBe(false);
  });
});

describe('PodControl', () => {
  let t: TestKernel;
  let recorder: EventRecorder;
  beforeAll(async () => {
    t = await startTestKernel();
    recorder = new EventRecorder(t.kernel, 'replicaset-controller', createConsoleLogger({ level: 'silent' }));
  });
  afterAll(async () => {
    await recorder?.stop();
    await t?.stop();
  });

  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'pc', namespace: 'default', uid: 'uid-pc' } };
  const template = { metadata: { labels: { app: 'pc' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  const events = async () =>
    (await t.kernel.list(EVENTS, { namespace: 'default' })).items
      .filter((e) => (e.involvedObject as { name?: string }).name === 'pc')
      .map((e) => `${e.type} ${e.reason}: ${e.message}`)
      .sort();

  it('creates and deletes pods, recording kube\'s Events on the owner', async () => {
    const ctl = new PodControl(t.kernel, recorder);
    const pod = await ctl.createPod(owner, template, { ...ref, name: 'pc', uid: 'uid-pc' });
    expect(pod.metadata.name).toMatch(/^pc-[a-z0-9]{5}$/);
    await ctl.deletePod(owner, 'default', pod.metadata.name!, { gracePeriodSeconds: 0 });
    await expect(ctl.deletePod(owner, 'default', pod.metadata.name!)).rejects.toMatchObject({ code: 404 });
    await expect(ctl.create(owner, { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'pc-', namespace: 'default' }, spec: template.spec })).rejects.toThrow(
      'unable to create pods, no labels',
    );
    await expect(ctl.create(owner, { apiVersion: 'v1', kind: 'Pod', metadata: { name: '-bad-', namespace: 'default', labels: { app: 'pc' } }, spec: template.spec })).rejects.toMatchObject({
      code: 422,
    });
    const got = await eventually(async () => ((await events()).length === 3 ? events() : undefined), 5000, 'three Events');
    expect(got[0]).toBe(`Normal SuccessfulCreate: Created pod: ${pod.metadata.name}`);
    expect(got[1]).toBe(`Normal SuccessfulDelete: Deleted pod: ${pod.metadata.name}`);
    expect(got[2]).toMatch(/^Warning FailedCreate: Error creating: /);
  });
});
