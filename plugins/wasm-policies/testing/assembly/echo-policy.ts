// Test policy for the host's lowering and lifting (direct-abi.test.ts): every field of the pod and
// of the node's usage shows up in its answers, so two ways of calling it can be compared exactly.
// Filter: rejects nodes whose requested cpu is odd, with a reason spelling out what the guest saw
// (unresolvable when the pod count is odd too). Score: a checksum of the same, 0..100.
import { Label, Node, Pod, Resources, SchedulerPolicy, Toleration, register } from "skiff";

function labels(ls: Label[]): string {
  let s = "";
  for (let i = 0; i < ls.length; i++) s += ls[i].key + "=" + ls[i].value + ";";
  return s;
}

function tolerations(ts: Toleration[]): string {
  let s = "";
  for (let i = 0; i < ts.length; i++) s += ts[i].key + "|" + ts[i].operator + "|" + ts[i].value + "|" + ts[i].effect + ";";
  return s;
}

function resources(r: Resources): string {
  let s = r.milliCpu.toString() + "," + r.memory.toString() + "," + r.ephemeralStorage.toString() + "," + r.pods.toString();
  for (let i = 0; i < r.extended.length; i++) s += "," + r.extended[i].name + ":" + r.extended[i].value.toString();
  return s;
}

function podText(p: Pod): string {
  return p.namespace + "/" + p.name + "/" + p.uid + " [" + labels(p.labels) + "] req " + resources(p.requests) + " prio " + p.priority.toString() +
    " sched " + p.schedulerName + " sel [" + labels(p.nodeSelector) + "] tol [" + tolerations(p.tolerations) + "]";
}

function checksum(s: string): i32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < s.length; i++) h = (h ^ <u32>s.charCodeAt(i)) * 16777619;
  return <i32>(h % 101);
}

class Echo extends SchedulerPolicy {
  constructor() {
    super();
    this.implementsFilter = true;
    this.implementsScore = true;
  }

  filter(pod: Pod, node: Node): string | null {
    if ((node.requested.milliCpu & 1) == 0) return null;
    const text = node.name + " used " + resources(node.requested) + " pods " + node.podCount.toString() + " for " + podText(pod);
    return (node.podCount & 1) == 1 ? this.unresolvable(text) : text;
  }

  score(pod: Pod, node: Node): i32 {
    return checksum(podText(pod) + "@" + node.name + resources(node.requested) + node.podCount.toString());
  }
}

register(new Echo());
