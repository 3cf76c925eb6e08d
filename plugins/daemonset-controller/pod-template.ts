// The pods a DaemonSet creates, as kube's daemon util: the template with the daemon tolerations, the
// labels controller-revision-hash and pod-template-generation, and a required node affinity that
// pins it to one node (matchFields metadata.name In [node]) for the scheduler to bind.
import type { Affinity, DaemonSet, OwnerReference, Pod, PodTemplateSpec } from '@skiff/api';
import { withDaemonTolerations } from './predicates.ts';

/** apps.DefaultDaemonSetUniqueLabelKey: the hash of the ControllerRevision a pod was made from. */
export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** extensions.DaemonSetTemplateGenerationKey: the DaemonSet's template generation a pod was made from. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** appsv1.DeprecatedTemplateGeneration: the DaemonSet's template generation, kept by the API server. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** util.GetTemplateGeneration: the annotation as a number; undefined when absent; throws when malformed. */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const v = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (v === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** Like templateGeneration, but undefined when malformed (the controller then goes by the hash). */
export function templateGenerationOrUndefined(ds: DaemonSet): number | undefined {
  try {
    return templateGeneration(ds);
  } catch {
    return undefined;
  }
}

/** util.IsPodUpdated: made from the current revision (hash), or from the current template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  const templateMatches = generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation);
  const hashMatches = hash.length > 0 && labels[REVISION_HASH_LABEL] === hash;
  return hashMatches || templateMatches;
}

/** util.CreatePodTemplate: a copy with the daemon tolerations and the generation and hash labels. */
export function createPodTemplate(template: PodTemplateSpec, generation: number | undefined, hash: string): PodTemplateSpec {
  const t = structuredClone(template);
  t.spec ??= { containers: [] };
  t.spec.tolerations = withDaemonTolerations(t.spec);
  t.metadata ??= {};
  const labels = (t.metadata.labels ??= {});
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = String(generation);
  if (hash) labels[REVISION_HASH_LABEL] = hash;
  return t;
}

/**
 * util.ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes the one term
 * matchFields metadata.name In [nodeName] (the controller checked the rest already); preferred terms and
 * pod (anti-)affinity stay. Returns a new Affinity.
 */
export function nodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: [nodeName] }] }] };
  const out: Affinity = { ...(affinity ?? {}) };
  out.nodeAffinity = { ...(out.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required };
  return out;
}

/**
 * util.GetTargetNodeName: the node a daemon pod is for: spec.nodeName once bound, else the one value of
 * its required matchFields metadata.name In. Undefined when neither says (such pods are ignored).
 */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const r of term.matchFields ?? []) {
      if (r.key === 'metadata.name' && r.operator === 'In') return r.values?.length === 1 ? r.values[0] : undefined;
    }
  }
  return undefined;
}

/**
 * controller.GetPodFromTemplate, for one node: generateName "<ds>-", the template's labels,
 * annotations and finalizers, the controller reference, and the spec pinned to the node.
 */
export function podForNode(template: PodTemplateSpec, ds: DaemonSet, controllerRef: OwnerReference, nodeName: string): Pod {
  const meta = template.metadata ?? {};
  const spec = structuredClone(template.spec ?? { containers: [] });
  spec.affinity = nodeNameAffinity(spec.affinity, nodeName);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      labels: { ...(meta.labels ?? {}) },
      ownerReferences: [controllerRef],
    },
    spec,
  };
  if (meta.annotations) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}
