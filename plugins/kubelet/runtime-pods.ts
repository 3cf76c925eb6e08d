// What the container runtime holds for each pod, read back through the CRI (kubelet's "relist"):
// the sandboxes and containers this agent made (found by their labels, so a restarted agent finds
// everything its previous run left), grouped by pod uid, newest first. A container's status is
// read again only when the list shows its state changed.
import type { Container, ContainerStatus, CriRuntime, PodSandbox } from '@skiff/plugin-cri-containerd';
import { CONTAINER_KIND, CONTAINER_NAME, CONTAINER_RESTART_COUNT, MANAGED_BY, POD_NAME, POD_NAMESPACE, POD_UID } from './labels.ts';

export interface RuntimeContainer {
  id: string;
  name: string;
  attempt: number;
  /** "init" or "app" */
  kind: string;
  sandboxId: string;
  status: ContainerStatus;
  /** how many times the kubelet restarted this container before this attempt */
  restartCount: number;
  hash: string;
}

export interface RuntimePod {
  uid: string;
  name: string;
  namespace: string;
  /** newest first */
  sandboxes: PodSandbox[];
  /** newest first */
  containers: RuntimeContainer[];
}

export class RuntimePods {
  /** the last status read of each container (refreshed when its state changes) */
  private readonly statuses = new Map<string, ContainerStatus>();
  private readonly managed: Record<string, string>;

  /** `managedBy`: the MANAGED_BY label value of what this agent made (labels.ts managedByNode) */
  constructor(
    private readonly cri: CriRuntime,
    managedBy: string,
  ) {
    this.managed = { [MANAGED_BY]: managedBy };
  }

  /** Everything the runtime holds for this agent's pods (or for one pod), by pod uid. */
  async list(uid?: string): Promise<Map<string, RuntimePod>> {
    const labelSelector = uid ? { ...this.managed, [POD_UID]: uid } : this.managed;
    const [sandboxes, containers] = await Promise.all([this.cri.listPodSandbox({ labelSelector }), this.cri.listContainers({ labelSelector })]);
    const pods = new Map<string, RuntimePod>();
    const podOf = (labels: Record<string, string>): RuntimePod | undefined => {
      const uid = labels[POD_UID];
      if (!uid) return undefined;
      let p = pods.get(uid);
      if (!p) pods.set(uid, (p = { uid, name: labels[POD_NAME] ?? '', namespace: labels[POD_NAMESPACE] ?? '', sandboxes: [], containers: [] }));
      return p;
    };
    for (const s of sandboxes) podOf(s.labels)?.sandboxes.push(s);
    const statuses = await Promise.all(containers.map((c) => this.status(c)));
    const live = new Set<string>();
    containers.forEach((c, i) => {
      live.add(c.id);
      const status = statuses[i];
      if (!status) return; // removed meanwhile
      podOf(c.labels)?.containers.push({
        id: c.id,
        name: c.labels[CONTAINER_NAME] ?? c.metadata?.name ?? '',
        attempt: c.metadata?.attempt ?? 0,
        kind: c.annotations[CONTAINER_KIND] ?? 'app',
        sandboxId: c.podSandboxId,
        status,
        restartCount: Number(c.annotations[CONTAINER_RESTART_COUNT] ?? 0) || 0,
        hash: c.annotations['io.kubernetes.container.hash'] ?? '',
      });
    });
    if (!uid) for (const id of this.statuses.keys()) if (!live.has(id)) this.statuses.delete(id);
    for (const p of pods.values()) {
      p.sandboxes.sort((a, b) => b.createdAt - a.createdAt);
      p.containers.sort((a, b) => b.attempt - a.attempt || b.status.createdAt - a.status.createdAt);
    }
    return pods;
  }

  private async status(c: Container): Promise<ContainerStatus | undefined> {
    // a status only changes with the container's state (the list says which): ask again only then
    const cached = this.statuses.get(c.id);
    if (cached && cached.state === c.state) return cached;
    try {
      const s = (await this.cri.containerStatus(c.id)).status ?? undefined;
      if (s) this.statuses.set(c.id, s);
      return s;
    } catch {
      return undefined;
    }
  }

  /** Forget a container's cached status (it was removed). */
  forget(id: string): void {
    this.statuses.delete(id);
  }
}
