// A JavaScript guest (componentize-js, no AOT): the js-node-pool example built and run through
// jco's glue like the AssemblyScript ones. Slow to build (~10 s) and to run; this proves it works.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildComponent } from './build.ts';
import { examplePath, loadComponent, type LoadedComponent } from './testing.ts';
import type { SchedulerPolicyExports, WitNode, WitResources } from './wit-values.ts';

let component: LoadedComponent<SchedulerPolicyExports>;
let size = 0;
beforeAll(async () => {
  const built = await buildComponent({ entry: examplePath('js-node-pool', 'policy.js'), world: 'scheduler-policy' });
  size = built.sizeBytes;
  component = await loadComponent<SchedulerPolicyExports>(built.bytes);
}, 120_000);
afterAll(() => component?.dispose());

const res = (pods: bigint): WitResources => ({ milliCpu: 4000n, memory: 8n << 30n, ephemeralStorage: 0n, pods, extended: [] });
const node = (name: string, pool: string, podCount: number): WitNode => ({
  name, labels: [{ key: 'skiff.io/pool', value: pool }], taints: [], unschedulable: false, allocatable: res(10n), requested: res(0n), podCount,
});
const pod = { namespace: 'default', name: 'p', uid: 'u', labels: [], requests: res(1n), priority: 0, schedulerName: 'default-scheduler', nodeSelector: [], tolerations: [] };

it('builds a JavaScript policy into a component that filters and scores', () => {
  expect(size).toBeGreaterThan(1_000_000); // the engine comes along
  const api = component.exports;
  expect(() => api.configure('{')).toThrow(/^config: /);
  expect(api.configure('{"pool":"gpu"}')).toEqual({ filter: true, score: true });
  api.updateNodes([{ slot: 0, node: node('a', 'gpu', 2) }, { slot: 1, node: node('b', 'general', 0) }, { slot: 2, node: node('c', 'gpu', 9) }]);
  const r = api.filter(pod, new Uint32Array([0, 1, 2]));
  expect(Array.from(r.verdicts)).toEqual([0, 1, 0]);
  expect(r.reasons).toEqual([{ message: 'node(s) are not in pool gpu', unresolvable: true }]);
  expect(Array.from(api.score(pod, [0, 2]))).toEqual([80, 10]);
});
