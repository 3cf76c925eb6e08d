import { describe, expect, it } from 'vitest';
import { applyPatch, mergePatch } from './patch.ts';
import { deploymentKind } from './schema/builtin/apps.ts';
import { isStatusError } from './status.ts';
import type { KObject } from './types.ts';

const obj = (): KObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default', finalizers: ['a.io/x', 'b.io/y', 'c.io/z'] },
    spec: {
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
      template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } },
    },
  }) as KObject;

function code(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!isStatusError(e)) throw e;
    return e.code;
  }
}

describe('JSON merge patch', () => {
  it('refuses strategic merge patch directives anywhere with 400 and leaves nothing stored', () => {
    for (const p of [
      { $patch: 'replace' },
      { spec: { $patch: 'delete' } },
      { spec: { $retainKeys: ['replicas'] } },
      { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }] } } } },
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.io/x'] } },
      { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } } } },
    ]) {
      expect(code(() => applyPatch(obj(), 'merge', p)), JSON.stringify(p)).toBe(400);
      expect(code(() => applyPatch(obj(), 'apply', p)), JSON.stringify(p)).toBe(400);
    }
  });
  it('names the field of the directive', () => {
    let message = '';
    try {
      applyPatch(obj(), 'merge', { spec: { $retainKeys: [] } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('"spec.$retainKeys"');
  });
  it('still takes fields that merely start with $ or contain the words', () => {
    const out = applyPatch(obj(), 'merge', { metadata: { annotations: { $price: '1', patch: 'x' } } });
    expect(out.metadata.annotations).toEqual({ $price: '1', patch: 'x' });
  });
  it('keeps a __proto__ key a plain field', () => {
    const out = mergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__']);
  });
});

describe('strategic merge patch directives', () => {
  it('$patch: replace, delete (map and list item), $retainKeys, $deleteFromPrimitiveList', () => {
    const schema = deploymentKind.schema;
    expect((applyPatch(obj(), 'strategic', { spec: { strategy: { $patch: 'replace', type: 'Recreate' } } }, schema).spec as any).strategy).toEqual({ type: 'Recreate' });
    // kube's mergeMap answers an empty map for $patch: delete of a map field
    expect((applyPatch(obj(), 'strategic', { spec: { strategy: { $patch: 'delete' } } }, schema).spec as any).strategy).toEqual({});
    const del = applyPatch(obj(), 'strategic', { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } } } }, schema);
    expect((del.spec as any).template.spec.containers.map((c: any) => c.name)).toEqual(['b']);
    const ret = applyPatch(obj(), 'strategic', { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, schema);
    expect((ret.spec as any).strategy).toEqual({ type: 'Recreate' });
    const fin = applyPatch(obj(), 'strategic', { metadata: { '$deleteFromPrimitiveList/finalizers': ['b.io/y'] } });
    expect(fin.metadata.finalizers).toEqual(['a.io/x', 'c.io/z']);
    // none is stored as a field
    for (const o of [ret, fin]) expect(JSON.stringify(o)).not.toContain('$');
  });
  it('refuses an unknown $patch value with 400', () => {
    expect(code(() => applyPatch(obj(), 'strategic', { spec: { $patch: 'explode' } }))).toBe(400);
    expect(code(() => applyPatch(obj(), 'strategic', { spec: { $retainKeys: 'type' } }))).toBe(400);
  });
});
