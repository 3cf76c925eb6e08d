// PodNftables against real nft in a network namespace this test creates: a burst of pods is one
// transaction, later changes are element differences, a refused transaction keeps the previous
// state and is followed by a full sync.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Nft } from '@skiff/client/nftables';
import { eventually } from '@skiff/kernel/testing';
import { describeNeeding } from '../../scripts/test-parts.ts';
import { PodNftables, type PodSyncReport } from './pod-nftables.ts';
import { randomTag, TestNetns } from './testing.ts';

describeNeeding(['root'], 'PodNftables with real nft', () => {
  let ns: TestNetns;
  let nft: Nft;
  let p: PodNftables;
  const reports: PodSyncReport[] = [];
  const errors: string[] = [];
  const hostports = async () => {
    const [m] = (await nft.list(['map', 'inet', 'skiff', 'pod-hostports'])).map((i) => i.map);
    return (m?.elem as unknown[] | undefined)?.length ?? 0;
  };
  const net = (i: number) => ({ key: `d/p${i}`, ip: `10.9.${i >> 8}.${i & 255}`, created: String(i), hostPorts: [{ protocol: 'tcp' as const, hostPort: 20000 + i, containerPort: 80 }] });

  beforeAll(async () => {
    ns = await TestNetns.create(`skiff-test-${randomTag()}-podnft`);
    nft = new Nft({ netns: ns.name });
    p = new PodNftables({ nft, clusterCIDR: '10.9.0.0/16', retryMs: 50, onSync: (r) => void reports.push(r), onError: (m) => void errors.push(m) });
  });
  afterAll(async () => {
    await p?.stop();
    await ns?.delete();
  });

  it('a burst of 100 pods before and after start: one full transaction, then one incremental one', async () => {
    for (let i = 1; i <= 100; i++) p.set(`u${i}`, net(i));
    p.start();
    await p.idle();
    expect(reports).toEqual([expect.objectContaining({ full: true, pods: 100, changes: 300 })]);
    expect(await hostports()).toBe(100);
    for (let i = 1; i <= 50; i++) p.delete(`u${i}`);
    p.set('u51', { ...net(51), hostPorts: [] });
    await p.idle();
    expect(reports.slice(1)).toEqual([expect.objectContaining({ full: false, pods: 50, changes: 50 * 3 + 2 })]);
    expect(await hostports()).toBe(49);
  });

  it('a transaction nft refuses leaves the previous state; the next sync is full and applies once nft can', async () => {
    // somebody deletes one of our elements behind our back: our incremental delete of it now fails
    await nft.apply('delete element inet skiff pod-hostports { tcp . 20052 }\n');
    p.delete('u52');
    await eventually(() => errors.length > 0, 10_000, 'the refused transaction');
    expect(errors[0]).toMatch(/pod-hostports/);
    await p.idle();
    expect(reports.at(-1)).toMatchObject({ full: true, pods: 49 });
    expect(await hostports()).toBe(48);
  });
});
