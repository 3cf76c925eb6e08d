// VolumeBinding, as kube-scheduler's plugin of that name: a pod's bound claims need volumes whose
// node affinity admits the node; its unbound WaitForFirstConsumer claims need, on the node, a free
// static volume that fits, or a class whose provisioner (a CSI driver) runs there (CSINode), whose
// allowedTopologies admit the node and, when the CSIDriver reports capacity, a CSIStorageCapacity
// of the node's topology with room. Unbound Immediate claims wait for the PV controller. Reserve
// keeps the chosen static volumes from other pods; PreBind pre-binds them (claimRef) or sets
// `volume.kubernetes.io/selected-node` for the provisioner, and waits until every claim is Bound.
import {
  ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE, claimClassName, claimRequest, ephemeralClaimName, findMatchingVolume, isNotFound, NO_PROVISIONER,
  PVCS, PVS, selectorMatches, tryParseQuantity, volumeNodeAffinityMatches,
  type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass, type TopologySelectorTerm,
} from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import type { NodeInfo, PolicyStatus, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { SUCCESS } from '@skiff/plugin-scheduler/framework';
import type { VolumeListers } from './volume-listers.ts';

export const VOLUME_BINDING = 'VolumeBinding';
export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_REASON_NOT_ENOUGH_SPACE = 'node(s) did not have enough free storage';
export const ERR_REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
const STATE_KEY = 'PreFilter' + VOLUME_BINDING;
const DECISION_KEY = 'Filter' + VOLUME_BINDING;

interface PodClaims {
  bound: PersistentVolumeClaim[];
  /** unbound WaitForFirstConsumer claims, with their class */
  toBind: { claim: PersistentVolumeClaim; cls: StorageClass | undefined }[];
}

/** What Filter decided for a node: static volumes to pre-bind and claims to provision. */
interface NodeDecision {
  static: { claim: PersistentVolumeClaim; pv: PersistentVolume }[];
  provision: PersistentVolumeClaim[];
}

const unresolvable = (reason: string): PolicyStatus => ({ code: 'UnschedulableAndUnresolvable', reasons: [reason] });
// (kube's Filter rejects with UnschedulableAndUnresolvable whatever the reason: preempting pods frees no volume)
const unschedulable = (reason: string): PolicyStatus => ({ code: 'Unschedulable', reasons: [reason] });

/** MatchTopologySelectorTerms: no terms admit every node; else one term whose every expression matches. */
export function topologyMatches(terms: readonly TopologySelectorTerm[] | undefined, labels: Record<string, string>): boolean {
  if (!terms || terms.length === 0) return true;
  return terms.some((t) => (t.matchLabelExpressions ?? []).every((e) => labels[e.key] !== undefined && e.values.includes(labels[e.key]!)));
}

export interface VolumeBindingOptions {
  /** how long PreBind waits for the claims to be Bound (kube: bindTimeoutSeconds, 600) */
  bindTimeoutSeconds?: number;
  /** how often PreBind looks (ms) */
  pollMs?: number;
}

export function volumeBinding(kernel: Kernel, l: VolumeListers, opts: VolumeBindingOptions = {}): SchedulerPolicy & { assumed: Map<string, string> } {
  const timeoutMs = (opts.bindTimeoutSeconds ?? 600) * 1000;
  const pollMs = opts.pollMs ?? 100;
  /** static volumes chosen by a reserved pod, not yet pre-bound in the store: PV name -> pod key */
  const assumed = new Map<string, string>();

  function claimsOf(pod: Pod): PodClaims | PolicyStatus {
    const out: PodClaims = { bound: [], toBind: [] };
    let immediate = false;
    const ns = pod.metadata.namespace ?? 'default';
    for (const v of pod.spec?.volumes ?? []) {
      const name = v.persistentVolumeClaim?.claimName ?? (v.ephemeral ? ephemeralClaimName(pod.metadata.name ?? '', v.name) : undefined);
      if (!name) continue;
      const claim = l.claims.get(ns, name);
      if (!claim) return unresolvable(`persistentvolumeclaim "${name}" not found`);
      if (claim.metadata.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      if (v.ephemeral && !claim.metadata.ownerReferences?.some((r) => r.controller && r.uid === pod.metadata.uid))
        return unresolvable(`PVC ${ns}/${name} was not created for pod ${ns}/${pod.metadata.name} (pod is not owner)`);
      if (claim.spec?.volumeName) {
        out.bound.push(claim);
        continue;
      }
      const clsName = claimClassName(claim);
      const cls = clsName ? l.classes.get(undefined, clsName) : undefined;
      if (cls?.volumeBindingMode === 'WaitForFirstConsumer') out.toBind.push({ claim, cls });
      else immediate = true;
    }
    if (immediate) return unresolvable(ERR_UNBOUND_IMMEDIATE);
    return out;
  }

  /** Can the class's provisioner make a volume for `claim` on `node`? A reason when not. */
  function provisionable(claim: PersistentVolumeClaim, cls: StorageClass | undefined, node: NodeInfo): string | undefined {
    if (!cls || cls.provisioner === NO_PROVISIONER) return ERR_REASON_BIND_CONFLICT;
    if (!topologyMatches(cls.allowedTopologies, node.labels)) return ERR_REASON_BIND_CONFLICT;
    const csiNode = l.csiNodes.get(undefined, node.name);
    if (!csiNode?.spec?.drivers?.some((d) => d.name === cls.provisioner)) return ERR_REASON_BIND_CONFLICT;
    const driver = l.csiDrivers.get(undefined, cls.provisioner);
    if (driver?.spec?.storageCapacity === true) {
      const want = claimRequest(claim);
      const room = l.capacities.list().some((c) => {
        if (c.storageClassName !== cls.metadata.name) return false;
        if (c.nodeTopology === undefined || !selectorMatches(c.nodeTopology, node.labels)) return false;
        const size = tryParseQuantity(c.maximumVolumeSize ?? c.capacity);
        return size !== undefined && size >= want;
      });
      if (!room) return ERR_REASON_NOT_ENOUGH_SPACE;
    }
    return undefined;
  }

  /**
   * `provisioned`: the claims asked of a provisioner, with the revision of that write (a provisioner
   * that gives up resets selected-node, as kube's does; an informer behind our write is not that).
   */
  async function waitBound(claims: PersistentVolumeClaim[], provisioned: ReadonlyMap<PersistentVolumeClaim, number>, node: string, deadline: number): Promise<PolicyStatus | void> {
    for (;;) {
      let pending = 0;
      for (const c of claims) {
        const cur = l.claims.get(c.metadata.namespace, c.metadata.name ?? '');
        if (!cur) return { code: 'Error', reasons: [`persistentvolumeclaim "${c.metadata.name}" not found`] };
        if (cur.status?.phase === 'Bound' && cur.spec?.volumeName) continue;
        const sel = cur.metadata.annotations?.[ANN_SELECTED_NODE];
        const written = provisioned.get(c);
        if (written !== undefined && Number(cur.metadata.resourceVersion) >= written && sel !== node) return { code: 'Error', reasons: [`selectedNode annotation reset for PVC "${c.metadata.name}"`] };
        pending++;
      }
      if (pending === 0) return;
      if (Date.now() > deadline) return { code: 'Error', reasons: ['binding volumes: timed out waiting for the condition'] };
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  return {
    name: VOLUME_BINDING,
    assumed,
    preFilter(state, p) {
      const pod = p.pod as Pod;
      if (!(pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim || v.ephemeral)) return { status: { code: 'Skip' } };
      const r = claimsOf(pod);
      if ('code' in r) return { status: r };
      state.write(STATE_KEY, r);
    },
    filter(state, p, node) {
      const claims = state.read<PodClaims>(STATE_KEY);
      if (!claims) return SUCCESS;
      for (const c of claims.bound) {
        const pv = l.volumes.get(undefined, c.spec!.volumeName!);
        if (!pv) return unresolvable(ERR_REASON_PV_NOT_EXIST);
        if (!volumeNodeAffinityMatches(pv, node)) return unresolvable(ERR_REASON_NODE_CONFLICT);
      }
      const decision: NodeDecision = { static: [], provision: [] };
      const chosen = new Set<string>([...assumed.keys()]);
      for (const { claim, cls } of claims.toBind) {
        const sel = claim.metadata.annotations?.[ANN_SELECTED_NODE];
        if (sel !== undefined && sel !== node.name) return unresolvable(ERR_REASON_BIND_CONFLICT);
        const pv = sel === undefined ? findMatchingVolume(claim, l.volumes.list(), { node, exclude: chosen }) : undefined;
        if (pv) {
          chosen.add(pv.metadata.name ?? '');
          decision.static.push({ claim, pv });
          continue;
        }
        const why = provisionable(claim, cls, node);
        if (why) return unresolvable(why);
        decision.provision.push(claim);
      }
      const decisions = state.read<Map<string, NodeDecision>>(DECISION_KEY) ?? new Map<string, NodeDecision>();
      decisions.set(node.name, decision);
      state.write(DECISION_KEY, decisions);
      return SUCCESS;
    },
    reserve(state, p, nodeName) {
      const d = state.read<Map<string, NodeDecision>>(DECISION_KEY)?.get(nodeName);
      for (const s of d?.static ?? []) {
        const owner = assumed.get(s.pv.metadata.name ?? '');
        if (owner && owner !== p.key) return unschedulable(ERR_REASON_BIND_CONFLICT);
      }
      for (const s of d?.static ?? []) assumed.set(s.pv.metadata.name ?? '', p.key);
    },
    unreserve(state, p, nodeName) {
      for (const s of state.read<Map<string, NodeDecision>>(DECISION_KEY)?.get(nodeName)?.static ?? []) if (assumed.get(s.pv.metadata.name ?? '') === p.key) assumed.delete(s.pv.metadata.name ?? '');
    },
    async preBind(state, p, nodeName) {
      const claims = state.read<PodClaims>(STATE_KEY);
      const d = state.read<Map<string, NodeDecision>>(DECISION_KEY)?.get(nodeName);
      if (!claims || !d || (d.static.length === 0 && d.provision.length === 0)) return;
      const provisioned = new Map<PersistentVolumeClaim, number>();
      try {
        // BindPodVolumes: pre-bind the static volumes, ask for provisioning on this node
        for (const { claim, pv } of d.static) {
          const cur = (await kernel.get(PVS, undefined, pv.metadata.name ?? '')) as PersistentVolume;
          if (cur.spec?.claimRef?.uid === claim.metadata.uid) continue;
          if (cur.spec?.claimRef) return { code: 'Error', reasons: [`volume "${pv.metadata.name}" already bound to a different claim`] };
          const claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid };
          await kernel.update(PVS, { ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' } }, spec: { ...cur.spec, claimRef } });
        }
        for (const claim of d.provision) {
          let cur = (await kernel.get(PVCS, claim.metadata.namespace, claim.metadata.name ?? '')) as PersistentVolumeClaim;
          if (cur.metadata.annotations?.[ANN_SELECTED_NODE] !== nodeName)
            cur = (await kernel.update(PVCS, { ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [ANN_SELECTED_NODE]: nodeName } } })) as PersistentVolumeClaim;
          provisioned.set(claim, Number(cur.metadata.resourceVersion));
        }
      } catch (e) {
        return { code: 'Error', reasons: [isNotFound(e) ? String((e as Error).message) : `binding volumes: ${(e as Error).message ?? e}`] };
      }
      return waitBound([...d.static.map((s) => s.claim), ...d.provision], provisioned, nodeName, Date.now() + timeoutMs);
    },
    postBind(state, p, nodeName) {
      for (const s of state.read<Map<string, NodeDecision>>(DECISION_KEY)?.get(nodeName)?.static ?? []) if (assumed.get(s.pv.metadata.name ?? '') === p.key) assumed.delete(s.pv.metadata.name ?? '');
    },
  };
}
