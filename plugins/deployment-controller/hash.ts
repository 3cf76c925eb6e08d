// Template identity for a Deployment's ReplicaSets. The pod-template-hash itself is the client's
// computeHash (kube's controller.ComputeHash); here: kube's EqualIgnoreHash, over the client's
// semanticJson of the template without the pod-template-hash label, cached per template object.
import type { PodTemplateSpec } from '@skiff/api';
import { semanticJson } from '@skiff/client';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** The template without the pod-template-hash label, canonical (cached per template object). */
const canonicalCache = new WeakMap<object, string>();
export function templateKey(template: PodTemplateSpec | undefined): string {
  if (!template) return semanticJson({});
  let s = canonicalCache.get(template);
  if (s === undefined) {
    const labels = template.metadata?.labels;
    let t: unknown = template;
    if (labels && POD_TEMPLATE_HASH_LABEL in labels) {
      const { [POD_TEMPLATE_HASH_LABEL]: _, ...rest } = labels;
      t = { ...template, metadata: { ...template.metadata, labels: rest } };
    }
    s = semanticJson(t);
    canonicalCache.set(template, s);
  }
  return s;
}

/**
 * The template key of an RS, cached by uid and generation: an RS's template changes only with its
 * generation, while a status update brings a new copy of the object (and of its template).
 */
const rsKeys = new Map<string, { generation: number | undefined; key: string }>();
const MAX_RS_KEYS = 50_000;
export function replicaSetTemplateKey(rs: { metadata: { uid?: string; generation?: number }; spec?: { template?: PodTemplateSpec } }): string {
  const uid = rs.metadata.uid;
  if (!uid) return templateKey(rs.spec?.template);
  const hit = rsKeys.get(uid);
  if (hit && hit.generation === rs.metadata.generation) return hit.key;
  const key = templateKey(rs.spec?.template);
  if (rsKeys.size >= MAX_RS_KEYS) rsKeys.clear(); // a bound, not an LRU: misses only cost a render
  rsKeys.set(uid, { generation: rs.metadata.generation, key });
  return key;
}

/** kube's EqualIgnoreHash: equal templates but for the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return templateKey(a) === templateKey(b);
}
