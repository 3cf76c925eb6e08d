// Topology hints, as kube's endpointslice controller sets them (pkg/controller/endpointslice/
// topologycache): for a Service annotated `service.kubernetes.io/topology-mode: Auto` (or the older
// `service.kubernetes.io/topology-aware-hints: Auto`), each ready endpoint gets a hint naming the zone
// that should use it. Zones get endpoints in proportion to the allocatable CPU of their ready Nodes
// (control-plane Nodes left out), within an overload threshold of 20%; an endpoint hints its own
// zone first and endpoints move from zones with too many to zones with too few. No hints at all
// (and an Event saying why) when a Node lacks a zone or CPU, fewer than two zones have ready Nodes,
// there are fewer ready endpoints than zones, an endpoint has no zone, or the minimums don't fit.
import { parseMilliQuantity, type Endpoint, type EndpointSlice, type Node, type Service } from '@skiff/api';
import { LABEL_ZONE } from './desired.ts';
import type { SlicePlan } from './reconciler.ts';

export const ANNOTATION_TOPOLOGY_MODE = 'service.kubernetes.io/topology-mode';
export const ANNOTATION_TOPOLOGY_AWARE_HINTS = 'service.kubernetes.io/topology-aware-hints';
const OVERLOAD_THRESHOLD = 0.2;

// the messages kube's Events carry
export const INSUFFICIENT_NODE_INFO = 'Insufficient Node information: allocatable CPU or zone not specified on one or more nodes';
export const NODES_READY_IN_ONE_ZONE_ONLY = 'Nodes only ready in one zone';
export const INSUFFICIENT_NUMBER_OF_ENDPOINTS = 'Insufficient number of endpoints';
export const MIN_ALLOCATION_EXCEEDS_OVERLOAD = 'Unable to allocate minimum required endpoints to each zone without exceeding overload threshold';
export const NO_ZONE_SPECIFIED = 'One or more endpoints do not have a Zone specified';
export const NO_ALLOCATED_HINTS = 'No hints allocated for zones';
export const HINTS_ENABLED = 'Topology Aware Hints has been enabled';

/** hintsEnabled: the older annotation wins when both are set. */
export function hintsEnabled(svc: Service): boolean {
  const a = svc.metadata.annotations ?? {};
  const v = a[ANNOTATION_TOPOLOGY_AWARE_HINTS] ?? a[ANNOTATION_TOPOLOGY_MODE];
  return v === 'Auto' || v === 'auto';
}

export interface HintEvent {
  type: 'Normal' | 'Warning';
  reason: 'TopologyAwareHintsEnabled' | 'TopologyAwareHintsDisabled';
  message: string;
}

interface Allocation {
  minimum: number;
  maximum: number;
  desired: number;
}

const isReady = (ep: Endpoint) => ep.conditions?.ready !== false; // EndpointReady: unset counts as ready

const nodeReady = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
const excluded = (n: Node) => {
  const l = n.metadata.labels ?? {};
  return 'node-role.kubernetes.io/control-plane' in l || 'node-role.kubernetes.io/master' in l;
};

/** The cluster's CPU share per zone, and which Services have hints (for the "enabled" Event). */
export class TopologyCache {
  /** zone -> share of the cluster's allocatable CPU; undefined when node information is insufficient */
  ratios?: Map<string, number>;
  private readonly populated = new Set<string>();

  /** SetNodes; returns whether the ratios changed. */
  setNodes(nodes: Node[]): boolean {
    const byZone = new Map<string, number>();
    let total = 0;
    let sufficient = true;
    for (const n of nodes) {
      if (excluded(n) || !nodeReady(n)) continue;
      const zone = n.metadata.labels?.[LABEL_ZONE];
      const cpu = milliCPU(n);
      if (!zone || cpu <= 0) {
        sufficient = false;
        break;
      }
      total += cpu;
      byZone.set(zone, (byZone.get(zone) ?? 0) + cpu);
    }
    const next = !sufficient || total === 0 || byZone.size < 2 ? undefined : new Map([...byZone].map(([z, c]) => [z, c / total] as const));
    const same = next === this.ratios || (!!next && !!this.ratios && next.size === this.ratios.size && [...next].every(([z, r]) => this.ratios!.get(z) === r));
    this.ratios = next;
    return !same;
  }

  forget(serviceKey: string): void {
    this.populated.delete(serviceKey);
  }

  /** getAllocations: per-zone minimum, maximum and desired endpoint counts, or why there are none. */
  allocations(numEndpoints: number): Map<string, Allocation> | string {
    const ratios = this.ratios;
    if (!ratios) return INSUFFICIENT_NODE_INFO;
    if (ratios.size < 2) return NODES_READY_IN_ONE_ZONE_ONLY;
    if (ratios.size > numEndpoints) return `${INSUFFICIENT_NUMBER_OF_ENDPOINTS} (${numEndpoints} endpoints, ${ratios.size} zones)`;
    const out = new Map<string, Allocation>();
    let remaining = numEndpoints;
    let minTotal = 0;
    for (const [zone, ratio] of ratios) {
      const desired = ratio * numEndpoints;
      const minimum = Math.ceil(desired * (1 / (1 + OVERLOAD_THRESHOLD)));
      out.set(zone, { minimum, maximum: 0, desired: Math.max(desired, minimum) });
      minTotal += minimum;
      remaining -= minimum;
      if (remaining < 0) return `${MIN_ALLOCATION_EXCEEDS_OVERLOAD} (${numEndpoints} endpoints, ${ratios.size} zones)`;
    }
    for (const a of out.values()) a.maximum = a.minimum + numEndpoints - minTotal;
    return out;
  }

  /**
   * AddHints / RemoveHints over one address type's plan (in place): slices to create and update get
   * hints; unchanged slices whose hints are no longer right move to update. Returns the Events.
   */
  apply(svcKey: string, svc: Service, type: string, plan: SlicePlan): HintEvent[] {
    if (!hintsEnabled(svc)) {
      this.populated.delete(svcKey);
      removeHints(plan);
      return [];
    }
    const disable = (message: string): HintEvent[] => {
      this.populated.delete(svcKey);
      removeHints(plan);
      return [{ type: 'Warning', reason: 'TopologyAwareHintsDisabled', message: `${message}, addressType: ${type}` }];
    };
    const all = [...plan.create, ...plan.update, ...plan.unchanged];
    const total = all.reduce((n, s) => n + s.endpoints.filter(isReady).length, 0);
    const allocations = this.allocations(total);
    if (typeof allocations === 'string') return disable(allocations);
    // unchanged slices keep their hints when they still fit; the others are recomputed
    const allocated = new Map<string, number>();
    const keep: EndpointSlice[] = [];
    for (const s of plan.unchanged) {
      const counts = hintsByZone(s, allocated, allocations);
      if (!counts) plan.update.push(structuredClone(s));
      else {
        keep.push(s);
        for (const [z, n] of counts) allocated.set(z, (allocated.get(z) ?? 0) + n);
      }
    }
    plan.unchanged = keep;
    const writable = [...plan.create, ...plan.update];
    // step 1: every ready endpoint hints its own zone
    for (const s of writable)
      for (const ep of s.endpoints) {
        if (!isReady(ep)) {
          delete ep.hints;
          continue;
        }
        if (!ep.zone) return disable(NO_ZONE_SPECIFIED);
        allocated.set(ep.zone, (allocated.get(ep.zone) ?? 0) + 1);
        ep.hints = { forZones: [{ name: ep.zone }] };
      }
    // steps 2 and 3: move hints from zones above their share to zones below it
    const [giving, receiving] = givingAndReceiving(allocations, allocated);
    for (const [zone, diff] of redistribute(writable, giving, receiving)) allocated.set(zone, (allocated.get(zone) ?? 0) + diff);
    if (allocated.size === 0) return disable(NO_ALLOCATED_HINTS);
    const was = this.populated.has(svcKey);
    this.populated.add(svcKey);
    return was ? [] : [{ type: 'Normal', reason: 'TopologyAwareHintsEnabled', message: `${HINTS_ENABLED}, addressType: ${type}` }];
  }
}

function milliCPU(n: Node): number {
  const v = n.status?.allocatable?.cpu;
  if (v === undefined) return 0;
  try {
    return parseMilliQuantity(v);
  } catch {
    return 0;
  }
}

/** RemoveHintsFromSlices (in place): no hints on slices written; unchanged slices with hints move to update. */
export function removeHints(plan: SlicePlan): void {
  for (const s of [...plan.create, ...plan.update]) for (const ep of s.endpoints) delete ep.hints;
  const keep: EndpointSlice[] = [];
  for (const s of plan.unchanged) {
    if (s.endpoints.some((ep) => ep.hints)) {
      const c = structuredClone(s);
      for (const ep of c.endpoints) delete ep.hints;
      plan.update.push(c);
    } else keep.push(s);
  }
  plan.unchanged = keep;
}

/** getHintsByZone: hints per zone of an unchanged slice, or undefined when they must be recomputed. */
function hintsByZone(s: EndpointSlice, allocated: Map<string, number>, allocations: Map<string, Allocation>): Map<string, number> | undefined {
  const counts = new Map<string, number>();
  for (const ep of s.endpoints) {
    if (!isReady(ep)) {
      if (ep.hints) return undefined;
      continue;
    }
    const zone = ep.hints?.forZones?.[0]?.name;
    if (!zone || !allocations.has(zone)) return undefined;
    counts.set(zone, (counts.get(zone) ?? 0) + 1);
  }
  for (const [zone, n] of counts) if (n + (allocated.get(zone) ?? 0) > allocations.get(zone)!.maximum) return undefined;
  return counts;
}

/** getGivingAndReceivingZones: whole endpoints each zone should give away or receive. */
function givingAndReceiving(allocations: Map<string, Allocation>, allocated: Map<string, number>): [Map<string, number>, Map<string, number>] {
  const givingWant = new Map<string, number>();
  const receivingWant = new Map<string, number>();
  for (const [zone, a] of allocations) {
    const have = allocated.get(zone) ?? 0;
    if (have > a.desired) givingWant.set(zone, have - a.desired);
    else if (have < a.desired) receivingWant.set(zone, a.desired - have);
  }
  const giving = new Map<string, number>();
  const receiving = new Map<string, number>();
  for (;;) {
    const [gz, g] = most(givingWant);
    const [rz, r] = most(receivingWant);
    if (!gz || !rz || (g < 1 && r < 1) || g < 0.5 || r < 0.5) break;
    giving.set(gz, (giving.get(gz) ?? 0) + 1);
    givingWant.set(gz, g - 1);
    receiving.set(rz, (receiving.get(rz) ?? 0) + 1);
    receivingWant.set(rz, r - 1);
  }
  return [giving, receiving];
}

/** The zone with the greatest value (ties: the first in name order, so results are stable). */
function most(m: Map<string, number>): [string, number] {
  let zone = '';
  let num = 0;
  for (const z of [...m.keys()].sort()) if (m.get(z)! > num) [zone, num] = [z, m.get(z)!];
  return [zone, num];
}

/** redistributeHints: re-point hints of endpoints in giving zones at receiving zones. */
function redistribute(slices: EndpointSlice[], giving: Map<string, number>, receiving: Map<string, number>): Map<string, number> {
  const diff = new Map<string, number>();
  for (const s of slices)
    for (const ep of s.endpoints) {
      if (giving.size === 0 || receiving.size === 0) return diff;
      if (!ep.zone || !ep.hints) continue;
      const give = giving.get(ep.zone);
      if (!give) continue;
      const rz = [...receiving.keys()].sort()[0];
      ep.hints = { forZones: [{ name: rz }] };
      give === 1 ? giving.delete(ep.zone) : giving.set(ep.zone, give - 1);
      const r = receiving.get(rz)!;
      r === 1 ? receiving.delete(rz) : receiving.set(rz, r - 1);
      diff.set(rz, (diff.get(rz) ?? 0) + 1);
      diff.set(ep.zone, (diff.get(ep.zone) ?? 0) - 1);
    }
  return diff;
}
