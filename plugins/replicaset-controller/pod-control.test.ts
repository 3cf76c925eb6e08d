import { describe, expect, it } from 'vitest';
import type { OwnerReference } from '@skiff/api';
import { isNamespaceTerminating, podFromTemplate, podsPrefix } from './pod-control.ts';

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
    expect(isNamespaceTerminating({ status: { message: 'unable to create new content in namespace x because it is being terminated' } })).toBe(true);
    expect(isNamespaceTerminating(new Error('other'))).toBe(false);
  });
});
