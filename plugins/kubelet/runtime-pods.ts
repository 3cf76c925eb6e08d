// What the container runtime holds for each pod, read back through the CRI (kubelet's "relist"):
// the sandboxes and containers this agent made (found by their labels, so a restarted agent finds
// everything its previous run left), grouped by pod uid, newest first. A container's status is
// read again only when the list shows its state changed.
//
// After a pod sync the worker knows what it changed (the sandbox it made, the containers it
// created, started or stopped, those it removed): `refresh` applies exactly that, one
// ContainerStatus per touched container, instead of listing the pod's sandboxes and containers
// again (two list calls per pod start, which a burst of pods pays on top of the runtime's work).
// The periodic relist still corrects anything else.
import {
  CONTAINER_KIND, CONTAINER_NAME, CONTAINER_RESTART_COUNT, MANAGED_BY, POD_NAME, POD_NAMESPACE, POD_UID,
  type Container, type ContainerStatus, type CriRuntime, type PodSandbox,
} from '@skiff/node-api';

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

/** What one pod sync changed in the runtime. */
export interface RuntimeChange {
  /** the sandbox it created (newest) */
  sandbox?: PodSandbox;
  /** containers it created, started or stopped, with their sandbox */
  touched: { id: string; sandboxId: string }[];
  /** containers it removed */
  removed: string[];
  /** sandboxes it removed */
  removedSandboxes: string[];
}

export class RuntimePods {
  /** the last status read of each container (refreshed when its state changes) */
  private readonly statuses = new Map<string, ContainerStatus>();
  private readonly managed: Record<string, string>;

  /** `managedBy`: the MANAGED_BY label value of what this agent made (managedByNode of @skiff/node-api) */
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
      podOf(c.labels)?.containers.push(runtimeContainer(c.id, c.podSandboxId, status, c.labels, c.annotations, c.metadata?.name, c.metadata?.attempt));
    });
    if (!uid) for (const id of this.statuses.keys()) if (!live.has(id)) this.statuses.delete(id);
    for (const p of pods.values()) sortPod(p);
    return pods;
  }

  /**
   * The pod as `base` was, with `change` applied: one ContainerStatus per touched container. Falls
   * back to listing the pod when one of them cannot be read.
   */
  async refresh(uid: string, base: RuntimePod | undefined, change: RuntimeChange, meta: { name: string; namespace: string }): Promise<RuntimePod | undefined> {
    const p: RuntimePod = base
      ? { ...base, sandboxes: [...base.sandboxes], containers: [...base.containers] }
      : { uid, name: meta.name, namespace: meta.namespace, sandboxes: [], containers: [] };
    if (change.sandbox && !p.sandboxes.some((s) => s.id === change.sandbox!.id)) p.sandboxes.push(change.sandbox);
    p.sandboxes = p.sandboxes.filter((s) => !change.removedSandboxes.includes(s.id));
    const drop = new Set([...change.removed, ...change.touched.map((t) => t.id)]);
    for (const id of change.removed) this.statuses.delete(id);
    p.containers = p.containers.filter((c) => !drop.has(c.id));
    const touched = [...new Map(change.touched.filter((t) => !change.removed.includes(t.id)).map((t) => [t.id, t])).values()];
    const read = await Promise.all(
      touched.map(async (t) => {
        try {
          const s = (await this.cri.containerStatus(t.id)).status;
          if (s) this.statuses.set(t.id, s);
          return s ? runtimeContainer(t.id, t.sandboxId, s, s.labels, s.annotations, s.metadata?.name, s.metadata?.attempt) : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    if (read.some((c) => !c)) return (await this.list(uid)).get(uid);
    p.containers.push(...(read as RuntimeContainer[]));
    sortPod(p);
    return p;
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

function runtimeContainer(
  id: string, sandboxId: string, status: ContainerStatus, labels: Record<string, string>, annotations: Record<string, string>, name?: string, attempt?: number,
): RuntimeContainer {
  return {
    id,
    name: labels[CONTAINER_NAME] ?? name ?? '',
    attempt: attempt ?? 0,
    kind: annotations[CONTAINER_KIND] ?? 'app',
    sandboxId,
    status,
    restartCount: Number(annotations[CONTAINER_RESTART_COUNT] ?? 0) || 0,
    hash: annotations['io.kubernetes.container.hash'] ?? '',
  };
}

function sortPod(p: RuntimePod): void {
  p.sandboxes.sort((a, b) => b.createdAt - a.createdAt);
  p.containers.sort((a, b) => b.attempt - a.attempt || b.status.createdAt - a.status.createdAt);
}
