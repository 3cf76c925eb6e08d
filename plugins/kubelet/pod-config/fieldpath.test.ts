import { describe, expect, it } from 'vitest';
import {
  containerResourceValue, convertFieldLabel, extractFieldPathAsString, formatMap, goQuote, podFieldValue, resourceFieldValue, splitSubscriptedPath,
} from './fieldpath.ts';
import { mkPod } from './testing.ts';

const pod = mkPod(
  {
    nodeName: 'node-1',
    serviceAccountName: 'sa',
    containers: [
      { name: 'app', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1500m', memory: '128Mi' } } },
      { name: 'bare' },
    ],
    initContainers: [{ name: 'init', resources: { limits: { memory: '1Gi' } } }],
  },
  { labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/note': 'a "quoted"\nline', Upper: 'U' } },
  { podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }], hostIP: '192.168.1.2' },
);

describe('field paths', () => {
  it('splits subscripted paths like kube', () => {
    expect(splitSubscriptedPath("metadata.labels['app']")).toEqual(['metadata.labels', 'app']);
    expect(splitSubscriptedPath("metadata.annotations['a/b']")).toEqual(['metadata.annotations', 'a/b']);
    expect(splitSubscriptedPath('metadata.labels')).toBeUndefined();
    expect(splitSubscriptedPath("['x']")).toBeUndefined();
  });

  it('converts and validates field labels', () => {
    expect(convertFieldLabel(undefined, 'metadata.name')).toBe('metadata.name');
    expect(convertFieldLabel('v1', 'spec.host')).toBe('spec.nodeName');
    expect(() => convertFieldLabel('v2', 'metadata.name')).toThrow('unsupported pod version: v2');
    expect(() => convertFieldLabel('v1', "spec.nodeName['x']")).toThrow("field label does not support subscript: spec.nodeName['x']");
    expect(() => convertFieldLabel('v1', 'spec.containers')).toThrow('field label not supported: spec.containers');
  });

  it('formats maps as kube FormatMap does: sorted, Go-quoted', () => {
    expect(formatMap({ b: '2', a: 'x"y' })).toBe('a="x\\"y"\nb="2"');
    expect(formatMap({})).toBe('');
    expect(goQuote('tab\there\u0001\u007f é')).toBe('"tab\\there\\x01\\x7f é"');
    expect(goQuote('back\\slash\r')).toBe('"back\\\\slash\\r"');
  });

  it('extracts metadata fields, subscripts checked', () => {
    expect(extractFieldPathAsString(pod, 'metadata.name')).toBe('web');
    expect(extractFieldPathAsString(pod, 'metadata.namespace')).toBe('ns1');
    expect(extractFieldPathAsString(pod, 'metadata.uid')).toBe('uid-1234');
    expect(extractFieldPathAsString(pod, 'metadata.labels')).toBe('app="web"\ntier="front"');
    expect(extractFieldPathAsString(pod, 'metadata.annotations')).toBe('Upper="U"\nexample.com/note="a \\"quoted\\"\\nline"');
    expect(extractFieldPathAsString(pod, "metadata.labels['app']")).toBe('web');
    expect(extractFieldPathAsString(pod, "metadata.labels['absent']")).toBe('');
    // annotations are checked lower-cased, labels as they are
    expect(extractFieldPathAsString(pod, "metadata.annotations['Upper']")).toBe('U');
    expect(() => extractFieldPathAsString(pod, "metadata.labels['-bad-']")).toThrow(/^invalid key subscript in metadata.labels\['-bad-'\]: name part/);
    expect(() => extractFieldPathAsString(pod, 'spec.nodeName')).toThrow('unsupported fieldPath: spec.nodeName');
  });

  it('resolves env fieldRefs (spec and status fields too)', () => {
    const v = (fieldPath: string, ctx = {}) => podFieldValue({ fieldPath }, pod, ctx);
    expect(v('spec.nodeName')).toBe('node-1');
    expect(v('spec.host')).toBe('node-1');
    expect(v('spec.serviceAccountName')).toBe('sa');
    expect(v('status.podIP')).toBe('10.0.0.5');
    expect(v('status.podIPs')).toBe('10.0.0.5,fd00::5');
    expect(v('status.podIP', { podIPs: ['10.1.1.1'] })).toBe('10.1.1.1');
    expect(v('status.hostIP')).toBe('192.168.1.2');
    expect(v('status.hostIPs', { hostIPs: ['192.168.1.2', 'fd00::2'] })).toBe('192.168.1.2,fd00::2');
    expect(() => podFieldValue({ fieldPath: 'status.hostIP' }, mkPod())).toThrow(/node IP/);
    expect(v("metadata.labels['tier']")).toBe('front');
    expect(v('status.podIP', { podIPs: [] })).toBe('');
    // accepted as field labels but not resolved by the kubelet either
    expect(() => v('status.phase')).toThrow('unsupported fieldPath: status.phase');
  });
});

describe('resource field values', () => {
  const app = pod.spec.containers[0];
  const val = (resource: string, divisor?: string) => containerResourceValue({ resource, divisor }, app);

  it('divides and rounds up, cpu in millicores', () => {
    expect(val('limits.cpu')).toBe('2'); // 1500m → ceil(1.5)
    expect(val('requests.cpu')).toBe('1'); // 250m → 1
    expect(val('limits.cpu', '1m')).toBe('1500');
    expect(val('requests.cpu', '100m')).toBe('3');
    expect(val('limits.memory')).toBe(String(128 * 2 ** 20));
    expect(val('limits.memory', '1Mi')).toBe('128');
    expect(val('requests.memory', '1Gi')).toBe('1');
    expect(val('limits.memory', '0')).toBe(String(128 * 2 ** 20)); // a zero divisor means 1
    expect(val('limits.ephemeral-storage')).toBe('0');
    expect(val('limits.hugepages-2Mi')).toBe('0');
    expect(() => val('limits.nvidia.com/gpu')).toThrow('unsupported container resource : limits.nvidia.com/gpu');
    expect(() => val('cpu')).toThrow('unsupported container resource : cpu');
  });

  it('defaults missing limits to the node allocatable, requests stay 0', () => {
    const alloc = { cpu: '4', memory: '8Gi' };
    expect(resourceFieldValue({ resource: 'limits.cpu' }, pod, pod.spec.containers[1], alloc)).toBe('4');
    expect(resourceFieldValue({ resource: 'limits.memory', divisor: '1Gi' }, pod, pod.spec.containers[1], alloc)).toBe('8');
    expect(resourceFieldValue({ resource: 'requests.cpu' }, pod, pod.spec.containers[1], alloc)).toBe('0');
    expect(resourceFieldValue({ resource: 'limits.cpu' }, pod, pod.spec.containers[1], undefined)).toBe('0');
    // a limit the container has is kept
    expect(resourceFieldValue({ resource: 'limits.cpu', divisor: '1m' }, pod, app, alloc)).toBe('1500');
  });

  it('finds a named container, init containers included', () => {
    expect(resourceFieldValue({ resource: 'limits.memory', containerName: 'init', divisor: '1Mi' }, pod, undefined, undefined)).toBe('1024');
    expect(resourceFieldValue({ resource: 'limits.cpu', containerName: 'app' }, pod, pod.spec.containers[1], undefined)).toBe('2');
    expect(() => resourceFieldValue({ resource: 'limits.cpu', containerName: 'nope' }, pod, undefined, undefined)).toThrow('container nope not found');
  });
});
