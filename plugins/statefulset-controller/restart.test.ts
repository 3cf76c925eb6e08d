// A controller that restarts (a new process on the same store) picks up where the last one stopped:
// no pod, claim or revision made twice, none left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginHost } from '@skiff/kernel/plugins';
import type { ControllerTestEnv } from '../../client/testing.ts';
import {
  createNamespace, createSet, eventsIn, eventually, getPod, getSet, listClaims, listPods, listRevisions, markRunningReady, podNames,
  restartController, sleep, startStatefulSetController, statefulSet,
} from './testing.ts';

let env: ControllerTestEnv;
let second: PluginHost | undefined;
const k = () => env.t.kernel;

beforeAll(async () => {
  env = await startStatefulSetController();
});
afterAll(async () => {
  await second?.stopAll();
  await env?.stop();
});

describe('restart', () => {
  it('continues an ordered scale-up without duplicates', async () => {
    const ns = 'restart';
    await createNamespace(k(), ns);
    await createSet(
      k(),
      statefulSet(ns, 'web', {
        replicas: 3,
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      }),
    );
    await eventually(() => getPod(k(), ns, 'web-0'), 10_000, 'web-0');
    await markRunningReady(k(), ns, 'web-0');
    await eventually(() => getPod(k(), ns, 'web-1'), 10_000, 'web-1');
    await sleep(200);
    const before = Object.fromEntries((await listPods(k(), ns)).map((p) => [p.metadata.name, p.metadata.uid]));
    const revisionsBefore = (await listRevisions(k(), ns)).map((r) => r.metadata.uid);

    second = await restartController(env);
    await sleep(500);
    expect(await podNames(k(), ns)).toEqual(['web-0', 'web-1']); // web-1 is not Ready: still waiting
    await markRunningReady(k(), ns, 'web-1');
    await eventually(() => getPod(k(), ns, 'web-2'), 10_000, 'web-2 after the restart');
    await markRunningReady(k(), ns, 'web-2');
    await eventually(async () => (await getSet(k(), ns, 'web')).status?.readyReplicas === 3, 10_000, 'three ready');

    const after = Object.fromEntries((await listPods(k(), ns)).map((p) => [p.metadata.name, p.metadata.uid]));
    expect(after['web-0']).toBe(before['web-0']);
    expect(after['web-1']).toBe(before['web-1']);
    expect(Object.keys(after).sort()).toEqual(['web-0', 'web-1', 'web-2']);
    expect((await listRevisions(k(), ns)).map((r) => r.metadata.uid)).toEqual(revisionsBefore);
    expect((await listClaims(k(), ns)).map((c) => c.metadata.name).sort()).toEqual(['data-web-0', 'data-web-1', 'data-web-2']);
    const events = await eventsIn(k(), ns);
    expect(events.filter((e) => e.startsWith('SuccessfulCreate: create Pod'))).toHaveLength(3);
    expect(events.filter((e) => e.startsWith('Failed'))).toEqual([]);
  });

  it('restarts idle on a settled set: nothing is written', async () => {
    const ns = 'restart';
    await sleep(300);
    const rv = (await getSet(k(), ns, 'web')).metadata.resourceVersion;
    const pods = (await listPods(k(), ns)).map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`);
    await second!.stopAll();
    second = await restartController(env);
    await sleep(800);
    expect((await getSet(k(), ns, 'web')).metadata.resourceVersion).toBe(rv);
    expect((await listPods(k(), ns)).map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`)).toEqual(pods);
    expect(env.warnings).toEqual([]);
  });
});
