// CRDs served by a real kernel: a CRD's kinds appear when it is created and go when it is deleted,
// several versions share one store (conversion None: apiVersion rewritten), schema validation,
// defaulting, pruning, CEL rules and the scale subresource apply to its objects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRD_REF, compareVersions } from './crd-serving.ts';
import { eventually, startTestKernel, type TestKernel } from './testing.ts';
import { toScale } from './scale.ts';
import { StatusError } from './status.ts';
import type { KObject } from './types.ts';

const V1 = { group: 'stable.example.com', version: 'v1', resource: 'crontabs' };
const V1BETA1 = { ...V1, version: 'v1beta1' };

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'self.replicas <= self.maxReplicas', message: 'replicas must not exceed maxReplicas' }],
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
        image: { type: 'string' },
        replicas: { type: 'integer', minimum: 0, default: 1 },
        maxReplicas: { type: 'integer', default: 10 },
      },
    },
    status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } },
  },
};

const crontabCRD = (): KObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'], categories: ['all'] },
    versions: [
      { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: schema } },
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: schema },
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
        additionalPrinterColumns: [{ name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' }],
        selectableFields: [{ jsonPath: '.spec.image' }],
      },
    ],
  },
});

const crontab = (name: string, spec: Record<string, unknown>, apiVersion = 'stable.example.com/v1'): KObject => ({ apiVersion, kind: 'CronTab', metadata: { name, namespace: 'default' }, spec });

async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

describe('kube version priority', () => {
  it('orders GA, beta, alpha, then the rest', () => {
    expect(['v1alpha1', 'foo', 'v2beta1', 'v1', 'v10', 'v1beta2', 'v2'].sort(compareVersions)).toEqual(['v10', 'v2', 'v1', 'v2beta1', 'v1beta2', 'v1alpha1', 'foo']);
  });
});

describe('CRD serving', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await t.kernel.create(CRD_REF, crontabCRD());
    await eventually(() => t.kernel.kinds().some((k) => k.resource === 'crontabs'), 10_000, 'crontabs served');
  });
  afterAll(async () => t?.stop());

  it('serves every served version, preferred first, with the CRD names, columns and scale paths', () => {
    const kinds = t.kernel.kinds().filter((k) => k.resource === 'crontabs');
    expect(kinds.map((k) => k.version)).toEqual(['v1', 'v1beta1']);
    expect(kinds[0]).toMatchObject({ kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'], categories: ['all'], subresources: ['status', 'scale'], printerColumns: [{ name: 'Spec', jsonPath: '.spec.cronSpec' }] });
    expect(t.kernel.registry.inCategory('all').some((d) => d.resource === 'crontabs')).toBe(true);
  });

  it('defaults, prunes unknown fields and validates with causes', async () => {
    const c = await t.kernel.create(V1, { ...crontab('a', { cronSpec: '* * * * */5', image: 'x', junk: true }), extra: 1 } as KObject);
    expect(c.spec).toEqual({ cronSpec: '* * * * */5', image: 'x', replicas: 1, maxReplicas: 10 });
    expect((c as Record<string, unknown>).extra).toBeUndefined();
    const bad = await failure(t.kernel.create(V1, crontab('b', { cronSpec: 'nope', replicas: -1 })));
    expect(bad.code).toBe(422);
    expect(bad.status.details?.causes?.map((x) => x.field)).toEqual(['spec.cronSpec', 'spec.replicas']);
    const cel = await failure(t.kernel.create(V1, crontab('c', { replicas: 5, maxReplicas: 3 })));
    expect(cel.status.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": replicas must not exceed maxReplicas' }]);
    expect(cel.message).toBe('CronTab.stable.example.com "c" is invalid: spec: Invalid value: "object": replicas must not exceed maxReplicas');
  });

  it('stores the storage version and serves each version with its apiVersion', async () => {
    const b = await t.kernel.create(V1BETA1, crontab('beta', { image: 'y' }, 'stable.example.com/v1beta1'));
    expect(b.apiVersion).toBe('stable.example.com/v1beta1');
    expect((await t.kernel.get(V1, 'default', 'beta')).apiVersion).toBe('stable.example.com/v1');
    expect((await t.kernel.get(V1BETA1, 'default', 'a')).apiVersion).toBe('stable.example.com/v1beta1');
    const list = await t.kernel.list(V1BETA1, { namespace: 'default' });
    expect(list.items.map((o) => o.apiVersion)).toEqual(['stable.example.com/v1beta1', 'stable.example.com/v1beta1']);
    const w = t.kernel.watch(V1BETA1, { namespace: 'default', resourceVersion: list.metadata.resourceVersion });
    await t.kernel.update(V1, { ...(await t.kernel.get(V1, 'default', 'beta')), spec: { image: 'z' } });
    for await (const ev of w) {
      expect(ev).toMatchObject({ type: 'MODIFIED', object: { apiVersion: 'stable.example.com/v1beta1', spec: { image: 'z' } } });
      break;
    }
  });

  it('selectableFields are field selectors', async () => {
    const l = await t.kernel.list(V1, { namespace: 'default', fieldSelector: 'spec.image=x' });
    expect(l.items.map((o) => o.metadata.name)).toEqual(['a']);
    expect((await failure(t.kernel.list(V1, { fieldSelector: 'spec.cronSpec=x' }))).code).toBe(400);
  });

  it('a conversion webhook is refused (this server calls none)', async () => {
    const c = crontabCRD();
    c.metadata.name = 'hooks.stable.example.com';
    (c.spec as any).names = { plural: 'hooks', kind: 'Hook' };
    (c.spec as any).conversion = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'] } };
    const e = await failure(t.kernel.create(CRD_REF, c));
    expect(e.status.details?.causes).toEqual([{ reason: 'FieldValueNotSupported', field: 'spec.conversion.strategy', message: 'Unsupported value: "Webhook": supported values: "None"' }]);
  });

  it('scale reads and writes the CRD paths', async () => {
    const o = await t.kernel.create(V1, crontab('scaled', { replicas: 2 }));
    await t.kernel.update(V1, { ...o, status: { replicas: 2, selector: 'app=cron' } }, { subresource: 'status' });
    const info = t.kernel.kindFor(V1);
    expect(toScale(info, await t.kernel.get(V1, 'default', 'scaled'))).toMatchObject({ spec: { replicas: 2 }, status: { replicas: 2, selector: 'app=cron' } });
    const s = await t.kernel.patch(V1, 'default', 'scaled', 'merge', { spec: { replicas: 4 } }, { subresource: 'scale' });
    expect(s).toMatchObject({ kind: 'Scale', spec: { replicas: 4 } });
    expect((await t.kernel.get(V1, 'default', 'scaled')).spec).toMatchObject({ replicas: 4 });
    // CEL rules still hold through scale
    expect((await failure(t.kernel.patch(V1, 'default', 'scaled', 'merge', { spec: { replicas: 11 } }, { subresource: 'scale' }))).code).toBe(422);
  });

  it('a CRD whose names are taken is not served; a deleted CRD stops being served', async () => {
    const clash = crontabCRD();
    clash.metadata.name = 'crontabs.other.example.com';
    (clash.spec as any).group = 'other.example.com';
    (clash.spec as any).names.plural = 'crontabs';
    await t.kernel.create(CRD_REF, clash);
    await eventually(() => t.kernel.kinds().some((k) => k.group === 'other.example.com'), 10_000, 'other group served');
    // the same group and plural as a served one: refused
    const dup = crontabCRD();
    dup.metadata.name = 'crontabz.stable.example.com';
    (dup.spec as any).names = { plural: 'crontabz', kind: 'CronTab' };
    await t.kernel.create(CRD_REF, dup);
    await eventually(() => t.kernel.crds!.refused.has('crontabz.stable.example.com'), 10_000, 'refused');
    expect(t.kernel.kinds().some((k) => k.resource === 'crontabz')).toBe(false);
    await t.kernel.delete(CRD_REF, undefined, 'crontabs.other.example.com');
    await eventually(() => !t.kernel.kinds().some((k) => k.group === 'other.example.com'), 10_000, 'other group gone');
  });

  it('keeps the status: acceptedNames, NamesAccepted, Established, storedVersions; NamesAccepted False on a clash', async () => {
    const crd = await eventually(async () => {
      const c = await t.kernel.get(CRD_REF, undefined, 'crontabs.stable.example.com');
      return (c.status as any)?.conditions?.length ? c : undefined;
    }, 10_000, 'status');
    const st = crd.status as any;
    expect(st.conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([
      ['NamesAccepted', 'True', 'NoConflicts'],
      ['Established', 'True', 'InitialNamesAccepted'],
    ]);
    expect(st.acceptedNames).toEqual({ plural: 'crontabs', singular: 'crontab', shortNames: ['ct'], kind: 'CronTab', listKind: 'CronTabList', categories: ['all'] });
    expect(st.storedVersions).toEqual(['v1']);
    const refused = await eventually(async () => {
      const c = await t.kernel.get(CRD_REF, undefined, 'crontabz.stable.example.com');
      return (c.status as any)?.conditions?.length ? c : undefined;
    }, 10_000, 'refused status');
    expect((refused.status as any).conditions.map((c: any) => [c.type, c.status])).toEqual([
      ['NamesAccepted', 'False'],
      ['Established', 'False'],
    ]);
  });

  it('deleting a CRD deletes its objects (waiting for their finalizers), then the CRD', async () => {
    const crd = crontabCRD();
    crd.metadata.name = 'gadgets.stable.example.com';
    (crd.spec as any).names = { plural: 'gadgets', kind: 'Gadget' };
    await t.kernel.create(CRD_REF, crd);
    const G = { ...V1, resource: 'gadgets' };
    await eventually(() => t.kernel.kinds().some((k) => k.resource === 'gadgets'), 10_000, 'gadgets served');
    await t.kernel.create(G, { apiVersion: 'stable.example.com/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'default' }, spec: {} });
    await t.kernel.create(G, { apiVersion: 'stable.example.com/v1', kind: 'Gadget', metadata: { name: 'g2', namespace: 'default', finalizers: ['example.com/hold'] }, spec: {} });
    const marked = await t.kernel.delete(CRD_REF, undefined, 'gadgets.stable.example.com');
    expect(marked.metadata.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
    await eventually(async () => (await t.kernel.list(G)).items.length === 1, 10_000, 'g1 gone');
    // still served while terminating, but no creates
    const g2 = await eventually(async () => {
      const o = await t.kernel.get(G, 'default', 'g2');
      return o.metadata.deletionTimestamp ? o : undefined;
    }, 10_000, 'g2 marked');
    expect((await failure(t.kernel.create(G, { apiVersion: 'stable.example.com/v1', kind: 'Gadget', metadata: { name: 'g3', namespace: 'default' }, spec: {} }))).code).toBe(405);
    const terminating = await t.kernel.get(CRD_REF, undefined, 'gadgets.stable.example.com');
    await eventually(async () => ((await t.kernel.get(CRD_REF, undefined, 'gadgets.stable.example.com')).status as any)?.conditions?.some((c: any) => c.type === 'Terminating'), 10_000, 'Terminating condition');
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    await t.kernel.update(G, { ...g2, metadata: { ...g2.metadata, finalizers: [] } });
    await eventually(async () => {
      try {
        await t.kernel.get(CRD_REF, undefined, 'gadgets.stable.example.com');
        return false;
      } catch (e) {
        return e instanceof StatusError && e.code === 404;
      }
    }, 10_000, 'CRD gone');
    await eventually(() => !t.kernel.kinds().some((k) => k.resource === 'gadgets'), 10_000, 'gadgets no longer served');
  });

  it('a second kernel on the same store serves the CRDs it finds', async () => {
    const k2 = await t.restart();
    expect(k2.kinds().filter((k) => k.resource === 'crontabs' && k.group === 'stable.example.com').map((k) => k.version)).toEqual(['v1', 'v1beta1']);
    expect((await k2.get(V1BETA1, 'default', 'a')).apiVersion).toBe('stable.example.com/v1beta1');
  });
});
