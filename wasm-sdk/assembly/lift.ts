// Lifting the WIT records from guest memory. Offsets follow the canonical ABI layout rules (fields
// in order, each aligned to its own alignment; s64 aligns to 8, strings and lists are 8-byte
// (ptr, len) pairs aligned to 4; a variant's payload follows its u8 discriminant at the payload's
// alignment). Sizes and offsets are written out below, per record.
import { listLen, listPtr, loadString } from "./abi";
import {
  AdmissionRequest, Label, NO_LABELS, NO_QUANTITIES, NO_TAINTS, NO_TOLERATIONS, Node, Operation, Pod, Quantity, Resources, Taint,
  TaintEffect, Toleration,
} from "./types";

// label { key: string @0, value: string @8 }: size 16, align 4
const LABEL_SIZE: usize = 16;
// quantity { name: string @0, value: s64 @8 }: size 16, align 8
const QUANTITY_SIZE: usize = 16;
// taint { key @0, value @8, effect: enum u8 @16 }: size 20, align 4
const TAINT_SIZE: usize = 20;
// toleration { key @0, operator @8, value @16, effect @24 }: size 32, align 4
const TOLERATION_SIZE: usize = 32;
// node-update { slot: u32 @0, node: option<node> @8 (discriminant u8 @8, node @16) }: size 136, align 8
export const NODE_UPDATE_SIZE: usize = 136;
// node-usage { slot: u32 @0, requested: resources @8, pod-count: u32 @48 }: size 56, align 8
export const NODE_USAGE_SIZE: usize = 56;

export function liftLabels(at: usize): Label[] {
  const n = listLen(at);
  if (n == 0) return NO_LABELS;
  const base = listPtr(at);
  const out = new Array<Label>(n);
  for (let i = 0; i < n; i++) {
    const p = base + <usize>i * LABEL_SIZE;
    unchecked((out[i] = new Label(loadString(p), loadString(p + 8))));
  }
  return out;
}

// resources { milli-cpu s64 @0, memory s64 @8, ephemeral-storage s64 @16, pods s64 @24,
//             extended: list<quantity> @32 }: size 40, align 8
export function liftResources(at: usize, out: Resources): Resources {
  out.milliCpu = load<i64>(at);
  out.memory = load<i64>(at, 8);
  out.ephemeralStorage = load<i64>(at, 16);
  out.pods = load<i64>(at, 24);
  const n = listLen(at + 32);
  if (n == 0) {
    out.extended = NO_QUANTITIES;
    return out;
  }
  const base = listPtr(at + 32);
  const ext = new Array<Quantity>(n);
  for (let i = 0; i < n; i++) {
    const p = base + <usize>i * QUANTITY_SIZE;
    unchecked((ext[i] = new Quantity(loadString(p), load<i64>(p, 8))));
  }
  out.extended = ext;
  return out;
}

function liftTaints(at: usize): Taint[] {
  const n = listLen(at);
  if (n == 0) return NO_TAINTS;
  const base = listPtr(at);
  const out = new Array<Taint>(n);
  for (let i = 0; i < n; i++) {
    const p = base + <usize>i * TAINT_SIZE;
    unchecked((out[i] = new Taint(loadString(p), loadString(p + 8), <TaintEffect>load<u8>(p, 16))));
  }
  return out;
}

function liftTolerations(at: usize): Toleration[] {
  const n = listLen(at);
  if (n == 0) return NO_TOLERATIONS;
  const base = listPtr(at);
  const out = new Array<Toleration>(n);
  for (let i = 0; i < n; i++) {
    const p = base + <usize>i * TOLERATION_SIZE;
    unchecked((out[i] = new Toleration(loadString(p), loadString(p + 8), loadString(p + 16), loadString(p + 24))));
  }
  return out;
}

// node { name @0, labels @8, taints @16, unschedulable: bool @24, allocatable: resources @32,
//        requested: resources @72, pod-count: u32 @112 }: size 120, align 8
export function liftNode(at: usize): Node {
  const node = new Node();
  node.name = loadString(at);
  node.labels = liftLabels(at + 8);
  node.taints = liftTaints(at + 16);
  node.unschedulable = load<u8>(at, 24) != 0;
  liftResources(at + 32, node.allocatable);
  liftResources(at + 72, node.requested);
  node.podCount = load<u32>(at, 112);
  return node;
}

// pod { namespace @0, name @8, uid @16, labels @24, requests: resources @32, priority: s32 @72,
//       scheduler-name @76, node-selector @84, tolerations @92 }: size 104, align 8
export function liftPod(at: usize): Pod {
  const pod = new Pod();
  pod.namespace = loadString(at);
  pod.name = loadString(at + 8);
  pod.uid = loadString(at + 16);
  pod.labels = liftLabels(at + 24);
  liftResources(at + 32, pod.requests);
  pod.priority = load<i32>(at, 72);
  pod.schedulerName = loadString(at + 76);
  pod.nodeSelector = liftLabels(at + 84);
  pod.tolerations = liftTolerations(at + 92);
  return pod;
}

// admission-request { operation: enum u8 @0, group @4, version @12, kind @20, namespace @28,
//   name @36, labels @44, annotations @52, object @60,
//   old-object: option<string> @68 (discriminant u8 @68, string @72), dry-run: bool @80 }: size 84, align 4
export function liftAdmissionRequest(at: usize): AdmissionRequest {
  const req = new AdmissionRequest();
  req.operation = <Operation>load<u8>(at);
  req.group = loadString(at + 4);
  req.version = loadString(at + 12);
  req.kind = loadString(at + 20);
  req.namespace = loadString(at + 28);
  req.name = loadString(at + 36);
  req.labels = liftLabels(at + 44);
  req.annotations = liftLabels(at + 52);
  req.object = loadString(at + 60);
  req.oldObject = load<u8>(at, 68) != 0 ? loadString(at + 72) : null;
  req.dryRun = load<u8>(at, 80) != 0;
  return req;
}
