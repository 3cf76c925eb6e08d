// Kubernetes' patch metadata on structural schemas, as kube-openapi writes it from the Go tags of
// k8s.io/api (`patchStrategy:"merge" patchMergeKey:"name"`, `+listType=map`, `+listMapKey=name`,
// `+structType=atomic`): strategic merge patch reads x-kubernetes-patch-strategy and
// x-kubernetes-patch-merge-key, server-side apply reads x-kubernetes-list-type,
// x-kubernetes-list-map-keys and x-kubernetes-map-type. ajv ignores them (strict: false).
import type { Obj } from './causes.ts';
import { S } from './structural.ts';

import { LIST_MAP_KEYS, LIST_TYPE, MAP_TYPE, PATCH_MERGE_KEY, PATCH_STRATEGY } from './patch-keys.ts';

export { LIST_MAP_KEYS, LIST_TYPE, MAP_TYPE, PATCH_MERGE_KEY, PATCH_STRATEGY };

/**
 * A list of objects merged by key: patchStrategy=merge, patchMergeKey=`mergeKey`, listType=map,
 * listMapKey=`keys` (kube: containers by name, ports by containerPort+protocol).
 */
export function keyedList(items: Obj, mergeKey: string, keys: string[] = [mergeKey], strategy = 'merge'): Obj {
  return { ...S.arr(items), [PATCH_STRATEGY]: strategy, [PATCH_MERGE_KEY]: mergeKey, [LIST_TYPE]: 'map', [LIST_MAP_KEYS]: keys };
}

/** A list-type map server-side apply merges by `keys`, that strategic merge patch replaces (no patch strategy in kube). */
export function mapList(items: Obj, keys: string[]): Obj {
  return { ...S.arr(items), [LIST_TYPE]: 'map', [LIST_MAP_KEYS]: keys };
}

/** A list of scalars merged as a set (finalizers, podCIDRs: patchStrategy=merge, listType=set). */
export function setList(items: Obj = S.str): Obj {
  return { ...S.arr(items), [PATCH_STRATEGY]: 'merge', [LIST_TYPE]: 'set' };
}

/** A struct or map replaced whole by server-side apply (+structType=atomic, +mapType=atomic). */
export function atomic(schema: Obj): Obj {
  return { ...schema, [MAP_TYPE]: 'atomic' };
}

/** A field with a patch strategy of its own (Deployment's strategy: retainKeys; a PDB's selector: replace). */
export function strategy(schema: Obj, value: string): Obj {
  return { ...schema, [PATCH_STRATEGY]: value };
}

/** metav1.LabelSelector (+structType=atomic). */
export const labelSelectorSchema = atomic(S.obj({ matchLabels: S.strMap, matchExpressions: S.arr(S.obj({ key: S.str, operator: S.str, values: S.strArr })) }));

/** metav1.ObjectMeta with its patch metadata: ownerReferences keyed by uid, finalizers a set. */
export const fullObjectMetaSchema = S.obj({
  name: S.str,
  generateName: S.str,
  namespace: S.str,
  uid: S.str,
  resourceVersion: S.str,
  generation: S.int64,
  creationTimestamp: S.str,
  deletionTimestamp: S.str,
  deletionGracePeriodSeconds: S.int64,
  labels: S.strMap,
  annotations: S.strMap,
  ownerReferences: keyedList(atomic(S.obj({ apiVersion: S.str, kind: S.str, name: S.str, uid: S.str, controller: S.bool, blockOwnerDeletion: S.bool })), 'uid'),
  finalizers: setList(),
  managedFields: S.arr(S.obj()),
});

/** The schema of a whole object: apiVersion, kind, ObjectMeta and the kind's own top-level fields. */
export function objectSchema(props: Record<string, Obj> = {}): Obj {
  return S.obj({ apiVersion: S.str, kind: S.str, metadata: fullObjectMetaSchema, ...props });
}
