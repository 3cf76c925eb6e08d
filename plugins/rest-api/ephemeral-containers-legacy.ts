// kubectl 1.20 and 1.21's `kubectl debug`: Kubernetes 1.16–1.21 served pods/<name>/ephemeralcontainers
// as the kind `EphemeralContainers` (`{metadata, ephemeralContainers: [...]}`), so those kubectls GET
// the subresource, append their container to the list they found and PUT an EphemeralContainers
// back. Kubernetes 1.22 on, and Skiff, serve a Pod there; this turns the old body into the Pod
// update it means. In the Pod the GET answered the old client finds no top-level list, so it sends
// its new container alone: the pod's ephemeral containers are kept (they can never be removed),
// the ones named anew are added, and one sent changed goes to the pod's validation, which refuses
// it as Kubernetes does.
import { errors, type KObject } from '@skiff/kernel';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An `EphemeralContainers` body (core v1), as the old kubectls send it. */
export function isLegacyEphemeralContainers(body: unknown): body is Obj {
  return isObj(body) && body.kind === 'EphemeralContainers' && (body.apiVersion === undefined || body.apiVersion === 'v1');
}

/** The Pod update an `EphemeralContainers` body means, against the pod as it is. */
export function podOfLegacyEphemeralContainers(pod: KObject, body: Obj): KObject {
  const sent = body.ephemeralContainers ?? [];
  if (!Array.isArray(sent) || !sent.every(isObj)) throw errors.badRequest('ephemeralContainers: must be a list of containers');
  const spec = isObj(pod.spec) ? pod.spec : {};
  const have = Array.isArray(spec.ephemeralContainers) ? (spec.ephemeralContainers as Obj[]) : [];
  const byName = new Map(have.map((c) => [c.name, c]));
  for (const c of sent) byName.set(c.name, c);
  const meta = isObj(body.metadata) ? body.metadata : {};
  return {
    ...pod,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...pod.metadata, ...(typeof meta.resourceVersion === 'string' && meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}) },
    spec: { ...spec, ephemeralContainers: [...byName.values()] },
  };
}
