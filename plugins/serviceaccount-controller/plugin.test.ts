import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACES, SERVICE_ACCOUNTS } from '@skiff/api';
import { startControllers, eventually, type ControllerTestEnv } from '../../client/testing.ts';
import namespaceController from '../namespace-controller/plugin.ts';
import descriptor from './plugin.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor }, { descriptor: namespaceController, config: { resyncSeconds: 0.2 } }]);
});
afterAll(() => env?.stop());

const has = (ns: string, name: string) => env.t.kernel.get(SERVICE_ACCOUNTS, ns, name).then(() => true, () => false);

describe('serviceaccount-controller', () => {
  it('gives every namespace a default ServiceAccount, and makes it again when deleted', async () => {
    await eventually(() => has('default', 'default'), 5000, 'default/default');
    await env.t.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    await eventually(() => has('team-a', 'default'), 5000, 'team-a/default');
    await env.t.kernel.delete(SERVICE_ACCOUNTS, 'team-a', 'default');
    await eventually(() => has('team-a', 'default'), 5000, 'made again');
  });

  it('lets a namespace be deleted: its contents go, and no ServiceAccount is made again in it', async () => {
    await env.t.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } });
    await eventually(() => has('gone', 'default'), 5000);
    await env.t.kernel.create({ group: '', version: 'v1', resource: 'configmaps' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'gone' } });
    await env.t.kernel.delete(NAMESPACES, undefined, 'gone');
    await eventually(() => env.t.kernel.get(NAMESPACES, undefined, 'gone').then(() => false, (e) => e.code === 404), 10_000, 'namespace gone');
    expect(await has('gone', 'default')).toBe(false);
    expect(env.warnings.filter((w) => w.includes('reconcile failed'))).toEqual([]);
  });
});
