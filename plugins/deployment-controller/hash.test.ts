import { describe, expect, it } from 'vitest';
import type { PodTemplateSpec } from '@skiff/api';
import { computeHash } from '@skiff/client';
import { equalIgnoreHash, replicaSetTemplateKey, templateKey } from './hash.ts';

const template = (image: string, labels: Record<string, string> = { app: 'web' }): PodTemplateSpec => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image }] },
});

describe('pod-template-hash', () => {
  it('keeps the values the controller has always written (ReplicaSet names must not change)', () => {
    // recorded from the controller's own hash before it moved to the client's computeHash
    const t = (image: string) =>
      ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image, ports: [{ containerPort: 80 }], env: [], resources: {} }], nodeSelector: null } }) as unknown as PodTemplateSpec;
    expect(computeHash(t('nginx:1'))).toBe('5846565fd5');
    expect(computeHash(t('nginx:1'), 0)).toBe('5d4c497657');
    expect(computeHash(t('nginx:1'), 1)).toBe('6847f4cd4');
    expect(computeHash(t('nginx:1.25'), 7)).toBe('846448d4df');
    expect(computeHash(undefined)).toBe('5ffbfbbd64');
  });
});

describe('equalIgnoreHash', () => {
  it('compares templates ignoring the pod-template-hash label and empty fields', () => {
    expect(equalIgnoreHash(template('nginx:1'), template('nginx:1', { app: 'web', 'pod-template-hash': 'abc' }))).toBe(true);
    expect(equalIgnoreHash(template('nginx:1'), { ...template('nginx:1'), metadata: { labels: { app: 'web' }, annotations: {} } })).toBe(true);
    expect(equalIgnoreHash(template('nginx:1'), template('nginx:2'))).toBe(false);
    expect(equalIgnoreHash(template('nginx:1'), template('nginx:1', { app: 'api' }))).toBe(false);
  });

  it('caches a ReplicaSet key until its generation changes', () => {
    const rs = { metadata: { uid: 'u-1', generation: 1 }, spec: { template: template('nginx:1', { app: 'web', 'pod-template-hash': 'x' }) } };
    expect(replicaSetTemplateKey(rs)).toBe(templateKey(template('nginx:1')));
    // a status update: a new copy, same generation, the key is the cached one
    expect(replicaSetTemplateKey({ ...rs, spec: { template: template('ignored') } })).toBe(templateKey(template('nginx:1')));
    expect(replicaSetTemplateKey({ metadata: { uid: 'u-1', generation: 2 }, spec: { template: template('nginx:2') } })).toBe(templateKey(template('nginx:2')));
  });
});
