// Pod usage from CRI container stats: rates between two answers, grouping by the kubelet's labels;
// and against a real containerd, a container burning CPU under a 50% quota.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriClient, sandboxOomProblem } from '@skiff/plugin-cri-containerd';
import { ensureTestImages } from '@skiff/plugin-cri-containerd/testing';
import { CONTAINER_NAME, MANAGED_BY, POD_NAME, POD_NAMESPACE, POD_UID, managedByNode, type ContainerStats } from '@skiff/node-api';
import { containerdAt, describeNeeding } from '../../scripts/test-parts.ts';
import { ContainerRates } from './containers.ts';

function stats(id: string, pod: string, container: string, tNs: number, cpuNs: number, mem: number): ContainerStats {
  return {
    attributes: { id, metadata: { name: container, attempt: 0 }, labels: { [POD_NAME]: pod, [POD_NAMESPACE]: 'ns', [POD_UID]: `${pod}-uid`, [CONTAINER_NAME]: container }, annotations: {} },
    cpu: { timestamp: tNs, usageCoreNanoSeconds: { value: cpuNs }, usageNanoCores: null },
    memory: { timestamp: tNs, workingSetBytes: { value: mem }, availableBytes: null, usageBytes: null, rssBytes: null, pageFaults: null, majorPageFaults: null },
    writableLayer: null,
  };
}

describe('ContainerRates', () => {
  it('needs two samples, then rates each container and groups them by pod', () => {
    const r = new ContainerRates();
    const s = 1e9;
    expect(r.pods([stats('a', 'p', 'x', 100 * s, 5 * s, 100), stats('b', 'p', 'y', 100 * s, 1 * s, 200)])).toEqual([]);
    const pods = r.pods([stats('a', 'p', 'x', 110 * s, 7 * s, 300), stats('b', 'p', 'y', 110 * s, 1.5 * s, 400), stats('c', 'q', 'z', 110 * s, 1 * s, 1)]);
    expect(pods).toEqual([
      {
        namespace: 'ns',
        name: 'p',
        uid: 'p-uid',
        timestampMs: 110_000,
        windowSeconds: 10,
        containers: [
          { name: 'x', cpuNanoCores: 200_000_000, memoryWorkingSetBytes: 300 },
          { name: 'y', cpuNanoCores: 50_000_000, memoryWorkingSetBytes: 400 },
        ],
      },
    ]);
    // a restarted container (counter went back) has no rate this time
    expect(r.pods([stats('a', 'p', 'x', 120 * s, 1 * s, 1)])).toEqual([]);
  });
});

const SOCKET = process.env.SKIFF_CRI_SOCKET ?? '/run/containerd/containerd.sock';
const NODE = `metrics-test-${randomUUID().slice(0, 6)}`;

describeNeeding(['root', containerdAt(SOCKET)], `ContainerRates against containerd at ${SOCKET}`, (missing) => {
  let cri: CriClient;
  let work: string;
  let busybox: string;
  beforeAll(async () => {
    if (missing()) return;
    cri = new CriClient({ socket: SOCKET, timeoutMs: 20_000 });
    work = mkdtempSync(join(tmpdir(), 'skiff-metrics-cri-'));
    busybox = (await ensureTestImages(cri, work)).busyboxImage;
  }, 180_000);
  afterAll(async () => {
    if (!cri) return;
    for (const s of await cri.listPodSandbox({ labelSelector: { [MANAGED_BY]: managedByNode(NODE) } }).catch(() => [])) {
      await cri.stopPodSandbox(s.id).catch(() => {});
      await cri.removePodSandbox(s.id).catch(() => {});
    }
    cri.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('reports a busy container at about its 500m quota', async () => {
    const problem = sandboxOomProblem(await cri.status(true));
    if (problem) throw new Error(`this containerd cannot start sandboxes here: ${problem}`);
    const uid = randomUUID();
    const labels = { [MANAGED_BY]: managedByNode(NODE), [POD_NAME]: 'burn', [POD_NAMESPACE]: 'default', [POD_UID]: uid };
    const host = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } as const;
    const logDirectory = join(work, 'logs');
    mkdirSync(join(logDirectory, 'cpu'), { recursive: true });
    const sandbox = { metadata: { name: 'burn', uid, namespace: 'default', attempt: 0 }, hostname: '', logDirectory, labels, linux: { securityContext: { namespaceOptions: host } } };
    const podId = await cri.runPodSandbox(sandbox);
    const id = await cri.createContainer(
      podId,
      {
        metadata: { name: 'cpu', attempt: 0 },
        image: { image: busybox },
        command: ['sh', '-c', 'while :; do :; done'],
        labels: { ...labels, [CONTAINER_NAME]: 'cpu' },
        logPath: 'cpu/0.log',
        linux: { resources: { cpuPeriod: 100_000, cpuQuota: 50_000, cpuShares: 512 }, securityContext: { namespaceOptions: host } },
      },
      sandbox,
    );
    await cri.startContainer(id);
    const rates = new ContainerRates();
    const list = () => cri.listContainerStats({ labelSelector: { [MANAGED_BY]: managedByNode(NODE) } });
    rates.pods(await list());
    await new Promise((r) => setTimeout(r, 2000));
    const pods = rates.pods(await list());
    expect(pods).toHaveLength(1);
    expect(pods[0]).toMatchObject({ namespace: 'default', name: 'burn', uid });
    const c = pods[0]!.containers[0]!;
    expect(c.name).toBe('cpu');
    // the quota caps it at 500m; a shared 2-core machine may give it less
    expect(c.cpuNanoCores).toBeGreaterThan(100_000_000);
    expect(c.cpuNanoCores).toBeLessThan(650_000_000);
    expect(c.memoryWorkingSetBytes).toBeGreaterThan(0);
    expect(pods[0]!.windowSeconds).toBeGreaterThan(1.5);
  }, 60_000);
});
