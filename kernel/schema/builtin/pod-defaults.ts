// Defaults Kubernetes fills into PodSpecs (SetDefaults_PodSpec, SetDefaults_Container, SetDefaults_Pod) and QoS.
import { asArr, asObj, ensureObj, isObj, setDefault, setStringDefault, type Obj } from '../causes.ts';
import { podQOSClass as qosOf, type PodSpec } from '@skiff/api';

/** The tag of an image reference ("latest" when neither tag nor digest is given). */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) return ref.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

export function defaultContainer(c: Obj, hostNetwork: boolean): void {
  if (typeof c.image === 'string') setStringDefault(c, 'imagePullPolicy', imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent');
  setStringDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setStringDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  for (const p of asArr(c.ports)) {
    if (!isObj(p)) continue;
    setStringDefault(p, 'protocol', 'TCP');
    if (hostNetwork && (p.hostPort === undefined || p.hostPort === 0) && typeof p.containerPort === 'number') p.hostPort = p.containerPort;
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const pr = asObj(c[probe]);
    if (!pr) continue;
    setDefault(pr, 'timeoutSeconds', 1);
    setDefault(pr, 'periodSeconds', 10);
    setDefault(pr, 'successThreshold', 1);
    setDefault(pr, 'failureThreshold', 3);
    const hg = asObj(pr.httpGet);
    if (hg) {
      setStringDefault(hg, 'path', '/');
      setStringDefault(hg, 'scheme', 'HTTP');
    }
  }
}

/** SetDefaults_PodSpec plus the container and volume defaults; tolerant of garbage. */
export function defaultPodSpec(spec: unknown): void {
  if (!isObj(spec)) return;
  setStringDefault(spec, 'restartPolicy', 'Always');
  setStringDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'securityContext', {});
  setStringDefault(spec, 'schedulerName', 'default-scheduler');
  const hostNetwork = spec.hostNetwork === true;
  for (const list of [spec.containers, spec.initContainers]) for (const c of asArr(list)) if (isObj(c)) defaultContainer(c, hostNetwork);
  for (const v of asArr(spec.volumes)) {
    if (!isObj(v)) continue;
    for (const src of ['secret', 'configMap', 'projected', 'downwardAPI']) {
      const s = asObj(v[src]);
      if (s) setDefault(s, 'defaultMode', 420);
    }
  }
}

/** Pod-only defaults: requests from limits, enableServiceLinks, priority, status.phase and qosClass. */
export function defaultPod(obj: Obj): void {
  const spec = asObj(obj.spec);
  if (!spec) return;
  for (const list of [spec.containers, spec.initContainers]) {
    for (const c of asArr(list)) {
      const res = isObj(c) ? asObj(c.resources) : undefined;
      const limits = res ? asObj(res.limits) : undefined;
      if (!res || !limits) continue;
      const requests = ensureObj(res, 'requests');
      if (!requests) continue;
      for (const [k, v] of Object.entries(limits)) setDefault(requests, k, v);
    }
  }
  defaultPodSpec(spec);
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  const status = ensureObj(obj, 'status');
  if (!status) return;
  setDefault(status, 'phase', 'Pending');
  setDefault(status, 'qosClass', podQOSClass(spec));
}

/** @skiff/api's podQOSClass on a spec not validated yet. */
export const podQOSClass = (spec: unknown) => qosOf(spec as PodSpec);
