// Strategic merge patch against the built-in kinds' schemas, in the cases Kubernetes documents
// (kubectl patch, the strategic-merge-patch design doc) and the patches kubectl's three-way apply sends.
import { describe, expect, it } from 'vitest';
import { deploymentKind } from './schema/builtin/apps.ts';
import { podKind } from './schema/builtin/core-pod.ts';
import { strategicMergePatch } from './patch-strategic.ts';
import { isStatusError } from './status.ts';

type Obj = Record<string, any>;
const podSchema = podKind.schema;
const deploySchema = deploymentKind.schema;

const pod = (): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'web' }, finalizers: ['a.io/x', 'b.io/y'] },
  spec: {
    containers: [
      { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
      { name: 'log', image: 'busybox' },
    ],
    tolerations: [{ key: 'k1', operator: 'Exists' }],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
});

const smp = (o: Obj, p: Obj, schema = podSchema): Obj => strategicMergePatch(structuredClone(o), p, schema);

function failure(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (!isStatusError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('no error');
}

describe('strategic merge patch: lists with a merge key', () => {
  it('merges containers by name: a changed one in place, a new one added, the others kept (kubectl patch docs)', () => {
    const out = smp(pod(), { spec: { containers: [{ name: 'web', image: 'nginx:2' }, { name: 'sidecar', image: 'envoy' }] } });
    // kube's order: the patch's items in the patch's order, the live-only ones where the live list had them
    expect(out.spec.containers.map((c: Obj) => [c.name, c.image])).toEqual([
      ['web', 'nginx:2'],
      ['sidecar', 'envoy'],
      ['log', 'busybox'],
    ]);
    // fields of the merged container the patch does not name stay
    expect(out.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP', name: 'http' }]);
  });

  it('replaces a list without a patch strategy (tolerations) whole', () => {
    const out = smp(pod(), { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] } });
    expect(out.spec.tolerations).toEqual([{ key: 'k2', operator: 'Exists' }]);
  });

  it('deletes an item with $patch: delete and merges env by name, ports by containerPort', () => {
    const out = smp(pod(), {
      spec: { containers: [{ name: 'web', env: [{ name: 'B', $patch: 'delete' }, { name: 'C', value: '3' }], ports: [{ containerPort: 80, name: 'web' }] }] },
    });
    const web = out.spec.containers[0];
    // without $setElementOrder a new item goes before the live-only ones (kube; kubectl sends the order)
    expect(web.env).toEqual([{ name: 'C', value: '3' }, { name: 'A', value: '1' }]);
    expect(web.ports).toEqual([{ containerPort: 80, protocol: 'TCP', name: 'web' }]);
  });

  it('$setElementOrder puts the merged list in the order given', () => {
    const out = smp(pod(), { spec: { '$setElementOrder/containers': [{ name: 'log' }, { name: 'web' }], containers: [{ name: 'web', image: 'nginx:3' }] } });
    expect(out.spec.containers.map((c: Obj) => c.name)).toEqual(['log', 'web']);
    expect(out.spec.containers[1].image).toBe('nginx:3');
    expect(JSON.stringify(out)).not.toContain('$');
  });

  it('$patch: replace in a list makes the patch the whole list', () => {
    const out = smp(pod(), { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } });
    expect(out.spec.containers).toEqual([{ name: 'only', image: 'x' }]);
  });

  it('merges a list of scalars with patch strategy merge (finalizers) as a set, and takes values out with $deleteFromPrimitiveList', () => {
    const out = smp(pod(), { metadata: { finalizers: ['c.io/z', 'a.io/x'], '$deleteFromPrimitiveList/finalizers': ['b.io/y'] } });
    expect(out.metadata.finalizers).toEqual(['c.io/z', 'a.io/x']);
  });

  it('takes the patch of kubectl apply that removes an env var and adds a container (three-way patch)', () => {
    const patch = {
      spec: {
        '$setElementOrder/containers': [{ name: 'web' }, { name: 'log' }, { name: 'new' }],
        containers: [{ name: 'web', '$setElementOrder/env': [{ name: 'A' }], env: [{ $patch: 'delete', name: 'B' }] }, { name: 'new', image: 'redis' }],
      },
    };
    const out = smp(pod(), patch);
    expect(out.spec.containers.map((c: Obj) => c.name)).toEqual(['web', 'log', 'new']);
    expect(out.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }]);
  });
});

describe('strategic merge patch: maps', () => {
  it('a null removes a field; maps merge', () => {
    const out = smp(pod(), { metadata: { labels: { app: null, tier: 'fe' } } });
    expect(out.metadata.labels).toEqual({ tier: 'fe' });
  });

  it('$patch: replace replaces a map, $patch: delete empties it (an empty map is no field, an empty struct stays, as once typed in kube)', () => {
    expect(smp(pod(), { metadata: { labels: { $patch: 'replace', x: 'y' } } }).metadata.labels).toEqual({ x: 'y' });
    expect(smp(pod(), { metadata: { labels: { $patch: 'delete' } } }).metadata).not.toHaveProperty('labels');
    const d = { spec: { strategy: { type: 'Recreate' } } };
    expect(smp(d, { spec: { strategy: { $patch: 'delete' } } }, deploySchema).spec.strategy).toEqual({});
  });

  it('$retainKeys clears the fields not listed (Deployment strategy: RollingUpdate to Recreate)', () => {
    const d = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } };
    const out = smp(d, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, deploySchema);
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('volumes merge by name with $retainKeys inside an item (a volume switching its source)', () => {
    const out = smp(pod(), { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/tmp' } }] } });
    expect(out.spec.volumes).toEqual([{ name: 'data', hostPath: { path: '/tmp' } }]);
  });
});

describe('strategic merge patch: malformed patches are 4xx, never a crash', () => {
  it('a list of lists is a 422', () => {
    expect(failure(() => smp({ metadata: { finalizers: [] } }, { metadata: { finalizers: [['a']] } })).code).toBe(422);
  });
  it.each([
    ['$patch: merge in a list', { spec: { containers: [{ name: 'web', $patch: 'merge' }] } }, 400],
    ['an unknown $patch', { spec: { $patch: 'explode' } }, 400],
    ['an item without its merge key', { spec: { containers: [{ image: 'x' }] } }, 400],
    ['a $patch: delete item without its merge key', { spec: { containers: [{ $patch: 'delete' }] } }, 400],
    ['$retainKeys not a list', { spec: { $retainKeys: 'type' } }, 400],
    ['$retainKeys that omits a field the patch sets', { spec: { $retainKeys: ['volumes'], tolerations: [] } }, 400],
    ['$setElementOrder out of order with the patch', { spec: { '$setElementOrder/containers': [{ name: 'log' }], containers: [{ name: 'web', image: 'y' }] } }, 400],
    ['$deleteFromPrimitiveList not a list', { metadata: { '$deleteFromPrimitiveList/finalizers': 'a.io/x' } }, 400],
    ['mixed item types', { metadata: { finalizers: ['a.io/q', 3] } }, 400],
  ])('%s', (_what, patch, code) => {
    expect(failure(() => smp(pod(), patch as Obj)).code).toBe(code);
  });
});
