// Per-pod usage from the CRI's container stats (ListContainerStats), as the kubelet's summary
// gives metrics-server: CPU as the rate of usage_core_nano_seconds between this scrape and the last
// (a container seen for the first time has no rate yet, as in metrics-server), memory as the
// working set. Containers are grouped into pods by the labels the kubelet puts on them.
import { CONTAINER_NAME, POD_NAME, POD_NAMESPACE, POD_UID, type ContainerStats } from '@skiff/node-api';
import type { PodUsage } from '@skiff/plugin-metrics-server/protocol';

interface CpuPoint {
  /** CRI timestamp, ns */
  t: number;
  usage: number;
}

export class ContainerRates {
  /** container id -> last cumulative CPU sample */
  private prev = new Map<string, CpuPoint>();

  /** The pods' usage from one ListContainerStats answer (`now`: when it was taken, ms). */
  pods(stats: ContainerStats[], now = Date.now()): PodUsage[] {
    const next = new Map<string, CpuPoint>();
    const pods = new Map<string, PodUsage>();
    for (const s of stats) {
      const a = s.attributes;
      const labels = a?.labels ?? {};
      const pod = labels[POD_NAME];
      const ns = labels[POD_NAMESPACE];
      const container = labels[CONTAINER_NAME] ?? a?.metadata?.name;
      const cpu = s.cpu?.usageCoreNanoSeconds?.value;
      if (!a?.id || !pod || !ns || !container || cpu === undefined) continue;
      const t = s.cpu?.timestamp || now * 1e6;
      const point = { t, usage: cpu };
      next.set(a.id, point);
      const p = this.prev.get(a.id);
      if (!p || t <= p.t || cpu < p.usage) continue; // no rate yet (or the container restarted)
      const windowSeconds = (t - p.t) / 1e9;
      const key = `${ns}/${pod}`;
      let u = pods.get(key);
      if (!u) pods.set(key, (u = { namespace: ns, name: pod, ...(labels[POD_UID] ? { uid: labels[POD_UID] } : {}), timestampMs: Math.round(t / 1e6), windowSeconds, containers: [] }));
      u.containers.push({ name: container, cpuNanoCores: Math.round((cpu - p.usage) / windowSeconds), memoryWorkingSetBytes: s.memory?.workingSetBytes?.value ?? 0 });
    }
    this.prev = next; // containers gone since are forgotten
    return [...pods.values()];
  }
}
