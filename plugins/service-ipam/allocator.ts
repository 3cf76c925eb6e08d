// Mutating admission for Services, as kube-apiserver's Service REST storage allocates
// (pkg/registry/core/service/storage/alloc.go): a cluster IP from the service CIDR and node ports for
// NodePort and LoadBalancer Services on create, what an update adds, kube's patching of values an
// update leaves out, and on delete the mark that frees them as soon as the Service is gone.
import { isIP } from 'node:net';
import { errors, type AdmissionRequest, type KObject, type StatusCause } from '@skiff/kernel';
import type { Claims, Owner } from './claims.ts';
import { clusterIPsOf, nodePortsOf } from './kinds.ts';
import { candidates, type NodePortRange, type ServiceIPRange } from './ranges.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const needsNodePorts = (type: unknown) => type === 'NodePort' || type === 'LoadBalancer';
const SERVICE = { group: '', resource: 'services', kind: 'Service' };

const invalid = (field: string, value: unknown, detail: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  field,
});
const reject = (name: string, c: StatusCause) => errors.invalid(SERVICE, name, [c]);

export interface KnownAllocations {
  /** values this process knows are allocated (an informer's view; claims decide) */
  ip(n: number): boolean;
  port(n: number): boolean;
}

/** What one admission claimed, given back if the request fails before it ends. */
class Claimed {
  readonly ips: number[] = [];
  readonly ports: number[] = [];
}

export class ServiceAllocator {
  /** values being claimed by requests in flight in this process: random picks skip them */
  private readonly pending = { ip: new Set<number>(), port: new Set<number>() };

  constructor(
    private readonly ips: ServiceIPRange,
    private readonly ports: NodePortRange,
    private readonly ipClaims: Claims,
    private readonly portClaims: Claims,
    private readonly known: KnownAllocations,
  ) {}

  async admit(req: AdmissionRequest): Promise<KObject | void> {
    if (req.subresource) return;
    if (req.operation === 'DELETE') return this.onDelete(req.object, req.dryRun);
    const svc = req.object;
    if (!isObj(svc.spec)) return;
    const spec = svc.spec;
    const type = spec.type ?? 'ClusterIP';
    if (!TYPES.includes(type as string)) return; // validation answers
    const old = req.operation === 'UPDATE' ? req.oldObject : undefined;
    if (old && svc.metadata.deletionTimestamp && (svc.metadata.finalizers ?? []).length === 0) {
      // this update ends a graceful deletion: the Service goes with it
      await this.onDelete(old, req.dryRun);
      return;
    }
    const oldSpec = old && isObj(old.spec) ? old.spec : undefined;
    if (oldSpec) patchAllocatedValues(spec, oldSpec, type);
    const owner: Owner = { namespace: svc.metadata.namespace ?? '', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '' };
    const claimed = new Claimed();
    try {
      if (type !== 'ExternalName') {
        setIPFamilies(spec, oldSpec);
        const had = old ? clusterIPsOf(old) : [];
        if (!old || had.length === 0) await this.allocClusterIP(spec, owner, req.dryRun, claimed);
      }
      if (needsNodePorts(type)) await this.allocNodePorts(spec, oldSpec, owner, req.dryRun, claimed);
    } catch (e) {
      if (!req.dryRun) await this.giveBack(claimed, owner);
      throw e;
    }
    return svc;
  }

  private async giveBack(c: Claimed, owner: Owner): Promise<void> {
    await Promise.allSettled([...c.ips.map((n) => this.ipClaims.unclaim(n, owner)), ...c.ports.map((n) => this.portClaims.unclaim(n, owner))]);
  }

  /** The Service's DELETE passed admission: mark what it holds released (see claims.ts). */
  private async onDelete(svc: KObject, dryRun: boolean): Promise<void> {
    if (dryRun) return;
    const owner: Owner = { namespace: svc.metadata.namespace ?? '', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '' };
    const ips = clusterIPsOf(svc).map((ip) => this.ips.offsetOf(ip)).filter((n): n is number => n !== undefined);
    // best effort: a mark that cannot be written never fails the delete (the repair loop sees the
    // Service go and frees its values then)
    await Promise.allSettled([...ips.map((n) => this.ipClaims.markReleased(n, owner)), ...nodePortsOf(svc).map((n) => this.portClaims.markReleased(n, owner))]);
  }

  private async allocClusterIP(spec: Obj, owner: Owner, dryRun: boolean, claimed: Claimed): Promise<void> {
    const ipsGiven = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : undefined;
    const requested = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : typeof ipsGiven?.[0] === 'string' ? (ipsGiven[0] as string) : '';
    if (requested === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      return;
    }
    let ip: string;
    if (requested) {
      if (!isIP(requested)) return; // validation answers: must be a valid IP address
      const clusterIPs = ipsGiven ?? [requested];
      const n = this.ips.offsetOf(requested);
      if (n === undefined) {
        throw reject(owner.name, invalid('spec.clusterIPs', clusterIPs, `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.ips}`));
      }
      if (!(await this.ipClaims.claim(n, owner, dryRun))) {
        throw reject(owner.name, invalid('spec.clusterIPs', clusterIPs, `failed to allocate IP ${requested}: provided IP is already allocated`));
      }
      if (!dryRun) claimed.ips.push(n);
      ip = requested;
    } else {
      const n = await this.next(this.ips, this.ipClaims, this.pending.ip, (v) => this.known.ip(v), owner, dryRun);
      if (n === undefined) throw errors.internal('failed to allocate a serviceIP: range is full');
      if (!dryRun) claimed.ips.push(n);
      ip = this.ips.format(n);
    }
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  }

  /** A random free value: candidates in kube's order, each claimed until one sticks. */
  private async next(
    range: ServiceIPRange | NodePortRange,
    claims: Claims,
    pending: Set<number>,
    known: (n: number) => boolean,
    owner: Owner,
    dryRun: boolean,
  ): Promise<number | undefined> {
    for (const n of candidates(range, (v) => known(v) || pending.has(v))) {
      pending.add(n);
      try {
        if (await claims.claim(n, owner, dryRun)) return n;
      } finally {
        pending.delete(n);
      }
    }
    return undefined;
  }

  /**
   * kube's initNodePorts / updateNodePorts: every port of a NodePort or LoadBalancer Service gets a
   * node port; ports with the same port number (TCP and UDP of one service port) share one; an
   * explicit one is claimed unless the old Service held it already.
   */
  private async allocNodePorts(spec: Obj, oldSpec: Obj | undefined, owner: Owner, dryRun: boolean, claimed: Claimed): Promise<void> {
    const ports = Array.isArray(spec.ports) ? spec.ports : [];
    const allocateMissing = !(spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === false);
    const held = new Set(oldSpec && needsNodePorts(oldSpec.type) ? nodePortsOf({ apiVersion: 'v1', kind: 'Service', metadata: {}, spec: oldSpec }) : []);
    const byServicePort = new Map<unknown, number>();
    const mine = new Set<number>();
    const take = async (np: number, i: number) => {
      const field = `spec.ports[${i}].nodePort`;
      if (!this.ports.contains(np)) throw reject(owner.name, invalid(field, np, `provided port is not in the valid range. The range of valid ports is ${this.ports}`));
      if (held.has(np) || mine.has(np)) return;
      if (!(await this.portClaims.claim(np, owner, dryRun))) throw reject(owner.name, invalid(field, np, 'provided port is already allocated'));
      mine.add(np);
      if (!dryRun) claimed.ports.push(np);
    };
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i];
      if (!isObj(p)) continue;
      const given = p.nodePort;
      if (given !== undefined && given !== null && given !== 0 && !(typeof given === 'number' && Number.isInteger(given))) return; // validation answers
      if (!given && !allocateMissing) continue;
      const shared = byServicePort.get(p.port);
      if (given) {
        await take(given as number, i);
        if (shared === undefined) byServicePort.set(p.port, given as number);
        continue;
      }
      if (shared !== undefined) {
        p.nodePort = shared;
        continue;
      }
      // a later port of the same number with an explicit node port: use that one for both
      const later = ports.slice(i + 1).find((q) => isObj(q) && q.port === p.port && typeof q.nodePort === 'number' && q.nodePort !== 0) as Obj | undefined;
      if (later) {
        await take(later.nodePort as number, i);
        p.nodePort = later.nodePort;
        byServicePort.set(p.port, later.nodePort as number);
        continue;
      }
      const n = await this.next(this.ports, this.portClaims, this.pending.port, (v) => this.known.port(v) || mine.has(v), owner, dryRun);
      if (n === undefined) throw errors.internal('failed to allocate a nodePort: range is full');
      mine.add(n);
      if (!dryRun) claimed.ports.push(n);
      p.nodePort = n;
      byServicePort.set(p.port, n);
    }
  }
}

/** ipFamilies / ipFamilyPolicy as kube defaults them on a single-stack IPv4 cluster. */
function setIPFamilies(spec: Obj, oldSpec: Obj | undefined): void {
  const headlessSelectorless = spec.clusterIP === 'None' && (!isObj(spec.selector) || Object.keys(spec.selector).length === 0);
  if (spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null) {
    if (oldSpec && typeof oldSpec.ipFamilyPolicy === 'string') spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
    else spec.ipFamilyPolicy = headlessSelectorless ? 'RequireDualStack' : 'SingleStack';
  }
  if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) {
    if (oldSpec && Array.isArray(oldSpec.ipFamilies) && oldSpec.ipFamilies.length > 0) spec.ipFamilies = [...oldSpec.ipFamilies];
    else spec.ipFamilies = headlessSelectorless && spec.ipFamilyPolicy !== 'SingleStack' ? ['IPv4', 'IPv6'] : ['IPv4'];
  }
}

/**
 * kube's patchAllocatedValues and dropTypeDependentFields: an update that leaves out the cluster IP
 * or node ports keeps the old ones (a `kubectl replace` of a manifest without them); one that turns
 * the Service into an ExternalName drops its IP, one that leaves NodePort drops its node ports.
 */
export function patchAllocatedValues(spec: Obj, oldSpec: Obj, type: unknown): void {
  const oldType = oldSpec.type ?? 'ClusterIP';
  const unset = (v: unknown) => v === undefined || v === null || v === '';
  if (type !== 'ExternalName' && oldType !== 'ExternalName') {
    if (unset(spec.clusterIP) && !unset(oldSpec.clusterIP)) spec.clusterIP = oldSpec.clusterIP;
    if ((spec.clusterIPs === undefined || (Array.isArray(spec.clusterIPs) && spec.clusterIPs.length === 0)) && Array.isArray(oldSpec.clusterIPs)) spec.clusterIPs = [...oldSpec.clusterIPs];
  }
  if (type === 'ExternalName' && oldType !== 'ExternalName') {
    const same = (f: string) => JSON.stringify(spec[f] ?? null) === JSON.stringify(oldSpec[f] ?? null);
    for (const f of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) if (same(f)) delete spec[f];
  }
  const ports = Array.isArray(spec.ports) ? spec.ports.filter(isObj) : [];
  const oldPorts = Array.isArray(oldSpec.ports) ? oldSpec.ports.filter(isObj) : [];
  if (needsNodePorts(oldType) && needsNodePorts(type)) {
    const used = new Set(ports.map((p) => p.nodePort).filter((n) => typeof n === 'number' && n !== 0));
    const byName = new Map(oldPorts.map((p) => [p.name ?? '', p.nodePort]));
    for (const p of ports) {
      if (p.nodePort !== undefined && p.nodePort !== null && p.nodePort !== 0) continue;
      const v = byName.get(p.name ?? '');
      if (typeof v === 'number' && v !== 0 && !used.has(v)) {
        p.nodePort = v;
        used.add(v);
      }
    }
  }
  if (needsNodePorts(oldType) && !needsNodePorts(type)) {
    // the node ports go with the type, when the update left them as they were
    const same = ports.length === oldPorts.length && ports.every((p, i) => (p.nodePort ?? 0) === (oldPorts[i]!.nodePort ?? 0));
    if (same) for (const p of ports) delete p.nodePort;
  }
}

