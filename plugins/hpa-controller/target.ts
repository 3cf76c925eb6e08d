// The scale target: scaleTargetRef (apiVersion, kind, name) mapped to a served kind of that group
// (any version, as kube's RESTMapper does), and its `scale` subresource read and written through
// the kernel (kernel/scale.ts): GET is the parent seen as an autoscaling/v1 Scale, an update with
// subresource 'scale' writes only spec.replicas, with the Scale's resourceVersion as precondition.
import { parseApiVersion, type CrossVersionObjectReference, type ResourceRef, type Scale } from '@skiff/api';
import { toScale, type Kernel, type KindInfo } from '@skiff/kernel';

export interface ScaleTarget {
  ref: ResourceRef;
  kind: KindInfo;
  scale: Scale;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** schema.ParseGroupVersion's check. */
function groupOf(apiVersion: string | undefined): string {
  const v = apiVersion ?? '';
  if (v.split('/').length > 2) throw new Error(`unexpected GroupVersion string: ${v}`);
  return parseApiVersion(v).group;
}

export type TargetError = { stage: 'apiVersion' | 'mapping' | 'scale'; error: Error };

/** The target's current Scale, or what failed (the caller turns it into FailedGetScale). */
export async function getScale(kernel: Kernel, namespace: string, ref: CrossVersionObjectReference): Promise<ScaleTarget | TargetError> {
  let group: string;
  try {
    group = groupOf(ref.apiVersion);
  } catch (e) {
    return { stage: 'apiVersion', error: e as Error };
  }
  const mappings = kernel.kinds().filter((k) => k.group === group && k.kind === ref.kind);
  if (mappings.length === 0) return { stage: 'mapping', error: new Error(`no matches for kind "${ref.kind}" in group "${group}"`) };
  let first: Error | undefined;
  for (const kind of mappings) {
    const r = { group: kind.group, version: kind.version, resource: kind.resource };
    try {
      if (!kind.subresources.includes('scale')) throw new Error('the server could not find the requested resource');
      return { ref: r, kind, scale: toScale(kind, await kernel.get(r, namespace, ref.name)) as Scale };
    } catch (e) {
      first ??= new Error(message(e));
    }
  }
  return { stage: 'scale', error: first! };
}

/** Write the new replica count through the scale subresource (a stale Scale is a 409). */
export async function updateScale(kernel: Kernel, t: ScaleTarget, replicas: number): Promise<Scale> {
  const m = t.scale.metadata;
  const body: Scale = {
    apiVersion: t.scale.apiVersion,
    kind: 'Scale',
    metadata: { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion, uid: m.uid },
    spec: { replicas },
  };
  return (await kernel.update(t.ref, body, { subresource: 'scale' })) as Scale;
}
