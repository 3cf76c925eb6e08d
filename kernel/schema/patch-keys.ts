// The schema extensions that carry Kubernetes' patch metadata (see patch-meta.ts). A module of its
// own, with no imports: the patch code (and the CLI's client-side patches) reads them without
// loading the schema validator.
export const PATCH_STRATEGY = 'x-kubernetes-patch-strategy';
export const PATCH_MERGE_KEY = 'x-kubernetes-patch-merge-key';
export const LIST_TYPE = 'x-kubernetes-list-type';
export const LIST_MAP_KEYS = 'x-kubernetes-list-map-keys';
export const MAP_TYPE = 'x-kubernetes-map-type';
