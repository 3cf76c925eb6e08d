import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { podKind } from './core-pod.ts';
import { podQOSClass } from './pod-defaults.ts';

const pod = (spec: unknown, extra: Record<string, unknown> = {}): KObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec, ...extra }) as KObject;

const admit = (o: KObject, old?: KObject) => {
  podKind.default!(o);
  return podKind.validate!(o, old);
};
const fields = (causes: { field?: string; reason: string }[]) => causes.map((c) => `${c.field}:${c.reason}`);

describe('Pod defaults', () => {
  test('a valid pod passes and gets the Kubernetes defaults', () => {
    const p = pod({ containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }, { name: 'side', image: 'busybox:1.36' }] });
    expect(admit(p)).toEqual([]);
    const spec = p.spec as any;
    expect(spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
      priority: 0,
    });
    expect(spec.containers[0]).toMatchObject({
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
    });
    expect(spec.containers[1].imagePullPolicy).toBe('IfNotPresent');
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  test('image pull policy by tag', () => {
    const p = pod({ containers: [{ name: 'a', image: 'reg:5000/x:latest' }, { name: 'b', image: 'reg:5000/x' }, { name: 'c', image: 'x@sha256:abc' }] });
    podKind.default!(p);
    expect((p.spec as any).containers.map((c: any) => c.imagePullPolicy)).toEqual(['Always', 'Always', 'IfNotPresent']);
  });

  test('requests default to limits; qos classes', () => {
    const p = pod({ containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '1', memory: '1Gi' } } }] });
    expect(admit(p)).toEqual([]);
    expect((p.spec as any).containers[0].resources.requests).toEqual({ cpu: '1', memory: '1Gi' });
    expect((p.status as any).qosClass).toBe('Guaranteed');
    expect(podQOSClass({ containers: [{ resources: { requests: { cpu: '100m' } } }] })).toBe('Burstable');
    expect(podQOSClass({ containers: [{ resources: { requests: { cpu: '100m' }, limits: { cpu: '1', memory: '1G' } } }] })).toBe('Burstable');
  });
});

describe('Pod validation', () => {
  test.each([
    ['no containers', { containers: [] }, ['spec.containers:FieldValueRequired']],
    ['missing image', { containers: [{ name: 'a' }] }, ['spec.containers[0].image:FieldValueRequired']],
    ['bad name', { containers: [{ name: 'A_b', image: 'x' }] }, ['spec.containers[0].name:FieldValueInvalid']],
    ['dup names', { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] }, ['spec.containers[1].name:FieldValueDuplicate']],
    ['init/container dup', { containers: [{ name: 'a', image: 'x' }], initContainers: [{ name: 'a', image: 'y' }] }, ['spec.initContainers[0].name:FieldValueDuplicate']],
    ['port range', { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 70000 }] }] }, ['spec.containers[0].ports[0].containerPort:FieldValueInvalid']],
    ['port missing', { containers: [{ name: 'a', image: 'x', ports: [{ name: 'http' }] }] }, ['spec.containers[0].ports[0].containerPort:FieldValueRequired']],
    ['dup port names', { containers: [{ name: 'a', image: 'x', ports: [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }] }] }, ['spec.containers[0].ports[1].name:FieldValueDuplicate']],
    ['protocol', { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, protocol: 'HTTP' }] }] }, ['spec.containers[0].ports[0].protocol:FieldValueNotSupported']],
    ['env name', { containers: [{ name: 'a', image: 'x', env: [{ name: '1BAD', value: 'v' }, { value: 'x' }] }] }, ['spec.containers[0].env[0].name:FieldValueInvalid', 'spec.containers[0].env[1].name:FieldValueRequired']],
    ['restartPolicy', { containers: [{ name: 'a', image: 'x' }], restartPolicy: 'Sometimes' }, ['spec.restartPolicy:FieldValueNotSupported']],
    ['dnsPolicy', { containers: [{ name: 'a', image: 'x' }], dnsPolicy: 'Google' }, ['spec.dnsPolicy:FieldValueNotSupported']],
    ['bad quantity', { containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: 'lots' } } }] }, ['spec.containers[0].resources.limits[cpu]:FieldValueInvalid', 'spec.containers[0].resources.requests[cpu]:FieldValueInvalid']],
    ['requests > limits', { containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] }, ['spec.containers[0].resources.requests:FieldValueInvalid']],
    ['extended resource not whole', { containers: [{ name: 'a', image: 'x', resources: { limits: { 'example.com/widget': '500m' } } }] }, ['spec.containers[0].resources.limits[example.com/widget]:FieldValueInvalid', 'spec.containers[0].resources.requests[example.com/widget]:FieldValueInvalid']],
    ['extended resource overcommitted', { containers: [{ name: 'a', image: 'x', resources: { requests: { 'example.com/widget': '1' }, limits: { 'example.com/widget': '2' } } }] }, ['spec.containers[0].resources.requests[example.com/widget]:FieldValueInvalid']],
    ['extended resource without a limit', { containers: [{ name: 'a', image: 'x', resources: { requests: { 'example.com/widget': '1' } } }] }, ['spec.containers[0].resources.limits:FieldValueRequired']],
    ['dup volumes', { containers: [{ name: 'a', image: 'x' }], volumes: [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }] }, ['spec.volumes[1].name:FieldValueDuplicate']],
    ['volume without source', { containers: [{ name: 'a', image: 'x' }], volumes: [{ name: 'v' }] }, ['spec.volumes[0]:FieldValueRequired']],
    ['mount of unknown volume', { containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] }, ['spec.containers[0].volumeMounts[0].name:FieldValueNotFound']],
    ['negative grace', { containers: [{ name: 'a', image: 'x' }], terminationGracePeriodSeconds: -1 }, ['spec.terminationGracePeriodSeconds:FieldValueInvalid']],
    ['toleration', { containers: [{ name: 'a', image: 'x' }], tolerations: [{ key: 'k', operator: 'Maybe', effect: 'Nope' }] }, ['spec.tolerations[0].operator:FieldValueNotSupported', 'spec.tolerations[0].effect:FieldValueNotSupported']],
  ])('%s', (_n, spec, expected) => {
    expect(fields(admit(pod(spec)))).toEqual(expected);
  });

  test('messages read like Kubernetes', () => {
    const causes = admit(pod({ containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }], restartPolicy: 'X' }));
    expect(causes).toContainEqual({ reason: 'FieldValueInvalid', field: 'spec.containers[0].resources.requests', message: 'Invalid value: "2": must be less than or equal to cpu limit of 1' });
    expect(causes).toContainEqual({ reason: 'FieldValueNotSupported', field: 'spec.restartPolicy', message: 'Unsupported value: "X": supported values: "Always", "OnFailure", "Never"' });
     const widget = admit(pod({ containers: [{ name: 'a', image: 'x', resources: { requests: { 'example.com/widget': '1' }, limits: { 'example.com/widget': '2' } } }] }));
    expect(widget).toContainEqual({ reason: 'FieldValueInvalid', field: 'spec.containers[0].resources.requests[example.com/widget]', message: 'Invalid value: "1": must be equal to example.com/widget limit of 2' });
  });

  test.each([
    ['spec is a string', 'nope'],
    ['spec is null', null],
    ['containers is an object', { containers: { a: 1 } }],
    ['container is a number', { containers: [7, null, 'x'] }],
    ['everything wrong', { containers: [{ name: 5, image: {}, ports: 'x', env: [1], resources: [], volumeMounts: {} }], volumes: 'v', tolerations: [null], nodeSelector: [], restartPolicy: 4 }],
  ])('garbage does not throw: %s', (_n, spec) => {
    const p = pod(spec, { status: 'weird' });
    expect(() => podKind.default!(p)).not.toThrow();
    const causes = podKind.validate!(p);
    expect(causes.length).toBeGreaterThan(0);
  });

  test('wrong JSON types are FieldValueTypeInvalid at the exact path', () => {
    const causes = admit(pod({ containers: [{ name: 'a', image: 42 }], terminationGracePeriodSeconds: '30' }));
    expect(fields(causes)).toEqual(['spec.containers[0].image:FieldValueTypeInvalid', 'spec.terminationGracePeriodSeconds:FieldValueTypeInvalid']);
  });
});

describe('Pod update', () => {
  const base = () => pod({ containers: [{ name: 'a', image: 'x:1' }], tolerations: [{ key: 'k', operator: 'Exists' }] });
  test('image, activeDeadlineSeconds, toleration additions and first nodeName are allowed', () => {
    const old = base();
    podKind.default!(old);
    const upd = structuredClone(old);
    const s = upd.spec as any;
    s.containers[0].image = 'x:2';
    s.activeDeadlineSeconds = 100;
    s.tolerations.push({ key: 'j', operator: 'Exists' });
    s.nodeName = 'node-1';
    expect(admit(upd, old)).toEqual([]);
    const again = structuredClone(upd);
    (again.spec as any).nodeName = 'node-2';
    expect(fields(admit(again, upd))).toEqual(['spec:FieldValueForbidden']);
  });
  test('other spec changes are forbidden', () => {
    const old = base();
    podKind.default!(old);
    const upd = structuredClone(old);
    (upd.spec as any).restartPolicy = 'Never';
    (upd.spec as any).tolerations = [];
    const causes = admit(upd, old);
    expect(fields(causes)).toEqual(['spec.tolerations:FieldValueForbidden', 'spec:FieldValueForbidden']);
    expect(causes[1].message).toMatch(/^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
  });
  test('selectable fields', () => {
    const p = base();
    podKind.default!(p);
    expect(podKind.selectableFields!['spec.nodeName'](p)).toBe('');
    expect(podKind.selectableFields!['status.phase'](p)).toBe('Pending');
    expect(podKind.selectableFields!['spec.restartPolicy'](p)).toBe('Always');
  });
});
