import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { ComponentCache } from './component-cache.ts';
import { runPolicyTest } from './policy-test.ts';
import { buildWatGuest } from './testing/wat-guests.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-wasm-cache-'));
const cache = new ComponentCache(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const node = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
const pod = (name: string, expect?: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x' }] }, ...(expect ? { expect } : {}) }) as KObject;

it('runs a policy over nodes and pods from a file and checks the expectations', async () => {
  // the guest rejects nodes in odd slots; slots are handed out in node order
  const bytes = await buildWatGuest({ rejectOddSlots: 'Insufficient cpu', score: 7 });
  const r = await runPolicyTest(bytes, {
    nodes: [node('a'), node('b'), node('c')],
    pods: [pod('p1', { fits: ['a', 'c'], rejected: { b: 'Insufficient cpu' }, scores: { a: 7 }, node: 'a' }), pod('p2', { node: 'b' })],
  }, { cache });
  expect(r.world).toBe('scheduler-policy');
  expect(r.pods[0]).toMatchObject({ pod: 'default/p1', node: 'a', failures: [] });
  expect(r.pods[0].verdicts).toEqual([
    { node: 'a', fits: true, score: 7 },
    { node: 'b', fits: false, reason: 'Insufficient cpu' },
    { node: 'c', fits: true, score: 7 },
  ]);
  expect(r.pods[1].failures).toEqual(['expected node b, got a']);
  expect(r.ok).toBe(false);
});

it('reports a guest that fails instead of hiding it', async () => {
  const r = await runPolicyTest(await buildWatGuest({ filter: 'trap' }), { nodes: [node('a')], pods: [pod('p1')] }, { cache });
  expect(r.ok).toBe(false);
  expect(r.pods[0].failures[0]).toMatch(/the policy failed: .*trapped/);
});
