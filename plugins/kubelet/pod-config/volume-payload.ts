// What the AtomicWriter volumes hold, as kubelet's volume plugins compute it: configMap and secret
// (MakePayload), downwardAPI (CollectData), projected (collectData over its sources). Pure apart
// from reading the referenced objects.
// Left out: projected serviceAccountToken (no token issuer in Skiff yet: the file is skipped and a
// warning returned) and clusterTrustBundle (skipped likewise); fsGroup / fsUser ownership.
import { posix } from 'node:path';
import type { FileProjection, Payload } from './atomic-writer.ts';
import { extractFieldPathAsString, resourceFieldValue } from './fieldpath.ts';
import { notFoundMessage, objectData, type ObjectReader, type ReferencedKind } from './object-reader.ts';
import type { DownwardAPIVolumeFile, KeyToPath, Pod, ResourceList, Volume, VolumeProjection } from './types.ts';

export const DEFAULT_MODE = 0o644;

export interface PayloadContext {
  pod: Pod;
  reader: ObjectReader;
  /** the node's allocatable: resourceFieldRef's default for a missing limit */
  nodeAllocatable?: ResourceList;
}

export interface PayloadResult {
  payload: Payload;
  /** things left out, worth an event */
  warnings: string[];
}

/** kube's utilerrors.NewAggregate message. */
function aggregate(errors: string[]): Error {
  return new Error(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
}

/** kube's MakePayload for configMap / secret: all keys, or the `items` (a missing key is an error unless optional). */
export function makePayload(kind: ReferencedKind, items: KeyToPath[] | undefined, data: Map<string, Buffer>, defaultMode: number, optional: boolean): Payload {
  const payload: Payload = new Map();
  if (!items?.length) {
    for (const [key, bytes] of data) payload.set(key, { data: bytes, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const bytes = data.get(item.key);
    if (bytes === undefined) {
      if (optional) continue;
      throw new Error(kind === 'ConfigMap' ? `configmap references non-existent config key: ${item.key}` : `references non-existent secret key: ${item.key}`);
    }
    payload.set(item.path, { data: bytes, mode: item.mode ?? defaultMode });
  }
  return payload;
}

async function referencedPayload(
  kind: ReferencedKind,
  name: string,
  items: KeyToPath[] | undefined,
  optional: boolean,
  defaultMode: number,
  ctx: PayloadContext,
): Promise<Payload> {
  const obj = await ctx.reader.get(kind, ctx.pod.metadata.namespace ?? 'default', name);
  if (!obj && !optional) throw new Error(notFoundMessage(kind, name));
  return makePayload(kind, items, obj ? objectData(kind, obj) : new Map(), defaultMode, optional);
}

/** kube's downwardapi.CollectData: one file per item (metadata fields, container resources). */
export function downwardAPIPayload(items: DownwardAPIVolumeFile[] | undefined, defaultMode: number, ctx: PayloadContext): Payload {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const item of items ?? []) {
    const f: FileProjection = { data: Buffer.alloc(0), mode: item.mode ?? defaultMode };
    try {
      if (item.fieldRef) f.data = Buffer.from(extractFieldPathAsString(ctx.pod, item.fieldRef.fieldPath));
      else if (item.resourceFieldRef) f.data = Buffer.from(resourceFieldValue(item.resourceFieldRef, ctx.pod, undefined, ctx.nodeAllocatable));
    } catch (e) {
      errors.push((e as Error).message);
    }
    payload.set(posix.normalize(item.path), f);
  }
  if (errors.length) throw aggregate(errors);
  return payload;
}

async function projectedPayload(sources: VolumeProjection[], defaultMode: number, ctx: PayloadContext, warnings: string[]): Promise<Payload> {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const src of sources) {
    try {
      let part: Payload | undefined;
      if (src.secret) part = await referencedPayload('Secret', src.secret.name ?? '', src.secret.items, !!src.secret.optional, defaultMode, ctx);
      else if (src.configMap) part = await referencedPayload('ConfigMap', src.configMap.name ?? '', src.configMap.items, !!src.configMap.optional, defaultMode, ctx);
      else if (src.downwardAPI) part = downwardAPIPayload(src.downwardAPI.items, defaultMode, ctx);
      else if (src.serviceAccountToken) warnings.push(`serviceAccountToken projection (${src.serviceAccountToken.path}) is not supported: left out`);
      else if (src.clusterTrustBundle) warnings.push('clusterTrustBundle projection is not supported: left out');
      for (const [k, v] of part ?? []) payload.set(k, v);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw aggregate(errors);
  return payload;
}

/** The payload of a configMap / secret / downwardAPI / projected volume; undefined for other kinds. */
export async function volumePayload(volume: Volume, ctx: PayloadContext): Promise<PayloadResult | undefined> {
  const warnings: string[] = [];
  if (volume.configMap) {
    const s = volume.configMap;
    return { payload: await referencedPayload('ConfigMap', s.name ?? '', s.items, !!s.optional, s.defaultMode ?? DEFAULT_MODE, ctx), warnings };
  }
  if (volume.secret) {
    const s = volume.secret;
    return { payload: await referencedPayload('Secret', s.secretName ?? '', s.items, !!s.optional, s.defaultMode ?? DEFAULT_MODE, ctx), warnings };
  }
  if (volume.downwardAPI) {
    return { payload: downwardAPIPayload(volume.downwardAPI.items, volume.downwardAPI.defaultMode ?? DEFAULT_MODE, ctx), warnings };
  }
  if (volume.projected) {
    const p = volume.projected;
    return { payload: await projectedPayload(p.sources ?? [], p.defaultMode ?? DEFAULT_MODE, ctx, warnings), warnings };
  }
  return undefined;
}
