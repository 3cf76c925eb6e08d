import { describe, expect, test } from 'vitest';
import type { Ingress, IngressClass } from '@skiff/api';
import { classToCreate, CONTROLLER, DEFAULT_CLASS_ANNOTATION, defaultClass, LEGACY_CLASS_ANNOTATION, servedBy } from './ingress-class.ts';

const cls = (name: string, controller: string, isDefault = false, created = '2024-01-01T00:00:00Z'): IngressClass => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
  metadata: { name, creationTimestamp: created, ...(isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}) },
  spec: { controller },
});
const ing = (className?: string, annotation?: string): Ingress => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
  metadata: { name: 'i', namespace: 'default', ...(annotation ? { annotations: { [LEGACY_CLASS_ANNOTATION]: annotation } } : {}) },
  spec: { ...(className ? { ingressClassName: className } : {}), defaultBackend: { service: { name: 's', port: { number: 80 } } } },
});

describe('which Ingresses the proxy serves', () => {
  test('by class name (or the legacy annotation): classes whose controller is ours', () => {
    const serves = servedBy(CONTROLLER, [cls('skiff', CONTROLLER), cls('other', 'example.com/x')]);
    expect(serves(ing('skiff'))).toBe(true);
    expect(serves(ing('other'))).toBe(false);
    expect(serves(ing('missing'))).toBe(false);
    expect(serves(ing(undefined, 'skiff'))).toBe(true);
    expect(serves(ing(undefined, 'other'))).toBe(false);
  });
  test('no class: served when the default class is ours (the newest default, when several)', () => {
    expect(servedBy(CONTROLLER, [cls('skiff', CONTROLLER, true)])(ing())).toBe(true);
    expect(servedBy(CONTROLLER, [cls('skiff', CONTROLLER)])(ing())).toBe(false);
    const both = [cls('skiff', CONTROLLER, true, '2024-01-01T00:00:00Z'), cls('other', 'example.com/x', true, '2024-02-01T00:00:00Z')];
    expect(defaultClass(both)?.metadata.name).toBe('other');
    expect(servedBy(CONTROLLER, both)(ing())).toBe(false);
  });
  test('the class to create: none when it exists; default-marked only when no other class is default', () => {
    expect(classToCreate('skiff', CONTROLLER, [cls('skiff', 'example.com/x')])).toBeUndefined();
    expect(classToCreate('skiff', CONTROLLER, [])?.metadata.annotations).toEqual({ [DEFAULT_CLASS_ANNOTATION]: 'true' });
    const c = classToCreate('skiff', CONTROLLER, [cls('other', 'example.com/x', true)]);
    expect(c?.metadata.annotations).toBeUndefined();
    expect(c?.spec?.controller).toBe(CONTROLLER);
  });
});
